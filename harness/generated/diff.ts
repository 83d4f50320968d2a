/* Generated from schemas/diff.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * `fwctl-cts diff A B --json`: what changed between two reports (kind 'report') or two inventories (kind 'inventory').
 */
export type Diff = ReportDiff | InventoryDiff;
/**
 * regression: failing now, not before (a new test or rule that fails included); fix: failing before, passing now; new, removed: only in B, only in A; changed: any other transition.
 */
export type ChangeKind = "regression" | "fix" | "new" | "removed" | "changed";

export interface ReportDiff {
  format: "fwctl-cts-diff/1";
  kind: "report";
  a: DiffSide;
  b: DiffSide;
  pairs: TargetPair[];
  /**
   * Targets only in B.
   */
  added: string[];
  /**
   * Targets only in A.
   */
  removed: string[];
  verdict: {
    from: string;
    to: string;
    change: "same" | "worse" | "better";
  };
  /**
   * Every rule whose verdict changed on a target.
   */
  rules: RuleChange[];
  /**
   * Every test whose outcome changed, appeared or went.
   */
  tests: TestChange[];
  /**
   * Tests per transition, e.g. {'pass→fail': 3}.
   */
  transitions: {
    [k: string]: number;
  };
  counts: {
    ruleRegressions: number;
    ruleFixes: number;
    /**
     * Tests.
     */
    regressions: number;
    fixes: number;
    new: number;
    removed: number;
    changed: number;
    unchanged: number;
  };
  /**
   * A rule or test regressed, or the run's verdict got worse: exit 1.
   */
  regression: boolean;
}
export interface DiffSide {
  file: string;
  tool?: string;
  /**
   * '<id> <version>'
   */
  policy?: string;
  verdict?: string;
  startedAt?: string;
  kernelRelease?: string;
}
export interface TargetPair {
  a: string;
  b: string;
  /**
   * spec: the same target string; option: --pair; defects: the same spec but for its +defects; device: the same device type and device node (any kind: dev or exec through an agent); only-target: the single target of each run.
   */
  by: "spec" | "option" | "defects" | "device" | "only-target";
}
export interface RuleChange {
  rule: string;
  title: string;
  severity: "must" | "should";
  tier: "core" | "extended";
  /**
   * The target in A; absent for a target only in B.
   */
  a?: string;
  /**
   * The target in B; absent for a target only in A.
   */
  b?: string;
  /**
   * The rule's verdict on the target in A, or 'absent'.
   */
  from: string;
  to: string;
  /**
   * '<from>→<to>', e.g. 'pass→fail'.
   */
  transition: string;
  change: ChangeKind;
}
export interface TestChange {
  id: string;
  a?: string;
  b?: string;
  rules: string[];
  /**
   * The test's outcome in A, or 'absent'.
   */
  from: string;
  to: string;
  transition: string;
  change: ChangeKind;
  /**
   * B's failure message or skip reason (first line).
   */
  message?: string;
}
export interface InventoryDiff {
  format: "fwctl-cts-diff/1";
  kind: "inventory";
  a: DiffSide;
  b: DiffSide;
  changes: InventoryChange[];
  /**
   * Devices found in both with nothing changed.
   */
  unchanged: number;
  regression: boolean;
}
export interface InventoryChange {
  what:
    | "device-appeared"
    | "device-disappeared"
    | "firmware"
    | "driver"
    | "device-type"
    | "node"
    | "pci"
    | "taint"
    | "kernel-release";
  /**
   * The device as B names it (A for one that disappeared).
   */
  device?: string;
  from?: string;
  to?: string;
  /**
   * One line saying what changed.
   */
  text: string;
  /**
   * A device that disappeared, or a taint flag that was set.
   */
  regression: boolean;
}
