/**
 * The bnxt-like device's HWRM firmware. It takes a request (struct input
 * header + body, hsi.h), reads and writes host memory only at the bus
 * addresses the request carries (DMA), and answers with a response of its own
 * resp_len: error_code, the echoed req_type and seq_id, resp_len, the
 * command's fields, and `valid` (1) in the last byte. A failed command
 * answers with struct hwrm_err_output (16 B) and changes nothing.
 *
 * The firmware does not know which driver sent a request: bnxt_en and the
 * fwctl driver share one HWRM channel, so keeping bnxt_en's rings and its data
 * plane away from fwctl is the fwctl driver's allow-list's job.
 */
import { crc32 } from 'node:zlib';
import { HWRM_IN_OFF, HWRM_OUT_OFF, HwrmErr, HwrmReq } from '../../../uapi/bnxt.js';
import type { Defects } from '../../defects/defects.js';
import firmware from './firmware.json' with { type: 'json' };

interface VersionSpec {
  /** hwrm_fw, mgmt_fw and HWRM interface versions: major, minor, build. */
  fw: number[];
  mgmt: number[];
  hwrmIntf: number[];
  respLen: { FUNC_QCAPS: number; FUNC_QCFG: number; PORT_PHY_QCFG: number };
  i2cReadTagged: boolean;
}
interface NvmOption {
  num: number;
  name: string;
  bits: number;
  value: number;
}
interface DirEntry {
  idx: number;
  type: number;
  ordinal: number;
  ext: number;
  fwVer: number;
  data: string;
}
interface Ring {
  type: number;
  id: number;
  name: string;
}

const VERSIONS = firmware.versions as Record<string, VersionSpec>;
const DEVICE = firmware.device as {
  chipNum: number;
  mac: string;
  fid: number;
  mtu: number;
  nvmOptions: NvmOption[];
  dirEntries: DirEntry[];
  rawNvmBytes: number;
  i2cPages: number;
  i2cWritableFrom: number;
  debugRegs: { base: number; words: number[] };
  kernelRings: Ring[];
};
export const BNXT_FW_VERSIONS = Object.keys(VERSIONS);
export const BNXT_KERNEL_RINGS: readonly Ring[] = DEVICE.kernelRings;
/** RING_FREE_REQ_RING_TYPE_L2_CMPL: completion rings, where bnxt_en takes HWRM completions. */
export const RING_TYPE_L2_CMPL = 0;

/** Full 7.3 sizes of the response structs (hsi.h "size:" comments). */
const FULL = { FUNC_QCAPS: 144, FUNC_QCFG: 176, PORT_PHY_QCFG: 112 } as const;
/** Size of struct nvm_get_dir_entries record the model writes (dir_idx, type, ordinal, ext, item length, data length, fw_ver). */
const DIR_RECORD = 20;
const I2C_PAGE = 128;

/** Host memory the firmware can reach: bus address → the coherent buffer the driver mapped. */
export type DmaSpace = ReadonlyMap<bigint, Buffer>;

type Result = { err: number; body?: Buffer; len?: number };

export class BnxtFirmware {
  readonly spec: VersionSpec;
  private readonly running = new Map<number, number>();
  private readonly pending = new Map<number, number>();
  /** Successful NVM variable writes: persistent, so writing the same value again is still a change. */
  private nvmGeneration = 0;
  private readonly rawNvm: Buffer;
  private readonly eeprom: Buffer[];
  /** Per directory entry: reads stamped into NVM (only a defect stamps them). */
  private readonly readStamps = new Map<number, number>();
  private readonly regs: number[];
  private debugToken: string | undefined;
  /** Rings alive (bnxt_en's, created at probe): id → ring. */
  private readonly rings = new Map<number, Ring>();
  private vnics = 0;
  /** Other configuration commands carried out (FUNC_CFG, PORT_PHY_CFG, QUEUE_CFG ...), by request type. */
  private readonly configWrites = new Map<number, number>();

  constructor(
    readonly fw: string,
    private readonly defects: Defects,
  ) {
    const spec = VERSIONS[fw];
    if (!spec) throw new Error(`unknown bnxt firmware version ${fw}`);
    this.spec = spec;
    for (const o of DEVICE.nvmOptions) {
      this.running.set(o.num, o.value);
      this.pending.set(o.num, o.value);
    }
    this.rawNvm = Buffer.alloc(DEVICE.rawNvmBytes, 0xff);
    this.eeprom = Array.from({ length: DEVICE.i2cPages }, (_, p) => Buffer.from(Array.from({ length: I2C_PAGE }, (_, i) => (p * 0x40 + i) & 0xff)));
    this.regs = [...DEVICE.debugRegs.words];
    for (const r of DEVICE.kernelRings) this.rings.set(r.id, r);
  }

