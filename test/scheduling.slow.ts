/**
 * Issue 10 item 6's bar: verdicts do not depend on scheduling. The whole plan
 * (every model at every firmware, every defect) run with 1, 2, 4 and 8 workers,
 * and with the test order shuffled by seed, gives the same verdict for every
 * rule on every target: each test starts from the state it declares, never
 * from what an earlier test of its task left (suites/support/check.ts).
 */
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { runConformance } from '../harness/run.js';
import { WorkerPool } from '../harness/runner/pool.js';
import { DEFECTS, MODELS } from '../reference-driver/index.js';

describe('scheduling-independent verdicts (every model, firmware and defect)', function () {
  this.timeout(1_500_000);
  const models = Object.keys(MODELS);
  // As the defect gate: each model at every firmware, each defect on its first model.
  const targets = [...models.map((m) => `sim:${m}@*`), ...DEFECTS.map((d) => `sim:${d.models?.[0] ?? models[0]}+${d.id}`)];
  const runs: { workers: number; shuffle?: number }[] = [
    { workers: 1 },
    { workers: 2 },
    { workers: 4 },
    { workers: 8 },
    { workers: 2, shuffle: 1 },
    { workers: 4, shuffle: 2 },
    { workers: 8, shuffle: 3 },
  ];

  it('1, 2, 4 and 8 workers, in plan order and shuffled, give identical per-rule verdicts per target', async () => {
    const verdicts = (r: Report) => new Map<string, string>(r.rules.flatMap((rule) => Object.entries(rule.byTarget).map(([t, v]) => [`${t} ${rule.id}`, v] as [string, string])));
    let first: Map<string, string> | undefined;
    let compared = 0;
    const differ: string[] = [];
    for (const { workers, shuffle } of runs) {
      const started = performance.now();
      const pool = new WorkerPool({ workers, timeoutMs: 30_000 });
      let report: Report;
      try {
        report = await runConformance({ targets, pool, shuffle });
      } finally {
        await pool.close();
      }
      const label = `${workers} worker${workers > 1 ? 's' : ''}${shuffle === undefined ? '' : `, shuffled (seed ${shuffle})`}`;
      console.log(`      ${label}: ${report.summary.tests} tests in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      expect(report.run.shuffle, 'the seed is in the report').to.equal(shuffle);
      expect(report.targets.flatMap((t) => t.errors), 'planning errors').to.deep.equal([]);
      const v = verdicts(report);
      if (!first) {
        first = v;
        continue;
      }
      expect(v.size, label).to.equal(first.size);
      for (const [key, verdict] of first) {
        compared++;
        if (v.get(key) !== verdict) differ.push(`${key}: ${verdict} with 1 worker, ${v.get(key)} with ${label}`);
      }
    }
    const rules = first!.size / new Set([...first!.keys()].map((k) => k.split(' ')[0])).size;
    console.log(`      ${first!.size / rules} targets × ${rules} rules compared over ${runs.length - 1} runs (${compared} verdicts): ${differ.length} differences`);
    expect(differ, differ.join('\n')).to.deep.equal([]);
  });
});
