/**
 * A plan: which tests run on which target. Built by loading every suite
 * against every target in the pool (suites may generate tests from what the
 * target is), then filtering by policy and shard.
 */
import type { WorkerPool } from '../runner/pool.js';
import type { CollectedTest } from '../runner/types.js';
import type { TargetDescription } from '../targets/target.js';
import type { SuiteRef } from './suites.js';

export interface PlanGroup {
  target: string;
  suite: SuiteRef;
  tests: CollectedTest[];
}

export interface PlannedTarget {
  spec: string;
  description?: TargetDescription;
  /** Why the target (or one of its suites) could not be planned. */
  errors: string[];
}

export interface Plan {
  targets: PlannedTarget[];
  groups: PlanGroup[];
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface PlanOptions {
  targets: readonly string[];
  suites: readonly SuiteRef[];
  /** Keep tests that prove at least one of these rules (all when absent). */
  rules?: ReadonlySet<string>;
  shard?: Shard;
}

/** FNV-1a: a stable hash, so a test lands in the same shard on every machine. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function inShard(target: string, testId: string, shard: Shard | undefined): boolean {
  return !shard || fnv1a(`${target}|${testId}`) % shard.count === shard.index - 1;
}

export async function buildPlan(pool: WorkerPool, opts: PlanOptions): Promise<Plan> {
  const targets: PlannedTarget[] = opts.targets.map((spec) => ({ spec, errors: [] }));
  const jobs = targets.flatMap((t) => opts.suites.map((suite) => ({ t, suite })));
  const replies = await Promise.all(jobs.map(({ t, suite }) => pool.collect({ suiteUrl: suite.url, suite: suite.name, target: t.spec })));
  const groups: PlanGroup[] = [];
  replies.forEach((reply, i) => {
    const { t, suite } = jobs[i]!;
    if (reply.error) t.errors.push(reply.error);
    t.description ??= reply.target;
    const tests = reply.tests.filter(
      (test) => (!opts.rules || test.rules.some((r) => opts.rules!.has(r))) && inShard(t.spec, test.id, opts.shard),
    );
    if (tests.length) groups.push({ target: t.spec, suite, tests });
  });
  return { targets, groups };
}
