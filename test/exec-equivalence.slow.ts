/**
 * Issue #4's bar, in full: the upstream suite over `exec:` against the
 * reference driver gives the same per-rule verdicts as `sim:`, for every
 * model, firmware and defect. Slow (every target twice), so it runs in
 * `npm run test:slow`, which CI runs after `npm test`.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { runConformance } from '../harness/run.js';
import { DEFECTS, MODELS } from '../reference-driver/index.js';

describe('exec equivalence (every model, firmware and defect)', () => {
  it('every sim: target and its exec: twin agree rule by rule', async () => {
    const sims = [
      ...Object.entries(MODELS).flatMap(([m, model]) => model.fwVersions.map((fw) => `${m}@${fw}`)),
      ...DEFECTS.map((d) => `${d.models?.[0] ?? 'cxl'}+${d.id}`),
    ];
    const exec = (s: string) => `exec:node ${join(ROOT, 'bin/fwctl-cts.js')} serve-reference ${s}`;
    const report = await runConformance({ targets: sims.flatMap((s) => [`sim:${s}`, exec(s)]), workers: 2, timeoutMs: 60_000 });
    const differ: string[] = [];
    for (const s of sims) {
      for (const r of report.rules) {
        if (r.byTarget[`sim:${s}`] !== r.byTarget[exec(s)]) differ.push(`${s} ${r.id}: sim ${r.byTarget[`sim:${s}`]}, exec ${r.byTarget[exec(s)]}`);
      }
    }
    console.log(`      ${sims.length} targets × ${report.rules.length} rules compared, ${differ.length} differences`);
    expect(differ, differ.join('\n')).to.deep.equal([]);
  });
});
