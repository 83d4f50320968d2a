/**
 * Writing reports so that no run loses, mixes or steals results.
 *
 * One generation: every file of a run is written into a fresh directory
 * `<dir>/.gen-XXXXXX` (mkdtemp: exclusive, random, mode 0700), then one
 * rename(2) of the symlink `<dir>/.current` switches every file at once; the
 * names users read (`<dir>/report.json` …) are symlinks to `.current/<name>`.
 * A kill at any point leaves the previous generation or the new one, never a
 * mix. Where the file system has no symlinks each file is renamed into place
 * on its own (atomic per file only).
 *
 * Nothing is ever written through a name someone else could have planted:
 * files are created O_EXCL in a directory only we can enter, links are made
 * under random names and renamed over the old ones (rename never follows a
 * link). A lock file (`.fwctl-cts.lock`, the holder's pid) keeps two runs out
 * of one directory.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CtsError } from '../harness/errors.js';

export interface ReportFile {
  /** A plain file name, e.g. 'report.json'. */
  name: string;
  content: string;
}

const CURRENT = '.current';
const GEN_PREFIX = '.gen-';
const LOCK = '.fwctl-cts.lock';

/** What a killed writer can leave: generations, temp links, and the per-pid temp names of fwctl-cts 0.4. */
const STRAY = /^(?:\.gen-.+|\..+\.tmp-[0-9a-f]{12}|(?:report\.json|report\.tap|report\.ktap|junit\.xml)\.tmp-\d+|\.fwctl-cts-probe-\d+)$/;

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function random(): string {
  return randomBytes(6).toString('hex');
}

/** Replace `path` with a symlink to `target`: made under a random name, renamed over the old one. */
function replaceWithLink(dir: string, name: string, target: string): void {
  const tmp = join(dir, `.${name}.tmp-${random()}`);
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, join(dir, name));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Write `content` to `file` atomically: a reader sees the old file or the whole new one. The temp file is created O_EXCL under a random name. */
export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${random()}`;
  try {
    writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

interface Held {
  dir: string;
  /** The directory as locked: a different inode at write time means it was replaced. */
  dev: number;
  ino: number;
  lockIno: number;
}

const held = new Map<string, Held>();

function release(h: Held): void {
  const lock = join(h.dir, LOCK);
  // Only our own lock: the directory may have been replaced and locked by someone else since.
  if (lstatSync(lock, { throwIfNoEntry: false })?.ino === h.lockIno) rmSync(lock, { force: true });
  held.delete(h.dir);
}

process.on('exit', () => {
  for (const h of [...held.values()]) {
    try {
      release(h);
    } catch {
      // exiting anyway
    }
  }
});

/**
 * Whether process `pid` is alive (EPERM: alive, someone else's). A zombie is not: a killed run
 * whose parent died too may wait unreaped where PID 1 does not reap (a container), and it holds
 * no lock.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function takeLock(dir: string): number {
  const lock = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      return lstatSync(lock).ino;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const text = readFileSync(lock, 'utf8').trim();
    const pid = /^\d+$/.test(text) ? Number(text) : NaN;
    if (Number.isSafeInteger(pid) && pid !== process.pid && alive(pid)) {
      throw new CtsError('CTS_E_REPORT_DIR', `report directory '${dir}' is in use by another fwctl-cts run (pid ${pid}, lock ${lock})`, 'wait for it, or use another --report-dir');
    }
    rmSync(lock, { force: true }); // left by a run that was killed
  }
}

/**
 * Make the report directory, lock it for this process and prove it writable
 * (creating the lock does that), before a run starts. Cleans what killed runs left.
 */
export function prepareReportDir(dir: string): void {
  const abs = resolve(dir);
  if (held.has(abs)) return;
  let lockIno: number;
  try {
    mkdirSync(abs, { recursive: true });
    lockIno = takeLock(abs);
  } catch (e) {
    if (e instanceof CtsError) throw e;
    throw new CtsError('CTS_E_REPORT_DIR', `report directory '${dir}' is not writable: ${errno(e)}`);
  }
  const st = statSync(abs);
  held.set(abs, { dir: abs, dev: st.dev, ino: st.ino, lockIno });
  try {
    clean(abs, currentGeneration(abs));
  } catch {
    // best effort: the next successful write cleans again
  }
}

function currentGeneration(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, CURRENT));
  } catch {
    return undefined;
  }
}

/** Give the directory back before the process ends (tests, the VM script). */
export function releaseReportDir(dir: string): void {
  const h = held.get(resolve(dir));
  if (h) release(h);
}

/** Why the locked directory can no longer be written to, if it cannot. */
function replaced(h: Held): string | undefined {
  const st = statSync(h.dir, { throwIfNoEntry: false });
  if (!st) return 'it was removed during the run';
  if (st.dev !== h.dev || st.ino !== h.ino || lstatSync(join(h.dir, LOCK), { throwIfNoEntry: false })?.ino !== h.lockIno) {
    return 'it was replaced during the run';
  }
  return undefined;
}

/** Remove what killed writers left: generations other than `keep`, temp links and files. */
function clean(dir: string, keep: string | undefined): void {
  for (const name of readdirSync(dir)) {
    if (name === keep || !STRAY.test(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Write `files` into `dir` as one generation; returns the paths users read.
 * The directory is locked first (prepareReportDir) if this process has not.
 * On any failure the new generation is removed and the old one left in place.
 */
export function writeGeneration(dir: string, files: readonly ReportFile[]): string[] {
  prepareReportDir(dir);
  const h = held.get(resolve(dir))!;
  const why = replaced(h);
  if (why) throw new CtsError('CTS_E_REPORT_DIR', `cannot write reports to '${dir}': ${why}`);
  let gen: string | undefined;
  try {
    gen = mkdtempSync(join(h.dir, GEN_PREFIX));
    for (const f of files) writeFileSync(join(gen, f.name), f.content, { flag: 'wx', mode: 0o644 });
    // mkdtemp made it 0700 so nothing could be planted while writing; readers need to enter it.
    chmodSync(gen, 0o755);
    const genName = gen.slice(h.dir.length + 1);
    try {
      replaceWithLink(h.dir, CURRENT, genName);
    } catch (e) {
      if (!['EPERM', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP'].includes(errno(e))) throw e;
      // No symlinks here (some shared file systems): atomic per file only.
      for (const f of files) renameSync(join(gen, f.name), join(h.dir, f.name));
      rmSync(gen, { recursive: true, force: true });
      return files.map((f) => join(dir, f.name));
    }
    // The switch is done: the generation is in place whatever happens below.
    gen = undefined;
    for (const f of files) {
      const link = `${CURRENT}/${f.name}`;
      const st = lstatSync(join(h.dir, f.name), { throwIfNoEntry: false });
      if (!st?.isSymbolicLink() || readlinkSync(join(h.dir, f.name)) !== link) replaceWithLink(h.dir, f.name, link);
    }
    clean(h.dir, genName);
    return files.map((f) => join(dir, f.name));
  } catch (e) {
    if (gen) rmSync(gen, { recursive: true, force: true });
    if (e instanceof CtsError) throw e;
    throw new CtsError('CTS_E_REPORT_DIR', `cannot write reports to '${dir}': ${errno(e)}`);
  }
}

/** Keep the reports somewhere when the report directory failed: a fresh directory in the OS temp dir. */
export function writeFallback(files: readonly ReportFile[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-report-'));
  for (const f of files) writeFileSync(join(dir, f.name), f.content, { flag: 'wx', mode: 0o644 });
  return files.map((f) => join(dir, f.name));
}
