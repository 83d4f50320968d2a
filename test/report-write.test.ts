/**
 * No lost, mixed or stolen results (issue 11, build item 4): reports are one
 * generation whatever kills the writer, temp names cannot be planted, one run
 * per directory, and a full disk or a vanished directory keeps the results.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { ReportsNotWritten, renderReports, writeReports } from '../reports/index.js';
import { prepareReportDir, releaseReportDir } from '../reports/write.js';
import { tagReport } from './fixtures/reports/tag-report.js';

const base = mkdtempSync(join(tmpdir(), 'fwctl-cts-write-'));
const FAULT_FS = join(ROOT, 'dist/test/fixtures/reports/fault-fs.js');
const WRITER = join(ROOT, 'dist/test/fixtures/reports/write-reports.js');
const NAMES = renderReports(tagReport('x')).map((f) => f.name);
/** The files whose content tells the generations apart (failures.json of a passing run, say, does not). */
const TOLD = NAMES.filter((n) => new Set(['A', 'B', 'C'].map((t) => renderReports(tagReport(t)).find((r) => r.name === n)!.content)).size === 3);

function writer(dir: string, tag: string, fault?: string) {
  return spawnSync(process.execPath, ['--import', FAULT_FS, WRITER, dir, tag], { encoding: 'utf8', env: { ...process.env, FWCTL_CTS_FAULT: fault ?? '' }, timeout: 30_000 });
}

/** Which generation each report file holds (by its content), or 'mixed'/'missing'. */
function generation(dir: string): string {
  const seen = new Set<string>();
  for (const f of NAMES) {
    const path = join(dir, f);
    if (!existsSync(path)) return 'missing';
    if (!TOLD.includes(f)) continue;
    const text = readFileSync(path, 'utf8');
    const tag = ['A', 'B', 'C'].find((t) => renderReports(tagReport(t)).find((r) => r.name === f)!.content === text);
    seen.add(tag ?? 'corrupt');
  }
  return seen.size === 1 ? [...seen][0]! : `mixed ${[...seen].join('+')}`;
}

