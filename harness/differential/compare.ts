/**
 * The differential check (issue #5, item 3): the same probes against two
 * targets — typically `sim:cxl@1.0` (the reference driver, whose firmware
 * 1.0 is the kernel's cxl_test mock) and a `dev:` device of a cxl_test
 * kernel — and every disagreement (errno, returned bytes, out_len, taint)
 * listed by probe name. Where they differ, the real kernel is the ground
 * truth: the reference driver is what gets fixed.
 *
 * Taint is compared only where it means something: both targets must start
 * with TAINT_FWCTL clear, or be able to clear it (a simulator reboots). A
 * real kernel that is already tainted cannot show the probes' own taint, so
 * then taint is left out of the comparison, and the result says so.
 */
import { createTarget } from '../targets/registry.js';
import { SAFE, endTarget, type PartName, type Target, type TargetOptions } from '../targets/target.js';
import { TAINT_FWCTL_MASK } from '../../uapi/fwctl.js';
import { buildProbes, ProbeRunner, skipReason, type Probe, type RunProbesOptions, type Step, type Transcript } from './probes.js';

export interface DifferentialOptions {
  /** What the user unlocked, for real devices (the CLI's --allow-* flags). Simulators allow everything. */
  target?: TargetOptions;
  /** Only probes whose name contains this (or matches it). */
  grep?: string | RegExp;
  /** Called before each probe runs (e.g. to mark the kernel log). */
  onStart?: (probe: Probe) => void;
  /** Called after each probe with both lines and the fields that differ (empty: they agree). */
  onProbe?: (probe: Probe, a: Transcript, b: Transcript, differs: string[]) => void;
  /** Already-made targets, instead of making them from the strings (tests). */
  targets?: { a?: Target; b?: Target };
}

export interface Disagreement {
  probe: string;
  /** What differs: 'errno', 'bytes', 'steps[2].out_len', 'taintAfter', … */
  fields: string[];
  a: Transcript;
  b: Transcript;
}

export interface DifferentialResult {
  targets: { a: string; b: string };
  /** Probes run on both targets and compared. */
  probes: number;
  disagreements: Disagreement[];
  /** Probes not run on this pair (hazards not allowed, a part missing), with why. */
  skipped: { probe: string; reason: string }[];
  /** Whether taint took part in the comparison, and anything else worth saying. */
  taintCompared: boolean;
  notes: string[];
  transcripts: { a: Transcript[]; b: Transcript[] };
}

const PARTS: PartName[] = ['taint', 'kernelLog', 'credentials', 'hotplug', 'fileOps', 'resources', 'functionReset', 'kernelDriver', 'firmware', 'deviceState', 'processes'];

/**
 * Run every probe against `targetA` and `targetB` (target strings, e.g.
 * 'sim:cxl@1.0' and 'dev:/dev/fwctl/fwctl0') and list the disagreements.
 * Hazard probes run only when both targets allow hazards.
 */
export async function differential(targetA: string, targetB: string, opts: DifferentialOptions = {}): Promise<DifferentialResult> {
  const options = opts.target ?? SAFE;
  const a = opts.targets?.a ?? (await createTarget(targetA, options));
  let b: Target | undefined;
  try {
    b = opts.targets?.b ?? (await createTarget(targetB, options));
    return await compareTargets(a, b, opts);
  } finally {
    // A one-shot comparison ends what it made (an exec: driver outlives dispose(): harness/targets/target.ts).
    if (!opts.targets?.b && b) await endTarget(b);
    if (!opts.targets?.a) await endTarget(a);
  }
}

