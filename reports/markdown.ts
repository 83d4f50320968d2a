/**
 * A Markdown summary for a merge-request comment: the verdict, the counts, each failing rule in one
 * line, and with `run --baseline` the regressions and fixes against the baseline run. GitLab and
 * GitHub cap a comment at 65,536 characters, so lists are cut to fit.
 */
import type { ReportDiff } from '../harness/generated/diff.js';
import type { Report } from '../harness/generated/report.js';
import { exitCode } from './run-entries.js';

export const MARKDOWN_LIMIT = 65_536;

/** Markdown-safe one-line text: driver strings cannot open a table cell, a link or HTML. */
export function md(s: string): string {
  return s.split(/\r?\n/)[0]!.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`).slice(0, 300);
}

/** Text inside a code span: no backticks or line breaks to end it early. */
export function code(s: string): string {
  return `\`${s.split(/\r?\n/)[0]!.replaceAll('`', "'").slice(0, 200)}\``;
}

export interface MarkdownOptions {
  /** `run --baseline`: what changed since the baseline run (harness/diff/reports.ts). */
  baseline?: ReportDiff;
}

export function renderMarkdown(report: Report, extra: readonly string[] = [], opts: MarkdownOptions = {}): string {
  const s = report.summary.rules;
  const o = report.summary.outcomes;
  const icon = report.verdict === 'compliant' ? '✅' : '❌';
  const head = [
    `### ${icon} fwctl-cts: ${report.verdict.toUpperCase()} (exit ${exitCode(report)})`,
    '',
    `Policy ${code(`${report.policy.id} ${report.policy.version}`)}, ${report.targets.length} target(s), ${report.summary.tests} tests, fwctl-cts ${md(report.tool.version)}.`,
    '',
    '| rules | pass | fail | waived | not run | not applicable |',
    '|---|---|---|---|---|---|',
    `| ${report.rules.length} | ${s.pass} | ${s.fail} | ${s.waived ?? 0} | ${s['not-run']} | ${s['not-applicable']} |`,
    '',
    `Tests: ${o.pass} pass, ${o.fail} fail, ${o.skip} skip, ${o.timeout} timeout, ${o.crash} crash, ${o.error} error${o['expected-fail'] ? `, ${o['expected-fail']} expected-fail` : ''}${o.flake ? `, ${o.flake} flake` : ''}.`,
  ];
  // The regressions come first: against a baseline they are what a reviewer acts on.
  const lines: string[] = opts.baseline ? baselineLines(opts.baseline) : [];
  const failed = report.rules.filter((r) => r.verdict === 'fail');
  if (failed.length) {
    lines.push('', '#### Failing rules', '');
    for (const r of failed) {
      const where = Object.entries(r.byTarget).filter(([, v]) => v === 'fail').map(([t]) => t);
      const test = report.tests.find((t) => t.rules.includes(r.id) && ['fail', 'timeout', 'crash'].includes(t.outcome));
      lines.push(`- **${md(r.id)}** [${r.severity}] on ${where.map(code).join(', ')}: ${md(test?.error?.message ?? r.title)}`);
    }
  }
  const errors = report.targets.flatMap((t) => t.errors.map((e) => `- ${code(t.spec)}: ${md(e)}`));
  if (errors.length) lines.push('', '#### Harness errors', '', ...errors);
  const notRun = report.rules.filter((r) => r.verdict === 'not-run');
  if (notRun.length) lines.push('', '#### Rules not run', '', ...notRun.map((r) => `- ${md(r.id)} [${r.severity} ${r.tier}]`));
  for (const e of report.expectations?.expired ?? []) lines.push(`- ⚠️ expired expectation: ${md(e)}`);
  lines.push(...extra);
  return fit(head, lines);
}

/** Where a rule or test change is: B's target, and A's when it was renamed (sim:cxl → sim:cxl+defect). */
export function where(c: { a?: string; b?: string }): string {
  return c.b !== undefined && c.a !== undefined && c.a !== c.b ? `${code(c.b)} (was ${code(c.a)})` : code((c.b ?? c.a)!);
}

/** The regressions and fixes of a diff as Markdown lines: rules first, then tests. */
export function diffLines(diff: ReportDiff): string[] {
  const lines: string[] = [];
  const rules = (kind: 'regression' | 'fix') => diff.rules.filter((r) => r.change === kind);
  const tests = (kind: 'regression' | 'fix') => diff.tests.filter((t) => t.change === kind);
  for (const [kind, title] of [['regression', 'Rule regressions'], ['fix', 'Rule fixes']] as const) {
    if (!rules(kind).length) continue;
    lines.push('', `#### ${title} (${rules(kind).length})`, '');
    for (const r of rules(kind)) lines.push(`- **${md(r.rule)}** [${r.severity} ${r.tier}] on ${where(r)}: ${r.transition}: ${md(r.title)}`);
  }
  const other = diff.rules.filter((r) => r.change !== 'regression' && r.change !== 'fix');
  if (other.length) {
    lines.push('', `#### Other rule verdict changes (${other.length})`, '');
    for (const r of other) lines.push(`- ${md(r.rule)} on ${where(r)}: ${r.transition}`);
  }
  for (const [kind, title] of [['regression', 'Test regressions'], ['fix', 'Test fixes']] as const) {
    if (!tests(kind).length) continue;
    lines.push('', `#### ${title} (${tests(kind).length})`, '');
    for (const t of tests(kind)) lines.push(`- ${code(t.id)} on ${where(t)}: ${t.transition}${t.message && kind === 'regression' ? `: ${md(t.message)}` : ''}`);
  }
  return lines;
}

/** The `run --baseline` section of report.md. */
export function baselineLines(diff: ReportDiff): string[] {
  const c = diff.counts;
  const verdict = diff.verdict.change === 'same' ? diff.verdict.to : `${diff.verdict.from} → ${diff.verdict.to}`;
  return [
    '',
    `#### ${diff.regression ? '🔻' : '✅'} Against the baseline ${code(diff.a.file)}`,
    '',
    `Verdict ${verdict}; rules: ${c.ruleRegressions} regression(s), ${c.ruleFixes} fix(es); tests: ${c.regressions} regression(s), ${c.fixes} fix(es), ${c.new} new, ${c.removed} removed, ${c.changed} other change(s), ${c.unchanged} unchanged.`,
    ...(diff.added.length ? ['', `Targets not in the baseline: ${diff.added.map(code).join(', ')}`] : []),
    ...(diff.removed.length ? ['', `Baseline targets not run: ${diff.removed.map(code).join(', ')}`] : []),
    ...diffLines(diff),
  ];
}

/** Head, then as many body lines as fit under the limit, then how many were left out. */
export function fit(head: readonly string[], body: readonly string[]): string {
  let text = `${head.join('\n')}\n`;
  for (let i = 0; i < body.length; i++) {
    const line = `${body[i]}\n`;
    const tail = `\n… and ${body.length - i} more line(s): see report.json\n`;
    if (text.length + line.length + tail.length > MARKDOWN_LIMIT) return text + tail;
    text += line;
  }
  return text;
}
