/**
 * Issue 13 item 2's bar, in full: over every model, firmware and defect (the
 * defect gate's targets), the data codecs (codecs/*.json) give the same
 * per-rule verdicts and per-test outcomes as the TypeScript codecs they
 * re-express. pds has no data codec: its targets run the same code twice,
 * and are counted apart. Slow (every target twice), so `npm run test:slow`.
 */
import { expect } from 'chai';
import { DATA_MODELS, compare, everyTarget, runWith } from './fixtures/codec-runs.js';

describe('codec equivalence (every model, firmware and defect)', () => {
  it('data and TypeScript codecs agree rule by rule and test by test', async () => {
    const targets = everyTarget();
    const started = Date.now();
    const code = await runWith('code', targets);
    const data = await runWith('data', targets);
    const c = compare(code, data, targets);
    const onData = everyTarget(DATA_MODELS).length;
    console.log(`      ${c.targets} targets × ${c.rules} rules compared (${onData} targets on a data codec), ${c.ruleDiffs.length} differences; ${c.tests} tests, ${c.testDiffs.length} differences (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    expect(c.tests).to.be.greaterThan(1000);
    expect(c.ruleDiffs, c.ruleDiffs.join('\n')).to.deep.equal([]);
    expect(c.testDiffs, c.testDiffs.slice(0, 20).join('\n')).to.deep.equal([]);
  });
});
