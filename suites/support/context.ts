/**
 * The per-task context a worker sets before loading a suite. Suites and the
 * worker must import this module by the same URL (it is never cache-busted).
 */
import type { Target } from '../../harness/targets/target.js';

let current: Target | undefined;

export function setTarget(target: Target | undefined): void {
  current = target;
}

export function currentTarget(): Target {
  if (!current) throw new Error('no target: suites run inside the fwctl-cts runner');
  return current;
}
