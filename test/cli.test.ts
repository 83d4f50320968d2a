/** The command line: exit codes, one-line errors, reports on disk that validate against the schema. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { validate } from '../harness/schema/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-cli-'));

function cts(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('cli', function () {
  this.timeout(60_000);

  it('a clean run exits 0 and writes report.json, report.tap, report.ktap and junit.xml', () => {
    const out = join(dir, 'clean');
    const r = cts('run', '--target', 'sim:cxl', '--report-dir', out);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/Verdict: COMPLIANT/);
    for (const f of ['report.json', 'report.tap', 'report.ktap', 'junit.xml']) expect(existsSync(join(out, f)), f).to.equal(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(() => validate(report, 'report', 'report.json')).to.not.throw();
    expect(report.verdict).to.equal('compliant');
  });

  it('a defect run exits 1 and the summary names the broken rule', () => {
    const r = cts('run', '--target', 'sim:cxl+no-emsgsize', '--report-dir', join(dir, 'defect'), '--suite', 'uapi/rpc');
    expect(r.code, r.err).to.equal(1);
    expect(r.out).to.match(/FAIL uapi\.rpc\.max-len \[must R-1\]/);
    expect(r.out).to.match(/Verdict: NON-COMPLIANT/);
  });

  for (const [what, args, pattern] of [
    ['an unknown model', ['--target', 'sim:nic'], /unknown model 'nic'/],
    ['an unknown defect', ['--target', 'sim:cxl+nope'], /unknown defect 'nope'/],
    ['an unknown firmware', ['--target', 'sim:cxl@9.9'], /no firmware '9\.9'/],
    ['a malformed target', ['--target', 'cxl'], /malformed target 'cxl'/],
    ['a missing policy', ['--target', 'sim:cxl', '--policy', 'no-such-pack'], /policy 'no-such-pack'/],
    ['a bad shard', ['--target', 'sim:cxl', '--shard', '9/8'], /expected k\/n/],
  ] as const) {
    it(`${what}: one line on stderr, exit 2, no stack trace`, () => {
      const r = cts('run', ...args, '--report-dir', join(dir, 'bad'));
      expect(r.code).to.equal(2);
      expect(r.err).to.match(pattern);
      expect(r.err.trim().split('\n')).to.have.length(1);
      expect(r.err).to.not.match(/\n\s+at /);
    });
  }

  it('an unwritable report directory: one line, exit 2, nothing run', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const r = cts('run', '--target', 'sim:cxl', '--report-dir', join(file, 'sub'));
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/report directory .* is not writable: ENOTDIR/);
    expect(r.out).to.equal('');
  });

  it('validate: a malformed profile names the file, the JSON pointer and what was expected; exit 2', () => {
    const file = join(dir, 'profile.json');
    const profile = JSON.parse(readFileSync(join(ROOT, 'profiles/reference-cxl.json'), 'utf8'));
    profile.commands[0].stability = 'forever';
    writeFileSync(file, JSON.stringify(profile));
    const r = cts('validate', '--profile', file);
    expect(r.code).to.equal(2);
    expect(r.err.trim()).to.equal(`fwctl-cts: ${file}: /commands/0/stability: expected one of "stable", "debug" (the profile schema is schemas/profile.schema.json)`);
    expect(cts('validate', '--profile', join(ROOT, 'profiles/reference-pds.json')).code).to.equal(0);
  });

  it('list shows every rule with its tests and defects', () => {
    const r = cts('list', '--json');
    expect(r.code, r.err).to.equal(0);
    const rules = JSON.parse(r.out) as { id: string; tests: string[]; defects: string[] }[];
    const maxLen = rules.find((x) => x.id === 'uapi.rpc.max-len')!;
    expect(maxLen.tests.length).to.be.greaterThan(0);
    expect(maxLen.defects).to.include('no-emsgsize');
    expect(rules.every((x) => x.tests.length > 0), 'every rule has a test').to.equal(true);
  });

  it('--dry-run lists the RPCs and scopes a run would issue, and writes no report', () => {
    const out = join(dir, 'dry');
    const r = cts('run', '--target', 'sim:cxl', '--suite', 'uapi/rpc', '--dry-run', '--report-dir', out);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/FWCTL_RPC scope=CONFIGURATION in_len=48 out_len=72/);
    expect(r.out).to.match(/Dry run: \d+ RPC\(s\) would be issued \(CONFIGURATION \d+/);
    expect(existsSync(out), 'report directory').to.equal(false);
  });

  it('inventory and dev:all say clearly when there is no fwctl device, with exit code 4', function () {
    const inv = cts('inventory');
    if (inv.code === 0) this.skip(); // this machine has fwctl devices: the no-device path cannot be shown
    expect(inv.code).to.equal(4);
    expect(inv.out).to.match(/^no fwctl devices/);
    const run = cts('run', '--target', 'dev:all', '--report-dir', join(dir, 'none'));
    expect(run.code).to.equal(4);
    expect(run.err.trim()).to.match(/^fwctl-cts: dev:all: no fwctl devices on this machine/);
  });

  it('--help documents the exit codes', () => {
    const r = cts('run', '--help');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/Exit codes:\n\s+0\s+compliant/);
  });
});
