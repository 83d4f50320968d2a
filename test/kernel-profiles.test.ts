/**
 * Kernel profiles against the kernel's own tables (issue 10 item 1):
 * scripts/check-kernel-profiles.mjs must agree on every entry and fail on one
 * changed entry; sim:mlx5 must allow exactly what 6.15 as merged allows (the
 * table extracted from torvalds@52929c21, test/fixtures/kernel/mlx5-6.15.json).
 * With FWCTL_CTS_KERNEL_SRC set to a Linux source tree the whole check also
 * runs against it (CI runs it as npm run check:profiles).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/paths.js';
import { kernelProfileFor } from '../harness/profiles/kernel.js';
import { loadProfile, type Profile } from '../harness/profiles/profile.js';
import { Device } from '../suites/support/device.js';
import type { Fixture } from '../suites/support/fixture.js';
import { shortRequestsRefused } from '../suites/support/robustness.js';
import { KernelErrno, ReferenceSystem } from '../reference-driver/index.js';
import { KERNEL_EXCLUSIVE } from '../reference-driver/devices/cxl/driver.js';
import { Op } from '../reference-driver/devices/mlx5/ifc.js';
import { CxlRetval, uuidBytes } from '../uapi/cxl.js';
import { FWCTL_RPC, encodeRpc } from '../uapi/fwctl.js';

interface Entry {
  key: string;
  name: string;
  opcode: number;
  scope: string;
  opMod?: 'write' | 'read';
}
interface Checker {
  compare(p: Profile, table: Entry[]): { agree: number; total: number; problems: string[] };
}

const SCRIPT = join(ROOT, 'scripts', 'check-kernel-profiles.mjs');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'kernel', 'mlx5-6.15.json');
const MLX5_6_15: Entry[] = JSON.parse(readFileSync(FIXTURE, 'utf8')).entries;
const SCOPES = ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL'];
class Skip extends Error {}
const checker = (): Promise<Checker> => import(pathToFileURL(SCRIPT).href) as Promise<Checker>;

describe('kernel profiles: check:profiles', () => {
  it('the 6.15 mlx5 table has 90 opcodes, ACCESS_REG and ACCESS_REGISTER_USER split by op_mod', () => {
    expect(new Set(MLX5_6_15.map((e) => e.opcode)).size).to.equal(90);
    expect(MLX5_6_15.filter((e) => e.opMod).map((e) => e.key).sort()).to.deep.equal(['0x805/op_mod!=0', '0x805/op_mod=0', '0xb0c/op_mod!=0', '0xb0c/op_mod=0']);
  });

  it('kernel-mlx5 agrees with the 6.15 table on every entry', async () => {
    const r = (await checker()).compare(loadProfile('kernel-mlx5'), MLX5_6_15);
    expect(r.problems).to.deep.equal([]);
    expect([r.agree, r.total]).to.deep.equal([92, 92]);
  });

  it('one changed minimum scope, one dropped command, one allowed probe: each a difference', async () => {
    const p = structuredClone(loadProfile('kernel-mlx5'));
    p.commands.find((c) => c.name === 'QUERY_ISSI')!.minScope = 'CONFIGURATION';
    p.commands = p.commands.filter((c) => c.name !== 'NOP') as typeof p.commands;
    p.uncatalogued.push({ name: 'QUERY_VUID as a probe', request: { opcode: '0xb22' } });
    const r = (await checker()).compare(p, MLX5_6_15);
    expect(r.agree).to.equal(90);
    expect(r.problems).to.have.length(3);
    expect(r.problems.join('\n')).to.match(/QUERY_ISSI.*CONFIGURATION, kernel DEBUG_READ_ONLY/).and.match(/NOP.*missing from the profile/).and.match(/QUERY_VUID as a probe.*kernel allows it/);
  });

  it('kernelObjects probes all off the allow-list: refusal.by must be kernel (a device status would mean they reached it)', async () => {
    const p = structuredClone(loadProfile('kernel-mlx5'));
    expect(p.kernelObjects!.refusal).to.deep.include({ by: 'kernel', errnos: ['EBADMSG'] });
    delete p.kernelObjects!.refusal;
    const r = (await checker()).compare(p, MLX5_6_15);
    expect(r.problems).to.deep.equal(["kernelObjects: the kernel refuses every probe itself (off its allow-list or kernel-exclusive), but refusal.by is unset (kernel-or-device), not 'kernel'"]);
  });

  it('the command line agrees on kernel-mlx5 (92 of 92) and fails (exit 1) once one entry is edited (recorded 6.15 table, no source)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-profiles-'));
    try {
      cpSync(join(ROOT, 'profiles', 'kernel-mlx5.json'), join(dir, 'kernel-mlx5.json'));
      const clean = spawnSync(process.execPath, [SCRIPT, '--fixtures-only', '--profiles', dir], { encoding: 'utf8' });
      expect(clean.status, clean.stdout + clean.stderr).to.equal(0);
      expect(clean.stdout).to.match(/kernel-mlx5 .* 92 of 92/);
      const file = join(dir, 'kernel-mlx5.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/("name": "SET_DIAGNOSTIC_PARAMS:disable"[^\n]*"minScope": )"DEBUG_WRITE"/, '$1"DEBUG_READ_ONLY"'));
      const r = spawnSync(process.execPath, [SCRIPT, '--fixtures-only', '--profiles', dir], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).to.equal(1);
      expect(r.stdout).to.match(/kernel-mlx5 .* 91 of 92/).and.match(/SET_DIAGNOSTIC_PARAMS.*DEBUG_READ_ONLY, kernel DEBUG_WRITE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the command line fails (exit 1) on a copy of the profiles with one edited entry', function () {
    const src = process.env.FWCTL_CTS_KERNEL_SRC;
    if (!src) this.skip(); // needs a Linux source tree: FWCTL_CTS_KERNEL_SRC (CI: npm run check:profiles)
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-profiles-'));
    try {
      cpSync(join(ROOT, 'profiles'), dir, { recursive: true });
      const clean = spawnSync(process.execPath, [SCRIPT, src, '--profiles', dir], { encoding: 'utf8' });
      expect(clean.status, clean.stdout + clean.stderr).to.equal(0);
      const file = join(dir, 'kernel-bnxt.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/("name": "HWRM_FUNC_QCAPS"[^\n]*"minScope": )"DEBUG_READ_ONLY"/, '$1"CONFIGURATION"'));
      const r = spawnSync(process.execPath, [SCRIPT, src, '--profiles', dir], { encoding: 'utf8' });
      expect(r.status, r.stdout).to.equal(1);
      expect(r.stdout).to.match(/kernel-bnxt .* 103 of 104/).and.match(/HWRM_FUNC_QCAPS.*CONFIGURATION, kernel DEBUG_READ_ONLY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** FWCTL_RPC of a header-only mlx5 command at `scope`: the errno, or undefined when the driver passed it on. */
