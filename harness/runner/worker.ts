/**
 * A piscina task: load one compiled suite into a fresh Mocha against one
 * target, optionally run it, and return plain data.
 *
 * Mocha is loaded with pre-require / import(url?run=N) / post-require: on
 * Node 20 its own loader goes through require(esm), whose module cache it
 * cannot clear, and a re-run in a warm worker silently finds 0 tests
 * (toolchain.md §4.1). The query makes every load a fresh module instance.
 */
import { threadId } from 'node:worker_threads';
import Mocha from 'mocha';
import { DryRunTarget } from '../targets/dryrun.js';
import { createTarget } from '../targets/registry.js';
import { loadEnvPlugins } from '../plugins/load.js';
import type { Target } from '../targets/target.js';
import { setTarget } from '../../suites/support/context.js';
import type { CheckMeta } from '../../suites/support/check.js';
import type { CollectedTest, Outcome, TestError, TestResult, WorkerEvent, WorkerReply, WorkerTask } from './types.js';
import { testId, uniqueIds } from '../results/test-id.js';

let loads = 0;

// Mocha removes its own listener and re-emits unhandled rejections; without one
// a floating rejection would leave the test passing (toolchain.md §4.6). Rethrow
// it as an uncaught exception, which mocha attributes to the running test.
process.on('unhandledRejection', (reason) => {
  setImmediate(() => {
    throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
  });
});

function metaOf(test: Mocha.Runnable): CheckMeta | undefined {
  return (test as unknown as { cts?: CheckMeta }).cts;
}

/** Every test of a loaded suite with its stable id, unique within the suite (and so the target). */
function collectAll(root: Mocha.Suite, suite: string): Map<Mocha.Test, CollectedTest> {
  const tests: Mocha.Test[] = [];
  root.eachTest((t) => void tests.push(t));
  const ids = uniqueIds(tests.map((t) => {
    const meta = metaOf(t);
    // A plain mocha test (the project's fixtures) has no rule: its suite and title name it.
    return meta ? { id: meta.id, claim: meta.claim } : { id: testId(suite, t.fullTitle()), claim: t.fullTitle() };
  }));
  return new Map(tests.map((t, i) => [t, collected(suite, t, ids[i]!)]));
}

function collected(suite: string, test: Mocha.Test, id: string): CollectedTest {
  const meta = metaOf(test);
  return {
    id,
    suite,
    title: test.fullTitle(),
    rules: meta?.rules ?? [],
    requires: meta?.requires ?? [],
    exclusive: meta?.exclusive ?? false,
    weight: meta?.timeoutMs ? meta.timeoutMs / DEFAULT_TEST_TIMEOUT_MS : 1,
  };
}

/** What a declared per-test timeout is compared with to weigh a test. */
const DEFAULT_TEST_TIMEOUT_MS = 10_000;

function plainError(err: unknown): TestError {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { expected?: unknown; actual?: unknown; showDiff?: boolean };
  const out: TestError = { message: e.message, stack: e.stack };
  if (e.showDiff !== false && e.expected !== undefined) out.expected = JSON.stringify(e.expected);
  if (e.showDiff !== false && e.actual !== undefined) out.actual = JSON.stringify(e.actual);
  return out;
}

/** A failure's outcome: the driver dying or hanging is not the test failing. */
function failureOutcome(err: unknown): Outcome {
  const e = err as { code?: string; name?: string } | undefined;
  if (e?.code === 'ERR_MOCHA_TIMEOUT' || e?.name === 'TargetHung') return 'timeout';
  // Bad harness input (a profile or policy that does not load) is a harness error, never scored against the device.
  if (e?.name === 'CtsError') return 'error';
  // A driver that broke the wire protocol is at fault as one that crashed, not a failed rule.
  if (e?.name === 'TargetDied' || e?.name === 'ProcessKilled' || e?.name === 'ProtocolError') return 'crash';
  return 'fail';
}

async function load(mocha: Mocha, task: WorkerTask): Promise<void> {
  const url = new URL(task.suiteUrl);
  url.searchParams.set('run', `${threadId}-${++loads}`);
  const file = url.pathname;
  mocha.suite.emit('pre-require', globalThis, file, mocha);
  const mod = await import(url.href);
  mocha.suite.emit('require', mod, file, mocha);
  mocha.suite.emit('post-require', globalThis, file, mocha);
}

/**
 * Keep only the selected tests, in the order given as far as mocha's nesting allows
 * (a describe's own tests, then its inner describes, each ordered by its first test
 * in `only`): a shuffled plan (--shuffle) runs shuffled. Drop suites left empty.
 */
function select(suite: Mocha.Suite, byTest: ReadonlyMap<Mocha.Test, CollectedTest>, only: ReadonlyMap<string, number>): number {
  const rank = (t: Mocha.Test) => only.get(byTest.get(t)!.id) ?? -1;
  suite.tests = suite.tests.filter((t) => rank(t) >= 0).sort((a, b) => rank(a) - rank(b));
  const first = new Map(suite.suites.map((child) => [child, select(child, byTest, only)]));
  suite.suites = suite.suites.filter((s) => s.total() > 0).sort((a, b) => first.get(a)! - first.get(b)!);
  return Math.min(Infinity, ...suite.tests.map(rank), ...first.values());
}

