/**
 * Planning: each suite is loaded once per sort of target, and every target
 * still gets its own plan. A stand-in pool answers collects; no worker starts.
 */
import { expect } from 'chai';
import { buildPlan } from '../harness/plan/plan.js';
import type { SuiteRef } from '../harness/plan/suites.js';
import type { WorkerPool } from '../harness/runner/pool.js';
import type { CollectedTest, WorkerReply } from '../harness/runner/types.js';
import type { TargetDescription } from '../harness/targets/target.js';

const SUITES: SuiteRef[] = ['a', 'b', 'c'].map((name) => ({ name, url: `file:///${name}.js` }));

/** dev: targets are all one sort (model cxl); sim:<model> targets are their own. */
function describe_(spec: string): TargetDescription {
  const model = spec.startsWith('sim:') ? spec.slice(4) : 'cxl';
  return { spec, kind: spec.startsWith('sim:') ? 'sim' : 'dev', model, device: spec.split('/').pop(), allows: { taint: false, destructive: false, hazards: false } };
}

/** Tests a suite declares: one per suite, plus one that depends on the model (as a catalogue would). */
function declared(suite: string, d: TargetDescription): CollectedTest[] {
  return [`${suite}.always`, `${suite}.${d.model}`].map((id) => ({ id, suite, title: id, rules: [id], requires: [], exclusive: false, weight: 1 }));
}

function standInPool(failing: (suite: string, target: string) => boolean = () => false) {
  const calls: string[] = [];
  const pool = {
    threads: 2,
    async collect(task: { suite: string; target: string }): Promise<WorkerReply> {
      calls.push(`${task.suite}@${task.target}`);
      if (failing(task.suite, task.target)) return { tests: [], results: [], error: `collecting ${task.suite} on ${task.target}: it broke` };
      const d = describe_(task.target);
      return { tests: declared(task.suite, d), results: [], target: d };
    },
  } as unknown as WorkerPool;
  return { pool, calls };
}

describe('planning', () => {
  const devs = ['dev:/dev/fwctl/fwctl0', 'dev:/dev/fwctl/fwctl1', 'dev:/dev/fwctl/fwctl2'];

  it('loads the first suite on every target and the others once per sort of target', async () => {
    const { pool, calls } = standInPool();
    const plan = await buildPlan(pool, { targets: [...devs, 'sim:mlx5'], suites: SUITES });
    // 4 targets x suite a, then suites b and c for two sorts (the dev:s, sim:mlx5).
    expect(calls).to.have.length(4 + 2 * 2);
    expect(calls.filter((c) => c.startsWith('b@'))).to.have.length(2);
    // Every target still has every suite's tests, and its own description.
    for (const spec of [...devs, 'sim:mlx5']) {
      const groups = plan.groups.filter((g) => g.target === spec);
      expect(groups.map((g) => g.suite.name), spec).to.deep.equal(['a', 'b', 'c']);
      expect(groups.flatMap((g) => g.tests.map((t) => t.id)), spec).to.deep.equal(SUITES.flatMap((s) => declared(s.name, describe_(spec)).map((t) => t.id)));
      expect(plan.targets.find((t) => t.spec === spec)!.description!.spec).to.equal(spec);
    }
  });

  it('a plan is the same as loading every suite on every target', async () => {
    const targets = [...devs, 'sim:cxl', 'sim:pds'];
    const shared = await buildPlan(standInPool().pool, { targets, suites: SUITES });
    const one = await Promise.all(targets.map((t) => buildPlan(standInPool().pool, { targets: [t], suites: SUITES })));
    expect(shared.groups).to.deep.equal(one.flatMap((p) => p.groups));
    expect(shared.targets).to.deep.equal(one.flatMap((p) => p.targets));
  });

  it('an error collecting for one target of a sort is its own: the others collect for themselves', async () => {
    const { pool, calls } = standInPool((suite, target) => suite === 'b' && target === devs[0]);
    const plan = await buildPlan(pool, { targets: devs, suites: SUITES });
    expect(calls.filter((c) => c.startsWith('b@'))).to.have.length(3);
    expect(plan.targets[0]!.errors).to.deep.equal([`collecting b on ${devs[0]}: it broke`]);
    expect(plan.targets[1]!.errors).to.deep.equal([]);
    expect(plan.groups.filter((g) => g.suite.name === 'b').map((g) => g.target)).to.deep.equal(devs.slice(1));
  });

  it('a target that cannot say what it is plans every suite for itself', async () => {
    const { pool, calls } = standInPool((suite, target) => suite === 'a' && target === devs[1]);
    const plan = await buildPlan(pool, { targets: devs, suites: SUITES });
    expect(calls.filter((c) => c.endsWith(devs[1]!))).to.have.length(3);
    expect(plan.groups.filter((g) => g.target === devs[1]).map((g) => g.suite.name)).to.deep.equal(['b', 'c']);
    expect(plan.targets[1]!.description!.spec).to.equal(devs[1]);
  });
});
