/** Plain data crossing the worker boundary (no Error objects, no classes). */
import type { MessagePort } from 'node:worker_threads';
import type { TargetDescription, TargetOptions } from '../targets/target.js';

/** A test's outcome; the last four come from expectations and retries (report.schema.json Outcome). */
export type Outcome = 'pass' | 'fail' | 'skip' | 'timeout' | 'crash' | 'error' | 'expected-fail' | 'unexpected-pass' | 'flake' | 'waived';

export interface Evidence {
  call: string;
  detail?: string;
  ret: number;
  errno?: string;
}

export interface TestError {
  message: string;
  stack?: string;
  expected?: string;
  actual?: string;
}

/** What a test must not run beside, on a device every worker shares. */
export type Exclusive = 'device' | 'kernel';

/** A test as the collector found it, before running. */
export interface CollectedTest {
  /** Stable and machine-safe, unique within a target: `<rule>[.<variant>]` (harness/results/test-id.ts). */
  id: string;
  suite: string;
  title: string;
  rules: string[];
  requires: string[];
  /** Whether it must run alone on a shared device: see suites/support/check.ts. */
  exclusive: Exclusive | false;
  /** Relative cost, from the test's own timeout (1 for the default): heavy tasks are scheduled first. */
  weight: number;
}

export interface TestResult extends CollectedTest {
  target: string;
  outcome: Outcome;
  durationMs: number;
  skipReason?: string;
  error?: TestError;
  evidence: Evidence[];
  /** Findings that are not failures (e.g. a debug command changed across firmware). */
  notices?: string[];
  /** With retries: every attempt's outcome, first to last. */
  attempts?: Outcome[];
  /** The expectations entry that changed the outcome. */
  expectation?: string;
}

export interface WorkerTask {
  mode: 'collect' | 'run';
  /** file: URL of the compiled suite. */
  suiteUrl: string;
  suite: string;
  target: string;
  /** Run only these test ids (all when absent). */
  only?: string[];
  timeoutMs: number;
  /** What the user unlocked (passed to the target). */
  options: TargetOptions;
  /** Receives WorkerEvent messages while the task runs. */
  port?: MessagePort;
}

/** 'start' is posted as the worker picks the task up, so queue time never counts against it. */
export type WorkerEvent = { type: 'start' } | { type: 'begin'; id: string; timeoutMs: number } | { type: 'end'; result: TestResult };

export interface WorkerReply {
  tests: CollectedTest[];
  results: TestResult[];
  target?: TargetDescription;
  /** The task could not start (bad target, suite failed to load). */
  error?: string;
  /** The target itself could not be made (a driver that never said hello): no suite can run on it. */
  noTarget?: boolean;
}
