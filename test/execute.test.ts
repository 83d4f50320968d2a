/**
 * Scheduling on devices every worker shares (real hardware): what may run
 * beside what. A stand-in pool records when each task ran; no worker starts.
 */
import { expect } from 'chai';
import type { Plan, PlanGroup } from '../harness/plan/plan.js';
import { executePlan } from '../harness/runner/execute.js';
import type { WorkerPool } from '../harness/runner/pool.js';
import type { CollectedTest, Exclusive, TestResult } from '../harness/runner/types.js';

interface Span {
  target: string;
  tests: string[];
  exclusive: Exclusive | false;
  start: number;
  end: number;
}

interface StandIn {
  /** Hand back this many tests of the first task as unstarted, as a worker that died would. */
  requeue?: number;
  /** Throw from the nth task. */
  throwAt?: number;
}

/** A pool of `threads` that "runs" each test for `ms(test)` milliseconds, logging spans. */
function standInPool(threads: number, ms: (t: CollectedTest) => number, opts: StandIn = {}): { pool: WorkerPool; spans: Span[] } {
  const spans: Span[] = [];
  let running = 0;
  let calls = 0;
  let requeue = opts.requeue ?? 0;
  const t0 = performance.now();
  const pool = {
    threads,
    async run(task: { target: string }, tests: CollectedTest[], onResult: (r: TestResult) => void = () => {}) {
      if (++calls === opts.throwAt) throw new Error('the pool broke');
      running++;
      if (running > threads) throw new Error(`more than ${threads} tasks at once`);
      const start = performance.now() - t0;
      const ran = requeue && tests.length > requeue ? tests.slice(0, tests.length - requeue) : tests;
      const unstarted = tests.slice(ran.length);
      if (unstarted.length) requeue = 0;
      await new Promise((r) => setTimeout(r, ran.reduce((n, t) => n + ms(t), 0)));
      running--;
      spans.push({ target: task.target, tests: ran.map((t) => t.id), exclusive: ran[0]!.exclusive, start, end: performance.now() - t0 });
      const results = ran.map((t) => ({ ...t, target: task.target, outcome: 'pass', durationMs: ms(t) }) as TestResult);
      results.forEach(onResult);
      return { results, unstarted };
    },
  } as unknown as WorkerPool;
  return { pool, spans };
}

const test = (id: string, exclusive: Exclusive | false = false, requires: string[] = []): CollectedTest => ({ id, suite: 's', title: id, rules: [id], requires, exclusive, weight: 1 });

function plan(targets: string[], shared: boolean): Plan {
  const groups: PlanGroup[] = targets.flatMap((target) => [
    { target, suite: { name: 'a', url: 'file:///a' }, tests: [test('a1'), test('a2'), test('hotplug', 'device', ['hotplug'])] },
    { target, suite: { name: 'b', url: 'file:///b' }, tests: [test('b1'), test('taint', 'kernel'), test('churn', 'device')] },
  ]);
  return { targets: targets.map((spec) => ({ spec, errors: [], description: { spec, kind: 'dev', model: 'cxl', allows: { taint: true, destructive: true, hazards: false }, shared } })), groups };
}

const overlap = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