export default async function runTask(task: WorkerTask): Promise<WorkerReply> {
  const post = (e: WorkerEvent) => task.port?.postMessage(e);
  post({ type: 'start' });
  let target: Target;
  try {
    await loadEnvPlugins(); // the plugins the CLI loaded (docs/plugins.md)
    target = await createTarget(task.target, { ...task.options, callTimeoutMs: task.timeoutMs });
  } catch (e) {
    task.port?.close();
    return { tests: [], results: [], error: `target ${task.target}: ${(e as Error).message}`, noTarget: true };
  }
  // Each test after the first starts from the state it declares (Target.renew): verdicts then
  // do not depend on which tests share a task, nor on their order (issue 10 item 6).
  setTarget(target, async (state) => {
    if (target.renew) target = await target.renew(state);
    return target;
  });
  const results: TestResult[] = [];
  const mocha = new Mocha({ timeout: task.timeoutMs });
  try {
    try {
      await load(mocha, task);
    } catch (e) {
      return { tests: [], results: [], error: `suite ${task.suite} failed to load: ${(e as Error).stack ?? e}` };
    }
    // Ids are made over the whole suite before selecting, so a test's id never depends on the selection.
    const byTest = collectAll(mocha.suite, task.suite);
    if (task.only) select(mocha.suite, byTest, new Map(task.only.map((id, i) => [id, i])));
    const tests: CollectedTest[] = [];
    mocha.suite.eachTest((t) => void tests.push(byTest.get(t)!));
    if (task.mode === 'collect') return { tests, results, target: target.description };

    const began = new Map<string, number>();
    let hookFailure: { title: string; error: TestError } | undefined;
    const finish = (test: Mocha.Test, outcome: Outcome, err?: unknown) => {
      const base = byTest.get(test)!;
      if (results.some((r) => r.id === base.id)) return; // mocha may report a test twice (fail after timeout)
      const meta = metaOf(test);
      const start = began.get(base.id) ?? performance.now();
      const result: TestResult = {
        ...base,
        target: task.target,
        outcome,
        durationMs: Math.round((performance.now() - start) * 1000) / 1000,
        evidence: meta?.evidence ?? [],
      };
      if (meta?.notices.length) result.notices = meta.notices;
      // A dry run's evidence is everything the test would have sent, recorded by the stand-in target.
      if (target instanceof DryRunTarget) result.evidence = target.drain();
      if (outcome === 'skip') result.skipReason = meta?.skipReason ?? 'skipped without a reason';
      if (err !== undefined) result.error = plainError(err);
      // A timeout waiting on the driver says which call hung (issue 11: a hung close read as mocha's "ensure done() is called").
      const waiting = outcome === 'timeout' && (err as { code?: string })?.code === 'ERR_MOCHA_TIMEOUT' ? target.inFlight?.() ?? [] : [];
      if (waiting.length) result.error!.message = `Timeout of ${test.timeout()}ms exceeded waiting for the driver's answer to ${waiting.join(', ')}`;
      results.push(result);
      post({ type: 'end', result });
    };

    // Listeners go on in the reporter's constructor, before the runner starts.
    const { constants: C } = Mocha.Runner;
    mocha.reporter(
      class {
        constructor(runner: Mocha.Runner) {
          runner.on(C.EVENT_TEST_BEGIN, (test: Mocha.Test) => {
            const id = byTest.get(test)!.id;
            began.set(id, performance.now());
            post({ type: 'begin', id, timeoutMs: test.timeout() });
          });
          runner.on(C.EVENT_TEST_PASS, (test: Mocha.Test) => finish(test, 'pass'));
          runner.on(C.EVENT_TEST_PENDING, (test: Mocha.Test) => finish(test, 'skip'));
          runner.on(C.EVENT_TEST_FAIL, (test: Mocha.Runnable, err: unknown) => {
            if ((test as { type?: string }).type === 'hook') {
              hookFailure ??= { title: test.fullTitle(), error: plainError(err) };
              return;
            }
            finish(test as Mocha.Test, failureOutcome(err), err);
          });
        }
      } as unknown as Mocha.ReporterConstructor,
    );
    await new Promise<void>((resolve) => mocha.run(() => resolve()));

    // A failed hook reports itself, not the tests it blocked (toolchain.md §4.4): mark them.
    for (const t of tests) {
      if (results.some((r) => r.id === t.id)) continue;
      const why = hookFailure ? `not run: ${hookFailure.title} failed: ${hookFailure.error.message}` : 'not run: mocha did not report this test';
      const result: TestResult = { ...t, target: task.target, outcome: hookFailure ? 'fail' : 'error', durationMs: 0, evidence: [], error: { message: why, stack: hookFailure?.error.stack } };
      results.push(result);
      post({ type: 'end', result });
    }
    return { tests, results, target: target.description };
  } finally {
    mocha.dispose();
    setTarget(undefined);
    await target.dispose().catch(() => undefined);
    task.port?.close();
  }
}
