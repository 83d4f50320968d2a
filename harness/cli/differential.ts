/**
 * `fwctl-cts differential`: the same probes (harness/differential) against
 * two targets, every disagreement listed by probe name. Typically the
 * reference driver (`sim:cxl@1.0`, whose firmware 1.0 is the kernel's
 * cxl_test mock) against a real cxl_test device; where they differ, the
 * kernel is the ground truth.
 *
 * Exit status (returned, the CLI sets it):
 * - 0: the targets agree on every probe compared, and at least one was compared.
 * - 1: they disagree on at least one probe; or a probe threw on either side
 *   (its transcript has `error`: that probe was not really compared, even if
 *   both sides threw alike); or every probe was skipped (nothing compared is
 *   not agreement).
 * - 2: thrown as CtsError — a bad or multi-device target (`sim:…@*`,
 *   `dev:all`), a target that does not allow tainting and writes (a `dev:`
 *   without --allow-taint --allow-destructive: the probes need both), a --grep
 *   that matches no probe, an unwritable --json file, or a target that cannot
 *   be started or stops answering (the comparison as a whole could not be made).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAtomic } from '../../reports/write.js';
import { differential, describeDisagreement } from '../differential/compare.js';
import { buildProbes } from '../differential/probes.js';
import { CtsError } from '../errors.js';
import { ExecTarget } from '../targets/exec.js';
import { createTarget } from '../targets/registry.js';
import { parseTarget } from '../targets/spec.js';
import { endTarget, type Target, type TargetOptions } from '../targets/target.js';

export interface DifferentialCliOptions {
  /** The first target, usually the reference. @default 'sim:cxl@1.0' */
  a?: string;
  /** The second target, e.g. `dev:/dev/fwctl/fwctl0`, `exec:…` or `sim:cxl+<defect>`. */
  b: string;
  /** Only probes whose name contains this text. */
  grep?: string;
  /** Write the whole result (every transcript, plus durationMs) to this JSON file, atomically. */
  json?: string;
  /** What the user unlocked on real devices (the --allow-* flags). */
  allow: TargetOptions['allow'];
  /**
   * Write `<5>fwctl-cts: differential: probe N: NAME` to /dev/kmsg before each
   * probe (and begin/end markers), so a kernel warning on the console can be
   * traced to its probe (vm/test-kernel.mjs parses them).
   */
  kmsg?: boolean;
  /** Where --kmsg writes (must exist). @default '/dev/kmsg' @internal tests point it at a file */
  kmsgFile?: string;
  /** Per-call deadline for exec: targets. @default 30000 */
  callTimeoutMs?: number;
}

