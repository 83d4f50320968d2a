/**
 * The terminal summary: per target counts, then every failed or unrun rule with where it failed.
 * Every string that did not come from us (a driver's model, fw and device, messages, a policy's
 * titles, target specs) goes through `t()`: one line, controls as visible escapes, so no driver
 * can clear the screen or print a line that reads like our verdict.
 */
import type { Report } from '../harness/generated/report.js';
import { terminalLine as t } from './escape.js';

export function renderSummary(report: Report, files: readonly string[] = []): string {
  const lines: string[] = [];
  const secs = (report.run.durationMs / 1000).toFixed(1);
  lines.push(
    `fwctl-cts ${report.tool.version} · policy ${report.policy.id} ${report.policy.version} · ${report.targets.length} target(s), ${report.summary.tests} tests in ${secs} s on ${report.run.workers} worker(s)${report.run.shard ? ` · shard ${report.run.shard}` : ''}`,
  );
  for (const target of report.targets) {
    const tests = report.tests.filter((x) => x.target === target.spec);
    const count = (o: string) => tests.filter((x) => x.outcome === o).length;
    const about = [target.model, target.fw && `fw ${target.fw}`, target.device].filter(Boolean).join(' ');
    const extra = ['timeout', 'crash', 'error'].filter((o) => count(o)).map((o) => `, ${count(o)} ${o}`).join('');
    lines.push(`  ${t(target.spec)}  (${t(about)})  ${count('pass')} pass, ${count('fail')} fail, ${count('skip')} skip${extra}`);
    for (const e of target.errors) lines.push(`    error: ${t(e.split('\n')[0]!)}`);
  }
  const failed = report.rules.filter((r) => r.verdict === 'fail');
  if (failed.length) {
    lines.push('', 'Failed rules:');
    for (const r of failed) {
      lines.push(`  FAIL ${t(r.id)} [${r.severity}${r.digest ? ` ${t(r.digest.join(' '))}` : ''}] ${t(r.title)}`);
      const bad = report.tests.filter((x) => x.rules.includes(r.id) && ['fail', 'timeout', 'crash'].includes(x.outcome));
      for (const x of bad.slice(0, 3)) {
        lines.push(`       ${t(x.target)} ${t(x.suite)}: ${x.outcome}: ${t((x.error?.message ?? '').split('\n')[0]!)}`);
      }
      if (bad.length > 3) lines.push(`       … and ${bad.length - 3} more`);
    }
  }
  const notRun = report.rules.filter((r) => r.verdict === 'not-run');
  if (notRun.length) {
    lines.push('', 'Rules not run:');
    for (const r of notRun) {
      const skipped = report.tests.find((x) => x.rules.includes(r.id) && x.skipReason);
      lines.push(`  NOT RUN ${t(r.id)} [${r.severity} ${r.tier}]${skipped ? `: ${t(skipped.skipReason!)}` : ': no test ran'}`);
    }
  }
  // The same finding seen from several targets (every firmware of a model) is listed once.
  const notices = new Map<string, string[]>();
  for (const x of report.tests) for (const n of x.notices ?? []) notices.set(n, [...(notices.get(n) ?? []), x.target]);
  if (notices.size) {
    lines.push('', 'Notices:');
    for (const [n, targets] of notices) lines.push(`  NOTE ${t(n)} (seen on ${t([...new Set(targets)].join(', '))})`);
  }
  if (report.interrupted) {
    const notRunTests = report.tests.filter((x) => x.skipReason === 'not run: the run was interrupted').length;
    lines.push('', `Interrupted: ${report.tests.length - notRunTests} of ${report.tests.length} tests finished; the rest were not run`);
  }
  const o = report.summary.outcomes;
  const excused = (['expected-fail', 'waived', 'flake', 'unexpected-pass'] as const).filter((k) => o[k]).map((k) => `${o[k]} ${k}`);
  if (excused.length) lines.push('', `Expectations (${t(report.expectations?.file ?? 'retries')}): ${excused.join(', ')}`);
  for (const x of report.tests.filter((y) => y.outcome === 'unexpected-pass' || y.outcome === 'flake')) {
    lines.push(`  ${x.outcome === 'flake' ? 'FLAKE' : 'UNEXPECTED PASS'} ${t(x.target)} ${x.id}${x.attempts ? ` (${x.attempts.join(' then ')})` : ''}${x.expectation ? ` [${t(x.expectation)}]` : ''}`);
  }
  for (const e of report.expectations?.expired ?? []) lines.push(`  EXPIRED ${t(e)}: the run fails until the entry is renewed or removed`);
  const s = report.summary.rules;
  const unselected = `${s.waived ? `, ${s.waived} waived` : ''}${s['not-selected'] ? `, ${s['not-selected']} not selected` : ''}`;
  lines.push('', `Verdict: ${report.verdict.toUpperCase()} — rules: ${s.pass} pass, ${s.fail} fail, ${s['not-run']} not run, ${s['not-applicable']} not applicable${unselected}`);
  if (files.length) lines.push(`Reports: ${t(files.join(' '))}`);
  return lines.join('\n');
}
