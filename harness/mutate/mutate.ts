/**
 * `fwctl-cts mutate`: run the suites against a target once as it is (the
 * baseline) and once per mutation operator through the proxy (proxy.ts), and
 * score each mutant. A mutant is killed when a test that passed on the
 * baseline fails (or crashes, hangs, errors) under it; it survived when every
 * such test still passes; it is not applicable when its operator never changed
 * an answer (the target lacks the part it alters, or no test made the call).
 * Only outcomes are compared, so the score does not depend on the worker count.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtsError } from '../errors.js';
import type { Report } from '../generated/report.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers, runConformance } from '../run.js';
import { WorkerPool } from '../runner/pool.js';
import { SAFE, type TargetOptions } from '../targets/target.js';
import { OPERATORS, type Operator } from './operators.js';

export interface MutateOptions {
  target: string;
  /** Operator ids to apply (all when absent). */
  operators?: readonly string[];
  policy?: string;
  suites?: readonly string[];
  tests?: readonly string[];
  exclude?: readonly string[];
  workers?: number;
  timeoutMs?: number;
  /** What the user unlocked on a real device (--allow-*). */
  options?: TargetOptions;
  /** Called as each mutant is scored (progress). */
  onMutant?: (m: MutantResult, index: number, total: number) => void;
}

export type MutantStatus = 'killed' | 'survived' | 'not-applicable';

export interface MutantResult {
  operator: string;
  /** The rule the operator should trip. */
  rule: string;
  description: string;
  status: MutantStatus;
  /** Why it is not applicable. */
  reason?: string;
  /** Rules of the tests that failed under the mutant (killed). */
  killedBy: string[];
  /** Whether `rule` is among them. */
  ruleTripped: boolean;
  /** Tests that passed on the baseline and did not under the mutant: `<id> (<outcome>)`. */
  failedTests: string[];
  durationMs: number;
}

export interface MutationReport {
  target: string;
  policy: string;
  baseline: { passed: number; failed: number; skipped: number; durationMs: number };
  mutants: MutantResult[];
  killed: number;
  survived: number;
  notApplicable: number;
  /** killed / (killed + survived); null when no mutant applied. */
  killRate: number | null;
}

const BROKEN = new Set(['fail', 'crash', 'timeout', 'error']);

export function selectOperators(ids: readonly string[] | undefined): Operator[] {
  if (!ids?.length) return [...OPERATORS];
  const unknown = ids.filter((id) => !OPERATORS.some((o) => o.id === id));
  if (unknown.length) throw new CtsError('CTS_E_USAGE', `--operator ${unknown.join(', ')}: unknown operator (operators: ${OPERATORS.map((o) => o.id).join(', ')})`);
  return OPERATORS.filter((o) => ids.includes(o.id));
}

export async function runMutation(opts: MutateOptions): Promise<MutationReport> {
  const operators = selectOperators(opts.operators);
  const workers = opts.workers ?? defaultWorkers();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const options = opts.options ?? SAFE;
  const run = async (extra: Partial<TargetOptions>): Promise<{ report: Report; ms: number }> => {
    const pool = new WorkerPool({ workers, timeoutMs, options: { ...options, ...extra } });
    const t0 = performance.now();
    try {
      const report = await runConformance({ targets: [opts.target], policy: opts.policy, suites: opts.suites, tests: opts.tests, exclude: opts.exclude, pool });
      return { report, ms: performance.now() - t0 };
    } finally {
      await pool.close();
    }
  };

  const base = await run({});
  const errors = base.report.targets.flatMap((t) => t.errors ?? []);
  if (base.report.tests.length === 0 && errors.length) throw new CtsError('CTS_E_INTERNAL', `${opts.target}: ${errors[0]}`);
  const passed = new Set(base.report.tests.filter((t) => t.outcome === 'pass').map((t) => t.id));
  const count = (o: string) => base.report.tests.filter((t) => t.outcome === o).length;

  const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-mutate-'));
  const mutants: MutantResult[] = [];
  try {
    for (const [index, op] of operators.entries()) {
      const hitsFile = join(dir, `${op.id}.hits`);
      const { report, ms } = await run({ mutation: { operator: op.id, hitsFile } });
      const hits = existsSync(hitsFile) ? readFileSync(hitsFile, 'utf8').split('\n') : [];
      const broken = report.tests.filter((t) => passed.has(t.id) && BROKEN.has(t.outcome));
      const killedBy = [...new Set(broken.flatMap((t) => t.rules))].sort();
      const m: MutantResult = {
        operator: op.id,
        rule: op.rule,
        description: op.description,
        status: broken.length ? 'killed' : 'survived',
        killedBy,
        ruleTripped: killedBy.includes(op.rule),
        failedTests: broken.map((t) => `${t.id} (${t.outcome})`),
        durationMs: Math.round(ms),
      };
      // A mutant that changed nothing cannot be killed: it is not applicable, with the reason.
      if (!broken.length && !hits.includes('fired')) {
        m.status = 'not-applicable';
        const missing = hits.find((h) => h.startsWith('missing '));
        m.reason = missing ? `the target has no ${missing.slice(8).split(' ').join(', ')} part` : 'no test made a call this operator alters';
      }
      mutants.push(m);
      opts.onMutant?.(m, index, operators.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const killed = mutants.filter((m) => m.status === 'killed').length;
  const survived = mutants.filter((m) => m.status === 'survived').length;
  return {
    target: opts.target,
    policy: base.report.policy.id,
    baseline: { passed: passed.size, failed: count('fail') + count('crash') + count('timeout') + count('error'), skipped: count('skip'), durationMs: Math.round(base.ms) },
    mutants,
    killed,
    survived,
    notApplicable: mutants.length - killed - survived,
    killRate: killed + survived ? killed / (killed + survived) : null,
  };
}

/** The human-readable table: one line per mutant, then the kill rate and the survivors. */
export function renderMutation(r: MutationReport): string {
  const w = Math.max(...r.mutants.map((m) => m.operator.length), 8);
  const rw = Math.max(...r.mutants.map((m) => m.rule.length), 4);
  const lines = [
    `Mutation testing of ${r.target} (policy ${r.policy}): baseline ${r.baseline.passed} tests pass, ${r.baseline.failed} fail, ${r.baseline.skipped} skip`,
    '',
    `${'operator'.padEnd(w)}  ${'rule'.padEnd(rw)}  ${'status'.padEnd(14)}  killed by`,
  ];
  for (const m of r.mutants) {
    const by = m.status === 'killed' ? `${m.ruleTripped ? '' : '(not its rule) '}${m.killedBy.join(', ')}` : m.status === 'not-applicable' ? m.reason! : '';
    lines.push(`${m.operator.padEnd(w)}  ${m.rule.padEnd(rw)}  ${m.status.padEnd(14)}  ${by}`);
  }
  const rate = r.killRate === null ? 'n/a' : `${(r.killRate * 100).toFixed(1)}%`;
  lines.push('', `Kill rate on ${r.target}: ${rate} (${r.killed} killed of ${r.killed + r.survived} applicable; ${r.notApplicable} not applicable)`);
  const survivors = r.mutants.filter((m) => m.status === 'survived');
  if (survivors.length) lines.push(`Surviving mutants: ${survivors.map((m) => `${m.operator} (${m.rule})`).join(', ')}`);
  return lines.join('\n');
}
