/**
 * TAP and KTAP renderings of the canonical report, plus the grouping every renderer shares.
 * Test points are named by the stable test id; the sentence is the YAML `description`.
 * The run's own entries (reports/run-entries.ts) come last, so no consumer reads a run that
 * failed as a pass.
 */
import type { Evidence, Report, TestEntry } from '../harness/generated/report.js';
import { oneLine, splitVisibleLines, tapText, yamlString } from './escape.js';
import { idPart } from '../harness/results/test-id.js';
import { allEntries } from './run-entries.js';

/** The tests of one target and one suite: a TAP subtest, a KTAP nested test, a JUnit testsuite. */
export interface TestGroup {
  target: string;
  suite: string;
  tests: TestEntry[];
}

/** Group tests by (target, suite) in order of first appearance, keeping report order within a group. */
export function groupTests(tests: readonly TestEntry[]): TestGroup[] {
  const groups = new Map<string, TestGroup>();
  for (const t of tests) {
    const key = JSON.stringify([t.target, t.suite]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { target: t.target, suite: t.suite, tests: [] }));
    group.tests.push(t);
  }
  return [...groups.values()];
}

export function groupName(group: TestGroup): string {
  return `${group.target} ${group.suite}`;
}

/** The outcomes that fail the run, and so are `not ok` everywhere. */
const FAILING = new Set<TestEntry['outcome']>(['fail', 'timeout', 'crash', 'error']);
export function isFailure(t: TestEntry): boolean {
  return FAILING.has(t.outcome);
}

/** A failure an expectations entry foresees: TAP's TODO, KTAP's and kselftest's XFAIL. */
export function isExpectedFailure(t: TestEntry): boolean {
  return t.outcome === 'expected-fail' || t.outcome === 'waived' || (t.outcome === 'flake' && !t.attempts?.includes('pass'));
}

/** Why an outcome that is not plainly pass, fail or skip came about, for directives and messages. */
export function outcomeNote(t: TestEntry): string {
  const via = t.expectation ? ` (${t.expectation})` : '';
  switch (t.outcome) {
    case 'expected-fail':
      return `expected failure${via}: ${failureMessage(t)}`;
    case 'waived':
      return `waived${via}: ${failureMessage(t)}`;
    case 'flake':
      return `flake${via}: ${t.attempts?.join(' then ') ?? failureMessage(t)}`;
    case 'unexpected-pass':
      return `unexpected pass: expected to fail${via}`;
    default:
      return '';
  }
}

/** A failure always has a message, even when the runner recorded no error (a bare timeout). */
export function failureMessage(t: TestEntry): string {
  return t.error?.message ?? `test ${t.outcome}`;
}

/** One evidence record as a line: `call detail → ret errno`. */
export function evidenceLine(e: Evidence): string {
  const call = e.detail ? `${e.call} ${e.detail}` : e.call;
  return `${call} → ${e.ret}${e.errno ? ` ${e.errno}` : ''}`;
}

/** Milliseconds rounded to microseconds, so float noise does not reach the output. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * TAP 13 with TAP 14 subtests: one subtest per (target, suite), a 4-space indented stream after a
 * `# Subtest:` line, closed by a parent test point. Version 13 because Perl's prove rejects 14;
 * tap-parser (strict) reads the subtests, prove and python3-tap the parent points.
 */
export function renderTap(report: Report): string {
  const groups = groupTests(allEntries(report));
  const lines = ['TAP version 13', tapPlan(groups.length)];
  groups.forEach((group, i) => {
    lines.push(`# Subtest: ${oneLine(groupName(group))}`);
    const child = [tapPlan(group.tests.length), ...group.tests.flatMap((t, j) => tapPoint(j + 1, t.id, t))];
    lines.push(...indent(child, '    '));
    lines.push(`${group.tests.some(isFailure) ? 'not ok' : 'ok'} ${i + 1} - ${tapText(groupName(group))}`);
  });
  return lines.join('\n') + '\n';
}

/** A test's name across targets: `<target>.<id>`, machine-safe (LAVA test_case_id, KCIDB path). */
export function fullTestName(t: TestEntry): string {
  return `${idPart(t.target)}.${t.id}`;
}

/**
 * kselftest-style flat TAP 13: one top-level point per test, named `<target>.<id>`, so parsers
 * that read only top-level lines (python3-tap, LAVA's and KernelCI's kselftest parsers) see every
 * test; diagnostics are `# ` lines, as kselftest prints them.
 */
export function renderTapFlat(report: Report): string {
  const tests = groupTests(allEntries(report)).flatMap((group) => group.tests);
  const lines = ['TAP version 13', tapPlan(tests.length)];
  tests.forEach((t, i) => {
    const name = fullTestName(t);
    if (isFailure(t)) lines.push(...ktapDiagnostics(name, t));
    lines.push(`${isFailure(t) ? 'not ok' : 'ok'} ${i + 1} ${name}${ktapDirective(t)}`);
  });
  return lines.join('\n') + '\n';
}