function send(sys: ReferenceSystem, opcode: number, opMod: number, scope: number): string | undefined {
  const task = sys.spawn();
  const file = sys.open(task);
  const input = Buffer.alloc(16 + 64);
  input.writeUInt16BE(opcode, 0);
  input.writeUInt16BE(opMod, 6);
  const out = Buffer.alloc(256);
  const arg = Buffer.from(encodeRpc({ scope, in_len: input.length, out_len: out.length, in: task.memory.map(input), out: task.memory.map(out) }));
  try {
    sys.core.ioctl(task, file, FWCTL_RPC, task.memory.map(arg));
    return undefined;
  } catch (e) {
    if (e instanceof KernelErrno) return e.errno;
    throw e;
  } finally {
    sys.core.close(file, 'close');
  }
}

describe('kernel profiles: sim:mlx5 is the driver as merged for 6.15', () => {
  it('agrees with the 6.15 table on 90 of 90 opcodes (each entry refused below its scope, passed at and above; op_mod rule included)', () => {
    const sys = new ReferenceSystem({ model: 'mlx5' });
    const bad: string[] = [];
    for (const e of MLX5_6_15) {
      const opMod = e.opMod === 'write' ? 0 : 1;
      for (let s = 0; s < 4; s++) {
        const errno = send(sys, e.opcode, opMod, s);
        const want = s < SCOPES.indexOf(e.scope) ? 'EBADMSG' : undefined;
        if (errno !== want) bad.push(`${e.name} (${e.key}) at ${SCOPES[s]}: ${errno ?? 'passed'}, kernel ${want ?? 'passes'}`);
      }
    }
    expect(bad).to.deep.equal([]);
    expect(new Set(MLX5_6_15.map((e) => e.opcode)).size).to.equal(90);
  });

  it('refuses every other mlx5 opcode the model knows at every scope, 7.3 additions included (the model-only 0xf0xx commands aside)', () => {
    const allowed = new Set(MLX5_6_15.map((e) => e.opcode));
    const others = Object.values(Op).filter((op) => !allowed.has(op) && op < 0xf000);
    expect(others).to.include.members([Op.MODIFY_CONG_STATUS, Op.QUERY_ADJACENT_FUNCTIONS_ID, Op.DELEGATE_VHCA_MANAGEMENT, Op.QUERY_DELEGATED_VHCA]);
    const sys = new ReferenceSystem({ model: 'mlx5' });
    const sys73 = new ReferenceSystem({ model: 'mlx5-7-3' });
    for (const op of others) {
      for (let s = 0; s < 4; s++) expect(send(sys, op, 1, s), `0x${op.toString(16)} at ${s}`).to.equal('EBADMSG');
    }
    // sim:mlx5-7-3 passes the four 7.3 additions at their scopes (kernel-mlx5-7-3, checked against the 7.3 source, says which).
    const k73 = loadProfile('kernel-mlx5-7-3');
    for (const name of ['MODIFY_CONG_STATUS', 'QUERY_ADJACENT_FUNCTIONS_ID', 'DELEGATE_VHCA_MANAGEMENT', 'QUERY_DELEGATED_VHCA']) {
      const c = k73.commands.find((x) => x.name === name)!;
      const min = SCOPES.indexOf(c.minScope);
      for (let s = 0; s < 4; s++) expect(send(sys73, Number(c.request.opcode), 0, s), `${name} at ${s} on mlx5-7-3`).to.equal(s < min ? 'EBADMSG' : undefined);
    }
  });
});

