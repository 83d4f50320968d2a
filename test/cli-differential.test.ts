/**
 * `fwctl-cts differential`: exit 0 when two targets agree, 1 with a DISAGREE
 * line per probe that differs, 2 and one line on stderr for bad input; the
 * --json result and the --kmsg markers vm/test-kernel.mjs reads.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runDifferential } from '../harness/cli/differential.js';
import { ROOT } from '../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-differential-'));
const ALL = { taint: true, destructive: true, hazards: true };

function cts(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', 'differential', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('cli differential', function () {
  this.timeout(60_000);

  it('sim:cxl@1.0 against itself: exit 0, every probe compared, 0 disagreements', () => {
    const r = cts('--b', 'sim:cxl@1.0');
    expect(r.code, r.err).to.equal(0);
    // --a defaults to sim:cxl@1.0.
    expect(r.out).to.match(/^differential sim:cxl@1\.0 vs sim:cxl@1\.0: \d{3} probes, 0 disagreement\(s\), 0 skipped, taint compared, [\d.]+ s\n$/);
  });

  it('a defect that changes an errno (unknown-scope-einval): exit 1, a DISAGREE line naming each probe', () => {
    const r = cts('--b', 'sim:cxl@1.0+unknown-scope-einval');
    expect(r.code, r.err).to.equal(1);
    // Unknown scopes are EOPNOTSUPP in the kernel; the defect answers EINVAL.
    expect(r.out).to.match(/^DISAGREE R-2 scope 0x4: errno, steps\[0\]\.errno$/m);
    expect(r.out).to.include('    errno: sim:cxl@1.0="EOPNOTSUPP"  sim:cxl@1.0+unknown-scope-einval="EINVAL"');
    expect(r.out).to.match(/: \d+ probes, 5 disagreement\(s\), 0 skipped/);
  });

  for (const [what, args, pattern] of [
    ['an unknown model', ['--b', 'sim:nic'], /^fwctl-cts: unknown model 'nic'/],
    ['a malformed target', ['--b', 'cxl'], /^fwctl-cts: malformed target 'cxl'/],
    ['a bad --a', ['--a', 'sim:cxl+nope', '--b', 'sim:cxl'], /^fwctl-cts: unknown defect 'nope'/],
    ['no --b', [], /^fwctl-cts: required option '--b <target>' not specified/],
    ['every firmware at once', ['--b', 'sim:cxl@*'], /stands for several devices/],
    ['dev:all', ['--b', 'dev:all'], /stands for several devices/],
    ['a --grep matching no probe', ['--b', 'sim:cxl', '--grep', 'no such probe'], /^fwctl-cts: --grep 'no such probe' matches no probe/],
    ['a real device without --allow-taint --allow-destructive (the probes taint and write)', ['--b', 'dev:/dev/fwctl/fwctl0', '--allow-taint'], /^fwctl-cts: target 'dev:\/dev\/fwctl\/fwctl0' does not allow what the differential does: .* \(on a machine you can throw away, add --allow-destructive\)\n$/],
    ['an agent that does not allow tainting and writes', ['--b', 'exec:node bin/fwctl-cts.js agent --target sim:cxl@1.0'], /give the agent --allow-taint --allow-destructive\)\n$/],
    ['an exec: driver that cannot start', ['--b', 'exec:./no-such-simulator'], /^fwctl-cts: differential sim:cxl@1\.0 vs exec:\.\/no-such-simulator stopped: TargetDied: .*exited with status 127/],
  ] as const) {
    it(`${what}: one line on stderr, exit 2, no stack trace`, () => {
      const r = cts(...args);
      expect(r.code, r.err).to.equal(2);
      expect(r.err).to.match(pattern);
      expect(r.err.trim().split('\n')).to.have.length(1);
      expect(r.err).to.not.match(/\n\s+at /);
      expect(r.out).to.equal('');
    });
  }

  it('--json writes the whole result, atomically (no temporary left behind)', () => {
    const file = join(dir, 'json', 'differential.json');
    const r = cts('--b', 'sim:cxl@1.0+unknown-scope-einval', '--grep', 'R-2 scope', '--json', file);
    expect(r.code, r.err).to.equal(1);
    const result = JSON.parse(readFileSync(file, 'utf8'));
    expect(result.targets).to.deep.equal({ a: 'sim:cxl@1.0', b: 'sim:cxl@1.0+unknown-scope-einval' });
    expect(result.probes).to.equal(result.transcripts.a.length);
    expect(result.disagreements.map((d: { probe: string }) => d.probe)).to.include('R-2 scope 0x4');
    expect(result.durationMs).to.be.a('number');
    expect(readdirSync(join(dir, 'json'))).to.deep.equal(['differential.json']);
  });

  it('--json into a directory that cannot exist: exit 2 before any probe runs', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const r = cts('--b', 'sim:cxl@1.0', '--json', join(file, 'differential.json'));
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/^fwctl-cts: cannot write --json '.*a-file\/differential\.json': ENOTDIR: a part of its path is not a directory\n$/);
    expect(r.out).to.equal('');
  });

  it('--kmsg: begin, one marker per probe in the form vm/test-kernel.mjs parses, end', async () => {
    const kmsg = join(dir, 'kmsg');
    writeFileSync(kmsg, '');
    const out = new PassThrough();
    const code = await runDifferential({ b: 'sim:cxl@1.0', grep: 'R-2 scope', allow: ALL, kmsg: true, kmsgFile: kmsg }, out);
    expect(code).to.equal(0);
    const lines = readFileSync(kmsg, 'utf8').trimEnd().split('\n');
    expect(lines[0]).to.equal('<5>fwctl-cts: differential: begin');
    expect(lines.at(-1)).to.equal('<5>fwctl-cts: differential: end');
    const probes = lines.slice(1, -1).map((l) => /^<5>fwctl-cts: differential: probe (\d+): (.*)$/.exec(l));
    expect(probes.every(Boolean), lines.join('\n')).to.equal(true);
    expect(probes.map((m) => Number(m![1]))).to.deep.equal(probes.map((_, i) => i + 1));
    expect(probes.map((m) => m![2])).to.include('R-2 scope 0x4');
    expect(String(out.read())).to.match(new RegExp(`: ${probes.length} probes, 0 disagreement\\(s\\)`));
  });

  it('--kmsg without a kernel log to write to: no markers, and the check still runs', async () => {
    const missing = join(dir, 'no-kmsg-here');
    const warned: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => warned.push(s)) as unknown as typeof process.stderr.write;
    let code: number;
    try {
      code = await runDifferential({ b: 'sim:cxl@1.0', grep: 'R-2 scope', allow: ALL, kmsg: true, kmsgFile: missing }, new PassThrough());
    } finally {
      process.stderr.write = write;
    }
    expect(code).to.equal(0);
    expect(warned.join('')).to.match(/^fwctl-cts: differential: --kmsg: cannot open .*no-kmsg-here \(ENOENT\); no markers\n$/);
    expect(existsSync(missing), 'no file created in its place').to.equal(false);
  });
});
