/* Generated from schemas/policy.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * This interface was referenced by `Policy`'s JSON-Schema
 * via the `definition` "Area".
 */
export type Area = "uapi" | "scope" | "taint" | "lifecycle" | "coupling" | "sharing" | "abi" | "denied" | "robustness";
/**
 * This interface was referenced by `Policy`'s JSON-Schema
 * via the `definition` "Severity".
 */
export type Severity = "must" | "should";
/**
 * core: every run; extended: needs a capability or opt-in, and its absence does not make a run incomplete.
 *
 * This interface was referenced by `Policy`'s JSON-Schema
 * via the `definition` "Tier".
 */
export type Tier = "core" | "extended";
/**
 * This interface was referenced by `Policy`'s JSON-Schema
 * via the `definition` "DeviceTypeName".
 */
export type DeviceTypeName = "mlx5" | "cxl" | "bnxt" | "pds";

/**
 * A policy pack: a catalog of fwctl rules the harness computes a verdict for.
 */
export interface Policy {
  $schema?: string;
  /**
   * Short name, e.g. 'upstream'.
   */
  id: string;
  version: string;
  title: string;
  description?: string;
  /**
   * @minItems 1
   */
  rules: [Rule, ...Rule[]];
}
/**
 * This interface was referenced by `Policy`'s JSON-Schema
 * via the `definition` "Rule".
 */
export interface Rule {
  /**
   * Stable id, '<area>.<topic>[.<claim>]'.
   */
  id: string;
  area: Area;
  /**
   * The claim, one line.
   */
  title: string;
  /**
   * Where the rule comes from: a fwctl.rst section or kernel source function.
   */
  clause: string;
  /**
   * Rule ids in reference/kernel-fwctl.md.
   */
  digest?: string[];
  severity: Severity;
  tier: Tier;
  /**
   * Device types the rule applies to; all when absent.
   *
   * @minItems 1
   */
  deviceTypes?: [DeviceTypeName, ...DeviceTypeName[]];
}
