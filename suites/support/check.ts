/**
 * `check()` declares one conformance test: the rule it proves, a one-line
 * claim, the target parts it needs, and a body that gets a Fixture. The rule
 * id and needs are attached to the mocha test, where the runner reads them.
 */
import type { PartName, StartState } from '../../harness/targets/target.js';
import { targetFor } from './context.js';
import { Fixture } from './fixture.js';
import type { Exclusive } from '../../harness/runner/types.js';
import { testId } from '../../harness/results/test-id.js';

export interface CheckOptions {
  /** Target parts the test needs; a target without one makes it skip with the reason. */
  requires?: PartName[];
  /**
   * On a device every worker shares (real hardware), when the test must run alone:
   * 'device' (hot-unplug, resource counts): nothing else on its device, and one
   * such test at a time, while other devices' tests go on; 'kernel' (taint, the
   * kernel log): nothing else at all.
   */
  exclusive?: Exclusive;
  /** Per-test timeout in ms, when the default is not enough. */
  timeoutMs?: number;
  /**
   * What tells this test apart from the rule's other tests (a command name, an ioctl): part of
   * its stable id, `<rule>.<variant>` (harness/results/test-id.ts).
   */
  variant?: string;
  /**
   * Whether the test applies to the device at all (it skips 'not applicable: …' when not),
   * asked before the parts: a rule the device cannot break is not applicable, whatever the target offers.
   */
  applies?: (t: Fixture) => Promise<void>;
  /**
   * The state the test starts from (StartState in harness/targets/target.ts).
   * Default: 'fresh' for a test that is exclusive or needs a stateful part,
   * else 'any'. Every target that can start over cheaply (sim:, exec: with
   * `reset`) gives every test a fresh device whatever it declares; 'fresh'
   * costs an exec: driver without `reset` a new process; 'clean-kernel' skips,
   * with the reason, where TAINT_FWCTL is set and cannot be cleared.
   */
  state?: StartState;
}

/** Parts whose use changes or watches device or kernel state: a test needing one starts fresh. */
const STATEFUL: readonly PartName[] = ['taint', 'kernelLog', 'hotplug', 'resources', 'functionReset', 'kernelDriver', 'firmware', 'deviceState', 'processes'];

/** What the runner reads off a mocha test. */
export interface CheckMeta {
  /** The stable, machine-safe id: the first rule plus the variant. */
  id: string;
  /** The sentence the test claims, without the rule ids (the id's fallback variant). */
  claim: string;
  rules: string[];
  requires: PartName[];
  exclusive: Exclusive | false;
  state: StartState;
  timeoutMs?: number;
  skipReason?: string;
  evidence: Evidence[];
  notices: string[];
}

export interface Evidence {
  call: string;
  detail?: string;
  ret: number;
  errno?: string;
}

const EVIDENCE_LIMIT = 40;

export function check(rule: string | string[], claim: string, body: (t: Fixture) => Promise<void>): void;
export function check(rule: string | string[], claim: string, opts: CheckOptions, body: (t: Fixture) => Promise<void>): void;
export function check(
  rule: string | string[],
  claim: string,
  optsOrBody: CheckOptions | ((t: Fixture) => Promise<void>),
  maybeBody?: (t: Fixture) => Promise<void>,
): void {
  const opts = typeof optsOrBody === 'function' ? {} : optsOrBody;
  const body = typeof optsOrBody === 'function' ? optsOrBody : maybeBody!;
  const rules = Array.isArray(rule) ? rule : [rule];
  const requires = opts.requires ?? [];
  const state = opts.state ?? (opts.exclusive || requires.some((p) => STATEFUL.includes(p)) ? 'fresh' : 'any');
  const meta: CheckMeta = { id: testId(rules[0]!, opts.variant), claim, rules, requires, exclusive: opts.exclusive ?? false, state, timeoutMs: opts.timeoutMs, evidence: [], notices: [] };
  const test = it(`${rules.join(' ')}: ${claim}`, async function () {
    const target = await targetFor(meta.state);
    const t = new Fixture(target, (reason) => {
      meta.skipReason = reason;
      this.skip();
    }, (e) => {
      if (meta.evidence.length < EVIDENCE_LIMIT) meta.evidence.push(e);
    }, (n) => meta.notices.push(n));
    await opts.applies?.(t);
    for (const part of meta.requires) {
      if (!target.parts[part]) t.skip(target.unavailable?.[part] ?? `target ${target.description.kind}: does not provide '${part}'`);
    }
    // the warning and TAINT_FWCTL come together, once per boot (drivers/fwctl/main.c): a clear taint means neither happened yet.
    if (meta.state === 'clean-kernel') await t.untainted();
    try {
      await body(t);
    } finally {
      await t.cleanup();
    }
  });
  if (opts.timeoutMs) test.timeout(opts.timeoutMs);
  (test as unknown as { cts: CheckMeta }).cts = meta;
}