  /** Run one HWRM request; `dma` is the host memory its address fields may point at. */
  exec(req: Buffer, dma: DmaSpace = new Map()): Buffer {
    const reqType = req.readUInt16LE(HWRM_IN_OFF.req_type);
    let r: Result;
    try {
      r = this.handle(reqType, req, dma);
    } catch (e) {
      if (e instanceof DmaError) r = { err: HwrmErr.INVALID_PARAMS };
      else throw e;
    }
    return this.respond(req, r);
  }

  private respond(req: Buffer, r: Result): Buffer {
    const ok = r.err === HwrmErr.SUCCESS;
    const len = ok ? (r.len ?? Math.max(16, 8 + (r.body?.length ?? 0) + 1)) : 16;
    const resp = Buffer.alloc(len);
    resp.writeUInt16LE(r.err, HWRM_OUT_OFF.error_code);
    resp.writeUInt16LE(req.readUInt16LE(HWRM_IN_OFF.req_type), HWRM_OUT_OFF.req_type);
    resp.writeUInt16LE(req.readUInt16LE(HWRM_IN_OFF.seq_id), HWRM_OUT_OFF.seq_id);
    resp.writeUInt16LE(len, HWRM_OUT_OFF.resp_len);
    if (ok && r.body) r.body.copy(resp, 8, 0, Math.min(r.body.length, len - 9));
    resp[len - 1] = 1; // valid
    return resp;
  }

