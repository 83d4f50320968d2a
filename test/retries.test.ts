/** Flakes (issue #12): an unexpected failure is rerun with --retries, and a pass on retry is a flake. */
import { expect } from 'chai';
import { runConformance } from '../harness/run.js';

// flaky-info fails about one FWCTL_INFO in eight at random (reference-driver/defects/core.json).
const TARGETS = ['sim:cxl@*+flaky-info', 'sim:mlx5@*+flaky-info', 'sim:pds@*+flaky-info'];

describe('retries and flakes', function () {
  this.timeout(240_000);

  it('with --retries a flaky device gives flakes, each with its attempts, and no failure', async () => {
    // ~70 FWCTL_INFO-heavy tests: some fail at first (P(none) < 1e-6), none fails seven times (P < 1e-3).
    const report = await runConformance({ targets: TARGETS, suites: ['uapi/'], retries: 6, workers: 2 });
    const flakes = report.tests.filter((t) => t.outcome === 'flake');
    expect(flakes.length, 'flakes').to.be.greaterThan(0);
    for (const f of flakes) {
      expect(f.attempts!.at(-1)).to.equal('pass');
      expect(f.attempts!.slice(0, -1).every((a) => a === 'fail')).to.equal(true);
    }
    expect(report.tests.filter((t) => ['fail', 'timeout', 'crash', 'error'].includes(t.outcome)).map((t) => `${t.target} ${t.id} ${t.attempts}`)).to.deep.equal([]);
    expect(report.verdict).to.equal('compliant');
  });

  it('without retries the same device fails', async () => {
    // The same odds the other way: with no rerun, some FWCTL_INFO test fails.
    const report = await runConformance({ targets: TARGETS, suites: ['uapi/'], workers: 2 });
    expect(report.tests.some((t) => t.outcome === 'fail')).to.equal(true);
    expect(report.tests.some((t) => t.outcome === 'flake')).to.equal(false);
  });
});
