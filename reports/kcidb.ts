/**
 * KCIDB v5 (KernelCI's common report database; kernelci/kcidb-io): one test object per test,
 * under a build of the running kernel, so a lab can submit a run with `kcidb-submit`. Paths are
 * `fwctl.<target>.<test id>`, which KCIDB's path pattern accepts (reports/tap.ts fullTestName).
 * The origin (the submitting CI system) and the build id come from the user when the kernel's
 * build is submitted elsewhere; otherwise a checkout and build for the kernel release are made up.
 */
import type { Report, TestEntry } from '../harness/generated/report.js';
import { idPart } from '../harness/results/test-id.js';
import { allEntries } from './run-entries.js';
import { fullTestName, isExpectedFailure } from './tap.js';

export interface KcidbOptions {
  /** The CI system's KCIDB origin (`^[a-z0-9_]+$`). */
  kcidbOrigin?: string;
  /** The KCIDB id of the build the tests ran on (`<origin>:<id>`); made up when absent. */
  kcidbBuildId?: string;
}

/** KCIDB's statuses in priority order: FAIL, ERROR, MISS, PASS, DONE, SKIP. */
function status(t: TestEntry): string {
  switch (t.outcome) {
    case 'fail':
    case 'timeout':
    case 'crash':
      return 'FAIL';
    case 'error':
      return 'MISS';
    case 'skip':
      return 'SKIP';
    default:
      // An excused failure is reported as what it was; the waiver is in the comment.
      return isExpectedFailure(t) ? 'FAIL' : 'PASS';
  }
}

export function renderKcidb(report: Report, opts: KcidbOptions = {}): string {
  const origin = opts.kcidbOrigin ?? 'fwctl_cts';
  const release = report.run.host.kernelRelease;
  const made = opts.kcidbBuildId === undefined;
  const buildId = opts.kcidbBuildId ?? `${origin}:${idPart(report.run.host.hostname)}-${idPart(release)}`;
  const doc: Record<string, unknown> = {
    version: { major: 5, minor: 3 },
    tests: allEntries(report).map((t, i) => ({
      id: `${origin}:${idPart(report.run.startedAt)}-${i + 1}`,
      build_id: buildId,
      origin,
      path: `fwctl.${fullTestName(t)}`,
      status: status(t),
      start_time: report.run.startedAt,
      duration: t.durationMs / 1000,
      comment: t.title,
      ...(t.outcome !== 'pass' && { log_excerpt: (t.skipReason ?? t.error?.message ?? t.outcome).slice(0, 16384) }),
      environment: { comment: `${t.target} on ${report.run.host.hostname}`, misc: { target: t.target, policy: `${report.policy.id} ${report.policy.version}` } },
      misc: { outcome: t.outcome, rules: t.rules, ...(t.expectation && { expectation: t.expectation }), harness: `${report.tool.name} ${report.tool.version}` },
    })),
  };
  if (made) {
    const checkoutId = `${origin}:${idPart(release)}`;
    doc.checkouts = [{ id: checkoutId, origin, comment: `Linux ${release} as running on ${report.run.host.hostname}` }];
    doc.builds = [{ id: buildId, checkout_id: checkoutId, origin, comment: `the running kernel ${release}`, architecture: process.arch === 'x64' ? 'x86_64' : process.arch }];
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}
