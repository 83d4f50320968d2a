/**
 * What changed between two runs (issue #14 item 5), per test and target and per rule and target,
 * with each transition named (pass→fail, skip→pass, absent→fail …) the way Piglit's summary and
 * Intel's CI Bug Log list them, and deqp-runner's baseline judges them: a regression is something
 * failing now that did not fail before (a new test or rule that fails included); a fix is
 * something that failed before and passes now. Skipping, being waived or excused, appearing or
 * going are named but are neither.
 *
 * Targets are paired before anything is compared (sim:cxl and sim:cxl+<defect> are the same device):
 * `--pair A=B` first, then the same spec, then the same spec but for its +defects (one clean target
 * of A is then the baseline of each of its defect runs in B), then the same device type and
 * device node, then, when each run has a single target, those two. What stays unpaired is an
 * added or removed target.
 */
import type { ChangeKind, DiffSide, ReportDiff, RuleChange, TargetPair, TestChange } from '../generated/diff.js';
import type { Report, RuleVerdict, TargetEntry, TestEntry } from '../generated/report.js';
import { CtsError } from '../errors.js';

const ABSENT = 'absent';
/** The test outcomes that fail a run (reports/tap.ts FAILING). */
const FAILING = new Set<string>(['fail', 'timeout', 'crash', 'error']);
/** Outcomes that count as passing: a flake passed on a retry, an unexpected pass passed. */
const PASSING = new Set<string>(['pass', 'flake', 'unexpected-pass']);
const VERDICT_RANK: Record<string, number> = { compliant: 0, incomplete: 1, 'non-compliant': 2 };

export interface Side {
  file: string;
  report: Report;
}

function side({ file, report }: Side): DiffSide {
  return { file, tool: report.tool.version, policy: `${report.policy.id} ${report.policy.version}`, verdict: report.verdict, startedAt: report.run.startedAt, kernelRelease: report.run.host.kernelRelease };
}

/** The spec without its `+defect` suffixes: the device a defect run was made from. */
function withoutDefects(t: TargetEntry): string {
  return t.defects?.length ? t.spec.replace(/(?:\+[^+@:]+)+$/, '') : t.spec;
}

function deviceKey(t: TargetEntry): string | undefined {
  // Not the kind: dev:… and exec:ssh host fwctl-cts agent --target dev:… reach the same device.
  return t.device === undefined ? undefined : [t.deviceType ?? t.model ?? '', t.device].join('|');
}

/**
 * `--pair A=B` as given: a spec may itself hold '=' (exec: command lines), so the split is the
 * one whose halves name a target of A and a target of B.
 */
export function parsePair(text: string, a: readonly string[], b: readonly string[]): [string, string] {
  for (let i = text.indexOf('='); i > 0; i = text.indexOf('=', i + 1)) {
    const [x, y] = [text.slice(0, i), text.slice(i + 1)];
    if (a.includes(x) && b.includes(y)) return [x, y];
  }
  throw new CtsError('CTS_E_USAGE', `--pair '${text}': expected <target of A>=<target of B>; A has ${a.join(', ') || 'no targets'}, B has ${b.join(', ') || 'no targets'}`);
}

export function pairTargets(a: readonly TargetEntry[], b: readonly TargetEntry[], explicit: readonly string[] = []): TargetPair[] {
  const pairs: TargetPair[] = [];
  const leftA = new Map(a.map((t) => [t.spec, t]));
  const leftB = new Map(b.map((t) => [t.spec, t]));
  const take = (x: TargetEntry, y: TargetEntry, by: TargetPair['by']) => {
    pairs.push({ a: x.spec, b: y.spec, by });
    leftA.delete(x.spec);
    leftB.delete(y.spec);
  };
  // Each target of B is compared once; a target of A may be the baseline of several (a clean
  // device and each of its defect runs, like a 1-to-n comparison).
  const specsA = a.map((t) => t.spec);
  for (const text of explicit) {
    const [x, y] = parsePair(text, specsA, b.map((t) => t.spec));
    if (!leftB.has(y)) throw new CtsError('CTS_E_USAGE', `--pair '${text}': ${y} is already paired`);
    take(a.find((t) => t.spec === x)!, leftB.get(y)!, 'option');
  }
  for (const y of [...leftB.values()]) {
    const x = a.find((t) => t.spec === y.spec);
    if (x && !pairs.some((p) => p.a === x.spec)) take(x, y, 'spec');
  }
  // Keys pair only where they name one target of A (and, for devices, one of B).
  const unique = (ts: Iterable<TargetEntry>, key: (t: TargetEntry) => string | undefined) => {
    const seen = new Map<string, TargetEntry | null>();
    for (const t of ts) {
      const k = key(t);
      if (k !== undefined) seen.set(k, seen.has(k) ? null : t);
    }
    return seen;
  };
  const defectsA = unique(a, withoutDefects);
  for (const y of [...leftB.values()]) {
    const x = defectsA.get(withoutDefects(y));
    if (x && (x.defects?.length || y.defects?.length)) take(x, y, 'defects');
  }
  const devA = unique(leftA.values(), deviceKey);
  const devB = unique(leftB.values(), deviceKey);
  for (const [k, x] of devA) {
    const y = devB.get(k);
    if (x && y) take(x, y, 'device');
  }
  if (a.length === 1 && b.length === 1 && leftA.size === 1 && leftB.size === 1) take([...leftA.values()][0]!, [...leftB.values()][0]!, 'only-target');
  return pairs;
}

