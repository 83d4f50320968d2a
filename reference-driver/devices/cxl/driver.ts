/**
 * The kernel's CXL fwctl driver (drivers/cxl/core/features.c, digest §3.3):
 * a cached feature list, Get Supported / Get / Set Feature, and the
 * effects-to-scope policy. Every validation failure is EINVAL.
 *
 * Length checks are those of Linux 7.3.4 (verified on it with cxl_test by the
 * differential check): in_len must hold the 16-byte header and op_size;
 * Get Feature needs out_len >= 8 + count; Set Feature needs out_len >= 8.
 * Earlier kernels (torvalds@d2c0e955) lacked them, which is why short
 * requests are hazards on a real kernel (profiles' hazards.minInLen).
 */
import {
  CXL_EFFECTS_IMMEDIATE,
  CXL_EFFECTS_RESET,
  CXL_FEAT_ENTRY_SIZE,
  CXL_GET_FEAT_IN_SIZE,
  CXL_GET_SUP_FEATS_IN_SIZE,
  CXL_OUT_HEADER,
  CXL_OUT_PAYLOAD,
  CXL_RPC_HEADER,
  CXL_SET_FEAT_HEADER,
  CxlEffect,
  CxlFeatFlag,
  CxlOpcode,
  CxlRetval,
  CxlSetFlag,
  decodeFeatEntry,
  uuidString,
  type CxlFeatEntry,
} from '../../../uapi/cxl.js';
import { DeviceType, Scope } from '../../../uapi/fwctl.js';
import type { FwctlOps, RpcResponse, Uctx } from '../../core/ops.js';
import { DriverHang, fail } from '../../kernel/errno.js';
import type { SimKernel } from '../../kernel/kernel.js';
import type { ModelEnv } from '../../models.js';
import type { CxlMailbox } from './mailbox.js';

/** Past this the real kernel would read far out of bounds; the model stops reading. */
const MODELLED_MAX = 2 * 1024 * 1024;

/**
 * cxl_exclusive_feats (drivers/cxl/core/features.c, UUIDs of include/cxl/features.h
 * in 7.3): features the kernel keeps to itself — patrol scrub, ECS, soft and
 * hard PPR, cacheline, row, bank and rank sparing. Profiles kernel-cxl lists
 * the same (npm run check:profiles compares it with the source).
 */
export const KERNEL_EXCLUSIVE: ReadonlySet<string> = new Set([
  '96dad7d6-fde8-482b-a733-75774e06db8a',
  'e5b13f22-2328-4a14-b8ba-b9691e893386',
  '892ba475-fad8-474e-9d3e-692c917568bb',
  '80ea4521-786f-4127-afb1-ec7459fb0e24',
  '96c33386-91dd-44c7-9ecb-fdaf6503bac4',
  '450ebf67-b135-4f97-a498-c2d57f279bed',
  '78b79636-90ac-4b64-a4ef-faac5d18a863',
  '34dbaff5-0552-4281-8f76-da0b5e7a76a7',
]);

export class CxlFwctlDriver implements FwctlOps {
  readonly deviceType = DeviceType.CXL;
  /** The supported-feature list, cached at probe (devm_cxl_setup_features). */
  private readonly entries: { entry: CxlFeatEntry; raw: Buffer }[];

  private readonly kernel: SimKernel;
  private open = 0;

  constructor(
    private readonly mailbox: CxlMailbox,
    private readonly env: ModelEnv,
    /** Tell the memdev driver to re-read configuration now (only a defect does, before a reset). */
    private readonly applyLive: () => void,
  ) {
    this.kernel = env.kernel;
    const { entries } = mailbox.getSupportedFeatures(0, Number.MAX_SAFE_INTEGER);
    this.entries = entries.map((raw) => ({ entry: decodeFeatEntry(raw), raw }));
  }

  /** devm_cxl_setup_fwctl registers only when a user (non-exclusive) feature exists. */
  get hasUserFeatures(): boolean {
    return this.entries.some((e) => !KERNEL_EXCLUSIVE.has(e.entry.uuid));
  }

