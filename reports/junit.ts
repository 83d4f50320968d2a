/**
 * JUnit XML rendered straight from the canonical report. tap-junit would lose durations, skip
 * reasons, stacks, expected/actual and classnames, which CI UIs (GitLab, Jenkins) display.
 */
import type { Report, TestEntry } from '../harness/generated/report.js';
import { xmlAttr, xmlText } from './escape.js';
import { evidenceLine, failureMessage, groupName, groupTests, type TestGroup } from './tap.js';

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function renderJunit(report: Report): string {
  const groups = groupTests(report.tests);
  const total = count(report.tests);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    // The run's wall time: workers run in parallel, so it is less than the sum of the suites.
    `<testsuites ${attrs({ name: 'fwctl-cts', ...total, time: seconds(report.run.durationMs), timestamp: report.run.startedAt })}>`,
    ...groups.flatMap((group) => testsuite(report, group)),
    '</testsuites>',
  ];
  return lines.join('\n') + '\n';
}

function testsuite(report: Report, group: TestGroup): string[] {
  const time = seconds(group.tests.reduce((ms, t) => ms + t.durationMs, 0));
  const head = attrs({
    name: groupName(group),
    ...count(group.tests),
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
    ...Object.entries(properties).map(([name, value]) => `      <property ${attrs({ name, value })}/>`),
    '    </properties>',
    ...group.tests.flatMap((t) => testcase(group, t)),
    '  </testsuite>',
  ];
}

function testcase(group: TestGroup, t: TestEntry): string[] {
  const head = attrs({ classname: `${group.target}.${group.suite}`, name: t.title, time: seconds(t.durationMs) });
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
  return [`rules: ${t.rules.join(' ')}`, ...t.evidence.map(evidenceLine)].join('\n');
}

/** JUnit splits non-passing tests into failures (assertion, timeout) and errors (crash, harness error). */
function count(tests: readonly TestEntry[]): Counts {
  const counts: Counts = { tests: tests.length, failures: 0, errors: 0, skipped: 0 };
  for (const t of tests) {
    if (t.outcome === 'fail' || t.outcome === 'timeout') counts.failures++;
    else if (t.outcome === 'crash' || t.outcome === 'error') counts.errors++;
    else if (t.outcome === 'skip') counts.skipped++;
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
