/**
 * The bnxt reference model (reference-driver/devices/bnxt) against the facts
 * of the Linux 7.3 source: drivers/fwctl/bnxt/main.c (cited as main.c:LINE),
 * include/uapi/fwctl/bnxt.h and include/linux/bnxt/hsi.h. Driven directly
 * through ReferenceSystem with the bnxt codec and profiles/reference-bnxt.json.
 */
import { expect } from 'chai';
import { bnxtCodec } from '../harness/codecs/bnxt.js';
import { loadProfile, presentAt, scopeValue, type Command, type Probe } from '../harness/profiles/profile.js';
import { DMA_CMDS, INLINE_ALLOW, findDmaDesc } from '../reference-driver/devices/bnxt/hsi.js';
import type { BnxtInstance } from '../reference-driver/devices/bnxt/model.js';
import { KernelErrno, ReferenceSystem, type FwctlFile, type Task } from '../reference-driver/index.js';
import { BNXT_UCTX_CAPS, FWCTL_BNXT_MAX_DMABUF, HWRM_MAX_REQ_LEN, HwrmReq, errnoCode } from '../uapi/bnxt.js';
import { DeviceType, FWCTL_INFO, FWCTL_RPC, Scope, decodeInfo, decodeRpc, encodeInfo, encodeRpc } from '../uapi/fwctl.js';

const profile = loadProfile('reference-bnxt');
const cmd = (name: string): Command => profile.commands.find((c) => c.name === name)!;
const SCOPES = [0, 1, 2, 3];

interface Sent {
  errno?: string;
  outLen: number;
  out: Buffer;
  ok?: boolean;
}

class Bnxt {
  readonly sys: ReferenceSystem;
  readonly task: Task;
  constructor(opts: { fw?: string; defects?: string[] } = {}) {
    this.sys = new ReferenceSystem({ model: 'bnxt', ...opts });
    this.task = this.sys.spawn({ capSysRawio: true });
  }
  get dev(): BnxtInstance {
    return this.sys.instance as BnxtInstance;
  }
  open(): FwctlFile {
    return this.sys.open(this.task);
  }
  map(x: number | Uint8Array) {
    const bytes = typeof x === 'number' ? Buffer.alloc(x) : Buffer.from(x);
    return { addr: this.task.memory.map(bytes), bytes };
  }
  /** The user buffers a codec allocated, by address. */
  readonly buffers = new Map<bigint, Buffer>();
  encode(item: Command | Probe, params: Record<string, unknown> = {}) {
    return bnxtCodec.encode(item.request, item.outLen ?? 16, { alloc: (x) => { const b = this.map(x); this.buffers.set(b.addr, b.bytes); return b; } }, params);
  }
  rpc(file: FwctlFile, scope: number, input: Buffer, outLen: number): Sent {
    const inBuf = this.map(input.length ? input : Buffer.alloc(1));
    const out = this.map(Math.max(outLen, 1));
    const arg = this.map(encodeRpc({ scope, in_len: input.length, out_len: outLen, in: inBuf.addr, out: out.addr }));
    try {
      this.sys.core.ioctl(this.task, file, FWCTL_RPC, arg.addr);
    } catch (e) {
      if (e instanceof KernelErrno) return { errno: e.errno, outLen: decodeRpc(arg.bytes).out_len, out: out.bytes };
      throw e;
    }
    return { outLen: decodeRpc(arg.bytes).out_len, out: out.bytes, ok: bnxtCodec.status(out.bytes).ok };
  }
  send(file: FwctlFile, item: Command | Probe, scope: number, params: Record<string, unknown> = {}): Sent {
    const enc = this.encode(item, params);
    return this.rpc(file, scope, enc.input, enc.outLen);
  }
}

const accepted = (s: Sent) => s.errno === undefined && s.ok === true;
const errorCode = (s: Sent) => s.out.readUInt16LE(0);