/** Run the differential check, print what differs and a summary line to `out`; returns the exit status. */
export async function runDifferential(o: DifferentialCliOptions, out: NodeJS.WritableStream): Promise<number> {
  const a = o.a ?? 'sim:cxl@1.0';
  const b = o.b;
  // Bad input fails before any work.
  for (const text of [a, b]) {
    checkSingleTarget(text);
    // A real device is not even opened without the flags.
    if (parseTarget(text).kind === 'dev') checkUnlocked(text, o.allow, false);
  }
  if (o.grep !== undefined && !buildProbes().some((p) => p.name.includes(o.grep!))) {
    throw new CtsError('CTS_E_USAGE', `--grep '${o.grep}' matches no probe`);
  }
  if (o.json) checkWritable(o.json);

  const options: TargetOptions = { allow: o.allow, callTimeoutMs: o.callTimeoutMs ?? 30_000 };
  const mark = openMarks(o);
  const started = performance.now();
  let n = 0;
  let result: Awaited<ReturnType<typeof differential>>;
  const made: Target[] = [];
  try {
    for (const text of [a, b]) made.push(await createTarget(text, options));
    for (const t of made) checkUnlocked(t.description.spec, t.description.allows, t instanceof ExecTarget);
    mark.write('differential: begin');
    result = await differential(a, b, {
      targets: { a: made[0]!, b: made[1]! },
      ...(o.grep !== undefined && { grep: o.grep }),
      onStart: (probe) => mark.write(`differential: probe ${++n}: ${probe.name}`),
    });
    mark.write('differential: end');
  } catch (e) {
    if (e instanceof CtsError) throw e;
    // A target that cannot start, or dies between probes: no comparison was made.
    const err = e as Error;
    throw new CtsError('CTS_E_INTERNAL', `differential ${a} vs ${b} stopped: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message ?? err}`, undefined, { cause: e });
  } finally {
    mark.close();
    for (const t of new Set([...made].reverse())) await endTarget(t).catch(() => undefined); // the same exec: string twice is one driver
  }
  const durationMs = Math.round(performance.now() - started);

  if (o.json) {
    try {
      writeAtomic(o.json, `${JSON.stringify({ ...result, durationMs }, null, 2)}\n`);
    } catch (e) {
      throw new CtsError('CTS_E_REPORT_DIR', `cannot write --json '${o.json}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, undefined, { cause: e });
    }
  }
  const names = { a, b };
  for (const d of result.disagreements) out.write(`DISAGREE ${describeDisagreement(d, names)}\n`);
  const errors = [...result.transcripts.a, ...result.transcripts.b].filter((t) => t.error);
  for (const t of errors) out.write(`ERROR ${t.probe}: ${t.error}\n`);
  for (const note of result.notes) out.write(`note: ${note}\n`);
  if (result.probes === 0) out.write(`note: no probe was compared (${result.skipped.length} skipped): nothing to agree on\n`);
  out.write(
    `differential ${a} vs ${b}: ${result.probes} probes, ${result.disagreements.length} disagreement(s), ${result.skipped.length} skipped, taint ${result.taintCompared ? 'compared' : 'not compared'}, ${(durationMs / 1000).toFixed(1)} s\n`,
  );
  return result.disagreements.length || errors.length || result.probes === 0 ? 1 : 0;
}

/** The differential compares one device with one other: not a set of them. */
function checkSingleTarget(text: string): void {
  const spec = parseTarget(text);
  if ((spec.kind === 'sim' && spec.fw === '*') || (spec.kind === 'dev' && spec.path === 'all')) {
    throw new CtsError('CTS_E_TARGET_SPEC', `target '${text}' stands for several devices; the differential compares one with one`, spec.kind === 'dev' ? 'name one, e.g. dev:/dev/fwctl/fwctl0; fwctl-cts inventory lists them' : 'name one firmware, e.g. sim:cxl@1.0');
  }
}

/**
 * The probes include DEBUG_WRITE RPCs (they taint the kernel) and Set Feature
 * writes (they change the device), and the differential cannot leave them
 * out: a target must allow both. Simulators do; a dev: target does with
 * --allow-taint --allow-destructive; an exec: agent with its own flags.
 */
function checkUnlocked(spec: string, allows: TargetOptions['allow'], remote: boolean): void {
  const missing = [!allows.taint && '--allow-taint', !allows.destructive && '--allow-destructive'].filter(Boolean).join(' ');
  if (missing) {
    throw new CtsError(
      'CTS_E_USAGE',
      `target '${spec}' does not allow what the differential does: its probes taint the kernel (DEBUG_WRITE) and write device settings (Set Feature)`,
      remote ? `on a machine you can throw away, give the agent ${missing}` : `on a machine you can throw away, add ${missing}`,
    );
  }
}

/** Prove the --json file can be written before the run starts (its directory is made if missing). */
function checkWritable(file: string): void {
  let why: string | undefined;
  try {
    makeDirs(dirname(file));
    if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
      why = 'it is a directory';
    } else {
      // Write the way writeAtomic will (a sibling file, then gone): access(2) says yes to root on /proc.
      // O_EXCL under a random name: a symlink planted at a guessable name must not be written through.
      const probe = `${file}.probe-${randomBytes(6).toString('hex')}`;
      writeFileSync(probe, '', { flag: 'wx' });
      rmSync(probe);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'EEXIST' || code === 'ENOTDIR' ? `${code}: a part of its path is not a directory` : (code ?? (e as Error).message);
  }
  if (why) throw new CtsError('CTS_E_REPORT_DIR', `cannot write --json '${file}': ${why}`);
}

/**
 * mkdir -p without `{ recursive: true }`, which spins forever where the
 * file system answers ENOENT for a parent that exists (/proc/x on Node 20).
 */
function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    makeDirs(dirname(dir));
    mkdirSync(dir);
  }
}

/** The kernel-log markers of --kmsg; a marker is a convenience and never fails the check. */
function openMarks(o: DifferentialCliOptions): { write(text: string): void; close(): void } {
  let fd: number | undefined;
  if (o.kmsg) {
    const file = o.kmsgFile ?? '/dev/kmsg';
    try {
      // No O_CREAT: without /dev/kmsg (a container) there are no markers, not a new file.
      fd = openSync(file, constants.O_WRONLY | constants.O_APPEND);
    } catch (e) {
      process.stderr.write(`fwctl-cts: differential: --kmsg: cannot open ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); no markers\n`);
    }
  }
  return {
    write(text) {
      if (fd === undefined) return;
      try {
        writeSync(fd, `<5>fwctl-cts: ${text.slice(0, 900)}\n`);
      } catch {
        // Never fail the check for a marker.
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
