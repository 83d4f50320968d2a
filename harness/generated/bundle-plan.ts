/* Generated from schemas/bundle-plan.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * plan.json of a certification bundle: every test the certification planned on each target (all suites, filtered by the policy only), with the rules each proves. `fwctl-cts verify` names a planned test report.json has no result for.
 */
export interface BundlePlan {
  format: "fwctl-cts-bundle-plan/1";
  /**
   * The policy id the plan was filtered by.
   */
  policy: string;
  targets: PlannedTargetTests[];
}
export interface PlannedTargetTests {
  spec: string;
  /**
   * What the target said it is (harness/targets/target.ts TargetDescription).
   */
  description?: {};
  errors: string[];
  tests: PlannedTest[];
}
export interface PlannedTest {
  id: string;
  rules: string[];
}
