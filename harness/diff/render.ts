/**
 * `fwctl-cts diff` for people: a terminal summary and Markdown (a merge-request comment, under
 * 65,536 characters whatever changed). Every string from a report or an inventory is escaped:
 * one inert line on a terminal, no Markdown markup.
 */
import type { Diff, InventoryDiff, ReportDiff } from '../generated/diff.js';
import { terminalLine as t } from '../../reports/escape.js';
import { code, diffLines, fit, md } from '../../reports/markdown.js';

/** At most this many lines per list on a terminal; --json has them all. */
const TERMINAL_LIST = 40;

function list<T>(lines: string[], title: string, xs: readonly T[], line: (x: T) => string): void {
  if (!xs.length) return;
  lines.push('', `${title} (${xs.length}):`);
  for (const x of xs.slice(0, TERMINAL_LIST)) lines.push(`  ${line(x)}`);
  if (xs.length > TERMINAL_LIST) lines.push(`  … and ${xs.length - TERMINAL_LIST} more (--json for all)`);
}

function where(c: { a?: string; b?: string }): string {
  return c.b !== undefined && c.a !== undefined && c.a !== c.b ? `${t(c.b)} (was ${t(c.a)})` : t((c.b ?? c.a)!);
}

const outcome = (d: Diff) => (d.regression ? 'REGRESSION (exit 1)' : 'no regression (exit 0)');

/** The lines `run --baseline` adds under the run's summary: the regressions and fixes only. */
export function baselineSummary(diff: ReportDiff): string {
  const lines: string[] = [];
  const c = diff.counts;
  lines.push(`Against the baseline ${t(diff.a.file)}: rules ${c.ruleRegressions} regression(s), ${c.ruleFixes} fix(es); tests ${c.regressions} regression(s), ${c.fixes} fix(es), ${c.new} new, ${c.removed} removed`);
  for (const r of diff.rules.filter((x) => x.change === 'regression').slice(0, TERMINAL_LIST)) lines.push(`  REGRESSION ${t(r.rule)} [${r.severity}] on ${where(r)}: ${r.transition}`);
  for (const r of diff.rules.filter((x) => x.change === 'fix').slice(0, TERMINAL_LIST)) lines.push(`  FIXED ${t(r.rule)} on ${where(r)}: ${r.transition}`);
  if (c.ruleRegressions + c.ruleFixes > 2 * TERMINAL_LIST) lines.push('  … (fwctl-cts diff for all)');
  return lines.join('\n');
}