describe('kernel profiles: the CXL model', () => {
  it('keeps the eight kernel-exclusive features of kernel-cxl (checked against the 7.3 source) to the kernel', () => {
    const uuids = loadProfile('kernel-cxl').kernelObjects!.probes.map((p) => String(p.request.uuid));
    expect(uuids).to.have.length(8);
    expect([...KERNEL_EXCLUSIVE].sort()).to.deep.equal(uuids.sort());
  });

  /** Set Feature of `uuid` with 4 data bytes through the simulated kernel: the errno, or the mailbox retval. */
  const setFeature = (sys: ReferenceSystem, uuid: string, scope: number): { errno?: string; retval?: number } => {
    const task = sys.spawn();
    const file = sys.open(task);
    const input = Buffer.alloc(52);
    input.writeUInt16LE(0x502, 0); // fwctl_rpc_cxl.opcode
    input.writeUInt32LE(52 - 16, 8); // op_size: the Set Feature header and 4 data bytes
    uuidBytes(uuid).copy(input, 16);
    const out = Buffer.alloc(16);
    const arg = Buffer.from(encodeRpc({ scope, in_len: input.length, out_len: out.length, in: task.memory.map(input), out: task.memory.map(out) }));
    try {
      sys.core.ioctl(task, file, FWCTL_RPC, task.memory.map(arg));
      return { retval: out.readUInt32LE(4) }; // fwctl_rpc_cxl_out.retval
    } catch (e) {
      if (!(e instanceof KernelErrno)) throw e;
      return { errno: e.errno };
    } finally {
      sys.core.close(file, 'close');
    }
  };

  it('refuses Set Feature of each at every scope (EINVAL where the device does not list it or the scope is short, else EPERM)', () => {
    const sys = new ReferenceSystem({ model: 'cxl' });
    const k = loadProfile('kernel-cxl');
    expect(k.kernelObjects!.refusal).to.include({ by: 'kernel' });
    for (const p of k.kernelObjects!.probes) {
      for (let s = 0; s < 4; s++) {
        // cxlctl_validate_set_features first: a feature the device does not list, or a scope below the
        // one its effects need (patrol scrub: immediate, DEBUG_WRITE_FULL), is EINVAL; past that, EPERM.
        const listed = p.request.uuid === '96dad7d6-fde8-482b-a733-75774e06db8a';
        const { errno } = setFeature(sys, String(p.request.uuid), s);
        expect(errno, `${p.name} at ${s}`).to.equal(listed && s === 3 ? 'EPERM' : 'EINVAL');
        expect(k.kernelObjects!.refusal!.errnos).to.include(errno);
      }
    }
  });

  it('cxl-exclusive-left-to-device is kernel mutant 18: the request reaches the mailbox, which answers Unsupported and changes nothing', () => {
    for (const fw of ['1.0', '3.0']) {
      const sys = new ReferenceSystem({ model: 'cxl', fw, defects: ['cxl-exclusive-left-to-device'] });
      const before = sys.instance.stateDigest();
      for (const uuid of KERNEL_EXCLUSIVE) {
        for (let s = 0; s < 4; s++) {
          // fw 1.0 (cxl_test's mock) lists none of them: every scope reaches it, as on the mutated kernel;
          // 3.0 lists patrol scrub, whose immediate effects still need DEBUG_WRITE_FULL.
          const listed = fw === '3.0' && uuid === '96dad7d6-fde8-482b-a733-75774e06db8a';
          const r = setFeature(sys, uuid, s);
          expect(r, `${uuid} at ${s} on ${fw}`).to.deep.equal(listed && s < 3 ? { errno: 'EINVAL' } : { retval: CxlRetval.UNSUPPORTED });
        }
      }
      expect(sys.instance.stateDigest(), `device state on ${fw}`).to.equal(before);
    }
  });
});

