/**
 * SARIF 2.1.0 (OASIS), for code scanning in GitHub and GitLab: every rule of the policy is declared
 * (so "ran clean" differs from "not run"), and each failing or waived rule on a target is one
 * result, located logically at `<target>/<rule>`. Validated in CI by @microsoft/sarif-multitool.
 */
import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import type { Report, RuleResult } from '../harness/generated/report.js';
import { isFailure } from './tap.js';

const DOCS = 'https://docs.kernel.org/userspace-api/fwctl/fwctl.html';

export function renderSarif(report: Report): string {
  const rules: Sarif.ReportingDescriptor[] = report.rules.map((r) => ({
    id: r.id,
    name: r.id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: `${r.title} (${r.severity}, ${r.tier}; ${r.clause}${r.digest?.length ? `; kernel rules ${r.digest.join(', ')}` : ''})` },
    help: { text: `${r.title}. Source: ${r.clause}.` },
    helpUri: DOCS,
    defaultConfiguration: { level: r.severity === 'must' ? 'error' : 'warning' },
    properties: { area: r.area, tier: r.tier, severity: r.severity, ...(r.digest && { digest: r.digest }) },
  }));
  const index = new Map(report.rules.map((r, i) => [r.id, i]));
  const results: Sarif.Result[] = [];
  for (const rule of report.rules) {
    for (const [target, verdict] of Object.entries(rule.byTarget)) {
      if (verdict !== 'fail' && verdict !== 'waived') continue;
      results.push(result(report, rule, target, verdict, index.get(rule.id)!));
    }
  }
  const log: Sarif.Log = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, informationUri: 'https://docs.kernel.org/userspace-api/fwctl/', rules } },
        invocations: [{ executionSuccessful: report.targets.every((t) => t.errors.length === 0), startTimeUtc: report.run.startedAt, endTimeUtc: report.run.finishedAt }],
        properties: { verdict: report.verdict, policy: `${report.policy.id} ${report.policy.version}` },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function result(report: Report, rule: RuleResult, target: string, verdict: 'fail' | 'waived', ruleIndex: number): Sarif.Result {
  const tests = report.tests.filter((t) => t.target === target && t.rules.includes(rule.id) && (isFailure(t) || t.outcome === 'expected-fail' || t.outcome === 'waived'));
  const first = tests[0];
  const message = first ? `${first.title}: ${(first.error?.message ?? first.outcome).split('\n')[0]}` : rule.title;
  return {
    ruleId: rule.id,
    ruleIndex,
    level: rule.severity === 'must' ? 'error' : 'warning',
    message: { text: `${target}: ${message}${tests.length > 1 ? ` (and ${tests.length - 1} more test(s))` : ''}` },
    locations: [{ logicalLocations: [{ name: rule.id, fullyQualifiedName: `${target}/${rule.id}`, kind: 'member' }] }],
    // GitHub keeps one alert per fingerprint across runs.
    partialFingerprints: { 'fwctlCts/v1': createHash('sha256').update(`${target}|${rule.id}`).digest('hex').slice(0, 32) },
    properties: { target, tests: tests.map((t) => t.id) },
    ...(verdict === 'waived' && { suppressions: [{ kind: 'external', justification: tests.map((t) => t.expectation ?? '').filter(Boolean).join(', ') || 'waived by expectations' }] }),
  };
}
