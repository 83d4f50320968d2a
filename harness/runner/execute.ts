/** Run a plan on the pool: chunk each group into tasks, requeue what a crash left unstarted. */
import type { Plan, PlanGroup } from '../plan/plan.js';
import type { WorkerPool } from './pool.js';
import type { CollectedTest, TestResult } from './types.js';

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
  // On a device every worker shares, tests marked exclusive (taint, hot-plug,
  // resource counts) run after everything else, one at a time.
  const shared = new Set(plan.targets.filter((t) => t.description?.shared).map((t) => t.spec));
  const alone = (g: PlanGroup) => (shared.has(g.target) ? g.tests.filter((t) => t.exclusive) : []);
  const together = plan.groups.map((g) => ({ ...g, tests: g.tests.filter((t) => !alone(g).includes(t)) })).filter((g) => g.tests.length);
  await Promise.all(tasks(together, pool.threads).map((t) => runGroup(t.group, t.tests)));
  for (const g of plan.groups) for (const test of alone(g)) await runGroup(g, [test]);
  // Report in plan order, whatever order the workers finished in.
  return plan.groups.flatMap((g) => g.tests.map((t) => byId.get(`${g.target}|${t.id}`)!).filter(Boolean));
}