describe('kernel profiles: dev: picks by device type and kernel release', () => {
  const pick = (type: string, rel: string) => kernelProfileFor(type, rel);
  it('the profile whose kernels range holds the release', () => {
    expect(pick('mlx5', '6.15.0')).to.deep.equal({ id: 'kernel-mlx5' });
    expect(pick('mlx5', '7.2.1-amd64')).to.deep.equal({ id: 'kernel-mlx5' });
    expect(pick('mlx5', '7.3.4-amd64')).to.deep.equal({ id: 'kernel-mlx5-7-3' });
    expect(pick('mlx5', '8.1.0')).to.deep.equal({ id: 'kernel-mlx5-7-3' });
    expect(pick('cxl', '7.3.4')).to.deep.equal({ id: 'kernel-cxl' });
  });
  it('none holds it: the nearest older one, else the oldest, with a note; an unknown type: none', () => {
    expect(pick('bnxt', '7.1.0')).to.include({ id: 'kernel-bnxt' }).and.have.property('note').that.matches(/no bnxt profile describes kernel 7\.1/);
    expect(pick('mlx5', '6.12.9')).to.include({ id: 'kernel-mlx5' }).and.have.property('note');
    expect(pick('nic', '7.3.0')).to.equal(undefined);
  });
  it('run --profile names a profile that must exist: otherwise one line, exit 2', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'fwctl-cts.js'), 'run', '--target', 'sim:cxl', '--profile', 'kernel-nosuch', '--dry-run'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/kernel-nosuch/);
  });
  it('hazards apply before their fixed kernel only: a short CXL or pds request is sent on 7.3', () => {
    for (const id of ['kernel-cxl', 'kernel-pds']) {
      const p = loadProfile(id);
      expect(Device.of(p, undefined, '7.3.4-amd64').minInLen, `${id} on 7.3`).to.equal(0);
      expect(Device.of(p, undefined, '6.18.2').minInLen, `${id} on 6.18`).to.equal(48);
      expect(Device.of(p, undefined).minInLen, `${id}, kernel unknown`).to.equal(48);
    }
  });
  it('the short-request check and its errno come from the source: both halves of 7.3 cxlctl_fw_rpc, mutant 16 unchecked, another errno a difference', async () => {
    const tables = (await import(pathToFileURL(join(ROOT, 'scripts', 'kernel-tables.mjs')).href)) as { inLenRefusal(src: string, fn: string, re: RegExp): string | undefined };
    const { compare, IN_LEN_CHECKS } = (await checker()) as unknown as { compare(p: Profile, t: Entry[], h: { version: string; checked: boolean; errno?: string }): { problems: string[] }; IN_LEN_CHECKS: Record<string, { pattern: RegExp }> };
    const CXL = IN_LEN_CHECKS.cxl!.pattern;
    const fn = (check: string, errno: string) => `static void *cxlctl_fw_rpc(struct fwctl_uctx *uctx, void *in, size_t in_len)\n{\n\tif (${check})\n\t\treturn ERR_PTR(-${errno});\n\treturn NULL;\n}\n`;
    const fixed = fn('in_len < sizeof(rpc_in->hdr) ||\n\t    rpc_in->op_size > in_len - sizeof(rpc_in->hdr)', 'EINVAL');
    expect(tables.inLenRefusal(fixed, 'cxlctl_fw_rpc', CXL)).to.equal('EINVAL');
    expect(tables.inLenRefusal(fn('in_len < sizeof(rpc_in->hdr)', 'EINVAL'), 'cxlctl_fw_rpc', CXL)).to.equal(undefined);
    expect(tables.inLenRefusal(fn('in_len < sizeof(rpc_in->hdr) || rpc_in->op_size > in_len - sizeof(rpc_in->hdr)', 'EPERM'), 'cxlctl_fw_rpc', CXL)).to.equal('EPERM');
    const p = loadProfile('kernel-cxl');
    const table = p.commands.map((c) => ({ key: '', name: c.name, opcode: 0, scope: c.minScope }));
    const problems = (errno: string) => compare(p, table, { version: '7.3', checked: true, errno }).problems.filter((x) => x.startsWith('short-request'));
    expect(problems('EINVAL')).to.deep.equal([]);
    expect(problems('EPERM')).to.deep.equal(['short-request hazard: the 7.3 driver refuses a short request with EPERM, the profile says EINVAL (hazards.refusal)']);
  });
  it('robustness.short-request-refused sends nothing where the hazard is not fixed: a pre-7.3 or unknown kernel, hazards allowed or not', async () => {
    for (const [kernel, hazards] of [['6.18.2', false], ['6.18.2', true], [undefined, false]] as const) {
      // A target with no calls at all: any request sent would throw, not skip.
      const target = { description: { spec: 'dev:fake', kind: 'dev', model: 'cxl', allows: { taint: false, destructive: false, hazards } }, parts: {} };
      const t = { target, device: async () => Device.of(loadProfile('kernel-cxl'), undefined, kernel), skip: (why: string): never => { throw new Skip(why); } };
      const why = await shortRequestsRefused(t as unknown as Fixture).then(() => 'ran', (e: unknown) => (e instanceof Skip ? e.message : String(e)));
      expect(why, `${kernel} hazards ${hazards}`).to.match(kernel ? /^not applicable: Linux 6\.18\.2 predates 7\.3/ : /^the kernel release is unknown/);
    }
  });
  it('a sim is at the release its model follows: the short-request hazard of reference-cxl and reference-pds is fixed there, not where the model follows 6.15', () => {
    for (const m of ['cxl', 'pds']) {
      const sys = new ReferenceSystem({ model: m });
      expect(sys.model.kernel, m).to.equal('7.3');
      expect(Device.of(loadProfile(`reference-${m}`), undefined, sys.model.kernel).hazardFixed, m).to.equal(true);
      expect(Device.of(loadProfile(`reference-${m}`), undefined, '6.15').hazardFixed, `${m} on 6.15`).to.equal(false);
    }
    expect(new ReferenceSystem({ model: 'mlx5' }).model.kernel).to.equal('6.15');
  });
});