  openUctx(_uctx: Uctx): void {
    this.open++;
    if (this.env.defects.has('cxl-mailbox-held-open')) this.mailbox.busy = true;
  }

  closeUctx(_uctx: Uctx): void {
    if (--this.open === 0) this.mailbox.busy = false;
  }

  fwRpc(_uctx: Uctx, scope: number, input: Buffer, outLen: number): RpcResponse {
    // A driver without the in_len check (the defect; kernels before 7.3) reads past a short request.
    if (input.length < CXL_RPC_HEADER && this.env.defects.has('cxl-oops-on-short-request')) {
      throw new TypeError(`unable to handle page fault: read of fwctl_rpc_cxl past a ${input.length}-byte allocation`);
    }
    // cxlctl_fw_rpc (7.3): in_len < sizeof(hdr) || op_size > in_len - sizeof(hdr) is EINVAL.
    const opSize = input.length >= CXL_RPC_HEADER ? input.readUInt32LE(8) : 0;
    // The defect (kernel mutant 16): only the in_len half is kept, so a request shorter than its op_size runs.
    const opSizeChecked = !this.env.defects.has('cxl-short-request-zero-filled');
    if (input.length < CXL_RPC_HEADER || (opSizeChecked && opSize > input.length - CXL_RPC_HEADER)) fail('EINVAL');
    // The union is read at its full size whatever op_size says: past in_len it reads zeros.
    const req = Buffer.alloc(Math.max(input.length, CXL_RPC_HEADER + Math.min(Math.max(opSize, CXL_SET_FEAT_HEADER), MODELLED_MAX)));
    input.copy(req);
    const opcode = req.readUInt32LE(0) & 0xffff; // u16 opcode = rpc_in->opcode
    if (opcode === CxlOpcode.SET_FEATURE && this.env.defects.has('cxl-rejected-set-writes')) this.writeEarly(req);
    if (!this.validate(req, scope, opcode)) fail('EINVAL');
    switch (opcode) {
      case CxlOpcode.GET_SUPPORTED_FEATURES:
        return this.getSupportedFeatures(req);
      case CxlOpcode.GET_FEATURE:
        return this.getFeature(req, outLen);
      case CxlOpcode.SET_FEATURE:
        return this.setFeature(req, outLen);
      default:
        return this.passThrough(opcode, outLen);
    }
  }

  /** Only defects reach here: a mailbox command outside the Feature set goes to the device. */
  private passThrough(opcode: number, outLen: number): RpcResponse {
    const out = Buffer.alloc(Math.max(outLen, CXL_OUT_HEADER));
    out.writeUInt32LE(this.mailbox.other(opcode), 4);
    return { out, outLen: CXL_OUT_HEADER };
  }

  /** cxl-rejected-set-writes: the data is written before the request is validated. */
  private writeEarly(req: Buffer): void {
    const uuid = uuidString(req.subarray(16, 32));
    if (KERNEL_EXCLUSIVE.has(uuid)) return;
    const size = req.readUInt32LE(8) - CXL_SET_FEAT_HEADER;
    if (size > 0 && size <= 64) this.mailbox.setFeature(uuid, CxlSetFlag.FULL, 0, req.subarray(48, 48 + size));
  }

  /** cxlctl_validate_hw_command. */
  private validate(req: Buffer, scope: number, opcode: number): boolean {
    switch (opcode) {
      case CxlOpcode.GET_SUPPORTED_FEATURES:
      case CxlOpcode.GET_FEATURE:
        return true; // any scope
      case CxlOpcode.SET_FEATURE:
        return this.validateSetFeature(req, scope);
      default:
        return this.leaks(opcode);
    }
  }

  /** Opcodes only a defect lets through (the clean driver denies everything else, digest §3.3). */
  private leaks(opcode: number): boolean {
    const d = this.env.defects;
    if (d.has('cxl-unknown-opcode-allowed') && opcode >= 0x0100 && opcode < 0x0400) return true;
    return d.has('cxl-media-ops-exposed') && [0x4400, 0x4401, 0x4102, 0x4103].includes(opcode);
  }

  /** The defect that trusts the firmware to guard the kernel's features: their Set Feature goes to the mailbox. */
  private get leavesExclusiveToDevice(): boolean {
    return this.env.defects.has('cxl-exclusive-left-to-device');
  }

