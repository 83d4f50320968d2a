/** Run a plan on the pool: chunk each group into tasks, requeue what a crash left unstarted. */
import type { Plan, PlanGroup } from '../plan/plan.js';
import type { WorkerPool } from './pool.js';
import type { CollectedTest, TestResult } from './types.js';

/**
 * Tests per task. Small enough that a run of one suite spreads over the
 * workers; large enough that the per-task cost (a fresh target and a mocha
 * load, ~2 ms) stays small.
 */
function chunks(tests: CollectedTest[], workers: number): CollectedTest[][] {
  const size = Math.max(4, Math.ceil(tests.length / (workers * 2)));
  const out: CollectedTest[][] = [];
  for (let i = 0; i < tests.length; i += size) out.push(tests.slice(i, i + size));
  return out;
}

export async function executePlan(pool: WorkerPool, plan: Plan, onResult: (r: TestResult) => void = () => {}): Promise<TestResult[]> {
  const byId = new Map<string, TestResult>();
  const runGroup = async (group: PlanGroup, tests: CollectedTest[]): Promise<void> => {
    const { results, unstarted } = await pool.run({ suiteUrl: group.suite.url, suite: group.suite.name, target: group.target }, tests, onResult);
    for (const r of results) byId.set(`${r.target}|${r.id}`, r);
    // Each requeue drops the culprit, so this always terminates.
    if (unstarted.length) await runGroup(group, unstarted);
  };
  await Promise.all(plan.groups.flatMap((g) => chunks(g.tests, pool.threads).map((c) => runGroup(g, c))));
  // Report in plan order, whatever order the workers finished in.
  return plan.groups.flatMap((g) => g.tests.map((t) => byId.get(`${g.target}|${t.id}`)!).filter(Boolean));
}
