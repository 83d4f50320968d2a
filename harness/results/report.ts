/** Build the canonical JSON report from a plan, its results and the policy. */
import { hostname, release } from 'node:os';
import type { Report, RuleResult, Summary, TargetEntry } from '../generated/report.js';
import type { Plan, Shard } from '../plan/plan.js';
import { type LoadedPolicy, reportedPolicyFile } from '../policy/policy.js';
import type { TestResult } from '../runner/types.js';
import { VERSION } from '../version.js';
import { loadedPlugins } from '../plugins/registry.js';
import { combineVerdicts, ruleVerdictOnTarget, runVerdict } from './verdict.js';

export interface RunInfo {
  startedAt: Date;
  finishedAt: Date;
  workers: number;
  shard?: Shard;
  /** The subset this run selected (--suite, --test, --exclude). */
  selection?: { suites?: string[]; tests?: string[]; exclude?: string[] };
  /** The expectations file applied, with its expired entries. */
  expectations?: Report['expectations'];
  shuffle?: number;
  /** What the user unlocked (--allow-*), shown in the reports' environment. */
  allow?: NonNullable<Report['run']['allow']>;
}

export function buildReport(policy: LoadedPolicy, plan: Plan, results: readonly TestResult[], info: RunInfo): Report {
  const planned = new Set(plan.groups.flatMap((g) => g.tests.flatMap((test) => test.rules.map((r) => `${g.target}|${r}`))));
  const report = assembleReport(policy, targetEntries(plan), planned, results, info);
  // What the run loaded besides fwctl-cts itself (docs/plugins.md): name, version, digest.
  if (loadedPlugins().length) report.plugins = loadedPlugins().map((p) => ({ ...p }));
  return report;
}

function targetEntries(plan: Plan): TargetEntry[] {
  return plan.targets.map((t) => {
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
}

/**
 * The report from targets and results; `planned` holds `<target>|<rule>` for every rule a planned
 * test proves (merge.ts rebuilds it from the shards' tests).
 */
export function assembleReport(policy: LoadedPolicy, targets: TargetEntry[], planned: ReadonlySet<string>, results: readonly TestResult[], info: RunInfo): Report {
  // A subset (a shard, --suite, --test) is judged on the rules it ran: a rule none of whose
  // tests it selected on a target is 'not-selected' there, not 'not-run' (issue #12).
  const subset = info.shard !== undefined || info.selection !== undefined;
  const rules: RuleResult[] = policy.policy.rules.map((rule) => {
    const byTarget: Record<string, RuleResult['verdict']> = {};
    for (const t of targets) {
      const tests = results.filter((r) => r.target === t.spec && r.rules.includes(rule.id));
      const verdict = ruleVerdictOnTarget(rule, t.model, tests);
      const selected = !subset || t.errors.length > 0 || planned.has(`${t.spec}|${rule.id}`);
      byTarget[t.spec] = verdict === 'not-run' && !selected ? 'not-selected' : verdict;
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
    outcomes: { pass: 0, fail: 0, skip: 0, timeout: 0, crash: 0, error: 0, 'expected-fail': 0, 'unexpected-pass': 0, flake: 0, waived: 0 },
    rules: { pass: 0, fail: 0, 'not-run': 0, 'not-applicable': 0, 'not-selected': 0, waived: 0 },
  };
  for (const r of results) summary.outcomes[r.outcome] = (summary.outcomes[r.outcome] ?? 0) + 1;
  for (const r of rules) summary.rules[r.verdict] = (summary.rules[r.verdict] ?? 0) + 1;

  const report: Report = {
    format: 'fwctl-cts-report/1',
    tool: { name: 'fwctl-cts', version: VERSION },
    policy: { id: policy.policy.id, version: policy.policy.version, file: reportedPolicyFile(policy.file) },
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
  if (info.selection) report.run.selection = info.selection;
  if (info.expectations) report.expectations = info.expectations;
  if (info.shuffle !== undefined) report.run.shuffle = info.shuffle;
  if (info.allow) report.run.allow = info.allow;
  return report;
}