  /** cxlctl_validate_set_features: the effects-to-scope policy. */
  private validateSetFeature(req: Buffer, scope: number): boolean {
    if (req.readUInt32LE(8) < 16) return false; // op_size < sizeof(uuid_t)
    const uuid = uuidString(req.subarray(16, 32));
    const feat = this.entries.find((e) => e.entry.uuid === uuid)?.entry;
    // cxl-exclusive-left-to-device (kernel mutant 18): an exclusive feature the device does not list passes.
    if (!feat) return this.leavesExclusiveToDevice && KERNEL_EXCLUSIVE.has(uuid);
    if (!(feat.flags & CxlFeatFlag.CHANGEABLE)) return false;
    const effects = feat.effects;
    if (effects & CxlEffect.RESERVED_MASK) {
      this.kernel.printk('cxl: Reserved bits set in the Feature effects field!');
      return false;
    }
    if (effects & CxlEffect.BACKGROUND) return false;
    if (!(effects & CXL_EFFECTS_IMMEDIATE) && !(effects & CXL_EFFECTS_RESET)) return false;
    if (this.env.defects.has('cxl-any-scope-set')) return true;
    if (effects & CXL_EFFECTS_IMMEDIATE) return scope >= Scope.DEBUG_WRITE_FULL;
    // Reset-only effects: the lesser write permission (a `scope ==` here is the non-monotonic bug).
    return this.env.defects.has('cxl-non-monotonic-scope') ? scope === Scope.DEBUG_WRITE : scope >= Scope.DEBUG_WRITE;
  }

  /** Served from the kernel's cache; reports 8 bytes more than it writes (digest §3.3). */
  private getSupportedFeatures(req: Buffer): RpcResponse {
    if (req.readUInt32LE(8) !== CXL_GET_SUP_FEATS_IN_SIZE) fail('EINVAL');
    const count = req.readUInt32LE(16);
    const start = req.readUInt16LE(20);
    if (start >= this.entries.length) fail('EINVAL');
    const n = Math.min(Math.floor(count / CXL_FEAT_ENTRY_SIZE), this.entries.length - start);
    const payload = 8 + n * CXL_FEAT_ENTRY_SIZE; // struct_size(feat_out, ents, n)
    const outSize = CXL_OUT_HEADER + payload;
    const out = Buffer.alloc(outSize);
    out.writeUInt32LE(payload, 0);
    out.writeUInt32LE(CxlRetval.SUCCESS, 4);
    out.writeUInt16LE(n, 8);
    out.writeUInt16LE(this.entries.length, 10);
    for (let i = 0; i < n; i++) {
      const ent = Buffer.from(this.entries[start + i]!.raw);
      if (KERNEL_EXCLUSIVE.has(this.entries[start + i]!.entry.uuid)) {
        ent.writeUInt16LE(0, 20); // set_feat_size = 0
        ent.writeUInt32LE(ent.readUInt32LE(22) & ~CxlFeatFlag.CHANGEABLE, 22);
      }
      ent.copy(out, 16 + i * CXL_FEAT_ENTRY_SIZE);
    }
    return { out, outLen: outSize };
  }

  private getFeature(req: Buffer, outLen: number): RpcResponse {
    if (req.readUInt32LE(8) !== CXL_GET_FEAT_IN_SIZE) fail('EINVAL');
    const uuid = uuidString(req.subarray(16, 32));
    const offset = req.readUInt16LE(32);
    const count = req.readUInt16LE(34);
    const selection = req.readUInt8(36);
    if (count === 0) fail('EINVAL');
    if (selection > 2 && this.env.defects.has('cxl-hang-on-bad-selection')) throw new DriverHang(`Get Feature selection ${selection}`);
    // 7.3: the payload must fit in the caller's buffer ("Get Feature with no payload room").
    if (outLen < CXL_OUT_PAYLOAD || count > outLen - CXL_OUT_PAYLOAD) fail('EINVAL');
    const res = this.readFeature(uuid, offset, count, selection);
    // rpc_out is kvzalloc(out_len); the device may write past `count` (see mailbox.ts), never seen past out_len.
    const out = Buffer.alloc(Math.max(outLen, CXL_OUT_PAYLOAD + res.payload.length, CXL_OUT_HEADER));
    if (res.retval !== CxlRetval.SUCCESS) {
      out.writeUInt32LE(0, 0);
      out.writeUInt32LE(res.retval, 4);
      return { out, outLen: CXL_OUT_HEADER };
    }
    out.writeUInt32LE(res.size, 0);
    out.writeUInt32LE(CxlRetval.SUCCESS, 4);
    res.payload.copy(out, CXL_OUT_PAYLOAD);
    return { out, outLen: CXL_OUT_HEADER + res.size };
  }