async function compareTargets(a: Target, b: Target, opts: DifferentialOptions): Promise<DifferentialResult> {
  const notes: string[] = [];
  const hazards = a.description.allows.hazards && b.description.allows.hazards;
  if (!hazards) notes.push('hazard probes (short CXL requests) skipped: they need --allow-hazards on both targets');
  const parts = new Set(PARTS.filter((p) => a.parts[p] && b.parts[p]));
  const taintCompared = (await cleanTaint(a, notes)) && (await cleanTaint(b, notes));
  const runOpts: RunProbesOptions = { hazards, parts };
  const grep = opts.grep;
  const probes = buildProbes().filter((p) => !grep || (typeof grep === 'string' ? p.name.includes(grep) : grep.test(p.name)));

  const runA = new ProbeRunner(a, runOpts);
  const runB = new ProbeRunner(b, runOpts);
  const result: DifferentialResult = {
    targets: { a: a.description.spec, b: b.description.spec },
    probes: 0,
    disagreements: [],
    skipped: [],
    taintCompared,
    notes,
    transcripts: { a: [], b: [] },
  };
  try {
    for (const probe of probes) {
      const skipped = skipReason(probe, a, runOpts) ?? skipReason(probe, b, runOpts);
      if (skipped) {
        result.skipped.push({ probe: probe.name, reason: skipped });
        continue;
      }
      opts.onStart?.(probe);
      const la = await runA.run(probe);
      const lb = await runB.run(probe);
      result.transcripts.a.push(la);
      result.transcripts.b.push(lb);
      result.probes++;
      const fields = differences(la, lb, taintCompared);
      if (fields.length) result.disagreements.push({ probe: probe.name, fields, a: la, b: lb });
      opts.onProbe?.(probe, la, lb, fields);
    }
  } finally {
    await runA.dispose();
    await runB.dispose();
  }
  return result;
}

/** True when the target's TAINT_FWCTL is (or could be made) clear; else say why taint is not compared. */
async function cleanTaint(t: Target, notes: string[]): Promise<boolean> {
  const taint = t.parts.taint;
  if (!taint) {
    notes.push(`taint not compared: ${t.description.spec} cannot read the kernel's taint`);
    return false;
  }
  if (((await taint.read()) & TAINT_FWCTL_MASK) === 0) return true;
  if (taint.reset) {
    await taint.reset();
    if (((await taint.read()) & TAINT_FWCTL_MASK) === 0) return true;
  }
  notes.push(`taint not compared: ${t.description.spec} was already tainted (TAINT_FWCTL) before the first probe, and a real kernel's taint is sticky`);
  return false;
}

const STEP_FIELDS: (keyof Step)[] = ['call', 'ret', 'errno', 'out_len', 'bytes', 'struct'];

/** The fields in which two lines of the same probe differ. */
export function differences(a: Transcript, b: Transcript, taint: boolean): string[] {
  const out: string[] = [];
  for (const k of ['ret', 'errno', 'out_len', 'bytes', 'error'] as const) if (a[k] !== b[k]) out.push(k);
  if (taint) for (const k of ['taintBefore', 'taintAfter'] as const) if (a[k] !== b[k]) out.push(k);
  const n = Math.max(a.steps.length, b.steps.length);
  if (a.steps.length !== b.steps.length) out.push('steps.length');
  for (let i = 0; i < n; i++) {
    const sa = a.steps[i];
    const sb = b.steps[i];
    if (!sa || !sb) continue;
    for (const k of STEP_FIELDS) if (sa[k] !== sb[k]) out.push(`steps[${i}].${k}`);
  }
  return out;
}

/** A disagreement as text: which probe, what differs, and each side's value. */
export function describeDisagreement(d: Disagreement, names: { a: string; b: string }): string {
  const lines = [`${d.probe}: ${d.fields.join(', ')}`];
  const value = (t: Transcript, field: string): unknown => {
    const m = /^steps\[(\d+)\]\.(\w+)$/.exec(field);
    if (m) return (t.steps[Number(m[1])] as unknown as Record<string, unknown> | undefined)?.[m[2]!];
    if (field === 'steps.length') return t.steps.length;
    return (t as unknown as Record<string, unknown>)[field];
  };
  for (const f of d.fields) {
    const label = /^steps\[(\d+)\]/.exec(f) ? `${f} (${d.a.steps[Number(/\d+/.exec(f)![0])]?.call ?? d.b.steps[Number(/\d+/.exec(f)![0])]?.call})` : f;
    lines.push(`    ${label}: ${names.a}=${JSON.stringify(value(d.a, f))}  ${names.b}=${JSON.stringify(value(d.b, f))}`);
  }
  return lines.join('\n');
}
