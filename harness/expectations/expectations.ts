/**
 * Expectations as data (issue #12; deqp-runner's baseline/flakes/skips, DRM CI's fails/flakes/skips
 * files, WPT's metadata): known failures, known flakes, skips and rule waivers, each owned, tracked
 * and expiring. An expired entry is not applied, and the run fails naming it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import picomatch from 'picomatch';
import { CtsError } from '../errors.js';
import type { Expectation, Expectations } from '../generated/expectations.js';
import type { Plan } from '../plan/plan.js';
import type { Outcome, TestResult } from '../runner/types.js';
import { loadJson } from '../schema/validate.js';

export interface LoadedExpectations {
  file: string;
  sha256: string;
  entries: Expectation[];
}

/** Outcomes an expectation may excuse: a harness error never is (it is not the device's). */
const EXCUSABLE: ReadonlySet<Outcome> = new Set(['fail', 'timeout', 'crash']);

export function loadExpectations(file: string): LoadedExpectations {
  const data = loadJson<Expectations>(file, 'expectations');
  data.entries.forEach((e, i) => {
    const at = `${file}: /entries/${i}`;
    if (e.kind === 'waive' ? !e.rule || e.test : !e.test || e.rule) {
      throw new CtsError('CTS_E_INVALID_FILE', `${at}: expected ${e.kind === 'waive' ? "'rule' and no 'test'" : "'test' and no 'rule'"} for kind ${e.kind}`);
    }
    if (Number.isNaN(Date.parse(`${e.expires}T00:00:00Z`))) throw new CtsError('CTS_E_INVALID_FILE', `${at}/expires: expected a real date (YYYY-MM-DD)`);
  });
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), entries: data.entries };
}

interface Entry {
  e: Expectation;
  ref: string;
  target: (spec: string) => boolean;
  test: (id: string) => boolean;
  expired: boolean;
}

/** `today` is a UTC date (YYYY-MM-DD); an entry applies up to and including its `expires` day. */
function compile(x: LoadedExpectations, today: string): Entry[] {
  return x.entries.map((e, i) => ({
    e,
    ref: `${x.file}#/entries/${i}`,
    // Target specs hold slashes (dev:/dev/fwctl/fwctl0): there a single star crosses them.
    target: picomatch(e.target, { dot: true, bash: true }),
    test: e.test ? picomatch(e.test, { dot: true }) : () => false,
    expired: e.expires < today,
  }));
}

export function todayUtc(now = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Take the tests a live `skip` entry names out of the plan; they are reported skipped with its reason. */
export function skipByExpectations(plan: Plan, x: LoadedExpectations, today: string): { plan: Plan; skipped: TestResult[] } {
  const skips = compile(x, today).filter((c) => c.e.kind === 'skip' && !c.expired);
  const skipped: TestResult[] = [];
  const groups = plan.groups.map((g) => ({
    ...g,
    tests: g.tests.filter((t) => {
      const c = skips.find((s) => s.target(g.target) && s.test(t.id));
      if (c) skipped.push({ ...t, target: g.target, outcome: 'skip', durationMs: 0, evidence: [], skipReason: `skipped by expectations: ${c.e.reason} (${c.e.issue}; ${c.e.owner})`, expectation: c.ref });
      return !c;
    }),
  }));
  return { plan: { ...plan, groups: groups.filter((g) => g.tests.length) }, skipped };
}

export interface Applied {
  results: TestResult[];
  /** Entries past their expiry date, as '<ref>: <reason>, expired <date>'. */
  expired: string[];
  unexpectedPasses: number;
}

/** Turn outcomes the live entries foresee into expected-fail, flake, waived or unexpected-pass. */
export function applyExpectations(results: readonly TestResult[], x: LoadedExpectations, today: string): Applied {
  const entries = compile(x, today);
  const live = entries.filter((c) => !c.expired);
  let unexpectedPasses = 0;
  const out = results.map((r) => {
    const byTest = live.find((c) => c.e.kind !== 'skip' && c.e.kind !== 'waive' && c.target(r.target) && c.test(r.id));
    const byRule = live.find((c) => c.e.kind === 'waive' && c.target(r.target) && r.rules.includes(c.e.rule!));
    const excusable = EXCUSABLE.has(r.outcome);
    if (byTest?.e.kind === 'fail' && excusable) return { ...r, outcome: 'expected-fail' as const, expectation: byTest.ref };
    if (byTest?.e.kind === 'fail' && r.outcome === 'pass') {
      unexpectedPasses++;
      return { ...r, outcome: 'unexpected-pass' as const, expectation: byTest.ref };
    }
    if (byTest?.e.kind === 'flake' && excusable) return { ...r, outcome: 'flake' as const, expectation: byTest.ref };
    if (byRule && excusable) return { ...r, outcome: 'waived' as const, expectation: byRule.ref };
    return r;
  });
  const expired = entries.filter((c) => c.expired).map((c) => `${c.ref}: ${c.e.kind} ${c.e.test ?? c.e.rule} on ${c.e.target} (${c.e.reason}; ${c.e.owner}) expired ${c.e.expires}`);
  return { results: out, expired, unexpectedPasses };
}

/** The failures of a run as an expectations file: check it in as the next baseline (then fill in owner and issue). */
export function baselineOf(results: readonly TestResult[], today: string): Expectations {
  const expires = new Date(Date.parse(`${today}T00:00:00Z`) + 90 * 86_400_000).toISOString().slice(0, 10);
  return {
    format: 'fwctl-cts-expectations/1',
    description: `The failures of a run on ${today}: a baseline to review, give an owner and an issue, and check in.`,
    entries: results
      .filter((r) => EXCUSABLE.has(r.outcome) || r.outcome === 'expected-fail')
      .map((r) => ({ kind: 'fail' as const, target: r.target, test: r.id, reason: r.error?.message.split('\n')[0] ?? r.outcome, owner: 'unassigned', issue: 'https://issues.invalid/unfiled', expires })),
  };
}
