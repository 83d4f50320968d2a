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

/** A pool of `threads` that "runs" each test for `ms(test)` milliseconds, logging spans. */
function standInPool(threads: number, ms: (t: CollectedTest) => number): { pool: WorkerPool; spans: Span[] } {
  const spans: Span[] = [];
  let clock = 0;
  let running = 0;
  const t0 = performance.now();
  const pool = {
    threads,
    async run(task: { target: string }, tests: CollectedTest[], onResult: (r: TestResult) => void = () => {}) {
      running++;
      if (running > threads) throw new Error(`more than ${threads} tasks at once`);
      const start = performance.now() - t0;
      await new Promise((r) => setTimeout(r, tests.reduce((n, t) => n + ms(t), 0)));
      running--;
      clock = performance.now() - t0;
      spans.push({ target: task.target, tests: tests.map((t) => t.id), exclusive: tests[0]!.exclusive, start, end: clock });
      const results = tests.map((t) => ({ ...t, target: task.target, outcome: 'pass', durationMs: ms(t) }) as TestResult);
      results.forEach(onResult);
      return { results, unstarted: [] };
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

  it("runs every test once; 'device' tests never beside their own device's tests, and unplugging ones one at a time", async () => {
    const { pool, spans } = standInPool(2, (t) => (t.exclusive ? 15 : 10));
    const results = await executePlan(pool, plan(targets, true));
    expect(results).to.have.length(targets.length * 6);
    const device = spans.filter((s) => s.exclusive === 'device');
    expect(device).to.have.length(targets.length * 2);
    const unplugging = device.filter((s) => s.tests.includes('hotplug'));
    expect(unplugging).to.have.length(targets.length);
    for (const d of device) {
      expect(spans.filter((o) => o !== d && o.target === d.target && overlap(o, d)), `${d.tests} on ${d.target}`).to.deep.equal([]);
    }
    for (const u of unplugging) expect(unplugging.filter((o) => o !== u && overlap(o, u)), `${u.tests} on ${u.target}`).to.deep.equal([]);
  });

  it("runs 'device' tests beside other devices' ordinary tasks (the wall time they save)", async () => {
    const { pool, spans } = standInPool(2, (t) => (t.exclusive ? 15 : 10));
    await executePlan(pool, plan(targets, true));
    const device = spans.filter((s) => s.exclusive === 'device');
    const ordinary = spans.filter((s) => !s.exclusive);
    expect(device.some((d) => ordinary.some((o) => o.target !== d.target && overlap(o, d)))).to.equal(true);
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
