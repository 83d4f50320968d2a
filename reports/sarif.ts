/**
 * SARIF 2.1.0 (OASIS), for code scanning in GitHub and GitLab: every rule of the policy is declared
 * (so "ran clean" differs from "not run") with its metadata from the policy (id, title, clause,
 * severity, tier, kernel rules, a help text and a link to the clause), and each failing or waived
 * rule on a target is one result, located logically at `<target>/<rule>`. Validated in CI by
 * @microsoft/sarif-multitool.
 */
import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import type { Report, RuleResult } from '../harness/generated/report.js';
import { isFailure } from './tap.js';

const DOCS = 'https://docs.kernel.org/userspace-api/fwctl/fwctl.html';
const SOURCE = 'https://elixir.bootlin.com/linux/latest/source/';

/**
 * The section headings of Documentation/userspace-api/fwctl/fwctl.rst (Linux 7.3) and their
 * Sphinx anchors. Policies say "Denied behavior" for the section the kernel calls "Disallowed behavior".
 */
const SECTIONS: Record<string, string> = {
  'scope of action': 'scope-of-action',
  'disallowed behavior': 'disallowed-behavior',
  'denied behavior': 'disallowed-behavior',
  'fwctl user api': 'fwctl-user-api',
  'sysfs class': 'sysfs-class',
  'user space community': 'user-space-community',
  'fwctl kernel api': 'fwctl-kernel-api',
  'fwctl driver design': 'fwctl-driver-design',
  'security response': 'security-response',
};

/** Where a rule's clause is written: its fwctl.rst section, else the first kernel source file it names, else fwctl.rst. */
export function clauseUri(clause: string): string {
  const section = /fwctl\.rst "([^"]+)"/.exec(clause)?.[1]?.toLowerCase();
  if (section && SECTIONS[section]) return `${DOCS}#${SECTIONS[section]}`;
  const file = /\b((?:drivers|include|Documentation)\/[\w./-]+\.(?:c|h|rst))\b/.exec(clause)?.[1];
  return file ? `${SOURCE}${file}` : DOCS;
}

/** A rule's help: the claim, where it comes from, what decides it, how to rerun it. */
function help(r: RuleResult): Sarif.MultiformatMessageString {
  const kernel = r.digest?.length ? ` Kernel contract rules: ${r.digest.join(', ')}.` : '';
  const weight = `${r.severity === 'must' ? 'A must-rule: failing it makes the run non-compliant' : 'A should-rule: reported, it does not decide the verdict'}${r.tier === 'extended' ? ' (extended tier: runs only where the capability is there)' : ''}.`;
  const rerun = `fwctl-cts list shows the tests that prove it and the reference-driver defects that break it; rerun them with fwctl-cts run --target <target> --test '<test id>'.`;
  const esc = (x: string) => x.replace(/[\\`*_[\]<>]/g, (c) => `\\${c}`);
  return {
    text: `${r.title}. Source: ${r.clause}.${kernel} ${weight} ${rerun}`,
    markdown: `**${esc(r.title)}**\n\nSource: [${esc(r.clause)}](${clauseUri(r.clause)}).${kernel}\n\n${weight}\n\n${rerun.replace(/fwctl-cts [^;.]+/g, (c) => `\`${c}\``)}`,
  };
}

export function renderSarif(report: Report): string {
  const rules: Sarif.ReportingDescriptor[] = report.rules.map((r) => ({
    id: r.id,
    name: r.id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: `${r.title} (${r.severity}, ${r.tier}; ${r.clause}${r.digest?.length ? `; kernel rules ${r.digest.join(', ')}` : ''})` },
    help: help(r),
    helpUri: clauseUri(r.clause),
    defaultConfiguration: { level: r.severity === 'must' ? 'error' : 'warning' },
    // tags: GitHub code scanning filters alerts by them.
    properties: { tags: ['fwctl', r.area, r.severity, r.tier], area: r.area, tier: r.tier, severity: r.severity, clause: r.clause, ...(r.digest && { digest: r.digest }) },
  }));
  const index = new Map(report.rules.map((r, i) => [r.id, i]));
  const results: Sarif.Result[] = [];
  for (const rule of report.rules) {
    for (const [target, verdict] of Object.entries(rule.byTarget)) {
      if (verdict !== 'fail' && verdict !== 'waived') continue;
      results.push(result(report, rule, target, verdict, index.get(rule.id)!));
    }
  }
  const log: Sarif.Log = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, informationUri: 'https://docs.kernel.org/userspace-api/fwctl/', rules } },
        invocations: [{ executionSuccessful: report.targets.every((t) => t.errors.length === 0), startTimeUtc: report.run.startedAt, endTimeUtc: report.run.finishedAt }],
        properties: { verdict: report.verdict, policy: `${report.policy.id} ${report.policy.version}` },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function result(report: Report, rule: RuleResult, target: string, verdict: 'fail' | 'waived', ruleIndex: number): Sarif.Result {
  const tests = report.tests.filter((t) => t.target === target && t.rules.includes(rule.id) && (isFailure(t) || t.outcome === 'expected-fail' || t.outcome === 'waived'));
  const first = tests[0];
  const message = first ? `${first.title}: ${(first.error?.message ?? first.outcome).split('\n')[0]}` : rule.title;
  return {
    ruleId: rule.id,
    ruleIndex,
    level: rule.severity === 'must' ? 'error' : 'warning',
    message: { text: `${target}: ${message}${tests.length > 1 ? ` (and ${tests.length - 1} more test(s))` : ''}` },
    locations: [{ logicalLocations: [{ name: rule.id, fullyQualifiedName: `${target}/${rule.id}`, kind: 'member' }] }],
    // GitHub keeps one alert per fingerprint across runs.
    partialFingerprints: { 'fwctlCts/v1': createHash('sha256').update(`${target}|${rule.id}`).digest('hex').slice(0, 32) },
    properties: { target, tests: tests.map((t) => t.id) },
    ...(verdict === 'waived' && { suppressions: [{ kind: 'external', justification: tests.map((t) => t.expectation ?? '').filter(Boolean).join(', ') || 'waived by expectations' }] }),
  };
}
