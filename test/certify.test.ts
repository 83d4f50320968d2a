/**
 * The certification bundle (issue 14 item 4): `certify` writes it, `verify` finds it untouched
 * and names each tampering (an edited outcome, a removed test, a swapped policy, a changed byte,
 * a file added or gone), and OpenSSH's own ssh-keygen signs and checks it.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST, SIGNATURE, bundleEntries, describeFile, type BundleManifest } from '../harness/certify/bundle.js';
import { certify } from '../harness/certify/certify.js';
import { signManifest } from '../harness/certify/sign.js';
import { verifyBundle } from '../harness/certify/verify.js';
import type { Report } from '../harness/generated/report.js';
import { POLICIES_DIR, ROOT } from '../harness/paths.js';
import { renderReports } from '../reports/index.js';
import { VERSION } from '../harness/version.js';

const base = mkdtempSync(join(tmpdir(), 'fwctl-cts-certify-'));
const clean = join(base, 'clean');

function cts(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function copy(name: string): string {
  const dir = join(base, name);
  cpSync(clean, dir, { recursive: true });
  return dir;
}

function editReport(dir: string, edit: (r: Report) => void): void {
  const file = join(dir, 'report.json');
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  edit(report);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** What a forger without the key does next: digest the edited files again. */
function redigest(dir: string): void {
  const file = join(dir, MANIFEST);
  const m = JSON.parse(readFileSync(file, 'utf8')) as BundleManifest;
  m.files = bundleEntries(dir).map((n) => describeFile(n, readFileSync(join(dir, n))));
  writeFileSync(file, `${JSON.stringify(m, null, 2)}\n`);
}

function sshKeygen(...args: string[]): void {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  expect(r.status, r.stderr).to.equal(0);
}

