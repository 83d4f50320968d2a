/** Resume (issue #12): a run killed half-way, then `run --resume DIR`, ends with the uninterrupted run's report. */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { mergeReports } from '../harness/results/merge.js';
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

describe('resume and merge keep the plugins and the unlocked flags', function () {
  this.timeout(240_000);
  const EXAMPLE = fileURLToPath(new URL('../../examples/vendor-device/', import.meta.url));
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-resume-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A whole run of the worked example's device type, then its journal cut back as if killed half-way. */
  function interrupted(plugin: string): { report: Report; journal: string } {
    const sim = `exec:python3 ${join(plugin, 'sim/acme_pctl_sim.py')}`;
    const out = join(dir, 'run');
    const r = spawnSync(process.execPath, [CLI, '--plugin', plugin, 'run', '--target', sim, '--suite', 'uapi', '--suite', 'scope', '--workers', '1', '--report-dir', out, '--no-progress'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    const journal = join(out, 'journal.jsonl');
    const kept = readFileSync(journal, 'utf8').split('\n').slice(0, 1 + Math.floor(report.tests.length / 2));
    writeFileSync(journal, `${kept.join('\n')}\n`);
    rmSync(join(out, 'report.json'));
    return { report, journal };
  }

  it('run --resume loads the plugins of the run it resumes (no --plugin given) and records them', () => {
    const plugin = join(dir, 'plugin');
    cpSync(EXAMPLE, plugin, { recursive: true });
    const { report: whole } = interrupted(plugin);
    expect(whole.plugins?.map((p) => p.name)).to.deep.equal(['acme-pctl']);
    const r = spawnSync(process.execPath, [CLI, 'run', '--resume', join(dir, 'run'), '--no-progress'], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(dir, 'run/report.json'), 'utf8')) as Report;
    expect(report.plugins).to.deep.equal(whole.plugins);
    expect(comparable(report)).to.deep.equal(comparable(whole));
  });

  it('run --resume refuses a plugin whose files changed since the run started, naming it', () => {
    const plugin = join(dir, 'plugin');
    cpSync(EXAMPLE, plugin, { recursive: true });
    interrupted(plugin);
    appendFileSync(join(plugin, 'README.md'), '\nedited\n');
    const r = spawnSync(process.execPath, [CLI, 'run', '--resume', join(dir, 'run'), '--no-progress'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.match(/journal\.jsonl: \/options\/plugins\/0: plugin acme-pctl changed since the run started/);
  });

  it('merge keeps run.allow and the plugins, and refuses shards that differ in either', async () => {
    const shards: Report[] = [];
    for (let index = 1; index <= 2; index++) shards.push(await runConformance({ targets: ['sim:cxl'], workers: 1, shard: { index, count: 2 }, suites: ['uapi'], options: { allow: { taint: true, destructive: false, hazards: false } } }));
    const plugins = [{ name: 'p', version: '1.0.0', apiVersion: 1, sha256: 'a'.repeat(64), files: 1 }];
    for (const s of shards) s.plugins = plugins;
    const merged = mergeReports(shards.map((report, i) => ({ file: `s${i}`, report })));
    expect(merged.run.allow).to.deep.equal(shards[0]!.run.allow);
    expect(merged.plugins).to.deep.equal(plugins);
    const other = { ...shards[1]!, run: { ...shards[1]!.run, allow: { taint: false, destructive: false, hazards: false } } };
    expect(() => mergeReports([{ file: 'a', report: shards[0]! }, { file: 'b', report: other }])).to.throw(/different --allow flags/);
    const otherPlugin = { ...shards[1]!, plugins: [{ ...plugins[0]!, sha256: 'b'.repeat(64) }] };
    expect(() => mergeReports([{ file: 'a', report: shards[0]! }, { file: 'b', report: otherPlugin }])).to.throw(/different plugins/);
  });
});
