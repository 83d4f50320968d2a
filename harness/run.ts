/** One conformance run, end to end: plan, execute, report. Used by the CLI, tests and bench. */
import { availableParallelism } from 'node:os';
import type { Report } from './generated/report.js';
import { buildPlan, type Shard } from './plan/plan.js';
import { discoverSuites, type SuiteRef } from './plan/suites.js';
import { loadPolicy } from './policy/policy.js';
import { buildReport } from './results/report.js';
import { executePlan } from './runner/execute.js';
import { WorkerPool } from './runner/pool.js';
import type { TestResult } from './runner/types.js';
import { expandTargets } from './targets/spec.js';
import type { TargetOptions } from './targets/target.js';

export interface RunOptions {
  targets: readonly string[];
  policy?: string;
  workers?: number;
  timeoutMs?: number;
  shard?: Shard;
  /** Shuffle the order of groups and tests by this seed (recorded in the report). */
  shuffle?: number;
  /** Only suites whose name starts with one of these ('uapi', 'taint/taint'). */
  suites?: readonly string[];
  /** Suites to run instead of the built-in ones (the project's own tests use this). */
  suiteRefs?: readonly SuiteRef[];
  /** Called as each test finishes (progress). */
  onResult?: (r: TestResult, planned: number) => void;
  /** An existing pool to reuse (bench, tests); closed by the caller. */
  pool?: WorkerPool;
  /** What the user unlocked on real devices (--allow-*); read-only probes when absent. */
  options?: TargetOptions;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** One worker per core, at most 4 (beyond that the main thread becomes the bottleneck). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function runConformance(opts: RunOptions): Promise<Report> {
  const policy = loadPolicy(opts.policy ?? 'upstream');
  const targets = expandTargets(opts.targets);
  const suites = (opts.suiteRefs ?? discoverSuites()).filter((s) => !opts.suites || opts.suites.some((p) => s.name.startsWith(p)));
  const workers = opts.pool?.threads ?? opts.workers ?? defaultWorkers();
  const pool = opts.pool ?? new WorkerPool({ workers, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, options: opts.options });
  const startedAt = new Date();
  try {
    const plan = await buildPlan(pool, { targets, suites, rules: new Set(policy.byId.keys()), shard: opts.shard, shuffle: opts.shuffle });
    const planned = plan.groups.reduce((n, g) => n + g.tests.length, 0);
    const results = await executePlan(pool, plan, (r) => opts.onResult?.(r, planned));
    return buildReport(policy, plan, results, { startedAt, finishedAt: new Date(), workers, shard: opts.shard, shuffle: opts.shuffle });
  } finally {
    if (!opts.pool) await pool.close();
  }
}
