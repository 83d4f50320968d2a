/**
 * The pds reference model (reference-driver/devices/pds) against the rules
 * the suites test, driven directly through ReferenceSystem with the pds codec
 * and profiles/reference-pds.json; then each pds defect against its rule.
 */
import { expect } from 'chai';
import { pdsCodec } from '../harness/codecs/pds.js';
import { EFFECTS_FLOOR, loadProfile, presentAt, scopeValue, type Command, type Probe } from '../harness/profiles/profile.js';
import { DEFECTS, DriverHang, KernelErrno, KernelOops, ReferenceSystem, type FwctlFile, type Task } from '../reference-driver/index.js';
import type { PdsInstance } from '../reference-driver/devices/pds/model.js';
import { DeviceType, FWCTL_INFO, FWCTL_RPC, decodeInfo, decodeRpc, encodeInfo, encodeRpc } from '../uapi/fwctl.js';
import { PDS_RPC_OFF, PDS_RPC_SIZE, decodeRpcPds, encodeRpcPds, pdsOp } from '../uapi/pds.js';

const profile = loadProfile('reference-pds');
const cmd = (name: string): Command => profile.commands.find((c) => c.name === name)!;
const SCOPES = [0, 1, 2, 3];

interface Sent {
  errno?: string;
  /** fwctl_rpc.out_len after the call. */
  outLen: number;
  /** The fwctl_rpc.out buffer (the returned struct fwctl_rpc_pds). */
  out: Buffer;
  ok?: boolean;
  payload: Buffer;
}

/** A pds ReferenceSystem plus the plumbing to send profile commands through the fwctl core. */
class Pds {
  readonly sys: ReferenceSystem;
  readonly task: Task;
  constructor(opts: { fw?: string; defects?: string[] } = {}) {
    this.sys = new ReferenceSystem({ model: 'pds', ...opts });
    this.task = this.sys.spawn();
  }
  get dev(): PdsInstance {
    return this.sys.instance as PdsInstance;
  }
  digest(): string {
    return this.sys.instance.stateDigest();
  }
  open(): FwctlFile {
    return this.sys.open(this.task);
  }
  /** Mapped since the last release(): unmapped again so lookups stay fast over thousands of calls. */
  private mapped: bigint[] = [];
  private map(x: number | Uint8Array) {
    const bytes = typeof x === 'number' ? Buffer.alloc(x) : Buffer.from(x);
    const addr = this.task.memory.map(bytes);
    this.mapped.push(addr);
    return { addr, bytes };
  }
  /** Unmap every buffer mapped so far (their Buffers stay readable). */
  release(): void {
    for (const a of this.mapped.splice(0)) this.task.memory.unmap(a);
  }
  encode(item: Command | Probe, params: Record<string, unknown> = {}) {
    return pdsCodec.encode(item.request, item.outLen ?? 48, { alloc: (x) => this.map(x) }, params);
  }
  /** FWCTL_RPC with `input` as the request; KernelErrno becomes `errno`, anything else propagates. */
  rpc(file: FwctlFile, scope: number, input: Buffer, outLen = 48, response?: Buffer): Sent {
    const inBuf = this.map(input.length ? input : Buffer.alloc(1));
    const out = this.map(Math.max(outLen, 1));
    const arg = this.map(encodeRpc({ scope, in_len: input.length, out_len: outLen, in: inBuf.addr, out: out.addr }));
    try {
      this.sys.core.ioctl(this.task, file, FWCTL_RPC, arg.addr);
    } catch (e) {
      if (e instanceof KernelErrno) return { errno: e.errno, outLen: decodeRpc(arg.bytes).out_len, out: out.bytes, payload: Buffer.alloc(0) };
      throw e;
    }
    return {
      outLen: decodeRpc(arg.bytes).out_len,
      out: out.bytes,
      ok: pdsCodec.status(out.bytes).ok,
      payload: response ? pdsCodec.payload(response) : Buffer.alloc(0),
    };
  }
  send(file: FwctlFile, item: Command | Probe, scope: number, params: Record<string, unknown> = {}): Sent {
    const enc = this.encode(item, params);
    const r = this.rpc(file, scope, enc.input, enc.outLen, enc.response?.bytes);
    this.release();
    return r;
  }
  commands(): Command[] {
    return profile.commands.filter((c) => presentAt(c, this.sys.fw));
  }
}