describe('bnxt model (Linux 7.3 drivers/fwctl/bnxt)', () => {
  it('the allow-list has the 104 request types of 7.3: 72 inline, 32 DMA, none twice', () => {
    // main.c:390-485 (bnxtctl_validate_rpc) and main.c:118-260 (bnxtctl_dma_cmds[]).
    expect(INLINE_ALLOW.size).to.equal(72);
    expect(DMA_CMDS.length).to.equal(32);
    const all = new Set([...INLINE_ALLOW.keys(), ...DMA_CMDS.map((d) => d.reqType)]);
    expect(all.size).to.equal(104);
    // Scope tiers of the inline list: 15 CONFIGURATION, 55 DEBUG_READ_ONLY, 2 DEBUG_WRITE.
    const tiers = [0, 1, 2, 3].map((s) => [...INLINE_ALLOW.values()].filter((e) => e.scopeMin === s).length);
    expect(tiers).to.deep.equal([15, 55, 2, 0]);
    expect(INLINE_ALLOW.get(HwrmReq.PORT_PHY_I2C_WRITE)?.scopeMin).to.equal(Scope.DEBUG_WRITE); // main.c:476
    expect(findDmaDesc(HwrmReq.NVM_RAW_WRITE_BLK)?.scopeMin).to.equal(Scope.DEBUG_WRITE_FULL);
    expect(findDmaDesc(HwrmReq.DBG_TOKEN_CFG)?.scopeMin).to.equal(Scope.DEBUG_WRITE_FULL);
    expect(findDmaDesc(HwrmReq.NVM_SET_VARIABLE)?.scopeMin).to.equal(Scope.CONFIGURATION);
    // hsi.h struct sizes: in_len must equal them exactly (main.c:542).
    expect(findDmaDesc(HwrmReq.NVM_GET_VARIABLE)?.reqSize).to.equal(40);
    expect(findDmaDesc(HwrmReq.DBG_READ_DIRECT)?.fields[0]).to.deep.include({ lenAt: 28, lenWidth: 4, unit: 4 });
    expect(findDmaDesc(HwrmReq.NVM_GET_DIR_ENTRIES)?.fields[0]?.bufLen).to.equal(FWCTL_BNXT_MAX_DMABUF);
  });

  it('the profile agrees with the allow-list on every catalogued command\'s scope tier', () => {
    for (const c of profile.commands) {
      const reqType = (c.request as { reqType: number }).reqType;
      const tier = findDmaDesc(reqType)?.scopeMin ?? INLINE_ALLOW.get(reqType)?.scopeMin;
      expect(tier, c.name).to.equal(scopeValue(c.minScope));
    }
    for (const p of [...profile.uncatalogued, ...profile.denied, ...(profile.kernelObjects?.probes ?? [])]) {
      const reqType = (p.request as { reqType: number }).reqType;
      expect(findDmaDesc(reqType) ?? INLINE_ALLOW.get(reqType), p.name).to.equal(undefined);
    }
  });

  it('FWCTL_INFO: device type BNXT and {uctx_caps 0xf}, 4 bytes (main.c:33, main.c:56)', () => {
    const b = new Bnxt();
    const f = b.open();
    const data = b.map(16);
    const arg = b.map(encodeInfo({ device_data_len: 16, out_device_data: data.addr }));
    b.sys.core.ioctl(b.task, f, FWCTL_INFO, arg.addr);
    const info = decodeInfo(arg.bytes);
    expect(info.out_device_type).to.equal(DeviceType.BNXT);
    expect(info.device_data_len).to.equal(4);
    expect(BNXT_UCTX_CAPS).to.equal(0xf);
    expect(data.bytes.readUInt32LE(0)).to.equal(0xf);
    expect([...data.bytes.subarray(4)].every((x) => x === 0)).to.equal(true);
  });

  it('in_len outside 16..128 and out_len < 8 are EINVAL (main.c:533, main.c:536)', () => {
    const b = new Bnxt();
    const f = b.open();
    const ver = b.encode(cmd('HWRM_VER_GET')).input;
    for (const len of [0, 8, 15]) expect(b.rpc(f, 1, ver.subarray(0, len), 176).errno, `in_len ${len}`).to.equal('EINVAL');
    expect(b.rpc(f, 1, ver.subarray(0, 16), 176).errno, 'in_len 16').to.equal(undefined);
    const long = Buffer.concat([ver, Buffer.alloc(HWRM_MAX_REQ_LEN)]);
    expect(b.rpc(f, 1, long.subarray(0, HWRM_MAX_REQ_LEN), 176).errno, 'in_len 128').to.equal(undefined);
    expect(b.rpc(f, 1, long.subarray(0, HWRM_MAX_REQ_LEN + 1), 176).errno, 'in_len 129').to.equal('EINVAL');
    expect(b.rpc(f, 1, ver, 7).errno, 'out_len 7').to.equal('EINVAL');
    expect(b.rpc(f, 1, ver, 8).errno, 'out_len 8').to.equal(undefined);
  });

  it('a request type off the allow-list is EPERM at every scope; below its tier too (main.c:565)', () => {
    const b = new Bnxt();
    const f = b.open();
    for (const p of [...profile.uncatalogued, ...profile.denied]) {
      for (const s of SCOPES) expect(b.send(f, p, s).errno, `${p.name} at ${s}`).to.equal('EPERM');
    }
    for (const c of profile.commands) {
      for (const s of SCOPES) {
        const r = b.send(f, c, s);
        if (s < scopeValue(c.minScope)) expect(r.errno, `${c.name} at ${s}`).to.equal('EPERM');
        else expect(accepted(r), `${c.name} at ${s}: ${r.errno ?? bnxtCodec.status(r.out).status}`).to.equal(true);
      }
    }
  });

  it('out_len stays the caller\'s; resp_len says how long the response is; seq_id is echoed and varies', () => {
    const b = new Bnxt();
    const f = b.open();
    const a = b.send(f, cmd('HWRM_FUNC_QCAPS'), 1);
    const c = b.send(f, cmd('HWRM_FUNC_QCAPS'), 1);
    expect(a.outLen).to.equal(256);
    expect(a.out.readUInt16LE(2), 'req_type echoed').to.equal(HwrmReq.FUNC_QCAPS);
    expect(a.out.readUInt16LE(6), 'resp_len: hsi.h hwrm_func_qcaps_output is 144 B').to.equal(144);
    expect(a.out[143], 'valid byte zeroed by bnxt_en').to.equal(0);
    expect(a.out.readUInt16LE(4)).to.not.equal(c.out.readUInt16LE(4));
    expect(bnxtCodec.payload(a.out)).to.deep.equal(bnxtCodec.payload(c.out));
    expect(bnxtCodec.payload(a.out).length).to.equal(144 - 9);
  });

  it('a firmware error is the response\'s error_code and the ioctl succeeds', () => {
    const b = new Bnxt();
    const f = b.open();
    // NVM_FIND_DIR_ENTRY of a type the directory does not have: HWRM_ERR_CODE_ENTITY_NOT_PRESENT.
    const r = b.send(f, { name: 'missing', request: { reqType: HwrmReq.NVM_FIND_DIR_ENTRY, body: '00000000000063000000000000000000' }, outLen: 32 }, 0);
    expect(r.errno).to.equal(undefined);
    expect(errorCode(r)).to.equal(0x13);
    expect(r.ok).to.equal(false);
  });

  it('cmpl_ring other than 0xffff: KONG-channel commands get EINVAL in error_code, others time out (-EBUSY) after running', () => {
    const b = new Bnxt();
    const f = b.open();
    const kong = b.send(f, { name: 'kong', request: { ...cmd('HWRM_VER_GET').request, cmplRing: 0, targetId: 0xfff9 }, outLen: 176 }, 1);
    expect(kong.errno).to.equal(undefined);
    expect(errorCode(kong)).to.equal(errnoCode(22));
    expect(kong.out.readUInt16LE(6), 'no response from the firmware').to.equal(0);
    const noRing = b.send(f, { name: 'ring 0x99', request: { ...cmd('HWRM_VER_GET').request, cmplRing: 0x99 }, outLen: 176 }, 1);
    expect(errorCode(noRing)).to.equal(errnoCode(16));
    const ownRing = b.send(f, { name: 'ring 1', request: { ...cmd('HWRM_VER_GET').request, cmplRing: 1 }, outLen: 176 }, 1);
    expect(accepted(ownRing), 'a completion on bnxt_en\'s own ring arrives').to.equal(true);
    const polled = b.send(f, cmd('HWRM_VER_GET'), 1);
    expect(accepted(polled), 'the codec sets cmpl_ring 0xffff').to.equal(true);
  });

  it('DMA commands: in_len must equal the input struct, lengths 1 B..64 KiB, data copied in before and out after the firmware ran', () => {
    const b = new Bnxt();
    const f = b.open();
    const get = cmd('HWRM_NVM_GET_VARIABLE');
    const enc = b.encode(get);
    expect(b.rpc(f, 0, enc.input.subarray(0, 39), 16).errno, 'in_len 39 (main.c:542)').to.equal('EINVAL');
    expect(b.rpc(f, 0, Buffer.concat([enc.input, Buffer.alloc(8)]), 16).errno, 'in_len 48').to.equal('EINVAL');
    const zero = Buffer.from(enc.input);
    zero.writeUInt16LE(0, 24);
    expect(b.rpc(f, 0, zero, 16).errno, 'data_len 0 (main.c:320)').to.equal('EINVAL');
    const read = b.encode(cmd('HWRM_NVM_READ')).input;
    const big = Buffer.from(read);
    big.writeUInt32LE(FWCTL_BNXT_MAX_DMABUF + 1, 32);
    expect(b.rpc(f, 1, big, 16).errno, 'len 64 KiB + 1').to.equal('EINVAL');
    // The length check comes before the allow-list: below scope, a bad length is still EINVAL.
    expect(b.rpc(f, 0, big, 16).errno, 'len 64 KiB + 1 at CONFIGURATION').to.equal('EINVAL');
    // FROM_DEVICE: the option's value lands in the caller's buffer (msix-vec-per-pf-max, 64).
    const addr = enc.input.readBigUInt64LE(16);
    expect(accepted(b.rpc(f, 0, enc.input, 16))).to.equal(true);
    expect(b.buffers.get(addr)!.readUInt16LE(0)).to.equal(64);
    // A bad FROM_DEVICE pointer is EFAULT after the firmware ran (main.c:375); TO_DEVICE before it (main.c:347).
    const set = b.encode(cmd('HWRM_NVM_SET_VARIABLE'), { value: 128 }).input;
    const badSet = Buffer.from(set);
    badSet.writeBigUInt64LE(0xdead0000n, 16);
    const before = b.dev.stateDigest();
    expect(b.rpc(f, 0, badSet, 16).errno).to.equal('EFAULT');
    expect(b.dev.stateDigest(), 'nothing written').to.equal(before);
    expect(accepted(b.rpc(f, 0, set, 16))).to.equal(true);
    expect(b.dev.stateDigest(), 'the option write is pending').to.not.equal(before);
  });

  it('an NVM option write goes live in bnxt_en only at a function reset', () => {
    const b = new Bnxt();
    const f = b.open();
    expect(b.dev.kernelDriver.liveConfig()['msix-vec-per-pf-max']).to.equal(64);
    expect(accepted(b.send(f, cmd('HWRM_NVM_SET_VARIABLE'), 0, { value: 128 }))).to.equal(true);
    expect(b.dev.kernelDriver.liveConfig()['msix-vec-per-pf-max']).to.equal(64);
    b.dev.functionReset();
    expect(b.dev.kernelDriver.liveConfig()['msix-vec-per-pf-max']).to.equal(128);
  });

  it('bnxt_en keeps its rings: RING_FREE is off the allow-list; its own requests work beside fwctl', () => {
    const b = new Bnxt();
    const f = b.open();
    const probe = profile.kernelObjects!.probes[0]!;
    for (const id of b.dev.kernelDriver.ownedObjects()) expect(b.send(f, probe, 3, { objectId: id }).errno).to.equal('EPERM');
    for (const name of ['HWRM_VER_GET', 'HWRM_NVM_FIND_DIR_ENTRY']) expect(b.dev.kernelDriver.use(name).ok, name).to.equal(true);
    const ulp = new Bnxt({ defects: ['bnxt-ring-free-allowed'] });
    expect(accepted(ulp.send(ulp.open(), probe, 0, { objectId: 1 }))).to.equal(true);
  });

  it('ULP stopped (bnxt_en resetting the firmware): every RPC is EPERM (main.c:394)', () => {
    const b = new Bnxt();
    const f = b.open();
    b.dev.bnxtEn.ulpStopped = true;
    expect(b.send(f, cmd('HWRM_VER_GET'), 1).errno).to.equal('EPERM');
  });

  it('firmware 2.0 only appends to the stable responses; 3.0 changes PORT_PHY_I2C_READ (a debug read)', () => {
    const payloads = (fw: string) => {
      const b = new Bnxt({ fw });
      const f = b.open();
      return Object.fromEntries(profile.commands.filter((c) => presentAt(c, fw) && c.safeProbe).map((c) => {
        const p = Buffer.from(bnxtCodec.payload(b.send(f, c, scopeValue(c.minScope)).out));
        for (const [off, len] of c.volatile ?? []) p.fill(0, off, off + len);
        return [c.name, p];
      }));
    };
    const [v1, v2, v3] = ['1.0', '2.0', '3.0'].map(payloads) as [Record<string, Buffer>, Record<string, Buffer>, Record<string, Buffer>];
    for (const name of Object.keys(v1)) {
      expect(v2[name]!.subarray(0, v1[name]!.length), `${name} 1.0 → 2.0`).to.deep.equal(v1[name]);
      if (name !== 'HWRM_PORT_PHY_I2C_READ') expect(v3[name], `${name} 2.0 → 3.0`).to.deep.equal(v2[name]);
    }
    expect(v2.HWRM_FUNC_QCAPS!.length).to.be.greaterThan(v1.HWRM_FUNC_QCAPS!.length);
    expect(v3.HWRM_PORT_PHY_I2C_READ).to.not.deep.equal(v2.HWRM_PORT_PHY_I2C_READ);
  });

  it('HWRM_VER_GET reports each firmware\'s version in the bytes the profile marks volatile', () => {
    const raw = (fw: string) => {
      const b = new Bnxt({ fw });
      return bnxtCodec.payload(b.send(b.open(), cmd('HWRM_VER_GET'), 1).out);
    };
    // hwrm_ver_get_output.hwrm_fw_maj_8b @12 (payload @4), hwrm_fw_major le16 @136 (payload @128).
    expect([raw('1.0')[4], raw('2.0')[4]]).to.deep.equal([220, 224]);
    expect(raw('3.0').readUInt16LE(128)).to.equal(230);
    const ranges = cmd('HWRM_VER_GET').volatile!;
    expect(ranges.some(([o, l]) => o <= 4 && 4 < o + l) && ranges.some(([o, l]) => o <= 128 && 128 < o + l)).to.equal(true);
  });
  it('the codec: cmpl_ring and target_id 0xffff, DMA buffers allocated and pointed at, status only from a written response', () => {
    const b = new Bnxt();
    const enc = b.encode(cmd('HWRM_NVM_SET_VARIABLE'), { value: 128 });
    expect(enc.input.length, 'sizeof(struct hwrm_nvm_set_variable_input)').to.equal(40);
    expect(enc.input.readUInt16LE(0)).to.equal(HwrmReq.NVM_SET_VARIABLE);
    expect(enc.input.readUInt16LE(2), 'cmpl_ring').to.equal(0xffff);
    expect(enc.input.readUInt16LE(6), 'target_id').to.equal(0xffff);
    expect(b.buffers.get(enc.input.readBigUInt64LE(16))!.readUInt16LE(0), 'param value in the DMA buffer').to.equal(128);
    expect(bnxtCodec.status(Buffer.alloc(16)).ok, 'a response nobody wrote').to.equal(false);
    const resp = Buffer.alloc(64);
    resp.writeUInt16LE(24, 6);
    expect(bnxtCodec.payload(resp).length, 'resp_len 24: 15 bytes of fields, then valid').to.equal(15);
    expect(bnxtCodec.volatileOut).to.deep.equal([[4, 2]]);
  });
});
