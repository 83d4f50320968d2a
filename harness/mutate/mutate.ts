/**
 * `fwctl-cts mutate`: run the suites against a target once as it is (the
 * baseline) and once per mutation operator through the proxy (proxy.ts), and
 * score each mutant. A mutant is killed when a test that passed on the
 * baseline fails (or crashes, hangs, errors) under it; it survived when every
 * such test still passes; it is not applicable when its operator never changed
 * an answer (the target lacks the part it alters, or no test made the call),
 * or when tests that passed on the baseline skipped under it (they could not be scored).
 * Only outcomes are compared, so the score does not depend on the worker count.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtsError } from '../errors.js';
import type { MutantResult, MutationReport } from '../generated/mutate.js';
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
  /**
   * The baseline from an earlier run (`--baseline report.json`) instead of running it here. A real
   * kernel's TAINT_FWCTL is sticky until reboot: a taint rule's baseline taints it, so the rule's
   * mutant must run on a kernel of its own, booted clean (vm/mutate-kernel.mjs).
   */
  baseline?: { file: string; report: Report };
  /** Called as each mutant is scored (progress). */
  onMutant?: (m: MutantResult, index: number, total: number) => void;
}

// The shapes of `mutate --json` (schemas/mutate.schema.json).
export type { MutantResult, MutationReport };
export type MutantStatus = MutantResult['status'];

const BROKEN = new Set(['fail', 'crash', 'timeout', 'error']);

export function selectOperators(ids: readonly string[] | undefined): Operator[] {
  if (!ids?.length) return [...OPERATORS];
  const unknown = ids.filter((id) => !OPERATORS.some((o) => o.id === id));
  if (unknown.length) throw new CtsError('CTS_E_USAGE', `--operator ${unknown.join(', ')}: unknown operator (operators: ${OPERATORS.map((o) => o.id).join(', ')})`);
  return OPERATORS.filter((o) => ids.includes(o.id));
}

/** One target's mutation score (runMutations scores several in the same runs). */
export async function runMutation(opts: MutateOptions): Promise<MutationReport> {
  return (await runMutations({ ...opts, targets: [opts.target] }))[0]!;
}

/**
 * Score every operator on each of `targets`. Each run covers all the targets at once (dev:all: every
 * device in one run per mutant), and each target is scored on its own tests.
 */
export async function runMutations(opts: Omit<MutateOptions, 'target'> & { targets: readonly string[] }): Promise<MutationReport[]> {
  const operators = selectOperators(opts.operators);
  const workers = opts.workers ?? defaultWorkers();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const options = opts.options ?? SAFE;
  const run = async (extra: Partial<TargetOptions>): Promise<{ report: Report; ms: number }> => {
    const pool = new WorkerPool({ workers, timeoutMs, options: { ...options, ...extra } });
    const t0 = performance.now();
    try {
      const report = await runConformance({ targets: opts.targets, policy: opts.policy, suites: opts.suites, tests: opts.tests, exclude: opts.exclude, pool });
      return { report, ms: performance.now() - t0 };
    } finally {
      await pool.close();
    }
  };
  const key = (t: { target: string; id: string }) => `${t.target}|${t.id}`;

  const base = opts.baseline ? { report: opts.baseline.report, ms: opts.baseline.report.run.durationMs } : await run({});
  for (const t of opts.targets) {
    if (opts.baseline && !base.report.targets.some((x) => x.spec === t)) {
      throw new CtsError('CTS_E_USAGE', `--baseline ${opts.baseline.file}: no target ${t} in it (targets: ${base.report.targets.map((x) => x.spec).join(', ')})`);
    }
  }
  for (const t of base.report.targets) {
    if (!base.report.tests.some((x) => x.target === t.spec) && t.errors?.length) throw new CtsError('CTS_E_INTERNAL', `${t.spec}: ${t.errors[0]}`);
  }
  const passed = new Set(base.report.tests.filter((t) => t.outcome === 'pass').map(key));
  const mutants = new Map<string, MutantResult[]>(opts.targets.map((t) => [t, []]));

  const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-mutate-'));
  try {
    for (const [index, op] of operators.entries()) {
      const hitsFile = join(dir, `${op.id}.hits`);
      const { report, ms } = await run({ mutation: { operator: op.id, hitsFile } });
      const hits = existsSync(hitsFile) ? readFileSync(hitsFile, 'utf8').split('\n') : [];
      for (const target of opts.targets) {
        const m = score(op, report.tests.filter((t) => t.target === target), passed, hits.filter((h) => h.endsWith(`\t${target}`)).map((h) => h.split('\t')[0]!), ms);
        mutants.get(target)!.push(m);
        opts.onMutant?.({ ...m, operator: opts.targets.length > 1 ? `${m.operator} on ${target}` : m.operator }, index, operators.length);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return opts.targets.map((target) => {
    const ms = mutants.get(target)!;
    const tests = base.report.tests.filter((t) => t.target === target);
    const count = (...o: string[]) => tests.filter((t) => o.includes(t.outcome)).length;
    const killed = ms.filter((m) => m.status === 'killed').length;
    const survived = ms.filter((m) => m.status === 'survived').length;
    return {
      target,
      policy: base.report.policy.id,
      baseline: {
        passed: count('pass'),
        failed: count(...BROKEN),
        skipped: count('skip'),
        failedTests: tests.filter((t) => BROKEN.has(t.outcome)).map((t) => `${t.id} (${t.outcome})`),
        durationMs: Math.round(base.ms),
        ...(opts.baseline && { from: opts.baseline.file }),
      },
      mutants: ms,
      killed,
      survived,
      notApplicable: ms.length - killed - survived,
      killRate: killed + survived ? killed / (killed + survived) : null,
    };
  });
}

/** One mutant on one target, from its tests under the mutant, the baseline's passes and what the proxy said. */
function score(op: Operator, tests: Report['tests'], passed: ReadonlySet<string>, hits: string[], ms: number): MutantResult {
  const was = (t: Report['tests'][number]) => passed.has(`${t.target}|${t.id}`);
  const broken = tests.filter((t) => was(t) && BROKEN.has(t.outcome));
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
  if (broken.length) return m;
  const unscored = tests.filter((t) => was(t) && t.outcome === 'skip');
  if (!hits.includes('fired')) {
    // A mutant that changed nothing cannot be killed: it is not applicable, with the reason.
    const missing = hits.find((h) => h.startsWith('missing '));
    m.status = 'not-applicable';
    m.reason = missing ? `the target has no ${missing.slice(8).split(' ').join(', ')} part` : 'no test made a call this operator alters';
  } else if (unscored.length) {
    // Tests that passed on the baseline could not run again (a real kernel's TAINT_FWCTL is sticky
    // until reboot, so a clean-kernel test skips after the baseline tainted it): not a survivor.
    m.status = 'not-applicable';
    m.reason = `${unscored.length} test(s) that passed on the baseline skipped under the mutant (${unscored[0]!.id}: ${unscored[0]!.skipReason})`;
  }
  return m;
}

/** The human-readable table: one line per mutant, then the kill rate and the survivors. */
export function renderMutation(r: MutationReport): string {
  const w = Math.max(...r.mutants.map((m) => m.operator.length), 8);
  const rw = Math.max(...r.mutants.map((m) => m.rule.length), 4);
  const lines = [
    `Mutation testing of ${r.target} (policy ${r.policy}): baseline ${r.baseline.passed} tests pass, ${r.baseline.failed} fail, ${r.baseline.skipped} skip`,
    ...(r.baseline.failedTests.length ? [`Not scored (did not pass on the baseline): ${r.baseline.failedTests.join(', ')}`] : []),
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
