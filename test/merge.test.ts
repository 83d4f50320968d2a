/** Shards that merge (issue #12): 4 shards merged equal one run; a shard is judged on what it ran. */
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { mergeReports } from '../harness/results/merge.js';
import { runConformance } from '../harness/run.js';

const TARGETS = ['sim:cxl@*', 'sim:pds+pds-any-scope'];

/**
 * A report as report.json holds it (a JSON round trip drops undefined fields), without what
 * differs between runs: timings, stacks and descriptor numbers (open's return).
 */
export function comparable(r: Report): unknown {
  return JSON.parse(JSON.stringify({
    verdict: r.verdict,
    rules: r.rules,
    summary: r.summary,
    targets: r.targets,
    tests: r.tests
      .map((t) => ({
        ...t,
        durationMs: 0,
        error: t.error && { ...t.error, stack: undefined },
        evidence: t.evidence.map((e) => (e.call === 'open' && e.ret >= 0 ? { ...e, ret: 0 } : e)),
      }))
      .sort((a, b) => `${a.target} ${a.id}`.localeCompare(`${b.target} ${b.id}`)),
  }));
}

describe('shards and merge', function () {
  this.timeout(240_000);
  let whole: Report;
  let shards: Report[];
  before(async () => {
    whole = await runConformance({ targets: TARGETS, workers: 2 });
    shards = [];
    for (let index = 1; index <= 4; index++) shards.push(await runConformance({ targets: TARGETS, workers: 2, shard: { index, count: 4 } }));
  });

  it('a shard does not call rules run in other shards "not run"', () => {
    for (const s of shards) {
      expect(s.summary.rules['not-run']).to.equal(0);
      expect(s.summary.rules['not-selected']).to.be.greaterThan(0);
      expect(s.run.shard).to.match(/^[1-4]\/4$/);
    }
  });

  it('4 shards merged equal the unsharded run, apart from timings', () => {
    const merged = mergeReports(shards.map((report, i) => ({ file: `shard${i + 1}`, report })));
    expect(merged.tests).to.have.length(whole.tests.length);
    expect(comparable(merged)).to.deep.equal(comparable(whole));
    expect(merged.verdict).to.equal('non-compliant');
  });

  it('refuses overlapping or incomplete shards', () => {
    expect(() => mergeReports([{ file: 'a', report: shards[0]! }, { file: 'b', report: shards[0]! }])).to.throw(/in two of the reports/);
    expect(() => mergeReports(shards.slice(0, 3).map((report, i) => ({ file: `s${i}`, report })))).to.throw(/do not make a whole run/);
  });
});
