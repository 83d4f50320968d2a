/** Resume (issue #12): a run killed half-way, then `run --resume DIR`, ends with the uninterrupted run's report. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { runConformance } from '../harness/run.js';
import { comparable } from './merge.test.js';

const CLI = fileURLToPath(new URL('../../bin/fwctl-cts.js', import.meta.url));
const TARGETS = ['sim:cxl@*', 'sim:mlx5+shared-context'];

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resume', function () {
  this.timeout(240_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-resume-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('kill -9 half-way, then --resume, gives the same report as one uninterrupted run', async () => {
    const whole = await runConformance({ targets: TARGETS, workers: 1 });
    // The launcher and its --single-threaded child share a process group: kill both, mid-run.
    const args = [CLI, 'run', ...TARGETS.flatMap((t) => ['--target', t]), '--workers', '1', '--report-dir', dir, '--no-progress'];
    const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore' });
    const journal = join(dir, 'journal.jsonl');
    const half = Math.floor(whole.tests.length / 2);
    for (let i = 0; i < 2400 && lines(journal) < half; i++) await sleep(25);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const journaled = lines(journal) - 1;
    expect(journaled, 'tests journaled before the kill').to.be.within(1, whole.tests.length - 1);
    expect(existsSync(join(dir, 'report.json')), 'no report yet').to.equal(false);

    const resumed = spawnSync(process.execPath, [CLI, 'run', '--resume', dir, '--no-progress'], { encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).to.equal(1); // the defect is caught: non-compliant
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    expect(comparable(report)).to.deep.equal(comparable(whole));
    // Only what was missing ran again: the journal now holds every test once.
    expect(lines(journal) - 1).to.equal(whole.tests.length);
  });

  it('a malformed journal is one clear error naming the file, the line and what was expected', async () => {
    const bad = join(dir, 'journal.jsonl');
    spawnSync('sh', ['-c', `printf '{"format":"other"}\\n' > ${bad}`]);
    const r = spawnSync(process.execPath, [CLI, 'run', '--resume', dir], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.match(/journal\.jsonl:1: \/format: expected "fwctl-cts-journal\/1"/);
  });
});