/**
 * KTAP v1: nested tests carry their own version line, a `# Subtest:` name and a plan, indented 2
 * spaces; diagnostics are `# ` lines, never YAML (what the kernel's kunit.py parse reads).
 */
export function renderKtap(report: Report): string {
  const groups = groupTests(allEntries(report));
  const lines = ['KTAP version 1', `1..${groups.length}`];
  groups.forEach((group, i) => {
    const name = ktapName(groupName(group));
    const child = ['KTAP version 1', `# Subtest: ${name}`, `1..${group.tests.length}`, ...group.tests.flatMap((t, j) => ktapResult(j + 1, t))];
    lines.push(...indent(child, '  '));
    lines.push(`${group.tests.some(isFailure) ? 'not ok' : 'ok'} ${i + 1} ${name}`);
  });
  return lines.join('\n') + '\n';
}

/** An empty plan needs a reason: TAP reads `1..0` as "everything skipped". */
function tapPlan(count: number): string {
  return count ? `1..${count}` : '1..0 # no tests';
}

function tapPoint(n: number, description: string, t: TestEntry): string[] {
  const status = isFailure(t) || isExpectedFailure(t) ? 'not ok' : 'ok';
  const skip =
    t.outcome === 'skip'
      ? ` # SKIP${t.skipReason ? ` ${tapText(t.skipReason)}` : ''}`
      : isExpectedFailure(t)
        ? ` # TODO ${tapText(outcomeNote(t))}`
        : outcomeNote(t)
          ? ` # ${tapText(outcomeNote(t))}`
          : '';
  return [`${status} ${n} - ${tapText(description)}${skip}`, ...indent(['---', ...tapDiagnostics(t), '...'], '  ')];
}

/** The YAML diagnostic of a point. Passes and skips keep only duration and rules, so durations survive. */
function tapDiagnostics(t: TestEntry): string[] {
  const timing = [`description: ${yamlString(t.title)}`, `duration_ms: ${roundMs(t.durationMs)}`, ...yamlList('rules', t.rules)];
  if (!isFailure(t)) return timing;
  const lines = [
    `outcome: ${t.outcome}`,
    // TAP's conventional key; tap-junit also uses it as the JUnit failure type.
    `severity: ${t.outcome}`,
    `message: ${yamlString(failureMessage(t))}`,
  ];
  if (t.error?.expected !== undefined) lines.push(`expected: ${yamlString(t.error.expected)}`);
  if (t.error?.actual !== undefined) lines.push(`actual: ${yamlString(t.error.actual)}`);
  lines.push(...timing);
  // A quoted scalar, not a `|-` block: prove's YAMLish reader rejects block scalars.
  if (t.error?.stack !== undefined) lines.push(`stack: ${yamlString(t.error.stack)}`);
  lines.push(...yamlList('evidence', t.evidence.map(evidenceLine)));
  return lines;
}

function yamlList(key: string, items: readonly string[]): string[] {
  return items.length ? [`${key}:`, ...items.map((item) => `  - ${yamlString(item)}`)] : [`${key}: []`];
}

/** A KTAP result line, preceded by `# ` diagnostic lines for a failure, as kernel tests print them. */
/** The directive of a passing or excused KTAP / kselftest result: SKIP, XFAIL, or a note. */
function ktapDirective(t: TestEntry): string {
  // After the directive a reason may hold '#'; it is only made one inert line.
  if (t.outcome === 'skip') return ` # SKIP${t.skipReason ? ` ${oneLine(t.skipReason)}` : ''}`;
  if (isExpectedFailure(t)) return ` # XFAIL ${oneLine(outcomeNote(t))}`;
  return outcomeNote(t) ? ` # ${oneLine(outcomeNote(t))}` : '';
}

function ktapResult(n: number, t: TestEntry): string[] {
  const name = ktapName(t.id);
  if (!isFailure(t)) return [`ok ${n} ${name}${ktapDirective(t)}`];
  const directive = t.outcome === 'timeout' ? ' # TIMEOUT' : t.outcome === 'fail' ? '' : ' # ERROR';
  return [...ktapDiagnostics(name, t), `not ok ${n} ${name}${directive}`];
}

function ktapDiagnostics(name: string, t: TestEntry): string[] {
  const [first = '', ...rest] = splitVisibleLines(failureMessage(t));
  const lines = [`${t.outcome}: ${first}`, ...rest];
  if (t.error?.expected !== undefined) lines.push(`expected: ${oneLine(t.error.expected)}`);
  if (t.error?.actual !== undefined) lines.push(`actual: ${oneLine(t.error.actual)}`);
  return lines.map((line) => `# ${name}: ${line}`);
}

/** KTAP descriptions cannot contain `#` and have no escape for it, so it is percent-encoded. */
function ktapName(s: string): string {
  return oneLine(s).replaceAll('#', '%23');
}

/** Prefix every line, including those inside a multi-line entry such as a YAML block scalar. */
function indent(lines: readonly string[], prefix: string): string[] {
  return lines.flatMap((line) => line.split('\n')).map((line) => prefix + line);
}