function cts(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('report writing: one generation', function () {
  this.timeout(60_000);

  const faults = [...NAMES.flatMap((n) => [`kill:${n}`, `half:${n}`]), 'kill:.current'];
  // One directory through every fault: each killed writer must leave the generation before it whole.
  const dir = join(base, 'killed');
  let last = 'A';
  before(() => expect(writer(dir, last).status).to.equal(0));
  for (const [i, fault] of faults.entries()) {
    it(`kill -9 at ${fault}: the previous generation is left whole, and the next write cleans up`, () => {
      const killed = writer(dir, 'B', fault);
      expect(killed.signal, killed.stderr).to.equal('SIGKILL');
      expect(generation(dir)).to.equal(last);
      // The killed writer's lock (a dead pid) does not block the next run, which removes every stray temp.
      const next = i % 2 ? 'A' : 'C';
      expect(writer(dir, next).status).to.equal(0);
      expect(generation(dir)).to.equal((last = next));
      expect(readdirSync(dir).sort()).to.have.length(NAMES.length + 2).and.include('.current');
    });
  }

  it('kill -9 after the switch (while the old generation is removed): the new generation, whole', () => {
    const dir = join(base, 'after-switch');
    expect(writer(dir, 'A').status).to.equal(0);
    expect(writer(dir, 'B', 'kill:clean').signal).to.equal('SIGKILL');
    expect(generation(dir)).to.equal('B');
  });

  it('a symlink planted at the temp names of 0.4 (report.json.tmp-<pid>, .fwctl-cts-probe-<pid>) redirects nothing', () => {
    const dir = join(base, 'planted');
    mkdirSync(dir);
    const victims = [join(base, 'victim-1'), join(base, 'victim-2')];
    for (const v of victims) writeFileSync(v, 'precious');
    symlinkSync(victims[0]!, join(dir, `report.json.tmp-${process.pid}`));
    symlinkSync(victims[1]!, join(dir, `.fwctl-cts-probe-${process.pid}`));
    prepareReportDir(dir);
    try {
      writeReports(dir, tagReport('A'));
    } finally {
      releaseReportDir(dir);
    }
    for (const v of victims) expect(readFileSync(v, 'utf8')).to.equal('precious');
    expect(generation(dir)).to.equal('A');
    expect(readdirSync(dir).filter((n) => n.includes('tmp') || n.includes('probe'))).to.deep.equal([]);
  });

  it('a report directory removed during the run: one-line error, the reports kept in the temp dir', () => {
    const dir = join(base, 'vanishing');
    prepareReportDir(dir);
    rmSync(dir, { recursive: true });
    let err: unknown;
    try {
      writeReports(dir, tagReport('A'));
    } catch (e) {
      err = e;
    } finally {
      releaseReportDir(dir);
    }
    expect(err).to.be.instanceOf(ReportsNotWritten);
    expect((err as Error).message).to.match(/^cannot write reports to '.*vanishing': it was removed during the run; they are in \S+fwctl-cts-report-\w+$/);
    const kept = (err as ReportsNotWritten).kept;
    expect(kept.map((f) => readFileSync(f, 'utf8'))).to.deep.equal(renderReports(tagReport('A')).map((f) => f.content));
  });

  it('a report directory replaced during the run (renamed away, a new one made) is not written into', () => {
    const dir = join(base, 'replaced');
    prepareReportDir(dir);
    renameSync(dir, `${dir}.old`);
    mkdirSync(dir);
    try {
      expect(() => writeReports(dir, tagReport('A'))).to.throw(ReportsNotWritten, /it was replaced during the run; they are in /);
    } finally {
      releaseReportDir(dir);
    }
    expect(readdirSync(dir)).to.deep.equal([]);
  });
});

describe('report writing through the CLI', function () {
  this.timeout(120_000);
  const run = (dir: string, more: string[] = []) => ['run', '--target', 'sim:cxl', '--suite', 'uapi/info', '--report-dir', dir, '--no-progress', ...more];

  it('disk full at junit.xml: the summary and one error line naming where the reports are, exit 2, the previous reports kept', () => {
    const dir = join(base, 'full');
    expect(cts(run(dir)).code).to.equal(0); // one suite only, judged on the rules it ran: compliant
    const before = readFileSync(join(dir, 'report.json'), 'utf8');
    const r = spawnSync(process.execPath, ['--import', FAULT_FS, 'bin/fwctl-cts.js', ...run(dir)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FWCTL_CTS_FAULT: 'enospc:junit.xml' } });
    expect(r.status, r.stderr).to.equal(2);
    const err = r.stderr.trim().split('\n');
    expect(err).to.have.length(1);
    const m = /^fwctl-cts: cannot write reports to '.*full': ENOSPC; they are in (\S+)$/.exec(err[0]!);
    expect(m, r.stderr).to.not.equal(null);
    expect(r.stdout).to.match(/Verdict: COMPLIANT/);
    expect(r.stdout).to.include(`Reports: ${join(m![1]!, 'report.json')}`);
    expect(JSON.parse(readFileSync(join(m![1]!, 'report.json'), 'utf8')).verdict).to.equal('compliant');
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).to.equal(before);
    expect(readdirSync(dir).filter((n) => n.startsWith('.gen-'))).to.have.length(1);
  });

  it('two runs into one directory: the second stops at once with one line naming the holder pid, exit 2', async () => {
    const dir = join(base, 'shared');
    const first = spawn(process.execPath, ['bin/fwctl-cts.js', 'run', '--target', 'sim:cxl@*', '--report-dir', dir, '--no-progress', '--workers', '1'], { cwd: ROOT, stdio: 'ignore' });
    const lock = join(dir, '.fwctl-cts.lock');
    while (!existsSync(lock)) await new Promise((r) => setTimeout(r, 20));
    const holder = readFileSync(lock, 'utf8').trim();
    const second = cts(run(dir));
    const code = await new Promise((r) => first.on('exit', r));
    expect(second.code).to.equal(2);
    expect(second.err.trim()).to.match(new RegExp(`^fwctl-cts: report directory '.*shared' is in use by another fwctl-cts run \\(pid ${holder}, lock .*\\) \\(wait for it, or use another --report-dir\\)$`));
    expect(second.out).to.equal('');
    expect(code).to.equal(0);
    expect(existsSync(lock), 'the lock goes with its run').to.equal(false);
  });
});
