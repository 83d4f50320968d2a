/** The runner's isolation: warm re-runs, crashes, hangs, timeouts, leaked rejections and hook failures. */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { discoverSuites } from '../harness/plan/suites.js';
import { buildPlan } from '../harness/plan/plan.js';
import { executePlan } from '../harness/runner/execute.js';
import { WorkerPool } from '../harness/runner/pool.js';
import type { TestResult } from '../harness/runner/types.js';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = discoverSuites(fileURLToPath(new URL('./fixtures/suites/', import.meta.url)));
const fixture = (name: string) => FIXTURES.filter((s) => s.name === name);

async function run(pool: WorkerPool, suite: string): Promise<Map<string, TestResult>> {
  const plan = await buildPlan(pool, { targets: ['sim:cxl'], suites: fixture(suite) });
  const results = await executePlan(pool, plan);
  return new Map(results.map((r) => [r.rules[0]!, r]));
}

describe('runner', function () {
  this.timeout(30_000);
  let pool: WorkerPool;
  beforeEach(() => {
    pool = new WorkerPool({ workers: 1, timeoutMs: 400 });
  });
  afterEach(async () => pool.close());

  it('a suite re-run in a warm worker still runs all its tests (toolchain §4.1)', async () => {
    const plan = await buildPlan(pool, { targets: ['sim:cxl'], suites: fixture('counter') });
    const group = plan.groups[0]!;
    for (let i = 0; i < 5; i++) {
      const { results } = await pool.run({ suiteUrl: group.suite.url, suite: group.suite.name, target: 'sim:cxl' }, group.tests);
      expect(results.filter((r) => r.outcome === 'pass'), `run ${i + 1}`).to.have.length(5);
    }
  });

  describe('with a fixture suite that crashes, hangs, times out, leaks and skips', () => {
    let r: Map<string, TestResult>;
    before(async () => {
      const own = new WorkerPool({ workers: 1, timeoutMs: 400 });
      try {
        r = await run(own, 'behaviours');
      } finally {
        await own.close();
      }
    });

    it('a worker that dies costs only its running test; the rest of its task runs elsewhere', () => {
      expect(r.get('fixture.crash')).to.deep.include({ outcome: 'crash' });
      expect(r.get('fixture.crash')!.error!.message).to.match(/worker died/);
      expect(r.get('fixture.after-crash')!.outcome).to.equal('pass');
      expect(r.get('fixture.pass')!.outcome).to.equal('pass');
      expect(r.size).to.equal(7);
    });

    it('a synchronous hang is stopped by the watchdog and marked timeout', () => {
      expect(r.get('fixture.hang')!.outcome).to.equal('timeout');
      expect(r.get('fixture.hang')!.error!.message).to.match(/stopped responding/);
    });

    it('an async test that never settles times out; a leaked rejection fails its test; a skip keeps its reason', () => {
      expect(r.get('fixture.timeout')!.outcome).to.equal('timeout');
      expect(r.get('fixture.rejection')!.outcome).to.equal('fail');
      expect(r.get('fixture.rejection')!.error!.message).to.include('floating rejection');
      expect(r.get('fixture.skip')).to.deep.include({ outcome: 'skip', skipReason: 'because the fixture says so' });
    });
  });

  it('tests blocked by a failing before-all hook are reported as failed, naming the hook', async () => {
    const plan = await buildPlan(pool, { targets: ['sim:cxl'], suites: fixture('hook') });
    const results = await executePlan(pool, plan);
    expect(results).to.have.length(2);
    for (const r of results) {
      expect(r.outcome).to.equal('fail');
      expect(r.error!.message).to.match(/"before all" hook.*setup exploded/);
    }
  });

  it('a target that cannot be made is a planning error, not a crash', async () => {
    const plan = await buildPlan(pool, { targets: ['dev:/dev/fwctl/fwctl0'], suites: fixture('counter') });
    expect(plan.groups).to.have.length(0);
    expect(plan.targets[0]!.errors[0]).to.match(/dev:/);
  });

  describe('each test starts from the state it declares, never from what an earlier test left (issue 10 item 6)', () => {
    const LENT = fileURLToPath(new URL('./fixtures/drivers/lent-driver.js', import.meta.url));
    const runState = async (target: string, shuffle?: number, on = pool) => {
      const plan = await buildPlan(on, { targets: [target], suites: fixture('state'), shuffle });
      expect(plan.targets[0]!.errors).to.deep.equal([]);
      expect(plan.groups).to.have.length(1); // one group, and with one worker one task: the tests share it
      const results = await executePlan(on, plan);
      return { order: plan.groups[0]!.tests.map((t) => t.rules[0]), results };
    };
    const passed = (results: TestResult[]) => Object.fromEntries(results.map((r) => [r.rules[0], `${r.outcome}${r.error ? `: ${r.error.message}` : ''}`]));
    const allPass = { 'fixture.leave': 'pass', 'fixture.find': 'pass', 'fixture.clean': 'pass' };

    it('sim: the second test of a task finds a fresh device and kernel, in every order --shuffle gives', async () => {
      const orders = new Set<string>();
      for (const seed of [undefined, 1, 2, 3, 4, 5, 6]) {
        const { order, results } = await runState('sim:cxl', seed);
        orders.add(order.join(' '));
        expect(passed(results), `order ${order.join(', ')}`).to.deep.equal(allPass);
      }
      expect(orders.size, 'the seeds give different orders').to.be.greaterThan(2);
    });

    it('exec: with `reset` every test starts over; without it a test declaring `fresh` gets a new driver process', async () => {
      // Starting a driver takes longer than the 400 ms the other tests here allow.
      await pool.close();
      pool = new WorkerPool({ workers: 1, timeoutMs: 10_000 });
      const serve = `exec:node ${join(fileURLToPath(new URL('../..', import.meta.url)), 'bin/fwctl-cts.js')} serve-reference cxl`;
      expect(passed((await runState(serve)).results)).to.deep.equal(allPass);
      const starts = join(mkdtempSync(join(tmpdir(), 'fwctl-cts-state-')), 'starts');
      const { order, results } = await runState(`exec:node ${LENT} ${starts}`);
      expect(order).to.deep.equal(['fixture.leave', 'fixture.find', 'fixture.clean']);
      expect(passed(results)).to.deep.equal(allPass);
      // One start for the task; 'find' (fresh) and 'clean' (clean-kernel) each got a new one, 'leave' (any) did not.
      expect(readFileSync(starts, 'utf8').trim().split('\n')).to.have.length(3);
    });
  });
});
