/**
 * The worker pool. Any throw, death or hang of a worker becomes results:
 * the test that was running is marked crash or timeout, and the tests of the
 * task that never started are handed back to be run again elsewhere.
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { SAFE, type TargetOptions } from '../targets/target.js';
import type { CollectedTest, TestResult, WorkerEvent, WorkerReply, WorkerTask } from './types.js';

const WORKER_URL = new URL('./worker.js', import.meta.url).href;

export interface PoolOptions {
  workers: number;
  /** Per-test timeout in ms (mocha's); the watchdog allows a little more. */
  timeoutMs: number;
  /** What the user unlocked; read-only probes only when absent. */
  options?: TargetOptions;
}

export interface RunOutcome {
  results: TestResult[];
  /** Tests that never started because the worker died or hung first. */
  unstarted: CollectedTest[];
}

export class WorkerPool {
  private readonly piscina: Piscina;

  constructor(private readonly opts: PoolOptions) {
    this.piscina = new Piscina({
      filename: WORKER_URL,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      // One task per thread: mocha's globals and the suite context are per thread (toolchain.md §4.3).
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.opts.workers;
  }

  /** Load a suite against a target and list its tests without running them. */
  async collect(task: Omit<WorkerTask, 'mode' | 'port' | 'timeoutMs' | 'options'>): Promise<WorkerReply> {
    try {
      return (await this.piscina.run({ ...task, mode: 'collect', timeoutMs: this.opts.timeoutMs, options: this.opts.options ?? SAFE })) as WorkerReply;
    } catch (e) {
      return { tests: [], results: [], error: `collecting ${task.suite} on ${task.target}: worker failed: ${(e as Error).message}` };
    }
  }

  /** Run `tests` (all from one suite and target) in one task. */
  async run(
    task: Omit<WorkerTask, 'mode' | 'port' | 'timeoutMs' | 'only' | 'options'>,
    tests: CollectedTest[],
    onResult: (r: TestResult) => void = () => {},
  ): Promise<RunOutcome> {
    const { port1, port2 } = new MessageChannel();
    const results = new Map<string, TestResult>();
    let running: string | undefined;
    let hung = false;
    const ac = new AbortController();
    const grace = Math.max(2000, this.opts.timeoutMs / 2);
    // Armed when the worker picks the task up ('start'), re-armed on every event:
    // a test that makes no progress for a timeout and a grace is a hang.
    let watchdog: NodeJS.Timeout | undefined;
    const kick = (ms: number) => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ((hung = true), ac.abort()), ms);
    };
    port1.on('message', (e: WorkerEvent) => {
      // Loading the suite, making the target (a driver has at least 5 s to say hello: harness/targets/exec.ts).
      if (e.type === 'start') return kick(Math.max(this.opts.timeoutMs * 2, 10_000) + grace);
      // A test that declares a longer timeout (robustness) gets it here too.
      kick((e.type === 'begin' ? Math.max(e.timeoutMs, this.opts.timeoutMs) : this.opts.timeoutMs) + grace);
      if (e.type === 'begin') running = e.id;
      else {
        running = undefined;
        results.set(e.result.id, e.result);
        onResult(e.result);
      }
    });
    let failure: string | undefined;
    try {
      const reply = (await this.piscina.run(
        { ...task, mode: 'run', only: tests.map((t) => t.id), timeoutMs: this.opts.timeoutMs, options: this.opts.options ?? SAFE, port: port2 } satisfies WorkerTask,
        { transferList: [port2], signal: ac.signal },
      )) as WorkerReply;
      if (reply.error) failure = reply.error;
      for (const r of reply.results) if (!results.has(r.id)) (results.set(r.id, r), onResult(r));
    } catch (e) {
      failure = hung ? `the worker stopped responding (no progress for ${this.opts.timeoutMs + grace} ms)` : `the worker died: ${(e as Error).message}`;
    } finally {
      clearTimeout(watchdog);
      port1.close();
    }
    if (failure === undefined) return { results: [...results.values()], unstarted: [] };

    // The culprit is the test that was running; the rest of the task is innocent.
    const culprit = tests.find((t) => t.id === running);
    if (culprit) {
      const r: TestResult = {
        ...culprit,
        target: task.target,
        outcome: hung ? 'timeout' : 'crash',
        durationMs: 0,
        evidence: [],
        error: { message: failure },
      };
      results.set(r.id, r);
      onResult(r);
    }
    const unstarted = tests.filter((t) => !results.has(t.id));
    if (!culprit && unstarted.length === tests.length) {
      // Died before any test began (bad target, suite failed to load): nothing to retry.
      for (const t of unstarted) {
        const r: TestResult = { ...t, target: task.target, outcome: 'error', durationMs: 0, evidence: [], error: { message: failure } };
        results.set(r.id, r);
        onResult(r);
      }
      return { results: [...results.values()], unstarted: [] };
    }
    return { results: [...results.values()], unstarted };
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