const accepted = (s: Sent) => s.errno === undefined && s.ok === true;

describe('model pds (clean)', () => {
  it('probe: device type PDS, three firmware versions, no firmware resources per descriptor', () => {
    const p = new Pds();
    expect(p.sys.model.deviceType).to.equal(DeviceType.PDS);
    expect(p.sys.model.fwVersions).to.deep.equal(['1.0', '2.0', '3.0']);
    const files = [p.open(), p.open()];
    expect(p.dev.fwResources()).to.equal(0);
    for (const f of files) p.sys.core.close(f);
  });

  it('FWCTL_INFO: pdsfc_info never sets *length, so device_data_len is 0 and the buffer is zero-filled', () => {
    const p = new Pds();
    const f = p.open();
    const data = p.task.memory.map(Buffer.alloc(16, 0xee));
    const arg = Buffer.from(encodeInfo({ device_data_len: 16, out_device_data: data }));
    const addr = p.task.memory.map(arg);
    p.sys.core.ioctl(p.task, f, FWCTL_INFO, addr);
    expect(decodeInfo(arg)).to.include({ out_device_type: DeviceType.PDS, device_data_len: 0 });
    expect([...p.task.memory.copyFromUser(data, 16)]).to.deep.equal(new Array(16).fill(0));
  });

  it('the RPC output is the caller\'s struct: out_len = in_len = 48, out.retval set, out.len untouched, data in out.payload', () => {
    const p = new Pds();
    const f = p.open();
    const c = cmd('config:read');
    for (const outLen of [20, 48, 4096]) {
      const enc = p.encode(c);
      const r = p.rpc(f, 0, enc.input, outLen, enc.response!.bytes);
      expect(r.errno).to.equal(undefined);
      expect(r.outLen, `reported for out_len ${outLen}`).to.equal(c.reportedOutLen);
      if (outLen >= PDS_RPC_SIZE) {
        const back = decodeRpcPds(r.out);
        expect(back.retval).to.equal(0);
        expect(back.outLen).to.equal(decodeRpcPds(enc.input).outLen);
        expect(r.out.subarray(0, 24)).to.deep.equal(enc.input.subarray(0, 24));
      } else {
        expect(pdsCodec.status(r.out).ok, 'no retval in 20 bytes').to.equal(false);
      }
      // mtu 1500, rx-ring 1024, link speed 100000, lldp-enable 1 (appended in 2.0)
      expect([...r.payload.subarray(0, 8)]).to.deep.equal([1, 0, 0, 0, 0xdc, 0x05, 0, 0]);
      expect(r.payload.length).to.equal(32);
    }
  });

  it('operations are discovered lazily on the first RPC to an endpoint, then cached', () => {
    const p = new Pds();
    expect(p.dev.firmware.endpointQueries, 'at probe').to.equal(0);
    const f = p.open();
    p.send(f, cmd('config:read'), 0);
    p.send(f, cmd('config:identity'), 0);
    expect(p.dev.firmware.endpointQueries, 'after two RPCs to the config endpoint').to.equal(1);
    p.send(f, cmd('debug:reg-dump'), 1);
    expect(p.dev.firmware.endpointQueries, 'after the debug endpoint').to.equal(2);
  });

  it('validation: in_len < 48, in.len > max_req_sz, out.len > max_resp_sz, unknown op → EINVAL; bad payload pointers → EFAULT, nothing done', () => {
    const p = new Pds();
    const f = p.open();
    const enc = p.encode(cmd('config:write'));
    for (const len of [0, 1, 24, 47]) expect(p.rpc(f, 0, enc.input.subarray(0, len)).errno, `in_len ${len}`).to.equal('EINVAL');
    const patched = (off: number, v: number | bigint) => {
      const b = Buffer.from(enc.input);
      if (typeof v === 'bigint') b.writeBigUInt64LE(v, off);
      else b.writeUInt32LE(v, off);
      return b;
    };
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.in_len, 257)).errno).to.equal('EINVAL');
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.out_len, 1025)).errno).to.equal('EINVAL');
    const before = p.digest();
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.in_payload, 0x10n)).errno).to.equal('EFAULT');
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.out_payload, 0x10n)).errno).to.equal('EFAULT');
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.out_len, 255)).errno, 'out.len past the out.payload buffer').to.equal('EFAULT');
    expect(p.digest(), 'a write that failed with an errno changed nothing').to.equal(before);
    // Command bits equal and request version <= the firmware's: version 0 matches, 2 does not.
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.in_op, pdsOp(2, 0))).errno).to.equal(undefined);
    expect(p.rpc(f, 0, patched(PDS_RPC_OFF.in_op, pdsOp(2, 2))).errno).to.equal('EINVAL');
  });

  it('scope.rejected-below-minimum: every command below its minimum scope gets EPERM', () => {
    const p = new Pds();
    const f = p.open();
    for (const c of p.commands()) {
      for (const s of SCOPES.filter((x) => x < scopeValue(c.minScope))) expect(p.send(f, c, s).errno, `${c.name} at ${s}`).to.equal('EPERM');
    }
  });

  it('scope.accepted-at-and-above: every command, repeated, succeeds with retval 0 at and above its minimum', () => {
    for (const fw of ['1.0', '2.0', '3.0']) {
      const p = new Pds({ fw });
      const f = p.open();
      for (let round = 0; round < 2; round++) {
        for (const c of p.commands()) for (const s of SCOPES.filter((x) => x >= scopeValue(c.minScope))) expect(accepted(p.send(f, c, s)), `${c.name} at ${s} on ${fw}`).to.equal(true);
      }
    }
  });

  it('scope.effects-floor: no command is accepted below the floor of its effects', () => {
    const p = new Pds();
    const f = p.open();
    for (const c of p.commands()) {
      const lowest = SCOPES.find((s) => accepted(p.send(f, c, s)));
      expect(lowest, c.name).to.be.at.least(scopeValue(EFFECTS_FLOOR[c.effects]));
    }
  });

  it('scope.uncatalogued-denied: every uncatalogued probe gets EINVAL at every scope', () => {
    const p = new Pds();
    const f = p.open();
    for (const probe of profile.uncatalogued) for (const s of SCOPES) expect(p.send(f, probe, s).errno, `${probe.name} at ${s}`).to.equal('EINVAL');
  });

  it('scope.read-only-honest: reads at their minimum scope leave the device state unchanged', () => {
    const p = new Pds();
    const f = p.open();
    for (const c of p.commands().filter((x) => x.effects === 'read-only' || x.effects === 'debug-read')) {
      const before = p.digest();
      expect(accepted(p.send(f, c, scopeValue(c.minScope)))).to.equal(true);
      expect(p.digest(), c.name).to.equal(before);
    }
  });

  it('coupling.config-after-reset: config:write reaches pds_core only at the next function reset', () => {
    const p = new Pds();
    const c = cmd('config:write');
    const kernel = p.sys.instance.kernelDriver;
    const before = kernel.liveConfig()['mtu'];
    const value = c.config!.values.find((v) => v !== before)!;
    expect(accepted(p.send(p.open(), c, 0, { value }))).to.equal(true);
    expect(kernel.liveConfig()['mtu']).to.equal(before);
    p.sys.instance.functionReset();
    expect(kernel.liveConfig()['mtu']).to.equal(value);
  });

  it('coupling.kernel-objects-unreachable: queues:reset of pds_core\'s queues is refused at every scope and changes nothing', () => {
    const p = new Pds();
    const f = p.open();
    const ids = p.sys.instance.kernelDriver.ownedObjects();
    expect(ids).to.deep.equal([0, 1]);
    for (const probe of profile.kernelObjects!.probes) {
      for (const objectId of ids) {
        for (const s of SCOPES) {
          const before = p.digest();
          expect(accepted(p.send(f, probe, s, { objectId })), `${probe.name} ${objectId} at ${s}`).to.equal(false);
          expect(p.digest()).to.equal(before);
        }
      }
    }
  });

  it('sharing.many-descriptors and lifecycle.churn: 32 descriptors at once, then 300 open/RPC/close cycles', () => {
    const p = new Pds();
    const fds = Array.from({ length: 32 }, () => p.open());
    for (const f of fds) expect(accepted(p.send(f, cmd('config:read'), 0))).to.equal(true);
    for (const f of fds) p.sys.core.close(f);
    for (let i = 0; i < 300; i++) {
      const f = p.open();
      expect(accepted(p.send(f, cmd('config:read'), 0))).to.equal(true);
      p.sys.core.close(f);
    }
  });

  it('sharing.no-cross-talk: interleaved probes on two descriptors each get their own answer', () => {
    const p = new Pds();
    const [a, b] = [p.open(), p.open()];
    const [c1, c2] = [cmd('config:read'), cmd('config:identity')];
    const solo = [p.send(a, c1, 0).payload.toString('hex'), p.send(b, c2, 0).payload.toString('hex')];
    for (let i = 0; i < 6; i++) expect(p.send(i % 2 ? b : a, i % 2 ? c2 : c1, 0).payload.toString('hex')).to.equal(solo[i % 2]);
  });

  it('sharing.kernel-not-blocked: pds_core\'s own config:read works while a descriptor is open and busy', () => {
    const p = new Pds();
    p.send(p.open(), cmd('config:read'), 0);
    expect(p.sys.instance.kernelDriver.use('config:read').ok).to.equal(true);
  });

  it('denied.data-plane: the eth-tx and vDPA endpoints are never listed to fwctl (EINVAL at every scope)', () => {
    const p = new Pds();
    const f = p.open();
    for (const probe of profile.denied) for (const s of SCOPES) expect(p.send(f, probe, s).errno, `${probe.name} at ${s}`).to.equal('EINVAL');
  });

  it('abi: stable commands keep working and only grow across 1.0 → 2.0 → 3.0; debug:reg-dump changes in 3.0', () => {
    const p = new Pds({ fw: '1.0' });
    const at = (fw: string) => {
      p.sys.switchFirmware(fw);
      const f = p.open();
      return new Map(p.commands().filter((c) => c.minScope !== 'DEBUG_WRITE_FULL' && c.effects !== 'debug-write').map((c) => [c.name, p.send(f, c, scopeValue(c.minScope))]));
    };
    let prev = at('1.0');
    for (const fw of ['2.0', '3.0']) {
      const next = at(fw);
      for (const [name, r] of prev) {
        const after = next.get(name)!;
        expect(accepted(after), `${name} on ${fw}`).to.equal(true);
        const grew = after.payload.length >= r.payload.length && after.payload.subarray(0, r.payload.length).equals(r.payload);
        expect(grew, `${name} ${fw}`).to.equal(cmd(name).stability === 'stable' || fw !== '3.0');
      }
      prev = next;
    }
    expect(prev.get('config:read')!.payload.length, 'config:read grew in 2.0').to.equal(32);
  });

  it('robustness: truncated and byte-garbled requests of every command, at every scope, only ever fail with an errno and change nothing then', () => {
    for (const fw of ['1.0', '3.0']) {
      const p = new Pds({ fw });
      const f = p.open();
      let errnos = 0;
      for (const c of p.commands()) {
        const mutations: ((b: Buffer) => Buffer)[] = [];
        for (let len = 0; len < PDS_RPC_SIZE; len++) mutations.push((b) => b.subarray(0, len));
        for (let off = 0; off < PDS_RPC_SIZE; off++) {
          for (const v of [0x00, 0xff]) mutations.push((b) => ((b = Buffer.from(b)), (b[off] = v), b));
        }
        for (const s of SCOPES) {
          for (const m of mutations) {
            const before = p.digest();
            const enc = p.encode(c);
            const r = p.rpc(f, s, m(enc.input), enc.outLen, enc.response!.bytes); // throws on an oops or a hang
            p.release();
            if (r.errno) {
              errnos++;
              expect(p.digest(), `${c.name} at ${s}: ${r.errno}`).to.equal(before);
            }
          }
        }
      }
      expect(errnos).to.be.greaterThan(0);
    }
  });
});

