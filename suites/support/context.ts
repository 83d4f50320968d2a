/**
 * The per-task context a worker sets before loading a suite. Suites and the
 * worker must import this module by the same URL (it is never cache-busted).
 */
import type { StartState, Target } from '../../harness/targets/target.js';

let current: Target | undefined;
let renew: ((state: StartState) => Promise<Target>) | undefined;

/** `fresh` gives the target in its initial state (the worker's; see Target.renew). */
export function setTarget(target: Target | undefined, fresh?: (state: StartState) => Promise<Target>): void {
  current = target;
  renew = fresh;
}

export function currentTarget(): Target {
  if (!current) throw new Error('no target: suites run inside the fwctl-cts runner');
  return current;
}

/** The target for the next test, in the state it declares: never what an earlier test left, where the target can help it. */
export async function targetFor(state: StartState): Promise<Target> {
  const target = currentTarget();
  if (renew) current = await renew(state);
  return current ?? target;
}