describe('certify and verify', function () {
  this.timeout(60_000);

  before(async () => {
    // The full certification (every suite, upstream) on the quickest reference model.
    const done = await certify({ targets: ['sim:cxl'], dir: clean, workers: 2 });
    expect(done.code).to.equal(0);
  });

  after(() => rmSync(base, { recursive: true, force: true }));

  it('certify writes report.json, every rendering, the policy, plan and environment, and digests them all', () => {
    const names = readdirSync(clean).sort();
    for (const n of ['report.json', 'report.tap', 'report.ktap', 'junit.xml', 'report.sarif', 'report.md', 'policy.json', 'plan.json', 'environment.json', MANIFEST]) expect(names).to.include(n);
    const m = JSON.parse(readFileSync(join(clean, MANIFEST), 'utf8')) as BundleManifest;
    expect(m.files.map((f) => f.name)).to.deep.equal(names.filter((n) => n !== MANIFEST));
    expect(readFileSync(join(clean, 'policy.json'))).to.deep.equal(readFileSync(join(POLICIES_DIR, 'upstream.json')));
    const report = JSON.parse(readFileSync(join(clean, 'report.json'), 'utf8')) as Report;
    expect(report.run.selection, 'a certification selects nothing').to.equal(undefined);
    expect(report.tests.length).to.be.greaterThan(50);
  });

  it('an untouched bundle: ok, exit 0', () => {
    const r = cts('verify', clean);
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.match(/: ok\n$/);
    expect(r.out).to.match(/plan: derived again from fwctl-cts .* suites for sim:cxl/);
  });

  it('one outcome edited, one test removed, the policy swapped: each named, exit 1', async () => {
    const dir = copy('tampered');
    editReport(dir, (r) => {
      r.tests.find((t) => t.id === 'uapi.rpc.max-len')!.outcome = 'fail';
      r.tests = r.tests.filter((t) => t.id !== 'uapi.info.flags');
    });
    cpSync(join(POLICIES_DIR, 'distro-safe.json'), join(dir, 'policy.json'));
    const naive = (await verifyBundle(dir, { replan: false })).findings.join('\n');
    expect(naive).to.match(/^digest: report\.json: sha256 /m);
    expect(naive).to.match(/^digest: policy\.json: sha256 /m);
    // The digests made to agree again: what the bundle says is still checked against itself.
    redigest(dir);
    const r = cts('verify', dir);
    expect(r.code, r.err).to.equal(1);
    expect(r.out).to.not.match(/^digest:/m);
    expect(r.out).to.match(/^test uapi\.rpc\.max-len on sim:cxl: outcome fail, but it records no error$/m);
    expect(r.out).to.match(/^rule uapi\.rpc\.max-len: report\.json says pass, its recorded tests give fail$/m);
    expect(r.out).to.match(/^removed test: uapi\.info\.flags on sim:cxl \(plan\.json plans it, report\.json has no result\)$/m);
    expect(r.out).to.match(/^policy: report\.json was judged under upstream 0\.2\.0, policy\.json is distro-safe 0\.1\.0$/m);
    expect(r.out).to.match(/^verdict: report\.json says compliant, its recorded tests under policy\.json give non-compliant$/m);
    expect(r.out).to.match(/^exit code: manifest\.json says 0, the recorded tests give 1$/m);
    expect(r.out).to.match(/^report\.tap: does not match report\.json/m);
    expect(r.out).to.match(/\nverify: .*: \d+ findings\n$/);
  });

  it('a test removed from report.json and plan.json alike: the suites name it (sim targets)', async () => {
    const dir = copy('unplanned');
    editReport(dir, (r) => void (r.tests = r.tests.filter((t) => t.id !== 'uapi.info.flags')));
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'));
    plan.targets[0].tests = plan.targets[0].tests.filter((t: { id: string }) => t.id !== 'uapi.info.flags');
    writeFileSync(join(dir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    redigest(dir);
    const v = await verifyBundle(dir);
    expect(v.findings).to.include(`plan: uapi.info.flags on sim:cxl is a test of fwctl-cts ${VERSION}'s suites, plan.json leaves it out`);
  });

  it('a pass hidden as a skip: the test is named', async () => {
    const dir = copy('outcomes');
    editReport(dir, (r) => {
      const t = r.tests.find((x) => x.outcome === 'pass')!;
      t.outcome = 'skip';
    });
    redigest(dir);
    const v = await verifyBundle(dir, { replan: false });
    expect(v.findings.some((f) => /^test \S+ on sim:cxl: outcome skip, but it records no reason$/.test(f)), v.findings.join('\n')).to.equal(true);
  });

  it('a non-compliant certification verifies; its failure turned into a pass is named', async () => {
    const dir = join(base, 'defect');
    const done = await certify({ targets: ['sim:cxl+no-emsgsize'], dir, workers: 2 });
    expect(done.code).to.equal(1);
    expect((await verifyBundle(dir, { replan: false })).findings).to.deep.equal([]);
    editReport(dir, (r) => {
      r.tests.find((t) => t.id === 'uapi.rpc.max-len')!.outcome = 'pass';
      r.rules.find((x) => x.id === 'uapi.rpc.max-len')!.verdict = 'pass';
    });
    redigest(dir);
    const v = (await verifyBundle(dir, { replan: false })).findings;
    expect(v.some((f) => /^test uapi\.rpc\.max-len on sim:cxl\+no-emsgsize: outcome pass, but it records a failure: /.test(f)), v.join('\n')).to.equal(true);
    // The recorded results now say pass: the verdicts recorded from the real ones no longer follow.
    expect(v, v.join('\n')).to.include('verdict: report.json says non-compliant, its recorded tests under policy.json give compliant');
  });

  it('what a bundle says is printed inert: a control character in a recorded message stays one visible line', () => {
    const dir = copy('controls');
    editReport(dir, (r) => void (r.tests.find((t) => t.outcome === 'pass')!.error = { message: 'x\x1b[2J\rverify: ok' }));
    const r = cts('verify', dir);
    expect(r.code).to.equal(1);
    expect(r.out).to.not.match(/[\x1b\r]/);
    expect(r.out).to.match(/^test \S+ on sim:cxl: outcome pass, but it records a failure: x\\x1b\[2J\\rverify: ok$/m);
  });

  it('a policy edited in place (a must made a should): named against the shipped pack', async () => {
    const dir = copy('policy-edit');
    const file = join(dir, 'policy.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"severity": "must"', '"severity": "should"'));
    redigest(dir);
    const v = await verifyBundle(dir, { replan: false });
    expect(v.findings).to.include(`policy: policy.json is not the upstream 0.2.0 pack fwctl-cts ${VERSION} ships (its text differs)`);
    expect(v.findings.some((f) => /^rule uapi\.ioctl\.unknown-nr: report\.json gives severity "must", policy\.json "should"$/.test(f)), v.findings.join('\n')).to.equal(true);
  });

  it('a byte changed in a rendering: its digest is named, and it no longer matches report.json', async () => {
    const dir = copy('byte');
    const file = join(dir, 'report.ktap');
    const bytes = readFileSync(file);
    const at = bytes.indexOf('ok 1');
    bytes[at] = 'O'.charCodeAt(0);
    writeFileSync(file, bytes);
    const found = (await verifyBundle(dir, { replan: false })).findings;
    expect(found).to.have.length(2);
    expect(found[0]).to.match(/^digest: report\.ktap: sha256 [0-9a-f]{12}…, manifest\.json records [0-9a-f]{12}…$/);
    expect(found[1]).to.match(/^report\.ktap: does not match report\.json \(rendered again, line \d+ differs\)$/);
  });

  it('a file added and a file removed: each named', async () => {
    const dir = copy('files');
    writeFileSync(join(dir, 'extra.txt'), 'x');
    rmSync(join(dir, 'report.sarif'));
    const v = await verifyBundle(dir, { replan: false });
    expect(v.findings).to.include('added: extra.txt (not in manifest.json)');
    expect(v.findings).to.include('missing: report.sarif (manifest.json lists it)');
  });

  it('a signed bundle verifies with ssh-keygen -Y verify; another key, or an edited manifest, does not', async () => {
    const keys = mkdtempSync(join(base, 'keys-'));
    sshKeygen('-q', '-t', 'ed25519', '-N', '', '-C', 'vendor', '-f', join(keys, 'vendor'));
    sshKeygen('-q', '-t', 'ed25519', '-N', '', '-C', 'other', '-f', join(keys, 'other'));
    const allowed = join(keys, 'allowed_signers');
    writeFileSync(allowed, `certify@vendor.example ${readFileSync(join(keys, 'vendor.pub'), 'utf8')}`);
    const dir = copy('signed');
    signManifest(dir, join(keys, 'vendor'));
    // The outside check: OpenSSH itself, with nothing of ours between.
    const own = spawnSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'certify@vendor.example', '-n', 'fwctl-cts', '-s', join(dir, SIGNATURE)], { input: readFileSync(join(dir, MANIFEST)), encoding: 'utf8' });
    expect(own.status, own.stderr).to.equal(0);
    const ok = cts('verify', dir, '--allowed-signers', allowed, '--identity', 'certify@vendor.example');
    expect(ok.code, ok.out + ok.err).to.equal(0);
    expect(ok.out).to.match(/^note: signature: Good "fwctl-cts" signature for certify@vendor\.example with ED25519 key/m);

    const forged = copy('forged');
    signManifest(forged, join(keys, 'other'));
    const signed = { allowedSigners: allowed, identity: 'certify@vendor.example', replan: false };
    const bad = (await verifyBundle(forged, signed)).findings;
    expect(bad).to.have.length(1);
    expect(bad[0]).to.match(/^signature: manifest\.json\.sig does not verify as certify@vendor\.example's \(ssh-keygen -Y verify: /);

    // Signed, then a result edited and the manifest digested again: only the signature can tell.
    const resigned = join(base, 'resigned');
    cpSync(dir, resigned, { recursive: true });
    editReport(resigned, (r) => void (r.run.workers += 1));
    // A thorough forger renders every format again from the edited report.json too.
    for (const f of renderReports(JSON.parse(readFileSync(join(resigned, 'report.json'), 'utf8')) as Report)) {
      if (f.name !== 'report.json') writeFileSync(join(resigned, f.name), f.content);
    }
    redigest(resigned);
    const edited = (await verifyBundle(resigned, signed)).findings;
    expect(edited).to.have.length(1);
    expect(edited[0]).to.match(/^signature: manifest\.json\.sig does not verify/);
  });

  it('the plugins a run used are in the bundle, whole: a changed plugin file or a missing copy is named', async () => {
    const dir = join(base, 'plugin');
    const r = cts('--plugin', 'examples/vendor-device', 'certify', '--target', 'exec:python3 examples/vendor-device/sim/acme_pctl_sim.py', '-o', dir);
    expect(r.code, r.err).to.equal(0);
    expect(bundleEntries(dir)).to.include('plugin-acme-pctl.json');
    expect((await verifyBundle(dir)).findings).to.deep.equal([]);
    const edited = join(base, 'plugin-edited');
    cpSync(dir, edited, { recursive: true });
    const file = join(edited, 'plugin-acme-pctl.json');
    const pack = JSON.parse(readFileSync(file, 'utf8')) as { files: { path: string; base64: string }[] };
    const profile = pack.files.find((f) => f.path === 'profiles/acme-pctl.json')!;
    profile.base64 = Buffer.from(Buffer.from(profile.base64, 'base64').toString('utf8').replace('"DEBUG_WRITE"', '"CONFIGURATION"')).toString('base64');
    writeFileSync(file, JSON.stringify(pack));
    redigest(edited);
    expect((await verifyBundle(edited)).findings.join('\n')).to.match(/^plugin acme-pctl: plugin-acme-pctl\.json holds files with sha256 .*, report\.json records /m);
    rmSync(file);
    redigest(edited);
    expect((await verifyBundle(edited)).findings.join('\n')).to.match(/^plugin acme-pctl 1\.[0-9.]+: report\.json records it, the bundle has no plugin-acme-pctl\.json/m);
  });

  it('certify takes no option that weakens a certification: --test, a policy file, a robustness override', async () => {
    const out = join(base, 'never');
    const test = cts('certify', '-t', 'sim:cxl', '-o', out, '--test', 'uapi.*');
    expect(test.code).to.equal(2);
    expect(test.err).to.match(/unknown option '--test'/);
    const refused = (o: Partial<Parameters<typeof certify>[0]>) => certify({ targets: ['sim:cxl'], dir: out, ...o }).then(() => 'certified', (e: Error) => e.message);
    expect(await refused({ policy: join(POLICIES_DIR, 'upstream.json') })).to.match(/a certification runs a policy pack fwctl-cts ships \(upstream, distro-safe\), not a file/);
    process.env.FWCTL_CTS_ROBUSTNESS_RUNS = '1';
    try {
      expect(await refused({})).to.match(/FWCTL_CTS_ROBUSTNESS_RUNS is set/);
    } finally {
      delete process.env.FWCTL_CTS_ROBUSTNESS_RUNS;
    }
    expect(await refused({ dir: clean })).to.match(/already exists/);
  });

  it('unreadable input: exit 2, naming the file', async () => {
    const none = await verifyBundle(join(base, 'no-such')).then(() => 'verified', (e: Error) => e.message);
    expect(none).to.match(/no such bundle directory/);
    const dir = copy('bad-manifest');
    writeFileSync(join(dir, MANIFEST), '{"format": "fwctl-cts-bundle/1"}');
    const bad = cts('verify', dir);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/manifest\.json: \/tool: required property is missing/);
  });
});
