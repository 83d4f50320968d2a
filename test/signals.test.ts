/**
 * Signals to the launcher (bin/fwctl-cts.js, which relaunches node with
 * --single-threaded) reach the run and are waited for (issue 11, serious 5):
 * SIGTERM leaves no process behind, SIGINT writes a partial report.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/generated/report.js';
import { ROOT } from '../harness/paths.js';
import { NOT_RUN_INTERRUPTED } from '../harness/run.js';
import { validate } from '../harness/schema/validate.js';

const base = mkdtempSync(join(tmpdir(), 'fwctl-cts-signals-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start a long run, wait until its tests are under way, send `sig` to the launcher; what happened. */
async function interrupt(name: string, sig: NodeJS.Signals) {
  const dir = join(base, name);
  const launcher = spawn(process.execPath, ['bin/fwctl-cts.js', 'run', '--target', 'sim:cxl@*', '--target', 'sim:mlx5@*', '--target', 'sim:pds@*', '--workers', '1', '--report-dir', dir, '--no-progress'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  launcher.stdout.on('data', (d) => (out += d));
  launcher.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => launcher.on('exit', (code) => r(code)));
  const lock = join(dir, '.fwctl-cts.lock');
  // The lock holds the pid of the process doing the run: the relaunched child, not the launcher. It is
  // created first and written after, so wait for the pid (read empty, it was 0: kill(0) is the group).
  const pidIn = () => (existsSync(lock) ? Number(readFileSync(lock, 'utf8').trim()) || 0 : 0);
  while (!pidIn()) await sleep(20);
  const child = pidIn();
  // Under way: the journal (header, then one line per finished test) holds a few results, not all.
  const journal = join(dir, 'journal.jsonl');
  const finished = () => (existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').length - 2 : 0);
  while (finished() < 5) await sleep(10);
  launcher.kill(sig);
  const code = await exited;
  return { dir, code, out, err, child, launcher: launcher.pid! };
}

describe('signals to the launcher', function () {
  this.timeout(120_000);

  it('SIGTERM: forwarded to the relaunched child and waited for; no process is left running', async () => {
    const r = await interrupt('term', 'SIGTERM');
    expect(r.child).to.not.equal(r.launcher);
    expect(alive(r.child), `child ${r.child} still running`).to.equal(false);
    expect(r.code, r.err).to.equal(2);
    expect(JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8')).interrupted).to.equal(true);
  });

  it('SIGINT: a partial report marked interrupted, finished tests kept, the rest not run, exit 2', async () => {
    const r = await interrupt('int', 'SIGINT');
    expect(r.code, r.err).to.equal(2);
    expect(r.err.trim()).to.equal('fwctl-cts: SIGINT: stopping; writing a partial report (send it again to quit at once)');
    const report = JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8')) as Report;
    expect(() => validate(report, 'report', 'report.json')).to.not.throw();
    expect(report.interrupted).to.equal(true);
    const notRun = report.tests.filter((t) => t.skipReason === NOT_RUN_INTERRUPTED);
    expect(notRun.length, 'tests not reached').to.be.greaterThan(0);
    expect(report.tests.length - notRun.length, 'tests finished before the signal').to.be.greaterThan(0);
    expect(report.verdict).to.not.equal('compliant');
    expect(r.out).to.match(/Interrupted: \d+ of \d+ tests finished; the rest were not run/);
    expect(alive(r.child)).to.equal(false);
  });
});
