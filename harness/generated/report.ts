/* Generated from schemas/report.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * compliant: every applicable core must-rule passed; non-compliant: a must-rule failed; incomplete: otherwise (a rule not run, a harness error).
 *
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "RunVerdict".
 */
export type RunVerdict = "compliant" | "non-compliant" | "incomplete";
/**
 * not-selected: this run's selection (--shard, --suite, --test, --exclude) left out every test of the rule on that target; it does not count against the verdict.
 *
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "RuleVerdict".
 */
export type RuleVerdict = "pass" | "fail" | "not-run" | "not-applicable" | "not-selected" | "waived";
/**
 * expected-fail: failed as an expectations entry said; unexpected-pass: passed although an entry expects it to fail; flake: failed, then passed on a retry (or a listed flake failed); waived: failed, and a waiver covers its rule.
 *
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "Outcome".
 */
export type Outcome =
  "pass" | "fail" | "skip" | "timeout" | "crash" | "error" | "expected-fail" | "unexpected-pass" | "flake" | "waived";

/**
 * The canonical result of one fwctl-cts run. Every other report format is rendered from it.
 */
export interface Report {
  format: "fwctl-cts-report/1";
  tool: {
    name: string;
    version: string;
  };
  policy: {
    id: string;
    version: string;
    file?: string;
  };
  run: {
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    workers: number;
    /**
     * What this run selected, when it ran a subset: its rules are judged on the tests it ran.
     */
    selection?: {
      suites?: string[];
      tests?: string[];
      exclude?: string[];
    };
    shard?: string;
    /**
     * The --shuffle seed the tests were ordered by; absent: plan order.
     */
    shuffle?: number;
    /**
     * What the user unlocked on real devices (the --allow-* flags); absent: not recorded (a merged or older report).
     */
    allow?: {
      taint: boolean;
      destructive: boolean;
      hazards: boolean;
    };
    host: {
      hostname: string;
      kernelRelease: string;
      node: string;
    };
  };
  verdict: RunVerdict;
  /**
   * The run was stopped by SIGINT or SIGTERM: tests it had not finished are skips with the reason 'not run: the run was interrupted'.
   */
  interrupted?: true;
  targets: TargetEntry[];
  rules: RuleResult[];
  tests: TestEntry[];
  summary: Summary;
  /**
   * The plugins this run loaded (--plugin, fwctl-cts.config.json; docs/plugins.md).
   */
  plugins?: PluginRecord[];
  /**
   * The expectations file this run applied.
   */
  expectations?: {
    file: string;
    sha256: string;
    /**
     * Entries past their expiry date ('<file>#/entries/<n>: <reason>, expired <date>'): the run fails.
     */
    expired: string[];
    unexpectedPasses: number;
  };
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "TargetEntry".
 */
export interface TargetEntry {
  spec: string;
  kind?: "sim" | "exec" | "dev";
  model?: string;
  fw?: string;
  device?: string;
  defects?: string[];
  deviceType?: number;
  /**
   * Why the target or a suite on it could not be planned.
   */
  errors: string[];
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "RuleResult".
 */
export interface RuleResult {
  id: string;
  title: string;
  area: string;
  severity: "must" | "should";
  tier: "core" | "extended";
  clause: string;
  digest?: string[];
  verdict: RuleVerdict;
  /**
   * The rule's verdict on each target.
   */
  byTarget: {
    [k: string]: RuleVerdict;
  };
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "TestEntry".
 */
export interface TestEntry {
  /**
   * Stable, machine-safe id, unique within its target: the rule id plus a variant ('scope.rejected-below-minimum.QUERY_ISSI'). Used in every format; the title stays the description.
   */
  id: string;
  suite: string;
  title: string;
  target: string;
  rules: string[];
  requires?: string[];
  /**
   * On a device every worker shares: false, or what the test must run alone on ('device': nothing else on its device, and those that unplug it one at a time; 'kernel': nothing else at all). true: a report before 0.4.0 (alone on the device).
   */
  exclusive?: false | true | "device" | "kernel";
  outcome: Outcome;
  durationMs: number;
  skipReason?: string;
  /**
   * With --retries: the outcome of every attempt, first to last.
   */
  attempts?: Outcome[];
  /**
   * The expectations entry that changed this test's outcome: '<file>#/entries/<n>'.
   */
  expectation?: string;
  error?: {
    message: string;
    stack?: string;
    expected?: string;
    actual?: string;
  };
  evidence: Evidence[];
  /**
   * Findings that are not failures, e.g. a debug-scope command that changed across firmware versions.
   */
  notices?: string[];
  /**
   * Relative cost used for scheduling (1 = a test with the default timeout).
   */
  weight?: number;
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "Evidence".
 */
export interface Evidence {
  call: string;
  detail?: string;
  ret: number;
  errno?: string;
}
/**
 * This interface was referenced by `Report`'s JSON-Schema
 * via the `definition` "Summary".
 */
export interface Summary {
  tests: number;
  outcomes: {
    pass: number;
    fail: number;
    skip: number;
    timeout: number;
    crash: number;
    error: number;
    "expected-fail"?: number;
    "unexpected-pass"?: number;
    flake?: number;
    waived?: number;
  };
  rules: {
    pass: number;
    fail: number;
    "not-run": number;
    "not-applicable": number;
    "not-selected"?: number;
    waived?: number;
  };
}
export interface PluginRecord {
  name: string;
  version: string;
  apiVersion: number;
  /**
   * SHA-256 of the sha256sum listing of the plugin's files (docs/plugins.md).
   */
  sha256: string;
  /**
   * How many files the digest covers.
   */
  files?: number;
}
