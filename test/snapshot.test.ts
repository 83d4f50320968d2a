/**
 * ABI across an update that cannot be undone (issue 10 item 7): `fwctl-cts
 * snapshot` records a device, `run --abi-baseline` compares the device later
 * against the record. On sim: the firmware is switched between the two, as a
 * distribution's firmware update would. Also the read-only observer that gives
 * dev: its deviceState digest, run against the reference cxl_test model.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeSnapshot, writeSnapshot } from '../harness/cli/snapshot.js';
import { ROOT } from '../harness/paths.js';
import { loadProfile } from '../harness/profiles/profile.js';
import { runConformance } from '../harness/run.js';
import { attachBaseline, loadSnapshot, recordFor } from '../harness/targets/baseline.js';
import { digest, observeState, profileVarying } from '../harness/targets/observe.js';
import { SimTarget } from '../harness/targets/sim.js';
import { parseTarget } from '../harness/targets/spec.js';
import type { Target, TargetOptions } from '../harness/targets/target.js';
import { encodeSetFeature } from '../uapi/cxl.js';
import { FWCTL_RPC, RPC_SIZE, encodeRpc } from '../uapi/fwctl.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-snapshot-'));
const ALL: TargetOptions = { allow: { taint: true, destructive: true, hazards: true } };
const ABI_RULES = ['abi.stable-commands-kept', 'abi.stable-responses-grow', 'abi.info-grows'];
const sim = (text: string) => new SimTarget(parseTarget(text) as Extract<ReturnType<typeof parseTarget>, { kind: 'sim' }>);

async function abiAgainst(target: string, baseline: string) {
  const report = await runConformance({ targets: [target], suites: ['abi'], workers: 1, options: { ...ALL, abiBaseline: baseline } });
  const verdicts = Object.fromEntries(report.rules.filter((r) => ABI_RULES.includes(r.id)).map((r) => [r.id, r.verdict]));
  return { report, verdicts };
}

describe('snapshot and --abi-baseline', function () {
  this.timeout(60_000);
  let at1: string;

  before(async () => {
    at1 = join(dir, 'cxl-1.0.json');
    writeSnapshot(at1, await takeSnapshot(['sim:cxl@1.0'], ALL));
  });

  it('records INFO and every stable and debug read response of sim:cxl@1.0, and validates', () => {
    const snap = loadSnapshot(at1);
    expect(snap.devices).to.have.length(1);
    const rec = snap.devices[0]!;
    expect(rec).to.include({ target: 'sim:cxl@1.0', kind: 'sim', model: 'cxl', profile: 'reference-cxl', fw: '1.0' });
    expect(rec.info.ret).to.equal(0);
    expect(rec.responses.length, 'responses').to.be.greaterThan(0);
    expect(rec.responses.every((r) => r.ret === 0 && r.ok && r.payload !== undefined), 'every recorded command worked').to.equal(true);
    expect(rec.responses.some((r) => r.stability === 'stable')).to.equal(true);
  });

  it('sim:cxl@2.0 (it only appends) passes the abi rules against the 1.0 record', async () => {
    const { report, verdicts } = await abiAgainst('sim:cxl@2.0', at1);
    expect(verdicts).to.deep.equal({ 'abi.stable-commands-kept': 'pass', 'abi.stable-responses-grow': 'pass', 'abi.info-grows': 'not-applicable' });
    expect(report.tests.filter((t) => t.outcome === 'fail')).to.deep.equal([]);
  });

  it('the next firmware with a defect that moves a stable field fails abi.stable-responses-grow, naming the baseline', async () => {
    const { report, verdicts } = await abiAgainst('sim:cxl@2.0+cxl-fw2-moves-field', at1);
    expect(verdicts['abi.stable-responses-grow']).to.equal('fail');
    expect(verdicts['abi.stable-commands-kept']).to.equal('pass');
    const failed = report.tests.find((t) => t.outcome === 'fail')!;
    expect(failed.error?.message).to.match(/from the baseline \(fw 1\.0\) to this device now \(fw 2\.0\): byte \d+ changed/);
  });

  it('a firmware that stops serving a stable command fails abi.stable-commands-kept against the 2.0 record', async () => {
    const at2 = join(dir, 'cxl-2.0.json');
    writeSnapshot(at2, await takeSnapshot(['sim:cxl@2.0'], ALL));
    expect((await abiAgainst('sim:cxl@3.0', at2)).verdicts['abi.stable-commands-kept']).to.equal('pass');
    expect((await abiAgainst('sim:cxl@3.0+cxl-fw3-drops-telemetry', at2)).verdicts['abi.stable-commands-kept']).to.equal('fail');
  });

  it('a target whose device the snapshot does not hold gets no baseline, and the reason says so', async () => {
    const target: Target = sim('sim:pds@2.0');
    attachBaseline(target, at1);
    expect(target.parts.abiBaseline).to.equal(undefined);
    expect(target.unavailable?.abiBaseline).to.match(/cxl-1\.0\.json holds no record of this pds device \(fwctl0\)/);
    // It can still switch its own firmware, so the abi rules walk its versions as without a baseline.
    expect((await abiAgainst('sim:pds@2.0', at1)).verdicts['abi.stable-commands-kept']).to.equal('pass');
    await target.dispose();
  });

  it('matches records by serial number first, then by device name', () => {
    const snap = loadSnapshot(at1);
    const base = snap.devices[0]!;
    const two = { ...snap, devices: [{ ...base, device: 'fwctl3', serial: '0x2' }, { ...base, device: 'fwctl0', serial: '0x1' }] };
    const d = (device: string, serial?: string) => ({ spec: 'dev:x', kind: 'dev' as const, model: 'cxl', device, ...(serial && { serial }), allows: ALL.allow });
    expect(recordFor(two, d('fwctl0', '0x2'))?.device, 'renumbered after a reboot: the serial decides').to.equal('fwctl3');
    expect(recordFor(two, d('fwctl0', '0x9')), 'an unknown serial matches nothing').to.equal(undefined);
    expect(recordFor({ ...snap, devices: [base] }, d('fwctl0'))?.device, 'no serial: the name').to.equal('fwctl0');
  });

  it('a malformed snapshot is one line naming the file and the JSON pointer, exit 2', () => {
    const bad = join(dir, 'bad.json');
    const snap = JSON.parse(readFileSync(at1, 'utf8'));
    snap.devices[0].responses[0].scope = 'CONFIGURATION';
    writeFileSync(bad, JSON.stringify(snap));
    const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', 'run', '--target', 'sim:cxl@2.0', '--abi-baseline', bad, '--report-dir', join(dir, 'out')], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`${bad}: /devices/0/responses/0/scope: expected integer`);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });

  it('fwctl-cts snapshot writes a file that run --abi-baseline takes (the CLI round trip)', () => {
    const file = join(dir, 'cli.json');
    const cts = (...args: string[]) => spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const s = cts('snapshot', '--target', 'sim:cxl@1.0', '-o', file);
    expect(s.status, s.stderr).to.equal(0);
    expect(s.stdout).to.match(/1 device\(s\)[\s\S]*sim:cxl@1\.0: reference-cxl fw 1\.0/);
    const r = cts('run', '--target', 'sim:cxl@2.0+cxl-fw2-moves-field', '--suite', 'abi', '--abi-baseline', file, '--report-dir', join(dir, 'cli-out'));
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/FAIL abi\.stable-responses-grow/);
  });
});

describe('read-only observer (the dev: deviceState digest)', () => {
  /** Set the cxl_test feature's value through fwctl (DEBUG_WRITE), as a driver defect or another user might. */
  async function setFeature(target: SimTarget, data: string): Promise<void> {
    const fd = await target.open();
    const input = target.alloc(encodeSetFeature({ uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', data: Buffer.from(data, 'hex') }));
    const out = target.alloc(16);
    const rpc = target.alloc(encodeRpc({ size: RPC_SIZE, scope: 2, in_len: input.bytes.length, out_len: 16, in: input.addr, out: out.addr }));
    expect((await target.ioctl(fd, FWCTL_RPC, rpc.addr)).ret).to.equal(0);
    expect(out.bytes.readUInt32LE(4), 'retval').to.equal(0);
    await target.close(fd);
  }

  it('on the cxl_test model: the feature list and every feature; reads change nothing, a Set Feature changes the digest', async () => {
    const target = sim('sim:cxl@1.0');
    const profile = loadProfile('kernel-cxl');
    const seen = await observeState(target, profile);
    expect(seen[0]?.name, 'the supported-feature list first').to.equal('features');
    expect(seen.filter((o) => o.name.startsWith('feature ')).length, 'a Get Feature per readable feature').to.be.greaterThan(0);
    expect(seen.every((o) => o.ret === 0 && o.ok), seen.map((o) => `${o.name}: ${o.errno ?? o.status}`).join('; ')).to.equal(true);
    const varying = profileVarying(profile);
    const d0 = digest(seen, varying);
    expect(digest(await observeState(target, profile), varying), 'reading again').to.equal(d0);
    await setFeature(target, '01020304');
    const d1 = digest(await observeState(target, profile), varying);
    expect(d1, 'after a Set Feature').to.not.equal(d0);
    await target.dispose();
  });
});