describe('model pds: codec and profiles', () => {
  it('the codec puts the payloads in user memory and reads retval @24 and the {len, data} response', () => {
    const mem: Buffer[] = [];
    let next = 0x1000n;
    const enc = pdsCodec.encode(cmd('config:write').request, 48, { alloc: (x) => ({ addr: (next += 0x1000n), bytes: (mem.push(Buffer.from(typeof x === 'number' ? Buffer.alloc(x) : x)), mem.at(-1)!) }) }, { value: 9000 });
    const s = decodeRpcPds(enc.input);
    expect(s).to.include({ op: pdsOp(2, 1), ep: 1, inLen: 8, outLen: 16 });
    expect(mem[0]!.toString('hex')).to.equal('0100000028230000');
    expect(enc.response!.bytes.length).to.equal(16);
    expect(pdsCodec.status(encodeRpcPds({ retval: 14 }))).to.deep.equal({ ok: false, status: 'retval 14' });
    expect(pdsCodec.status(Buffer.alloc(20)).ok).to.equal(false);
    expect([...pdsCodec.payload(Buffer.from('0200000011223344', 'hex'))]).to.deep.equal([0x11, 0x22]);
  });

  it('both pds profiles load, and the kernel contract matches the digest (EPERM/EINVAL, info length 0, minInLen 48)', () => {
    const k = loadProfile('kernel-pds');
    for (const pr of [profile, k]) {
      expect(pr).to.deep.include({ rejections: { belowScope: 'EPERM', uncatalogued: 'EINVAL' }, info: { hasInfoOp: true, dataLength: 0 } });
      // The short-request hazard: fixed in 7.3 (e7537735: EINVAL), the release the model follows (its checked in_len;
      // 479bec4c's unchecked read is the pds-short-request-oops defect).
      expect(pr.hazards).to.deep.equal({ minInLen: 48, before: '7.3', refusal: 'EINVAL' });
      expect(pr.resources).to.deep.equal({ perDescriptor: false, observedBy: 'none' });
      expect(pr.ownObjects).to.equal(undefined);
      for (const c of pr.commands) expect(c.reportedOutLen, c.name).to.equal(48);
    }
  });
});

