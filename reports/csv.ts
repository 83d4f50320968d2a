/**
 * deqp-runner's CSV shapes (Mesa CI): `results.csv` is `test,status,duration` for every test,
 * `failures.csv` the same for the tests that did not pass or skip, usable as the next baseline.
 * Test names are `<target>.<id>` (reports/tap.ts fullTestName), machine-safe, so no quoting.
 */
import type { Report, TestEntry } from '../harness/generated/report.js';
import { allEntries } from './run-entries.js';
import { fullTestName, isFailure } from './tap.js';

const STATUS: Record<TestEntry['outcome'], string> = {
  pass: 'Pass',
  fail: 'Fail',
  skip: 'Skip',
  timeout: 'Timeout',
  crash: 'Crash',
  // deqp-runner has no harness-error status; the gate must read it as a failure.
  error: 'Fail',
  'expected-fail': 'ExpectedFail',
  'unexpected-pass': 'UnexpectedPass',
  flake: 'Flake',
  // A waiver is a known failure the run does not count.
  waived: 'ExpectedFail',
};

function csv(tests: readonly TestEntry[]): string {
  return tests.map((t) => `${fullTestName(t)},${STATUS[t.outcome]},${(t.durationMs / 1000).toFixed(3)}\n`).join('');
}

export function renderResultsCsv(report: Report): string {
  return csv(allEntries(report));
}

export function renderFailuresCsv(report: Report): string {
  return csv(allEntries(report).filter(isFailure));
}
