/**
 * Hostile drivers (issue 11): each fixture attacks the harness one way
 * (test/fixtures/drivers/hostile-driver.ts). The harness runs as its own
 * process, watched from outside; for every driver the run ends within a
 * bound, every planned test has an outcome, the report is complete, the
 * harness stays under a memory ceiling, and no process is left behind.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../harness/generated/report.js';
import { measure, tagged } from './fixtures/measure.js';

const DRIVER = fileURLToPath(new URL('./fixtures/drivers/hostile-driver.js', import.meta.url));
/** Peak RSS allowed to the harness, whatever the driver sends (it was 1.5 GB and more before). */
const CEILING_MB = 300;
const TIMEOUT_MS = 1500;
/** The uapi/info suite's tests on a clean cxl driver. */
const INFO_TESTS = 7;

/** mode, what its tests end as (or 'target' when the driver cannot be tested at all), and what the report must say. */
const MODES: [string, 'crash' | 'timeout' | 'pass' | 'target', RegExp][] = [
  ['no-hello', 'target', /did not answer hello/],
  ['stdout-flood', 'crash', /line longer than \d+ bytes/],
  ['stderr-flood', 'pass', /./],
  ['huge-line', 'crash', /line longer than \d+ bytes/],
  ['nested', 'crash', /nested deeper than 64 levels/],
  ['bad-base64', 'crash', /is not base64/],
  ['dup-id', 'crash', /a reply to unknown call/],
  ['unknown-id', 'crash', /a reply to unknown call 99999/],
  ['seg-unmapped', 'crash', /never mapped there/],
  ['seg-oversize', 'crash', /bytes to the segment at 0x[0-9a-f]+, which has \d+/],
  ['children', 'crash', /exited with status 3/],
  ['hang-close', 'timeout', /gave no answer to a close call|Timeout of/],
];

describe('hostile drivers: the harness stays bounded and leaves nothing behind', function () {
  this.timeout(120_000);

  for (const [mode, outcome, message] of MODES) {
    it(`${mode}: ${outcome === 'target' ? 'a target error' : `its tests are ${outcome}`}, within bounds`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `fwctl-cts-hostile-${mode}-`));
      const tag = `fwctl-cts-hostile-${mode}-${process.pid}`;
      // Every suite for the driver that never says hello: it is greeted once per target, not once per suite.
      const suites = mode === 'no-hello' ? [] : ['--suite', 'uapi/info'];
      const run = await measure(['run', '--target', `exec:node ${DRIVER} ${mode} ${tag}`, ...suites, '--workers', '1', '--timeout', String(TIMEOUT_MS), '--no-progress', '--report-dir', dir], {
        tag,
        killAtMb: 1000,
        killAfterMs: 60_000,
      });
      for (const pid of run.leftover) process.kill(pid, 'SIGKILL');
      expect(run.killed, `the harness had to be killed (${run.peakMb} MB, ${run.ms} ms)`).to.equal(undefined);
      expect(run.peakMb, 'harness peak RSS, MB').to.be.below(CEILING_MB);
      expect(run.leftover, 'processes left running').to.deep.equal([]);
      // A handshake costs one timeout; each test at most two (its own, and the driver's call deadline).
      expect(run.ms, 'wall time').to.be.below(mode === 'no-hello' ? 4 * TIMEOUT_MS + 5000 : INFO_TESTS * 2 * TIMEOUT_MS + 5000);

      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
      expect(report.summary.tests, 'summary counts every test').to.equal(report.tests.length);
      const said = [...report.targets.flatMap((t) => t.errors), ...report.tests.map((t) => t.error?.message ?? '')].join('\n');
      if (outcome === 'target') {
        expect(run.code, 'exit code (the target could not be tested)').to.equal(2);
        expect(report.targets[0]!.errors, 'one error, from the one handshake').to.have.length(1);
        expect(said).to.match(message);
        return;
      }
      expect(report.tests.length, 'every planned test has an outcome').to.equal(INFO_TESTS);
      if (outcome === 'pass') {
        expect(report.tests.map((t) => t.outcome), 'outcomes').to.deep.equal(Array(INFO_TESTS).fill('pass'));
        return;
      }
      expect(run.code, 'exit code (the driver is at fault, as when it crashes)').to.equal(1);
      const bad = report.tests.filter((t) => t.outcome !== 'pass');
      expect(bad.length, 'affected tests').to.be.greaterThan(0);
      expect(bad.map((t) => t.outcome), 'no driver fault is scored as a failed rule').to.deep.equal(bad.map(() => outcome));
      expect(said).to.match(message);
    });
  }

  it('no process started by these runs is alive', () => {
    expect(tagged(`fwctl-cts-hostile-children-${process.pid}`)).to.deep.equal([]);
  });
});
