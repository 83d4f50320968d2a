/**
 * The environment variables fwctl-cts reads, each checked: a bad value is one
 * line naming the variable (exit 2 from the CLI), never a NaN that silently
 * changes what runs, nor a robustness failure scored against the device.
 * The CLI checks them before any work; the suites read them through here.
 */
import { CtsError } from './errors.js';

/** fast-check's seeds are 32-bit integers. */
export const SEED_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;
/** How many random inputs each robustness test sends (`run --robustness-runs`). */
export const ROBUSTNESS_RUNS_DEFAULT = 100;
export const ROBUSTNESS_RUNS_RANGE = [1, 10_000_000] as const;

/** An integer in [min, max], written plainly (no 1e9, 0x10 or spaces), or a message saying what was expected. */
export function checkInt(text: string, min: number, max: number): number | string {
  const n = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : `expected an integer from ${min} to ${max}, got '${text.slice(0, 40)}'`;
}

function intVar(name: string, [min, max]: readonly [number, number]): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = checkInt(text, min, max);
  if (typeof n === 'string') throw new CtsError('CTS_E_USAGE', `environment variable ${name}: ${n}`);
  return n;
}

export interface RobustnessEnv {
  seed?: number;
  /** A fast-check replay path: counters separated by ':'. */
  path?: string;
  runs: number;
}

/** FWCTL_CTS_SEED, FWCTL_CTS_PATH and FWCTL_CTS_ROBUSTNESS_RUNS, checked. */
export function robustnessEnv(): RobustnessEnv {
  const seed = intVar('FWCTL_CTS_SEED', SEED_RANGE);
  const runs = intVar('FWCTL_CTS_ROBUSTNESS_RUNS', ROBUSTNESS_RUNS_RANGE) ?? ROBUSTNESS_RUNS_DEFAULT;
  const path = process.env.FWCTL_CTS_PATH || undefined;
  if (path !== undefined && !/^\d{1,9}(:\d{1,9}){0,999}$/.test(path)) {
    throw new CtsError('CTS_E_USAGE', `environment variable FWCTL_CTS_PATH: expected a replay path of counters separated by ':' (as a failure prints it), got '${path.slice(0, 40)}'`);
  }
  return { ...(seed !== undefined && { seed }), ...(path !== undefined && { path }), runs };
}
