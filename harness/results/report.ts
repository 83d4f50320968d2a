/** Build the canonical JSON report from a plan, its results and the policy. */
import { hostname, release } from 'node:os';
import type { Report, RuleResult, Summary, TargetEntry } from '../generated/report.js';
import type { Plan, Shard } from '../plan/plan.js';
import type { LoadedPolicy } from '../policy/policy.js';
import type { TestResult } from '../runner/types.js';
import { VERSION } from '../version.js';
import { combineVerdicts, ruleVerdictOnTarget, runVerdict } from './verdict.js';

export interface RunInfo {
  startedAt: Date;
  finishedAt: Date;
  workers: number;
  shard?: Shard;
  shuffle?: number;
}

export function buildReport(policy: LoadedPolicy, plan: Plan, results: readonly TestResult[], info: RunInfo): Report {
  const targets: TargetEntry[] = plan.targets.map((t) => {
    const d = t.description;
    const entry: TargetEntry = { spec: t.spec, errors: t.errors };
    if (d) {
      Object.assign(entry, { kind: d.kind, model: d.model });
      if (d.fw !== undefined) entry.fw = d.fw;
      if (d.device !== undefined) entry.device = d.device;
      if (d.defects?.length) entry.defects = d.defects;
      if (d.expectedDeviceType !== undefined) entry.deviceType = d.expectedDeviceType;
    }
    return entry;
  });

  const rules: RuleResult[] = policy.policy.rules.map((rule) => {
    const byTarget: Record<string, RuleResult['verdict']> = {};
    for (const t of plan.targets) {
      const tests = results.filter((r) => r.target === t.spec && r.rules.includes(rule.id));
      byTarget[t.spec] = ruleVerdictOnTarget(rule, t.description?.model, tests);
    }
    const out: RuleResult = {
      id: rule.id,
      title: rule.title,
      area: rule.area,
      severity: rule.severity,
      tier: rule.tier,
      clause: rule.clause,
      verdict: combineVerdicts(Object.values(byTarget)),
      byTarget,
    };
    if (rule.digest) out.digest = rule.digest;
    return out;
  });

  const harnessErrors = targets.reduce((n, t) => n + t.errors.length, 0) + results.filter((r) => r.outcome === 'error').length;
  const summary: Summary = {
    tests: results.length,
    outcomes: { pass: 0, fail: 0, skip: 0, timeout: 0, crash: 0, error: 0 },
    rules: { pass: 0, fail: 0, 'not-run': 0, 'not-applicable': 0 },
  };
  for (const r of results) summary.outcomes[r.outcome]++;
  for (const r of rules) summary.rules[r.verdict]++;

  const report: Report = {
    format: 'fwctl-cts-report/1',
    tool: { name: 'fwctl-cts', version: VERSION },
    policy: { id: policy.policy.id, version: policy.policy.version, file: policy.file },
    run: {
      startedAt: info.startedAt.toISOString(),
      finishedAt: info.finishedAt.toISOString(),
      durationMs: info.finishedAt.getTime() - info.startedAt.getTime(),
      workers: info.workers,
      host: { hostname: hostname(), kernelRelease: release(), node: process.version },
    },
    verdict: runVerdict(
      policy.policy.rules.map((rule, i) => ({ rule, verdict: rules[i]!.verdict })),
      harnessErrors,
    ),
    targets,
    rules,
    tests: results.map((r) => ({ ...r })),
    summary,
  };
  if (info.shard) report.run.shard = `${info.shard.index}/${info.shard.count}`;
  if (info.shuffle !== undefined) report.run.shuffle = info.shuffle;
  return report;
}

/** True when the run hit a harness error (exit code 2 rather than 1). */
export function hasHarnessErrors(report: Report): boolean {
  return report.targets.some((t) => t.errors.length > 0) || report.summary.outcomes.error > 0;
}