  /**
   * cxl_get_feature: mailbox-sized chunks into the payload. `size` is what the
   * kernel counts as read; `payload` what the device wrote, where it wrote it.
   */
  private readFeature(uuid: string, offset: number, count: number, selection: number): { retval: number; size: number; payload: Buffer } {
    const parts: { at: number; data: Buffer }[] = [];
    let got = 0;
    while (got < count) {
      const len = Math.min(count - got, this.mailbox.payloadSize);
      const r = this.mailbox.getFeature(uuid, offset + got, len, selection);
      if (r.retval !== CxlRetval.SUCCESS || r.data.length === 0) return { retval: r.retval, size: 0, payload: Buffer.alloc(0) };
      parts.push({ at: got + (r.at ?? 0), data: r.data });
      got += r.data.length;
    }
    const payload = Buffer.alloc(Math.max(count, ...parts.map((p) => p.at + p.data.length)));
    for (const p of parts) p.data.copy(payload, p.at);
    return { retval: CxlRetval.SUCCESS, size: got, payload };
  }

  private setFeature(req: Buffer, outLen: number): RpcResponse {
    const opSize = req.readUInt32LE(8);
    if (opSize <= CXL_SET_FEAT_HEADER) fail('EINVAL');
    const uuid = uuidString(req.subarray(16, 32));
    if (KERNEL_EXCLUSIVE.has(uuid) && !this.env.defects.has('cxl-exclusive-feature-writable') && !this.leavesExclusiveToDevice) fail('EPERM');
    // 7.3: room for the out header's size and retval ("Set Feature with out_len = 0").
    if (outLen < CXL_OUT_PAYLOAD) fail('EINVAL');
    const offset = req.readUInt16LE(36);
    const userFlags = req.readUInt32LE(32);
    const data = req.subarray(48, 48 + (opSize - CXL_SET_FEAT_HEADER));
    const out = Buffer.alloc(Math.max(outLen, CXL_OUT_HEADER));
    const retval = this.writeFeature(uuid, userFlags, offset, data);
    out.writeUInt32LE(0, 0);
    out.writeUInt32LE(retval, 4);
    // A cold-reset feature goes live at the next reset; pushing it to the memdev driver now is coupling.
    if (retval === CxlRetval.SUCCESS && this.env.defects.has('cxl-config-applied-live')) this.applyLive();
    return { out, outLen: CXL_OUT_HEADER };
  }

  /** cxl_set_feature: the user's transfer bits are replaced; SAVED_ACROSS_RESET is forced. */
  private writeFeature(uuid: string, userFlags: number, offset: number, data: Buffer): number {
    const base = (userFlags & ~CxlSetFlag.TRANSFER_MASK) | CxlSetFlag.SAVED_ACROSS_RESET;
    const room = this.mailbox.payloadSize - CXL_SET_FEAT_HEADER;
    if (data.length <= room) return this.mailbox.setFeature(uuid, base | CxlSetFlag.FULL, offset, data);
    for (let sent = 0; sent < data.length; sent += room) {
      const mode = sent === 0 ? CxlSetFlag.INITIATE : sent + room >= data.length ? CxlSetFlag.FINISH : CxlSetFlag.CONTINUE;
      const rc = this.mailbox.setFeature(uuid, base | mode, offset + sent, data.subarray(sent, sent + room));
      if (rc !== CxlRetval.SUCCESS) return rc;
    }
    return CxlRetval.SUCCESS;
  }
}
