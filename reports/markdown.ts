/**
 * A Markdown summary for a merge-request comment: the verdict, the counts, each failing rule in one
 * line. GitLab and GitHub cap a comment at 65,536 characters, so lists are cut to fit.
 */
import type { Report } from '../harness/generated/report.js';
import { exitCode } from './run-entries.js';

export const MARKDOWN_LIMIT = 65_536;

/** Markdown-safe one-line text: driver strings cannot open a table cell, a link or HTML. */
function md(s: string): string {
  return s.split(/\r?\n/)[0]!.replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`).slice(0, 300);
}

/** Text inside a code span: no backticks or line breaks to end it early. */
function code(s: string): string {
  return `\`${s.split(/\r?\n/)[0]!.replaceAll('`', "'").slice(0, 200)}\``;
}

export function renderMarkdown(report: Report, extra: readonly string[] = []): string {
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
  const lines: string[] = [];
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

/** Head, then as many body lines as fit under the limit, then how many were left out. */
function fit(head: readonly string[], body: readonly string[]): string {
  let text = `${head.join('\n')}\n`;
  for (let i = 0; i < body.length; i++) {
    const line = `${body[i]}\n`;
    const tail = `\n… and ${body.length - i} more line(s): see report.json\n`;
    if (text.length + line.length + tail.length > MARKDOWN_LIMIT) return text + tail;
    text += line;
  }
  return text;
}
