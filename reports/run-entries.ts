/**
 * What only report.json knew, as test entries every format carries (issue #12): a target or
 * suite that could not be planned, a rule that was not run, and the run's verdict. Without
 * them a run that exited 2 (a suite failed to load) read as a pass in TAP, KTAP and JUnit.
 */
import type { Report, TestEntry } from '../harness/generated/report.js';
import { idPart } from '../harness/results/test-id.js';

/** The target name of the run's own entries in every format. */
export const RUN_TARGET = 'fwctl-cts';
const SUITE = 'run';

/** The exit code the CLI gives this report (DESIGN.md: 0 compliant, 1 non-compliant or incomplete, 2 harness error). */
export function exitCode(report: Report): number {
  const harnessError = report.targets.some((t) => t.errors.length > 0) || report.summary.outcomes.error > 0;
  // An interrupted run (SIGINT, SIGTERM) is not a finding against the device: 2, as a harness error.
  if (harnessError || report.interrupted) return 2;
  // An expired expectations entry fails the run loudly, whatever the rules did.
  return report.verdict === 'compliant' && !report.expectations?.expired.length ? 0 : 1;
}

export function runEntries(report: Report): TestEntry[] {
  const entries: TestEntry[] = [];
  const entry = (id: string, title: string, outcome: TestEntry['outcome'], message?: string, rules: string[] = []): void => {
    const e: TestEntry = { id, suite: SUITE, title, target: RUN_TARGET, rules, outcome, durationMs: 0, evidence: [] };
    if (outcome === 'skip') e.skipReason = message ?? '';
    else if (message !== undefined) e.error = { message };
    entries.push(e);
  };
  for (const t of report.targets) {
    t.errors.forEach((err, i) => entry(`run.target-error.${idPart(t.spec)}.${i + 1}`, `${t.spec}: ${err.split('\n')[0]}`, 'error', err));
  }
  for (const r of report.rules.filter((x) => x.verdict === 'not-run')) {
    const where = Object.entries(r.byTarget).filter(([, v]) => v === 'not-run').map(([t]) => t);
    const why = notRunReason(report, r.id);
    const message = `rule ${r.id} not run on ${where.join(', ')}: ${why}`;
    // A core must-rule not run makes the run incomplete (harness/results/verdict.ts): an error, as it fails the gate.
    const counts = r.severity === 'must' && r.tier === 'core';
    entry(`run.rule-not-run.${r.id}`, `rule ${r.id} was run`, counts ? 'error' : 'skip', counts ? message : `not run (${r.severity} ${r.tier}, does not decide the verdict): ${why}`, [r.id]);
  }
  report.expectations?.expired.forEach((e, i) => entry(`run.expectations-expired.${i + 1}`, `expectations entry ${e.split(':')[0]} is live`, 'error', `expired: ${e}`));
  if (report.interrupted) entry('run.interrupted', 'the run was not interrupted', 'error', 'interrupted (SIGINT or SIGTERM): the tests not finished were not run');
  const code = exitCode(report);
  entry('run.verdict', `run verdict is compliant (exit 0)`, code === 0 ? 'pass' : 'fail', code === 0 ? undefined : `verdict ${report.verdict}, exit ${code}`);
  return entries;
}

function notRunReason(report: Report, rule: string): string {
  const skipped = report.tests.find((x) => x.rules.includes(rule) && x.skipReason);
  if (skipped) return skipped.skipReason!;
  const errored = report.tests.find((x) => x.rules.includes(rule) && x.outcome === 'error');
  return errored ? `harness error: ${errored.error?.message.split('\n')[0] ?? 'error'}` : 'no test ran';
}

/** The report's tests followed by the run's own entries: what every renderer writes. */
export function allEntries(report: Report): TestEntry[] {
  return [...report.tests, ...runEntries(report)];
}
