/**
 * From test outcomes to verdicts. A missing capability is never a pass: a rule
 * whose tests all skipped is 'not-run', and a core must-rule not run makes the
 * run incomplete (peers.md: WPT's PRECONDITION_FAILED-as-pass controversy).
 */
import type { RuleVerdict, RunVerdict } from '../generated/report.js';
import type { Rule } from '../policy/policy.js';
import type { TestResult } from '../runner/types.js';

const NOT_APPLICABLE = /^not applicable\b/;

/** Does the rule apply to a target of this model / device type? */
export function applies(rule: Rule, model: string | undefined): boolean {
  return !rule.deviceTypes || (model !== undefined && (rule.deviceTypes as string[]).includes(model));
}

/** A rule's verdict on one target, from the tests that prove it there. */
export function ruleVerdictOnTarget(rule: Rule, model: string | undefined, tests: readonly TestResult[]): RuleVerdict {
  if (!applies(rule, model)) return 'not-applicable';
  if (tests.length === 0) return 'not-run';
  if (tests.some((t) => t.outcome === 'fail' || t.outcome === 'timeout' || t.outcome === 'crash')) return 'fail';
  if (tests.some((t) => t.outcome === 'error')) return 'not-run';
  // A known failure or a waiver keeps the rule from failing, but it did not pass (DESIGN.md: validly waived).
  if (tests.some((t) => t.outcome === 'expected-fail' || t.outcome === 'waived' || (t.outcome === 'flake' && !t.attempts?.includes('pass')))) return 'waived';
  if (tests.some((t) => t.outcome === 'pass' || t.outcome === 'unexpected-pass' || t.outcome === 'flake')) return 'pass';
  if (tests.every((t) => t.outcome === 'skip' && NOT_APPLICABLE.test(t.skipReason ?? ''))) return 'not-applicable';
  return 'not-run';
}

/**
 * Across targets: any fail fails; a pass needs every applicable target to pass, leaving out the
 * targets where this run's selection ran none of the rule's tests (`not-selected`).
 */
export function combineVerdicts(verdicts: readonly RuleVerdict[]): RuleVerdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('not-run')) return 'not-run';
  if (verdicts.includes('waived')) return 'waived';
  if (verdicts.includes('pass')) return 'pass';
  if (verdicts.includes('not-selected')) return 'not-selected';
  return 'not-applicable';
}

export function runVerdict(rules: readonly { rule: Rule; verdict: RuleVerdict }[], harnessErrors: number): RunVerdict {
  if (rules.some(({ rule, verdict }) => rule.severity === 'must' && verdict === 'fail')) return 'non-compliant';
  if (harnessErrors > 0) return 'incomplete';
  if (rules.some(({ rule, verdict }) => rule.severity === 'must' && rule.tier === 'core' && verdict === 'not-run')) return 'incomplete';
  return 'compliant';
}
