/** One conformance run, end to end: plan, execute, report. Used by the CLI, tests and bench. */
import { availableParallelism } from 'node:os';
import { CtsError } from './errors.js';
import type { Report } from './generated/report.js';
import { applyExpectations, skipByExpectations, todayUtc, type LoadedExpectations } from './expectations/expectations.js';
import { buildPlan, type Plan, type Shard } from './plan/plan.js';
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
  /** Only tests whose id matches one of these globs, and none of `exclude`. */
  tests?: readonly string[];
  exclude?: readonly string[];
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
  /** Known failures, flakes, skips and waivers (--expectations). */
  expectations?: LoadedExpectations;
  /** Rerun an unexpected failure up to this many times; a pass on retry is a flake (--retries). */
  retries?: number;
  /** The day expiry dates are compared with (UTC, YYYY-MM-DD); today when absent. */
  today?: string;
  /** Results of an interrupted run of the same plan (its journal): those tests are not run again (--resume). */
  done?: readonly TestResult[];
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

/** Failures an expectations entry does not foresee: those are retried. */
const RETRIED = new Set(['fail', 'timeout', 'crash']);

/**
 * Rerun each unexpected failure up to `times` times, in fresh tasks; a pass on any retry makes it
 * a flake (deqp-runner's rerun-to-classify), with every attempt recorded. Known failures
 * (an expectations `fail` entry) are not retried.
 */
async function retry(pool: WorkerPool, plan: Plan, results: TestResult[], times: number, x: LoadedExpectations | undefined, today: string): Promise<TestResult[]> {
  const known = x ? new Set(applyExpectations(results, x, today).results.filter((r) => r.outcome === 'expected-fail').map((r) => `${r.target}|${r.id}`)) : new Set<string>();
  const byKey = new Map(results.map((r) => [`${r.target}|${r.id}`, { ...r, attempts: [r.outcome] }]));
  for (let n = 0; n < times; n++) {
    const again = [...byKey.values()].filter((r) => RETRIED.has(r.outcome) && !known.has(`${r.target}|${r.id}`));
    if (!again.length) break;
    const wanted = new Set(again.map((r) => `${r.target}|${r.id}`));
    const sub: Plan = { ...plan, groups: plan.groups.map((g) => ({ ...g, tests: g.tests.filter((t) => wanted.has(`${g.target}|${t.id}`)) })).filter((g) => g.tests.length) };
    for (const r of await executePlan(pool, sub)) {
      const key = `${r.target}|${r.id}`;
      const before = byKey.get(key)!;
      const attempts = [...before.attempts, r.outcome];
      byKey.set(key, r.outcome === 'pass' ? { ...before, outcome: 'flake', attempts } : { ...r, attempts });
    }
  }
  // Only tests that were retried keep their attempts.
  return [...byKey.values()].map((r) => (r.attempts.length > 1 ? r : (({ attempts: _a, ...rest }) => rest)(r)));
}

export async function runConformance(opts: RunOptions): Promise<Report> {
  const policy = loadPolicy(opts.policy ?? 'upstream');
  const targets = expandTargets(opts.targets);
  const suites = selectSuites(opts.suites, opts.suiteRefs);
  const workers = opts.pool?.threads ?? opts.workers ?? defaultWorkers();
  const pool = opts.pool ?? new WorkerPool({ workers, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, options: opts.options });
  const startedAt = new Date();
  try {
    const today = opts.today ?? todayUtc();
    const whole = await buildPlan(pool, { targets, suites, rules: new Set(policy.byId.keys()), shard: opts.shard, tests: opts.tests, exclude: opts.exclude, shuffle: opts.shuffle });
    const { plan, skipped } = opts.expectations ? skipByExpectations(whole, opts.expectations, today) : { plan: whole, skipped: [] };
    const key = (target: string, id: string) => `${target}|${id}`;
    // A resumed run (--resume) keeps what its journal holds and runs the rest.
    const journaled = new Map((opts.done ?? []).map((r) => [key(r.target, r.id), r]));
    const todo: Plan = { ...plan, groups: plan.groups.map((g) => ({ ...g, tests: g.tests.filter((t) => !journaled.has(key(g.target, t.id))) })).filter((g) => g.tests.length) };
    const planned = todo.groups.reduce((n, g) => n + g.tests.length, 0);
    const done = new Map<string, TestResult>(journaled);
    let interrupted = Boolean(opts.signal?.aborted);
    const execution = interrupted
      ? Promise.resolve([])
      : executePlan(pool, todo, (r) => {
          if (interrupted) return; // the pool is being torn down: what its workers say now is not a result
          done.set(key(r.target, r.id), r);
          opts.onResult?.(r, planned);
        });
    const stop = new Promise<'stop'>((resolve) => opts.signal?.addEventListener('abort', () => resolve('stop'), { once: true }));
    const finished = await Promise.race([execution, stop]);
    const selection = {
      ...(opts.suites?.length && { suites: [...opts.suites] }),
      ...(opts.tests?.length && { tests: [...opts.tests] }),
      ...(opts.exclude?.length && { exclude: [...opts.exclude] }),
    };
    const info = { startedAt, workers, shard: opts.shard, shuffle: opts.shuffle, ...(Object.keys(selection).length && { selection }), ...(opts.options?.allow && { allow: { ...opts.options.allow } }) };
    if (finished === 'stop' || interrupted) {
      interrupted = true;
      execution.catch(() => {}); // ends once the pool is destroyed (below); its outcome no longer matters
      // Plan order, finished tests as they ended, the others not run.
      const partial = plan.groups.flatMap((g) =>
        g.tests.map((t): TestResult => done.get(key(g.target, t.id)) ?? { ...t, target: g.target, outcome: 'skip', durationMs: 0, skipReason: NOT_RUN_INTERRUPTED, evidence: [] }),
      );
      const report = buildReport(policy, plan, [...partial, ...skipped], { ...info, finishedAt: new Date() });
      report.interrupted = true;
      return report;
    }
    // In plan order, whichever run a result came from, so a resumed run's report is the uninterrupted one's.
    let results = plan.groups.flatMap((g) => g.tests.map((t) => done.get(key(g.target, t.id))!)).filter(Boolean);
    results = await retry(pool, plan, results, opts.retries ?? 0, opts.expectations, today);
    let expectations: Report['expectations'];
    if (opts.expectations) {
      const applied = applyExpectations(results, opts.expectations, today);
      results = applied.results;
      expectations = { file: opts.expectations.file, sha256: opts.expectations.sha256, expired: applied.expired, unexpectedPasses: applied.unexpectedPasses };
    }
    return buildReport(policy, plan, [...results, ...skipped], { ...info, finishedAt: new Date(), ...(expectations && { expectations }) });
  } finally {
    if (!opts.pool) await pool.close();
  }
}
