/**
 * A plan: which tests run on which target. Built by loading every suite
 * against each sort of target in the pool (suites generate tests from what the
 * target is), then filtering by policy and shard.
 */
import type { WorkerPool } from '../runner/pool.js';
import type { CollectedTest, WorkerReply } from '../runner/types.js';
import type { TargetDescription } from '../targets/target.js';
import picomatch from 'picomatch';
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
  /** The --shuffle seed the groups and tests were ordered by (plan order when absent). */
  shuffle?: number;
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
  /** Keep tests whose id matches one of these globs (kunit.py's filter_glob habit) and none of `exclude`. */
  tests?: readonly string[];
  exclude?: readonly string[];
  /** Order groups, and tests within each group, at random from this seed (--shuffle). */
  shuffle?: number;
}

/** A test-id filter from include and exclude globs (`*`, `?`, `[...]`, `{a,b}`); undefined keeps every test. */
export function idFilter(include: readonly string[] | undefined, exclude: readonly string[] | undefined): ((id: string) => boolean) | undefined {
  if (!include?.length && !exclude?.length) return undefined;
  const yes = include?.length ? picomatch([...include], { dot: true }) : () => true;
  const no = exclude?.length ? picomatch([...exclude], { dot: true }) : () => false;
  return (id) => yes(id) && !no(id);
}

/** mulberry32: a small seeded generator, so a shuffled order can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
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

/**
 * What sort of target a description is, leaving out which one (its spec and device name).
 * Suites declare their tests from the description alone (suites/support/catalogue.ts), so
 * targets of one sort (a machine's eleven cxl_test memdevs) declare the same tests.
 */
export function sortOf(d: TargetDescription | undefined): string | undefined {
  if (!d) return undefined;
  const { spec: _spec, device: _device, ...rest } = d;
  return JSON.stringify(rest);
}

export async function buildPlan(pool: WorkerPool, opts: PlanOptions): Promise<Plan> {
  const targets: PlannedTarget[] = opts.targets.map((spec) => ({ spec, errors: [] }));
  const collect = (t: PlannedTarget, suite: SuiteRef) => pool.collect({ suiteUrl: suite.url, suite: suite.name, target: t.spec });
  const [first, ...rest] = opts.suites;
  const replies = targets.map(() => new Map<SuiteRef, WorkerReply>());
  if (first) {
    // The first suite on every target, which also says what each target is.
    const firsts = await Promise.all(targets.map((t) => collect(t, first)));
    firsts.forEach((reply, i) => replies[i]!.set(first, reply));
    // The other suites once per sort of target: loading a suite costs seconds under an emulated CPU.
    const sorts = new Map<string, number[]>();
    targets.forEach((_, i) => {
      // A target that could not even be made (a driver that never said hello) is not tried again per suite.
      if (firsts[i]!.noTarget) {
        for (const suite of rest) replies[i]!.set(suite, { tests: [], results: [] });
        return;
      }
      const sort = firsts[i]!.error ? undefined : sortOf(firsts[i]!.target);
      const key = sort ?? `\0${i}`; // a target that would not say what it is stands alone
      sorts.set(key, [...(sorts.get(key) ?? []), i]);
    });
    const jobs = [...sorts.values()].flatMap((alike) => rest.map((suite) => ({ alike, suite })));
    await Promise.all(
      jobs.map(async ({ alike, suite }) => {
        const [one, ...others] = alike as [number, ...number[]];
        const reply = await collect(targets[one]!, suite);
        replies[one]!.set(suite, reply);
        // An error names the target it happened on: the others collect for themselves.
        const theirs = reply.error ? await Promise.all(others.map((i) => collect(targets[i]!, suite))) : others.map(() => reply);
        others.forEach((i, k) => replies[i]!.set(suite, theirs[k]!));
      }),
    );
  }
  const groups: PlanGroup[] = [];
  const byId = idFilter(opts.tests, opts.exclude);
  targets.forEach((t, i) => {
    for (const suite of opts.suites) {
      const reply = replies[i]!.get(suite)!;
      if (reply.error) t.errors.push(reply.error);
      t.description ??= reply.target;
      const tests = reply.tests.filter(
        (test) =>
          (!opts.rules || test.rules.some((r) => opts.rules!.has(r))) && inShard(t.spec, test.id, opts.shard) && (!byId || byId(test.id)),
      );
      if (tests.length) groups.push({ target: t.spec, suite, tests });
    }
  });
  if (opts.shuffle === undefined) return { targets, groups };
  // Verdicts must not depend on order (each test starts from the state it declares): --shuffle shows they do not.
  const next = random(opts.shuffle);
  for (const g of groups) shuffle(g.tests, next);
  return { targets, groups: shuffle(groups, next), shuffle: opts.shuffle };
}
