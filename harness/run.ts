/** One conformance run, end to end: plan, execute, report. Used by the CLI, tests and bench. */
import { availableParallelism } from 'node:os';
import { CtsError } from './errors.js';
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
  /**
   * Aborted on SIGINT/SIGTERM: the run stops, and the report holds the tests
   * finished so far, the rest as skips "not run", and `interrupted: true`.
   */
  signal?: AbortSignal;
}

/** The skip reason of a test the run did not reach because it was interrupted. */
export const NOT_RUN_INTERRUPTED = 'not run: the run was interrupted';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** One worker per core, at most 4 (beyond that the main thread becomes the bottleneck). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** The suites a run selects: those whose name starts with one of `prefixes` (all when absent); none is bad input. */
export function selectSuites(prefixes: readonly string[] | undefined, refs: readonly SuiteRef[] = discoverSuites()): SuiteRef[] {
  const suites = refs.filter((s) => !prefixes || prefixes.some((p) => s.name.startsWith(p)));
  if (!suites.length) {
    throw new CtsError('CTS_E_USAGE', `--suite ${prefixes!.join(', ')}: no suite selected (suites: ${[...new Set(refs.map((s) => s.name.split('/')[0]))].join(', ')})`, 'fwctl-cts list shows every test');
  }
  return suites;
}

export async function runConformance(opts: RunOptions): Promise<Report> {
  const policy = loadPolicy(opts.policy ?? 'upstream');
  const targets = expandTargets(opts.targets);
  const suites = selectSuites(opts.suites, opts.suiteRefs);
  const workers = opts.pool?.threads ?? opts.workers ?? defaultWorkers();
  const pool = opts.pool ?? new WorkerPool({ workers, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, options: opts.options });
  const startedAt = new Date();
  try {
    const plan = await buildPlan(pool, { targets, suites, rules: new Set(policy.byId.keys()), shard: opts.shard });
    const planned = plan.groups.reduce((n, g) => n + g.tests.length, 0);
    const done = new Map<string, TestResult>();
    let interrupted = Boolean(opts.signal?.aborted);
    const execution = interrupted
      ? Promise.resolve([])
      : executePlan(pool, plan, (r) => {
          if (interrupted) return; // the pool is being torn down: what its workers say now is not a result
          done.set(`${r.target}|${r.id}`, r);
          opts.onResult?.(r, planned);
        });
    const stop = new Promise<'stop'>((resolve) => opts.signal?.addEventListener('abort', () => resolve('stop'), { once: true }));
    const results = await Promise.race([execution, stop]);
    if (results !== 'stop' && !interrupted) return buildReport(policy, plan, results, { startedAt, finishedAt: new Date(), workers, shard: opts.shard });
    interrupted = true;
    execution.catch(() => {}); // ends once the pool is destroyed (below); its outcome no longer matters
    // Plan order, finished tests as they ended, the others not run.
    const partial = plan.groups.flatMap((g) =>
      g.tests.map((t): TestResult => done.get(`${g.target}|${t.id}`) ?? { ...t, target: g.target, outcome: 'skip', durationMs: 0, skipReason: NOT_RUN_INTERRUPTED, evidence: [] }),
    );
    const report = buildReport(policy, plan, partial, { startedAt, finishedAt: new Date(), workers, shard: opts.shard });
    report.interrupted = true;
    return report;
  } finally {
    if (!opts.pool) await pool.close();
  }
}