describe('model pds: each defect breaks its rule', () => {
  const checks: Record<string, () => void> = {
    'pds-any-scope': () => {
      const p = new Pds({ defects: ['pds-any-scope'] });
      expect(accepted(p.send(p.open(), cmd('debug:raw-write'), 0))).to.equal(true);
    },
    'pds-scope-non-monotonic': () => {
      const p = new Pds({ defects: ['pds-scope-non-monotonic'] });
      const f = p.open();
      expect(accepted(p.send(f, cmd('debug:reg-poke'), 2))).to.equal(true);
      expect(p.send(f, cmd('debug:reg-poke'), 3).errno).to.equal('EPERM');
    },
    'pds-op-version-ignored': () => {
      const p = new Pds({ defects: ['pds-op-version-ignored'] });
      const probe = profile.uncatalogued.find((x) => (x.request as { ver?: number }).ver === 127)!;
      expect(p.send(p.open(), probe, 0).errno).to.equal(undefined);
    },
    'pds-identity-read-audited': () => {
      const p = new Pds({ defects: ['pds-identity-read-audited'] });
      const before = p.digest();
      p.send(p.open(), cmd('config:identity'), 0);
      expect(p.digest()).to.not.equal(before);
    },
    'pds-config-applied-live': () => {
      const p = new Pds({ defects: ['pds-config-applied-live'] });
      p.send(p.open(), cmd('config:write'), 0, { value: 9000 });
      expect(p.sys.instance.kernelDriver.liveConfig()['mtu']).to.equal(9000);
    },
    'pds-kernel-queue-reachable': () => {
      const p = new Pds({ defects: ['pds-kernel-queue-reachable'] });
      const before = p.digest();
      expect(accepted(p.send(p.open(), profile.kernelObjects!.probes[0]!, 0, { objectId: 0 }))).to.equal(true);
      expect(p.digest()).to.not.equal(before);
    },
    'pds-adminq-held-open': () => {
      const p = new Pds({ defects: ['pds-adminq-held-open'] });
      const f = p.open();
      expect(p.sys.instance.kernelDriver.use('config:read').ok).to.equal(false);
      p.sys.core.close(f);
      expect(p.sys.instance.kernelDriver.use('config:read').ok).to.equal(true);
    },
    'pds-datapath-exposed': () => {
      const p = new Pds({ defects: ['pds-datapath-exposed'] });
      expect(p.send(p.open(), profile.denied[0]!, 0).errno).to.equal(undefined);
    },
    'pds-fw2-identity-rescoped': () => {
      const p = new Pds({ fw: '1.0', defects: ['pds-fw2-identity-rescoped'] });
      const verdicts = ['1.0', '2.0', '3.0'].map((fw) => (p.sys.switchFirmware(fw), p.send(p.open(), cmd('config:identity'), 0).errno ?? 'ok'));
      expect(verdicts).to.deep.equal(['ok', 'EPERM', 'ok']);
    },
    'pds-fw2-config-reordered': () => {
      const p = new Pds({ fw: '1.0', defects: ['pds-fw2-config-reordered'] });
      const a = p.send(p.open(), cmd('config:read'), 0).payload;
      p.sys.switchFirmware('2.0');
      const b = p.send(p.open(), cmd('config:read'), 0).payload;
      expect(b.subarray(0, a.length).equals(a)).to.equal(false);
    },
    'pds-hang-on-reserved': () => {
      const p = new Pds({ defects: ['pds-hang-on-reserved'] });
      const enc = p.encode(cmd('config:read'));
      enc.input[PDS_RPC_OFF.in_rsvd] = 0xff;
      expect(() => p.rpc(p.open(), 0, enc.input)).to.throw(DriverHang);
    },
    'pds-short-request-oops': () => {
      const p = new Pds({ defects: ['pds-short-request-oops'] });
      expect(() => p.rpc(p.open(), 0, p.encode(cmd('config:read')).input.subarray(0, 47))).to.throw(KernelOops);
    },
    'pds-late-out-fault': () => {
      const p = new Pds({ defects: ['pds-late-out-fault'] });
      const f = p.open();
      p.send(f, cmd('config:write'), 0);
      const enc = p.encode(cmd('config:write'));
      enc.input[PDS_RPC_OFF.out_len] = 0xff;
      const before = p.digest();
      expect(p.rpc(f, 0, enc.input).errno).to.equal('EFAULT');
      expect(p.digest()).to.not.equal(before);
    },
    'pds-posts-before-validate': () => {
      const p = new Pds({ defects: ['pds-posts-before-validate'] });
      const before = p.digest();
      expect(p.send(p.open(), profile.denied[0]!, 0).errno).to.equal('EINVAL');
      expect(p.digest()).to.not.equal(before);
    },
    'pds-uctx-page-leak': () => {
      const p = new Pds({ defects: ['pds-uctx-page-leak'] });
      p.sys.core.close(p.open());
      expect(p.sys.instance.fwResources()).to.equal(1);
    },
    'pds-adminq-held-after-write': () => {
      const p = new Pds({ defects: ['pds-adminq-held-after-write'] });
      const f = p.open();
      p.send(f, cmd('config:read'), 0);
      expect(p.sys.instance.kernelDriver.use('config:read').ok).to.equal(true);
      p.send(f, cmd('config:write'), 0);
      expect(p.sys.instance.kernelDriver.use('config:read').ok).to.equal(false);
    },
  };

  it('every pds defect in the catalogue has a check here', () => {
    expect(Object.keys(checks).sort()).to.deep.equal(DEFECTS.filter((d) => d.layer === 'pds').map((d) => d.id).sort());
  });

  for (const d of DEFECTS.filter((x) => x.layer === 'pds')) {
    it(`${d.id} → ${d.breaks.join(', ')}`, () => checks[d.id]?.());
  }
});