function renderReportDiff(d: ReportDiff): string {
  const lines: string[] = [];
  lines.push(`fwctl-cts diff: A ${t(d.a.file)} (${t(d.a.policy ?? '')}, ${t(d.a.verdict ?? '')}) → B ${t(d.b.file)} (${t(d.b.policy ?? '')}, ${t(d.b.verdict ?? '')})`);
  for (const p of d.pairs) lines.push(`  target ${p.a === p.b ? t(p.a) : `${t(p.a)} → ${t(p.b)}`} (paired by ${p.by})`);
  for (const s of d.added) lines.push(`  target ${t(s)} only in B (added)`);
  for (const s of d.removed) lines.push(`  target ${t(s)} only in A (removed)`);
  list(lines, 'Rule regressions', d.rules.filter((r) => r.change === 'regression'), (r) => `REGRESSION ${t(r.rule)} [${r.severity} ${r.tier}] on ${where(r)}: ${r.transition}  ${t(r.title)}`);
  list(lines, 'Rule fixes', d.rules.filter((r) => r.change === 'fix'), (r) => `FIXED ${t(r.rule)} on ${where(r)}: ${r.transition}`);
  list(lines, 'Other rule verdict changes', d.rules.filter((r) => r.change !== 'regression' && r.change !== 'fix'), (r) => `CHANGED ${t(r.rule)} on ${where(r)}: ${r.transition}`);
  list(lines, 'Test regressions', d.tests.filter((x) => x.change === 'regression'), (x) => `${t(x.id)} on ${where(x)}: ${x.transition}${x.message ? `: ${t(x.message)}` : ''}`);
  list(lines, 'Test fixes', d.tests.filter((x) => x.change === 'fix'), (x) => `${t(x.id)} on ${where(x)}: ${x.transition}`);
  const c = d.counts;
  const transitions = Object.entries(d.transitions).sort(([, x], [, y]) => y - x);
  lines.push('', `Tests: ${c.regressions} regression(s), ${c.fixes} fix(es), ${c.new} new, ${c.removed} removed, ${c.changed} other change(s), ${c.unchanged} unchanged`);
  if (transitions.length) lines.push(`  transitions: ${transitions.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`Verdict: ${d.verdict.from.toUpperCase()} → ${d.verdict.to.toUpperCase()} (${d.verdict.change}); rules: ${c.ruleRegressions} regression(s), ${c.ruleFixes} fix(es)`);
  lines.push(`Result: ${outcome(d)}`);
  return `${lines.join('\n')}\n`;
}

function renderInventoryDiff(d: InventoryDiff): string {
  const lines = [`fwctl-cts diff (inventories): A ${t(d.a.file)} → B ${t(d.b.file)}`];
  if (!d.changes.length) lines.push('  nothing changed');
  for (const c of d.changes) lines.push(`  ${c.regression ? 'REGRESSION' : 'CHANGED'} ${t(c.text)}`);
  lines.push(`Devices unchanged: ${d.unchanged}`, `Result: ${outcome(d)}`);
  return `${lines.join('\n')}\n`;
}

export function renderDiff(d: Diff): string {
  return d.kind === 'report' ? renderReportDiff(d) : renderInventoryDiff(d);
}

export function renderDiffMarkdown(d: Diff): string {
  const icon = d.regression ? '🔻' : '✅';
  if (d.kind === 'inventory') {
    const head = [`### ${icon} fwctl-cts diff (inventories): ${d.regression ? 'REGRESSION' : 'no regression'}`, '', `A ${code(d.a.file)} → B ${code(d.b.file)}; ${d.unchanged} device(s) unchanged.`];
    const body = d.changes.length ? ['', ...d.changes.map((c) => `- ${c.regression ? '🔻 ' : ''}${md(c.text)}`)] : ['', 'Nothing changed.'];
    return fit(head, body);
  }
  const c = d.counts;
  const head = [
    `### ${icon} fwctl-cts diff: ${d.regression ? 'REGRESSION' : 'no regression'} (exit ${d.regression ? 1 : 0})`,
    '',
    `A ${code(d.a.file)} (${code(d.a.policy ?? '')}) → B ${code(d.b.file)} (${code(d.b.policy ?? '')}): verdict ${d.verdict.from} → ${d.verdict.to} (${d.verdict.change}).`,
    '',
    '| | rules | tests |',
    '|---|---|---|',
    `| regressions | ${c.ruleRegressions} | ${c.regressions} |`,
    `| fixes | ${c.ruleFixes} | ${c.fixes} |`,
    `| new / removed | | ${c.new} / ${c.removed} |`,
    `| other changes | ${d.rules.length - c.ruleRegressions - c.ruleFixes} | ${c.changed} |`,
    `| unchanged | | ${c.unchanged} |`,
  ];
  const body = [
    '',
    `Targets: ${d.pairs.map((p) => (p.a === p.b ? code(p.a) : `${code(p.a)} → ${code(p.b)} (by ${p.by})`)).join(', ') || 'none paired'}${d.added.length ? `; only in B: ${d.added.map(code).join(', ')}` : ''}${d.removed.length ? `; only in A: ${d.removed.map(code).join(', ')}` : ''}.`,
    ...(Object.keys(d.transitions).length ? ['', `Transitions: ${Object.entries(d.transitions).map(([k, n]) => `${k} ${n}`).join(', ')}.`] : []),
    ...diffLines(d),
  ];
  return fit(head, body);
}
