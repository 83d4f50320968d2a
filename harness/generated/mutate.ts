/* Generated from schemas/mutate.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * `fwctl-cts mutate --json`: the mutation score of the suites on each target (docs/mutate.md).
 */
export interface MutateOutput {
  targets: MutationReport[];
}
/**
 * This interface was referenced by `MutateOutput`'s JSON-Schema
 * via the `definition` "MutationReport".
 */
export interface MutationReport {
  /**
   * the target spec, as in report.json
   */
  target: string;
  /**
   * the policy id
   */
  policy: string;
  /**
   * the target's outcomes without a mutant (counts of tests)
   */
  baseline: {
    passed: number;
    /**
     * fail, crash, timeout or error
     */
    failed: number;
    skipped: number;
    /**
     * '<test id> (<outcome>)' of the tests that did not pass or skip on the baseline: no mutant is scored on them
     */
    failedTests: string[];
    durationMs: number;
    /**
     * the report the baseline was read from (--baseline); absent when mutate ran it
     */
    from?: string;
  };
  mutants: MutantResult[];
  killed: number;
  survived: number;
  notApplicable: number;
  /**
   * killed / (killed + survived); null when no mutant applied
   */
  killRate: number | null;
}
/**
 * This interface was referenced by `MutateOutput`'s JSON-Schema
 * via the `definition` "MutantResult".
 */
export interface MutantResult {
  /**
   * the operator id (fwctl-cts mutate --list)
   */
  operator: string;
  /**
   * the policy rule the operator should trip
   */
  rule: string;
  description: string;
  status: "killed" | "survived" | "not-applicable";
  /**
   * why it is not applicable
   */
  reason?: string;
  /**
   * rules of the tests that passed on the baseline and broke under the mutant
   */
  killedBy: string[];
  /**
   * whether `rule` is among killedBy
   */
  ruleTripped: boolean;
  /**
   * '<test id> (<outcome>)'
   */
  failedTests: string[];
  durationMs: number;
}
