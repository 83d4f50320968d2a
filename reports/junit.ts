/**
 * JUnit XML rendered straight from the canonical report. tap-junit would lose durations, skip
 * reasons, stacks, expected/actual and classnames, which CI UIs (GitLab, Jenkins) display.
 * Valid under Jenkins' junit-10.xsd (xunit-plugin), which skips any file that is not: its
 * `<testsuites>` takes only name, time, tests, failures, disabled and errors. Test cases are
 * named by their stable id (GitLab keys a case by classname + name); the sentence is in
 * system-out. The run's own entries (reports/run-entries.ts) make a failed run fail here too.
 */
import type { Report, TestEntry } from '../harness/generated/report.js';
import { xmlAttr, xmlText } from './escape.js';
import { idPart } from '../harness/results/test-id.js';
import { allEntries } from './run-entries.js';
import { evidenceLine, failureMessage, groupName, groupTests, isFailure, outcomeNote, type TestGroup } from './tap.js';

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export interface JunitOptions {
  /** Beyond this many passing test cases, only failures and errors are written (deqp-runner's --limit). */
  limit?: number;
}

export function renderJunit(report: Report, opts: JunitOptions = {}): string {
  const entries = allEntries(report);
  const groups = groupTests(entries);
  const { skipped: _skipped, ...total } = count(entries);
  let passesLeft = opts.limit ?? Infinity;
  const keep = (t: TestEntry) => isFailure(t) || passesLeft-- > 0;
  const kept = groups.map((g, i) => ({ group: { ...g, tests: g.tests.filter(keep) }, all: g, index: i }));
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    // The run's wall time: workers run in parallel, so it is less than the sum of the suites.
    `<testsuites ${attrs({ name: 'fwctl-cts', ...total, time: seconds(report.run.durationMs) })}>`,
    ...kept.flatMap(({ group, all, index }) => testsuite(report, group, all, index)),
    '</testsuites>',
  ];
  return lines.join('\n') + '\n';
}

/** `all` is the whole group, `group` what is written of it (counts stay those of the whole group). */
function testsuite(report: Report, group: TestGroup, all: TestGroup, index: number): string[] {
  const time = seconds(all.tests.reduce((ms, t) => ms + t.durationMs, 0));
  const omitted = all.tests.length - group.tests.length;
  const head = attrs({
    name: groupName(group),
    // The stricter Ant schema wants id and package on every testsuite.
    id: index,
    package: `${idPart(group.target)}.${idPart(group.suite)}`,
    ...count(all.tests),
    time,
    // Tests carry no start time of their own; the run's start is the closest truthful value.
    timestamp: report.run.startedAt,
    hostname: report.run.host.hostname,
  });
  const properties = {
    target: group.target,
    'policy.id': report.policy.id,
    'policy.version': report.policy.version,
    verdict: report.verdict,
  };
  return [
    `  <testsuite ${head}>`,
    '    <properties>',
    ...Object.entries({ ...properties, ...(omitted ? { 'omitted.passes': omitted } : {}) }).map(([name, value]) => `      <property ${attrs({ name, value: String(value) })}/>`),
    '    </properties>',
    ...group.tests.flatMap((t) => testcase(group, t)),
    '  </testsuite>',
  ];
}

function testcase(group: TestGroup, t: TestEntry): string[] {
  const head = attrs({ classname: `${idPart(group.target)}.${idPart(group.suite)}`, name: t.id, time: seconds(t.durationMs) });
  return [`    <testcase ${head}>`, ...result(t).map((line) => `      ${line}`), `      <system-out>${xmlText(systemOut(t))}</system-out>`, '    </testcase>'];
}

/** The result element; a pass has none. Text content is not indented because it is the payload. */
function result(t: TestEntry): string[] {
  switch (t.outcome) {
    case 'pass':
      return [];
    case 'skip':
      return [t.skipReason === undefined ? '<skipped/>' : `<skipped ${attrs({ message: t.skipReason })}/>`];
    case 'fail':
    case 'timeout':
      return [`<failure ${attrs({ message: failureMessage(t), type: t.outcome })}>${xmlText(failureText(t))}</failure>`];
    case 'crash':
    case 'error':
      return [`<error ${attrs({ message: failureMessage(t), type: t.outcome })}>${xmlText(failureText(t))}</error>`];
    // Excused failures are not failures to a CI UI: shown as skipped with why (JUnit has no xfail).
    case 'expected-fail':
    case 'waived':
      return [`<skipped ${attrs({ message: outcomeNote(t), type: t.outcome })}/>`];
    // Surefire's element for a test that failed and then passed; old consumers count it a pass.
    case 'flake':
      return t.attempts?.includes('pass')
        ? [`<flakyFailure ${attrs({ message: outcomeNote(t), type: 'flake' })}>${xmlText(failureText(t))}</flakyFailure>`]
        : [`<skipped ${attrs({ message: outcomeNote(t), type: 'flake' })}/>`];
    case 'unexpected-pass':
      return [];
  }
}

/** The stack (or the message when there is none), then expected and actual. */
function failureText(t: TestEntry): string {
  const lines = [t.error?.stack ?? failureMessage(t)];
  if (t.error?.expected !== undefined) lines.push(`expected: ${t.error.expected}`);
  if (t.error?.actual !== undefined) lines.push(`actual: ${t.error.actual}`);
  return lines.join('\n');
}

function systemOut(t: TestEntry): string {
  return [t.title, `rules: ${t.rules.join(' ')}`, ...t.evidence.map(evidenceLine)].join('\n');
}

/** JUnit splits non-passing tests into failures (assertion, timeout) and errors (crash, harness error). */
function count(tests: readonly TestEntry[]): Counts {
  const counts: Counts = { tests: tests.length, failures: 0, errors: 0, skipped: 0 };
  for (const t of tests) {
    if (t.outcome === 'fail' || t.outcome === 'timeout') counts.failures++;
    else if (t.outcome === 'crash' || t.outcome === 'error') counts.errors++;
    else if (t.outcome === 'skip' || t.outcome === 'expected-fail' || t.outcome === 'waived' || (t.outcome === 'flake' && !t.attempts?.includes('pass'))) counts.skipped++;
  }
  return counts;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${xmlAttr(String(value))}"`)
    .join(' ');
}