function testChange(from: string, to: string): ChangeKind | undefined {
  if (from === to) return undefined;
  if (FAILING.has(to) && !FAILING.has(from)) return 'regression';
  if (FAILING.has(from) && PASSING.has(to)) return 'fix';
  if (from === ABSENT) return 'new';
  if (to === ABSENT) return 'removed';
  return 'changed';
}

function ruleChange(from: string, to: string): ChangeKind | undefined {
  if (from === to) return undefined;
  if (to === 'fail') return 'regression';
  if (from === 'fail' && (to === 'pass' || to === 'not-applicable')) return 'fix';
  if (from === ABSENT) return 'new';
  if (to === ABSENT) return 'removed';
  return 'changed';
}

const firstLine = (s: string | undefined) => s?.split('\n')[0];

export interface DiffOptions {
  /** `--pair A=B`, as given. */
  pairs?: readonly string[];
}

export function diffReports(a: Side, b: Side, opts: DiffOptions = {}): ReportDiff {
  const pairs = pairTargets(a.report.targets, b.report.targets, opts.pairs);
  const paired = { a: new Set(pairs.map((p) => p.a)), b: new Set(pairs.map((p) => p.b)) };
  const added = b.report.targets.map((t) => t.spec).filter((s) => !paired.b.has(s));
  const removed = a.report.targets.map((t) => t.spec).filter((s) => !paired.a.has(s));
  // Each target of either side with the target it is compared with (undefined: none).
  const columns: { a?: string; b?: string }[] = [...pairs, ...added.map((s) => ({ b: s })), ...removed.map((s) => ({ a: s }))];

  const rules: RuleChange[] = [];
  const ruleIds = [...new Set([...b.report.rules.map((r) => r.id), ...a.report.rules.map((r) => r.id)])];
  const ruleA = new Map(a.report.rules.map((r) => [r.id, r]));
  const ruleB = new Map(b.report.rules.map((r) => [r.id, r]));
  for (const col of columns) {
    for (const id of ruleIds) {
      const meta = (ruleB.get(id) ?? ruleA.get(id))!;
      const from: RuleVerdict | typeof ABSENT = (col.a !== undefined && ruleA.get(id)?.byTarget[col.a]) || ABSENT;
      const to: RuleVerdict | typeof ABSENT = (col.b !== undefined && ruleB.get(id)?.byTarget[col.b]) || ABSENT;
      const change = ruleChange(from, to);
      // A removed target's rules are its removal, said once; an added one's count only where they fail.
      if (!change || (change === 'removed' && col.b === undefined) || (change === 'new' && col.a === undefined)) continue;
      rules.push({ rule: id, title: meta.title, severity: meta.severity, tier: meta.tier, ...(col.a !== undefined && { a: col.a }), ...(col.b !== undefined && { b: col.b }), from, to, transition: `${from}→${to}`, change });
    }
  }

  const tests: TestChange[] = [];
  const transitions: Record<string, number> = {};
  let unchanged = 0;
  const byTarget = (r: Report) => {
    const m = new Map<string, Map<string, TestEntry>>();
    for (const t of r.tests) {
      if (!m.has(t.target)) m.set(t.target, new Map());
      m.get(t.target)!.set(t.id, t);
    }
    return m;
  };
  const testsA = byTarget(a.report);
  const testsB = byTarget(b.report);
  for (const col of columns) {
    const inA = (col.a !== undefined && testsA.get(col.a)) || new Map<string, TestEntry>();
    const inB = (col.b !== undefined && testsB.get(col.b)) || new Map<string, TestEntry>();
    for (const id of new Set([...inB.keys(), ...inA.keys()])) {
      const x = inA.get(id);
      const y = inB.get(id);
      const from = x?.outcome ?? ABSENT;
      const to = y?.outcome ?? ABSENT;
      const change = testChange(from, to);
      if (!change) {
        unchanged++;
        continue;
      }
      const transition = `${from}→${to}`;
      transitions[transition] = (transitions[transition] ?? 0) + 1;
      const message = firstLine(y?.error?.message ?? y?.skipReason);
      tests.push({ id, ...(col.a !== undefined && { a: col.a }), ...(col.b !== undefined && { b: col.b }), rules: (y ?? x)!.rules, from, to, transition, change, ...(message !== undefined && { message }) });
    }
  }
  const count = <T extends { change: ChangeKind }>(xs: T[], c: ChangeKind) => xs.filter((x) => x.change === c).length;
  const rankA = VERDICT_RANK[a.report.verdict] ?? 1;
  const rankB = VERDICT_RANK[b.report.verdict] ?? 1;
  const verdict = { from: a.report.verdict, to: b.report.verdict, change: rankB > rankA ? 'worse' : rankB < rankA ? 'better' : 'same' } as const;
  const counts = {
    ruleRegressions: count(rules, 'regression'),
    ruleFixes: count(rules, 'fix'),
    regressions: count(tests, 'regression'),
    fixes: count(tests, 'fix'),
    new: tests.filter((t) => t.from === ABSENT).length,
    removed: tests.filter((t) => t.to === ABSENT).length,
    changed: count(tests, 'changed'),
    unchanged,
  };
  return {
    format: 'fwctl-cts-diff/1',
    kind: 'report',
    a: side(a),
    b: side(b),
    pairs,
    added,
    removed,
    verdict,
    rules,
    tests,
    transitions,
    counts,
    regression: counts.ruleRegressions > 0 || counts.regressions > 0 || verdict.change === 'worse',
  };
}
