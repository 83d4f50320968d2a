/**
 * The device catalogue at load time, so suites can generate one test per
 * command (describe() bodies run when the suite is loaded, with the target set).
 * What a suite declares may depend on the target's description, but not on
 * which device it is (spec, device name): the planner loads each suite once
 * per sort of target (harness/plan/plan.ts).
 */
import { loadProfile } from '../../harness/profiles/profile.js';
import { currentTarget } from './context.js';
import { check } from './check.js';
import { Device } from './device.js';

/** The target's device, or undefined when it names no profile (then tests find it at run time). */
export function catalogue(): Device | undefined {
  const d = currentTarget().description;
  return d.profile ? Device.of(loadProfile(d.profile), d.fw) : undefined;
}

/** Scope names in order, for titles. */
export const SCOPE_NAMES = ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL'] as const;

/**
 * One generated test per item; when there is none, one test that skips as not
 * applicable, so the rule reads "not applicable" rather than "not run".
 */
export function forEachItem<T>(rule: string, items: readonly T[], none: string, each: (item: T) => void): void {
  if (items.length) items.forEach(each);
  else {
    check(rule, none, async (t) => {
      // No profile when the suite loaded: an unknown device type skips as such (the rule is not run, not "not applicable").
      if (!t.target.description.profile) await t.device();
      t.skip(`not applicable: ${none}`);
    });
  }
}
