/**
 * The kill rate of the whole suite on every reference model (`fwctl-cts mutate`): every operator
 * that changes an answer is killed, by the rule it is named for; the ones that change nothing on a
 * model are the ones docs/mutate.md explains.
 */
import { expect } from 'chai';
import { runMutation } from '../harness/mutate/mutate.js';

/** Operators that alter nothing on a model, and why (docs/mutate.md "Not applicable"). */
const NOT_APPLICABLE: Record<string, string[]> = {
  'sim:cxl': [],
  'sim:mlx5': ['out-len-clamped'],
  'sim:mlx5-7-3': ['out-len-clamped'],
  'sim:pds': [],
  'sim:bnxt': ['out-len-clamped'],
};

describe('mutate: kill rate on every reference model', function () {
  this.timeout(1_800_000);
  for (const [target, na] of Object.entries(NOT_APPLICABLE)) {
    it(`kills every applicable mutant on ${target}, each by its own rule`, async () => {
      const t0 = Date.now();
      const r = await runMutation({ target, workers: 2 });
      console.log(`      ${target}: kill rate ${(r.killRate! * 100).toFixed(1)}% (${r.killed} of ${r.killed + r.survived}; ${r.notApplicable} not applicable) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      expect(r.mutants.filter((m) => m.status === 'survived').map((m) => m.operator)).to.deep.equal([]);
      expect(r.mutants.filter((m) => m.status === 'not-applicable').map((m) => m.operator)).to.deep.equal(na);
      for (const m of r.mutants.filter((x) => x.status === 'killed')) expect(m.ruleTripped, `${m.operator} killed by ${m.killedBy.join(', ')}`).to.equal(true);
    });
  }
});
