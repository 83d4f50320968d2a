/* Generated from schemas/expectations.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * Known failures, known flakes and skips, as data (the deqp-runner / DRM CI / WPT model). Every entry names who owns it, why, where it is tracked and when it expires; an expired entry fails the run.
 */
export interface Expectations {
  $schema?: string;
  format: "fwctl-cts-expectations/1";
  description?: string;
  entries: Expectation[];
}
/**
 * This interface was referenced by `Expectations`'s JSON-Schema
 * via the `definition` "Expectation".
 */
export interface Expectation {
  /**
   * fail: a known failure (the baseline), reported expected-fail; flake: a test known to fail sometimes, a failure is reported flake; skip: not run, skipped with the reason; waive: every failing test of `rule` is waived (a certification waiver).
   */
  kind: "fail" | "flake" | "skip" | "waive";
  /**
   * Glob over target specs ('sim:cxl*', 'dev:*').
   */
  target: string;
  /**
   * Glob over test ids ('uapi.rpc.max-len', 'scope.*.QUERY_ISSI'); required unless kind is waive.
   */
  test?: string;
  /**
   * A rule id (waive only).
   */
  rule?: string;
  reason: string;
  owner: string;
  /**
   * Where the failure is tracked (a URL).
   */
  issue: string;
  /**
   * Last day (UTC) the entry applies; after it the run fails and names the entry.
   */
  expires: string;
}
