/** The listing `run --dry-run` prints: per target and test, the RPCs it would send. */
import type { Report } from '../generated/report.js';

export function renderDryRun(report: Report): string {
  const lines: string[] = [];
  const scopes = new Map<string, number>();
  let total = 0;
  for (const t of report.targets) {
    lines.push(`${t.spec}${t.errors.length ? `  (error: ${t.errors[0]})` : ''}`);
    for (const test of report.tests.filter((x) => x.target === t.spec)) {
      const rpcs = test.evidence.filter((e) => e.call === 'FWCTL_RPC');
      if (test.outcome === 'skip') {
        lines.push(`  ${test.title}: skipped (${test.skipReason})`);
        continue;
      }
      lines.push(`  ${test.title}: ${rpcs.length} RPC(s)`);
      for (const e of rpcs) {
        total++;
        const scope = /scope=(\S+)/.exec(e.detail ?? '')?.[1] ?? '?';
        scopes.set(scope, (scopes.get(scope) ?? 0) + 1);
        lines.push(`    FWCTL_RPC ${e.detail}`);
      }
    }
  }
  const byScope = [...scopes].map(([s, n]) => `${s} ${n}`).join(', ');
  lines.push('', `Dry run: ${total} RPC(s) would be issued (${byScope || 'none'}); none was.`);
  return `${lines.join('\n')}\n`;
}
