/** Run a plan on the pool: chunk each group into tasks, requeue what a crash left unstarted. */
import type { Plan, PlanGroup } from '../plan/plan.js';
import type { WorkerPool } from './pool.js';
import type { CollectedTest, Exclusive, TestResult } from './types.js';

interface Task {
  group: PlanGroup;
  tests: CollectedTest[];
  weight: number;
}

/**
 * Cut the plan into tasks. A task costs a fresh target and a suite load
 * (a few ms, and cold code), so a group stays whole unless there are too few
 * groups to keep every worker busy; then the groups are split into chunks.
 */
function tasks(groups: readonly PlanGroup[], workers: number): Task[] {
  const split = groups.length < workers * 4;
  const out: Task[] = [];
  for (const group of groups) {
    const size = split ? Math.max(2, Math.ceil(group.tests.length / (workers * 2))) : group.tests.length;
    for (let i = 0; i < group.tests.length; i += size) {
      const tests = group.tests.slice(i, i + size);
      out.push({ group, tests, weight: tests.reduce((n, t) => n + t.weight, 0) });
    }
  }
  // Heaviest first, so the run does not end waiting on one long task.
  return out.sort((a, b) => b.weight - a.weight);
}

export async function executePlan(pool: WorkerPool, plan: Plan, onResult: (r: TestResult) => void = () => {}): Promise<TestResult[]> {
  const byId = new Map<string, TestResult>();
  const runGroup = async (group: PlanGroup, tests: CollectedTest[]): Promise<void> => {
    const { results, unstarted } = await pool.run({ suiteUrl: group.suite.url, suite: group.suite.name, target: group.target }, tests, onResult);
    for (const r of results) byId.set(`${r.target}|${r.id}`, r);
    // Each requeue drops the culprit, so this always terminates.
    if (unstarted.length) await runGroup(group, unstarted);
  };

  // On a device every worker shares, exclusive tests leave the ordinary tasks.
  // 'device' tests (hot-unplug, resource counts) run once their device has
  // nothing else left, with nothing else on that device, while the other
  // devices' tests go on. Those that unplug the device run one at a time: an
  // unplugged device comes back under the lowest free number, so two at once
  // could swap devices' names. 'kernel' tests (taint, the kernel log) run
  // after everything, alone.
  const shared = new Set(plan.targets.filter((t) => t.description?.shared).map((t) => t.spec));
  const alone = (g: PlanGroup, kind: Exclusive) => (shared.has(g.target) ? g.tests.filter((t) => t.exclusive === kind) : []);
  const together = plan.groups.map((g) => ({ ...g, tests: g.tests.filter((t) => !shared.has(g.target) || !t.exclusive) })).filter((g) => g.tests.length);
  const queue = tasks(together, pool.threads);
  // A group's exclusive tests of a kind go in one task: they run one after another anyway, and a task costs a target and a suite load.
  const deviceWork = plan.groups.flatMap((g) => {
    const tests = alone(g, 'device');
    const unplug = tests.filter((t) => t.requires.includes('hotplug'));
    const rest = tests.filter((t) => !unplug.includes(t));
    return [
      ...(rest.length ? [{ group: g, tests: rest, unplugs: false }] : []),
      ...(unplug.length ? [{ group: g, tests: unplug, unplugs: true }] : []),
    ];
  });
  if (deviceWork.length) {
    // Device by device, so that devices finish their ordinary tasks early and their exclusive tests
    // can start; devices with no exclusive work last, so their tasks fill in beside the last exclusive ones.
    const withWork = new Set(deviceWork.map((d) => d.group.target));
    const order = new Map(plan.targets.map((t, i) => [t.spec, (withWork.has(t.spec) ? 0 : plan.targets.length) + i]));
    queue.sort((a, b) => order.get(a.group.target)! - order.get(b.group.target)! || b.weight - a.weight);
  }
  const left = new Map<string, number>();
  for (const t of queue) left.set(t.group.target, (left.get(t.group.target) ?? 0) + 1);
  const ready: typeof deviceWork = [];
  const release = (target: string) => ready.push(...deviceWork.filter((d) => d.group.target === target));
  for (const target of new Set(deviceWork.map((d) => d.group.target))) if (!left.get(target)) release(target);
  const busy = new Set<string>();
  let unplugging = false;
  // Lanes with nothing they may start wait until another lane finishes something.
  let running = 0;
  let wake = () => {};
  let changed = new Promise<void>((r) => (wake = r));
  const finished = () => {
    running--;
    wake();
    changed = new Promise<void>((r) => (wake = r));
  };
  const runExclusive = async (w: (typeof deviceWork)[number]): Promise<void> => {
    busy.add(w.group.target);
    if (w.unplugs) unplugging = true;
    running++;
    try {
      await runGroup(w.group, w.tests);
    } finally {
      busy.delete(w.group.target);
      if (w.unplugs) unplugging = false;
      finished();
    }
  };
  // One lane per worker; exclusive work that may start goes before the next task.
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = ready.findIndex((w) => !busy.has(w.group.target) && !(w.unplugs && unplugging));
      if (i >= 0) {
        await runExclusive(ready.splice(i, 1)[0]!);
        continue;
      }
      const task = queue.shift();
      if (task) {
        running++;
        try {
          await runGroup(task.group, task.tests);
        } finally {
          finished();
        }
        const n = left.get(task.group.target)! - 1;
        left.set(task.group.target, n);
        if (n === 0) release(task.group.target);
        continue;
      }
      // Nothing to start: done when nothing runs either (work left in `ready` always waits on a running lane).
      if (running === 0) return;
      await changed;
    }
  };
  // Every lane runs to its end even if one throws, so nothing is left running behind the caller's back.
  const lanes = await Promise.allSettled(Array.from({ length: pool.threads }, lane));
  const failed = lanes.find((l) => l.status === 'rejected');
  if (failed) throw failed.reason;
  for (const g of plan.groups) if (alone(g, 'kernel').length) await runGroup(g, alone(g, 'kernel'));
  // Report in plan order, whatever order the workers finished in.
  return plan.groups.flatMap((g) => g.tests.map((t) => byId.get(`${g.target}|${t.id}`)!).filter(Boolean));
}
