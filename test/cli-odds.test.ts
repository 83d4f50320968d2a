/** Odds and ends of the command line found in issue 11, each through the real CLI. */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-odds-'));

function cts(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function oneLine(r: { code: number | null; err: string }, pattern: RegExp): void {
  expect(r.code, r.err).to.equal(2);
  expect(r.err.trim().split('\n'), r.err).to.have.length(1);
  expect(r.err).to.match(pattern);
}

describe('cli odds and ends', function () {
  this.timeout(60_000);

  for (const [args, pattern] of [
    [['run', '--target', 'sim:__proto__'], /^fwctl-cts: unknown model '__proto__' in target 'sim:__proto__'/],
    [['run', '--target', 'sim:constructor@1.0'], /^fwctl-cts: unknown model 'constructor'/],
    [['serve-reference', '__proto__'], /^fwctl-cts: unknown model '__proto__'/],
    [['serve-reference', 'constructor'], /^fwctl-cts: unknown model 'constructor'/],
  ] as const) {
    it(`prototype keys: ${args.join(' ')} is a one-line unknown-model error, exit 2`, () => {
      oneLine(cts(...args, ...(args[0] === 'run' ? ['--report-dir', join(dir, 'proto')] : [])), pattern);
      expect(existsSync(join(dir, 'proto'))).to.equal(false);
    });
  }

  it('--suite selecting no suite: one line naming the suites there are, exit 2, nothing written', () => {
    const r = cts('run', '--target', 'sim:cxl', '--suite', 'nosuch', '--report-dir', join(dir, 'nosuch'));
    oneLine(r, /^fwctl-cts: --suite nosuch: no suite selected \(suites: .*uapi.*\)/);
    expect(existsSync(join(dir, 'nosuch'))).to.equal(false);
  });

  it('a target given twice is tested once, with a note', () => {
    const out = join(dir, 'twice');
    const r = cts('run', '--target', 'sim:cxl', '--target', 'sim:cxl', '--target', 'sim:pds@*', '--target', 'sim:pds@1.0', '--suite', 'uapi/info', '--report-dir', out, '--no-progress');
    expect(r.code, r.err).to.equal(0); // a --suite subset: judged on the rules it ran
    expect(r.err.trim().split('\n')).to.deep.equal([
      "fwctl-cts: note: target 'sim:cxl' given more than once; tested once",
      "fwctl-cts: note: target 'sim:pds@1.0' given more than once; tested once",
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const specs = report.targets.map((t: { spec: string }) => t.spec);
    expect(specs).to.deep.equal([...new Set(specs)]);
    expect(report.tests.filter((t: { target: string }) => t.target === 'sim:cxl').length).to.equal(report.tests.length / specs.length);
  });

  it('dev: naming a node that does not exist: one line, exit 2, the previous report left untouched', function () {
    if (existsSync('/dev/fwctl/fwctl7')) this.skip();
    const out = join(dir, 'dev');
    // A --suite subset is judged on the rules it ran (issue #12): compliant.
    expect(cts('run', '--target', 'sim:cxl', '--suite', 'uapi/info', '--report-dir', out, '--no-progress').code).to.equal(0);
    const before = readFileSync(join(out, 'report.json'), 'utf8');
    oneLine(cts('run', '--target', 'dev:/dev/fwctl/fwctl7', '--report-dir', out), /^fwctl-cts: target 'dev:\/dev\/fwctl\/fwctl7': no such device node \/dev\/fwctl\/fwctl7/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).to.equal(before);
  });

  it('a driver that never answers close: the timeout names the call that hung, not mocha\'s "ensure done() is called"', () => {
    const out = join(dir, 'hang-close');
    // Two tests and a 4 s timeout: on a loaded machine a shorter one also caught slow answers to other calls.
    const r = cts('run', '--target', 'exec:node dist/test/fixtures/drivers/bad-driver.js hang-close', '--test', 'uapi.info.flags', '--test', 'uapi.info.bounds', '--timeout', '4000', '--workers', '1', '--report-dir', out, '--no-progress');
    expect(r.code, r.err).to.be.oneOf([1, 2]); // 2 when a loaded machine also made a handshake time out
    const tests = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).tests as { outcome: string; error?: { message: string } }[];
    const timeouts = tests.filter((t) => t.outcome === 'timeout');
    expect(timeouts.length).to.be.greaterThan(0);
    for (const t of timeouts) expect(t.error!.message).to.match(/^Timeout of 4000ms exceeded waiting for the driver's answer to close \(\d+ ms\)$/);
  });

  it('`defects | head -1`: a reader that goes away ends the output quietly (no EPIPE stack), every time', async () => {
    for (let i = 0; i < 5; i++) {
      const child = spawn(process.execPath, ['bin/fwctl-cts.js', 'defects'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.once('data', () => child.stdout.destroy()); // like head -1: read a line, close the pipe
      const code = await new Promise((r) => child.on('close', r));
      expect(err, 'stderr').to.equal('');
      expect(code).to.equal(0);
    }
  });
});