  private handle(reqType: number, req: Buffer, dma: DmaSpace): Result {
    const u8 = (at: number) => (at < req.length ? req[at]! : 0);
    const u16 = (at: number) => (at + 2 <= req.length ? req.readUInt16LE(at) : 0);
    const u32 = (at: number) => (at + 4 <= req.length ? req.readUInt32LE(at) : 0);
    const addr = (at: number) => (at + 8 <= req.length ? req.readBigUInt64LE(at) : 0n);
    switch (reqType) {
      case HwrmReq.VER_GET:
        return this.verGet();
      case HwrmReq.FUNC_QCAPS:
        return this.funcQcaps();
      case HwrmReq.FUNC_QCFG:
        if (this.fw === '2.0' && this.defects.has('bnxt-fw2-qcfg-dropped')) return { err: HwrmErr.CMD_NOT_SUPPORTED };
        return this.funcQcfg();
      case HwrmReq.PORT_PHY_QCFG:
        return this.portPhyQcfg();
      case HwrmReq.PORT_PHY_I2C_READ: {
        const [page, offset, n] = [u16(28), u16(30), u8(32)];
        if (page >= this.eeprom.length || n === 0 || n > 64 || offset + n > I2C_PAGE) return { err: HwrmErr.INVALID_PARAMS };
        const data = this.eeprom[page]!.subarray(offset, offset + n);
        const body = Buffer.alloc(72);
        if (this.spec.i2cReadTagged) {
          body.writeUInt16LE(page, 0);
          body.writeUInt16LE(offset, 2);
          data.copy(body, 4);
        } else {
          data.copy(body, 0);
        }
        return { err: HwrmErr.SUCCESS, body, len: 80 };
      }
      case HwrmReq.PORT_PHY_I2C_WRITE: {
        const [page, offset, n] = [u16(28), u16(30), u8(32)];
        if (page >= this.eeprom.length || n === 0 || n > 64 || offset + n > I2C_PAGE) return { err: HwrmErr.INVALID_PARAMS };
        if (page < DEVICE.i2cWritableFrom) return { err: HwrmErr.RESOURCE_ACCESS_DENIED };
        req.copy(this.eeprom[page]!, offset, 40, 40 + n);
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.NVM_FIND_DIR_ENTRY: {
        const byIdx = (u32(16) & 1) !== 0;
        const e = DEVICE.dirEntries.find((d) => (byIdx ? d.idx === u16(20) : d.type === u16(22) && d.ordinal === u16(24) && d.ext === u16(26)));
        if (!e) return { err: HwrmErr.ENTITY_NOT_PRESENT };
        const body = Buffer.alloc(23);
        const len = e.data.length / 2;
        body.writeUInt32LE(len, 0);
        body.writeUInt32LE(len, 4);
        body.writeUInt32LE(e.fwVer, 8);
        body.writeUInt16LE(e.ordinal, 12);
        body.writeUInt16LE(e.idx, 14);
        return { err: HwrmErr.SUCCESS, body, len: 32 };
      }
      case HwrmReq.NVM_GET_DIR_ENTRIES: {
        // Fixed 64 KiB host buffer (CMD_DATA_FIXED): one record per directory entry.
        const records = Buffer.alloc(DIR_RECORD * DEVICE.dirEntries.length);
        DEVICE.dirEntries.forEach((e, i) => {
          const at = DIR_RECORD * i;
          records.writeUInt16LE(e.idx, at);
          records.writeUInt16LE(e.type, at + 2);
          records.writeUInt16LE(e.ordinal, at + 4);
          records.writeUInt16LE(e.ext, at + 6);
          records.writeUInt32LE(e.data.length / 2, at + 8);
          records.writeUInt32LE(e.data.length / 2, at + 12);
          records.writeUInt32LE(e.fwVer, at + 16);
        });
        dmaWrite(dma, addr(16), records);
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.NVM_READ: {
        const e = DEVICE.dirEntries.find((d) => d.idx === u16(24));
        const [offset, len] = [u32(28), u32(32)];
        if (!e) return { err: HwrmErr.ENTITY_NOT_PRESENT };
        const data = Buffer.from(e.data, 'hex');
        if (offset + len > data.length) return { err: HwrmErr.INVALID_PARAMS };
        dmaWrite(dma, addr(16), data.subarray(offset, offset + len));
        if (this.defects.has('bnxt-nvm-read-stamped')) this.readStamps.set(e.idx, (this.readStamps.get(e.idx) ?? 0) + 1);
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.NVM_RAW_WRITE_BLK: {
        const [dest, len] = [u32(24), u32(28)];
        if (dest + len > this.rawNvm.length) return { err: HwrmErr.INVALID_PARAMS };
        dmaRead(dma, addr(16), len).copy(this.rawNvm, dest);
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.NVM_GET_VARIABLE: {
        // data_len counts bits of the variable; the host buffer is at least that many bytes.
        const o = DEVICE.nvmOptions.find((x) => x.num === u16(26));
        if (!o) return { err: HwrmErr.INVALID_PARAMS };
        if (u16(24) < o.bits) return { err: HwrmErr.INVALID_PARAMS };
        const value = ((u8(38) & 1) !== 0 ? o.value : this.pending.get(o.num))!;
        dmaWrite(dma, addr(16), le(value, Math.ceil(o.bits / 8)));
        const body = Buffer.alloc(7);
        body.writeUInt16LE(o.bits, 0);
        body.writeUInt16LE(o.num, 2);
        return { err: HwrmErr.SUCCESS, body, len: 16 };
      }
      case HwrmReq.NVM_SET_VARIABLE: {
        const o = DEVICE.nvmOptions.find((x) => x.num === u16(26));
        if (!o || u16(24) !== o.bits) return { err: HwrmErr.INVALID_PARAMS };
        const bytes = dmaRead(dma, addr(16), Math.ceil(o.bits / 8));
        const value = bytes.readUIntLE(0, bytes.length);
        if (value >= 2 ** o.bits) return { err: HwrmErr.INVALID_PARAMS };
        // NVM options are permanent parameters: they go live at the next function reset.
        this.pending.set(o.num, value);
        this.nvmGeneration++;
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.DBG_TOKEN_CFG: {
        const len = u32(20);
        if (len === 0) return { err: HwrmErr.INVALID_PARAMS };
        this.debugToken = dmaRead(dma, addr(24), len).toString('hex');
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.DBG_READ_DIRECT: {
        const [at, words] = [u32(24), u32(28)];
        const first = (at - DEVICE.debugRegs.base) / 4;
        if (!Number.isInteger(first) || first < 0 || first + words > this.regs.length) return { err: HwrmErr.INVALID_PARAMS };
        const data = Buffer.alloc(4 * words);
        for (let i = 0; i < words; i++) data.writeUInt32LE(this.regs[first + i]! >>> 0, 4 * i);
        dmaWrite(dma, addr(16), data);
        const body = Buffer.alloc(7);
        body.writeUInt32LE(crc32(data), 0);
        return { err: HwrmErr.SUCCESS, body, len: 16 };
      }
      case HwrmReq.FUNC_RESET:
        return { err: HwrmErr.SUCCESS };
      case HwrmReq.RING_FREE: {
        const ring = this.rings.get(u16(18));
        if (!ring || ring.type !== u8(16)) return { err: HwrmErr.INVALID_PARAMS };
        this.rings.delete(ring.id);
        return { err: HwrmErr.SUCCESS };
      }
      case HwrmReq.VNIC_ALLOC: {
        this.vnics++;
        const body = Buffer.alloc(7);
        body.writeUInt32LE(this.vnics, 0);
        return { err: HwrmErr.SUCCESS, body, len: 16 };
      }
      case HwrmReq.VNIC_CFG:
      case HwrmReq.RING_ALLOC:
      case HwrmReq.QUEUE_CFG:
      case HwrmReq.FUNC_CFG:
      case HwrmReq.PORT_PHY_CFG:
        this.configWrites.set(reqType, (this.configWrites.get(reqType) ?? 0) + 1);
        return { err: HwrmErr.SUCCESS };
      default:
        return { err: HwrmErr.CMD_NOT_SUPPORTED };
    }
  }

  private verGet(): Result {
    const b = Buffer.alloc(168);
    const s = this.spec;
    const put8 = (at: number, v: number[]) => v.forEach((x, i) => (b[at - 8 + i] = x & 0xff));
    put8(8, s.hwrmIntf);
    put8(12, s.fw);
    put8(16, s.mgmt);
    put8(20, s.fw);
    b.writeUInt32LE(0x0000_001f, 24 - 8); // dev_caps_cfg
    b.write('bnxt-sim', 32 - 8, 'latin1');
    b.write('bnxt-sim-mgmt', 48 - 8, 'latin1');
    b.writeUInt16LE(DEVICE.chipNum, 112 - 8);
    b.writeUInt16LE(128, 118 - 8); // max_req_win_len: HWRM_MAX_REQ_LEN
    b.writeUInt16LE(704, 120 - 8); // max_resp_len: HWRM_MAX_RESP_LEN
    b.writeUInt16LE(500, 122 - 8); // def_req_timeout (ms)
    b[127 - 8] = 1; // always_1
    s.hwrmIntf.forEach((v, i) => b.writeUInt16LE(v, 128 - 8 + 2 * i));
    s.fw.forEach((v, i) => b.writeUInt16LE(v, 136 - 8 + 2 * i));
    s.mgmt.forEach((v, i) => b.writeUInt16LE(v, 144 - 8 + 2 * i));
    b.writeUInt16LE(128, 168 - 8); // max_ext_req_len
    return { err: HwrmErr.SUCCESS, body: b, len: 176 };
  }

  /** A response struct at its full 7.3 size, cut to this firmware's revision of it. */
  private revision(name: keyof typeof FULL, fill: (b: Buffer) => void): Result {
    const full = Buffer.alloc(FULL[name] - 8);
    fill(full);
    const len = this.spec.respLen[name];
    return { err: HwrmErr.SUCCESS, body: full.subarray(0, len - 9), len };
  }

  private funcQcaps(): Result {
    return this.revision('FUNC_QCAPS', (b) => {
      const w16 = (at: number, v: number) => b.writeUInt16LE(v, at - 8);
      const w32 = (at: number, v: number) => b.writeUInt32LE(v, at - 8);
      w16(8, DEVICE.fid);
      w16(10, 0); // port_id
      w32(12, 0x0081_0a1f); // flags
      Buffer.from(DEVICE.mac.split(':').map((x) => parseInt(x, 16))).copy(b, 16 - 8);
      // max_rsscos_ctx, max_cmpl_rings, max_tx_rings, max_rx_rings, max_l2_ctxs, max_vnics
      const rings = [64, 128, 96, 112, 1024, 128];
      if (this.defects.has('bnxt-fw2-qcaps-reordered') && this.fw !== '1.0') [rings[2], rings[3]] = [rings[3]!, rings[2]!];
      rings.forEach((v, i) => w16(22 + 2 * i, v));
      w16(38, 256); // max_stat_ctx
      w32(72, 128); // max_hw_ring_grps
      w32(80, 0x0000_2003); // flags_ext
      // Fields of the 7.3 revision (2.0 and later): appended after the 1.0 struct.
      w32(88, 0x0000_0101); // flags_ext2
      b.writeBigUInt64LE(0x0af7_ff00_005a_1000n, 96 - 8); // device_serial_number
      w16(106, 64); // max_tso_segs
      w32(132, 0x0000_0001); // flags_ext3
    });
  }

  private funcQcfg(): Result {
    return this.revision('FUNC_QCFG', (b) => {
      const w16 = (at: number, v: number) => b.writeUInt16LE(v, at - 8);
      w16(8, DEVICE.fid);
      Buffer.from(DEVICE.mac.split(':').map((x) => parseInt(x, 16))).copy(b, 16 - 8);
      w16(26, 2); // alloc_cmpl_rings
      w16(28, 1); // alloc_tx_rings
      w16(30, 1); // alloc_rx_rings
      w16(36, DEVICE.mtu); // admin_mtu
      w16(38, DEVICE.mtu + 22); // mru
      w16(72, this.running.get(108)!); // alloc_msix: the live msix-vec-per-pf-max
      b[79 - 8] = 1; // always_1
      w16(100, DEVICE.mtu); // host_mtu (7.3 revision)
      b[160 - 8] = 16; // max_link_width
      b[161 - 8] = 4; // max_link_speed
    });
  }

  private portPhyQcfg(): Result {
    return this.revision('PORT_PHY_QCFG', (b) => {
      b[8 - 8] = 2; // link: LINK
      b.writeUInt16LE(1000, 10 - 8); // link_speed: 100G (in 100 Mb/s units)
      b[12 - 8] = 1; // duplex_cfg: full
      b.writeUInt16LE(0x07c0, 14 - 8); // support_speeds
      b[36 - 8] = 1; // media_type: copper
      b.write('BRCM-SIM', 56 - 8, 'latin1'); // phy_vendor_name
      // 7.3 revision (2.0 and later): speeds2 fields.
      b.writeUInt16LE(0x00f0, 96 - 8);
      b[102 - 8] = 4; // active_lanes
    });
  }

  // ---- device level --------------------------------------------------------------

  /** Function-level reset: pending NVM options go live. */
  applyPending(): void {
    for (const [k, v] of this.pending) this.running.set(k, v);
  }

  /** Options bnxt_en reads at probe and at reset, by name. */
  runningOptions(): Record<string, number> {
    return Object.fromEntries(DEVICE.nvmOptions.map((o) => [o.name, this.running.get(o.num)!]));
  }

  get mtu(): number {
    return DEVICE.mtu;
  }

  /** bnxt_en's rings that are still alive. */
  ringAlive(id: number): boolean {
    return this.rings.has(id);
  }

  /** Every piece of state a command could change (not the HWRM sequence numbers: those are bnxt_en's). */
  snapshot(): string {
    return JSON.stringify({
      running: [...this.running],
      pending: [...this.pending],
      nvmGeneration: this.nvmGeneration,
      rawNvm: this.rawNvm.toString('base64'),
      eeprom: this.eeprom.map((p) => p.toString('hex')),
      readStamps: [...this.readStamps],
      regs: this.regs,
      debugToken: this.debugToken ?? null,
      rings: [...this.rings.keys()],
      vnics: this.vnics,
      configWrites: [...this.configWrites],
    });
  }
}

/** The firmware reached an address no buffer is mapped at: the command fails (no IOMMU fault modelled). */
class DmaError extends Error {}

function dmaBuffer(dma: DmaSpace, at: bigint): Buffer {
  const buf = dma.get(at);
  if (!buf) throw new DmaError(`no DMA buffer at 0x${at.toString(16)}`);
  return buf;
}

/**
 * The device writes `data` at a bus address. It trusts the length the request
 * gave: a buffer the driver made too small is overrun, which corrupts kernel
 * memory (the model reports it as the oops it would become).
 */
function dmaWrite(dma: DmaSpace, at: bigint, data: Buffer): void {
  const buf = dmaBuffer(dma, at);
  if (data.length > buf.length) throw new Error(`DMA write of ${data.length} bytes overran a ${buf.length}-byte coherent buffer`);
  data.copy(buf);
}

function dmaRead(dma: DmaSpace, at: bigint, len: number): Buffer {
  const buf = dmaBuffer(dma, at);
  if (len > buf.length) throw new DmaError(`DMA read of ${len} bytes past a ${buf.length}-byte buffer`);
  return buf.subarray(0, len);
}

function le(value: number, bytes: number): Buffer {
  const b = Buffer.alloc(Math.max(bytes, 1));
  b.writeUIntLE(value, 0, b.length);
  return b;
}