describe('scheduling exclusive tests on shared devices', () => {
  const targets = ['dev:/dev/fwctl/fwctl0', 'dev:/dev/fwctl/fwctl1', 'dev:/dev/fwctl/fwctl2'];

  /** Every test of the plan ran exactly once, counted over what the pool ran. */
  const ranOnce = (spans: Span[], n: number) => {
    const all = spans.flatMap((s) => s.tests.map((id) => `${s.target}|${id}`));
    expect(all).to.have.length(n);
    expect(new Set(all).size).to.equal(n);
  };

  for (const threads of [1, 2, 4]) {
    it(`${threads} worker(s): every test once; 'device' tests after their device's others and beside none of them; unplugging ones one at a time`, async () => {
      // Quick ordinary tests and slow exclusive ones: with several lanes, unplug work of two devices is ready at once.
      const { pool, spans } = standInPool(threads, (t) => (t.exclusive ? 20 : 2));
      const results = await executePlan(pool, plan(targets, true));
      expect(results).to.have.length(targets.length * 6);
      ranOnce(spans, targets.length * 6);
      const device = spans.filter((s) => s.exclusive === 'device');
      expect(device).to.have.length(targets.length * 2);
      for (const d of device) {
        const ordinary = spans.filter((o) => o.target === d.target && !o.exclusive);
        expect(d.start, `${d.tests} on ${d.target} starts after its device's ordinary tests`).to.be.at.least(Math.max(...ordinary.map((o) => o.end)));
        expect(spans.filter((o) => o !== d && o.target === d.target && overlap(o, d)), `${d.tests} on ${d.target}`).to.deep.equal([]);
      }
      const unplugging = device.filter((s) => s.tests.includes('hotplug'));
      expect(unplugging).to.have.length(targets.length);
      for (const u of unplugging) expect(unplugging.filter((o) => o !== u && overlap(o, u)), `${u.tests} on ${u.target}`).to.deep.equal([]);
      if (threads > 1) {
        // ... while the others do overlap: device work that does not unplug runs beside another device's unplug.
        const churn = device.filter((s) => !s.tests.includes('hotplug'));
        expect(churn.some((c) => unplugging.some((u) => u.target !== c.target && overlap(u, c)))).to.equal(true);
      }
    });
  }

  it('tests a dead worker left unstarted run again, and are reported once', async () => {
    const { pool, spans } = standInPool(2, () => 2, { requeue: 1 });
    const results = await executePlan(pool, plan(targets, true));
    expect(results).to.have.length(targets.length * 6);
    ranOnce(spans, targets.length * 6);
  });

  it('a pool that throws fails the run, after every lane has stopped', async () => {
    const { pool, spans } = standInPool(2, () => 5, { throwAt: 3 });
    const err = await executePlan(pool, plan(targets, true)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error).with.property('message', 'the pool broke');
    const seen = spans.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(spans.length, 'nothing runs after the rejection').to.equal(seen);
  });

  it("runs 'device' tests beside other devices' ordinary tasks (the wall time they save)", async () => {
    const { pool, spans } = standInPool(2, (t) => (t.exclusive ? 15 : 10));
    await executePlan(pool, plan(targets, true));
    const device = spans.filter((s) => s.exclusive === 'device');
    const ordinary = spans.filter((s) => !s.exclusive);
    expect(device.some((d) => ordinary.some((o) => o.target !== d.target && overlap(o, d)))).to.equal(true);
  });

  it('a device with no exclusive work has its tasks last, beside the others\' exclusive tests', async () => {
    const { pool, spans } = standInPool(2, (t) => (t.exclusive ? 20 : 2));
    const p = plan(targets, true);
    // The first device (in plan order) is a memdev that may not be unplugged: no exclusive work.
    p.groups = p.groups.map((g) => (g.target === targets[0] ? { ...g, tests: g.tests.filter((t) => !t.exclusive) } : g));
    await executePlan(pool, p);
    const first = spans.filter((s) => s.target === targets[0]);
    const exclusive = spans.filter((s) => s.exclusive === 'device');
    expect(Math.min(...first.map((s) => s.start))).to.be.greaterThan(Math.min(...spans.filter((s) => s.target !== targets[0]).map((s) => s.start)));
    expect(first.some((f) => exclusive.some((e) => overlap(e, f)))).to.equal(true);
  });

  it("runs 'kernel' tests last, alone", async () => {
    const { pool, spans } = standInPool(2, (t) => (t.exclusive ? 15 : 10));
    await executePlan(pool, plan(targets, true));
    const kernel = spans.filter((s) => s.exclusive === 'kernel');
    expect(kernel).to.have.length(targets.length);
    const others = spans.filter((s) => s.exclusive !== 'kernel');
    const lastOther = Math.max(...others.map((s) => s.end));
    for (const k of kernel) {
      expect(k.start).to.be.at.least(lastOther);
      expect(spans.filter((o) => o !== k && overlap(o, k))).to.deep.equal([]);
    }
  });

  it('on devices of their own (simulators), exclusive tests are not held back', async () => {
    const { pool, spans } = standInPool(2, () => 5);
    const results = await executePlan(pool, plan(targets, false));
    expect(results).to.have.length(targets.length * 6);
    const withExclusive = spans.filter((s) => s.tests.some((id) => id === 'hotplug' || id === 'taint'));
    const lastOrdinaryEnd = Math.max(...spans.filter((s) => !withExclusive.includes(s)).map((s) => s.end));
    expect(Math.min(...withExclusive.map((s) => s.start))).to.be.lessThan(lastOrdinaryEnd);
  });
});
