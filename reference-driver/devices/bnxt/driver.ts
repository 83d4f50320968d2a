/**
 * The kernel's bnxt fwctl driver as in Linux 7.3 (drivers/fwctl/bnxt/main.c):
 * the request is a raw HWRM message (16..HWRM_MAX_REQ_LEN bytes), checked
 * against the allow-list and its scope tier, sent through bnxt_en, and the
 * response returned in a buffer of the caller's out_len (*out_len is never
 * changed). A firmware error is not an errno: it is the response's
 * error_code, and the ioctl succeeds. DMA commands (bnxtctl_dma_cmds[]) carry
 * user pointers: the driver swaps them for coherent buffers of the length the
 * request states (1 B..64 KiB), copies TO_DEVICE data in before the firmware
 * runs and FROM_DEVICE data out after it ran.
 */
import { BNXT_UCTX_CAPS, FWCTL_BNXT_MAX_DMABUF, HWRM_INPUT_SIZE, HWRM_IN_OFF, HWRM_MAX_REQ_LEN, HWRM_OUTPUT_SIZE, HWRM_OUT_OFF, HwrmReq, errnoCode } from '../../../uapi/bnxt.js';
import { DeviceType, Scope } from '../../../uapi/fwctl.js';
import type { FwctlOps, RpcResponse, Uctx } from '../../core/ops.js';
import { KernelErrno, fail } from '../../kernel/errno.js';
import type { Task } from '../../kernel/kernel.js';
import type { ModelEnv } from '../../models.js';
import { INLINE_ALLOW, findDmaDesc, type DmaDesc } from './hsi.js';
import type { BnxtEnDriver } from './model.js';

/** Where the model's dma_alloc_coherent hands out bus addresses. */
const DMA_BUS_BASE = 0xd000_0000n;

export class BnxtFwctlDriver implements FwctlOps {
  readonly deviceType = DeviceType.BNXT;

  constructor(
    private readonly en: BnxtEnDriver,
    private readonly env: ModelEnv,
    /** Make a configuration write live in bnxt_en now (only a defect does, before a reset). */
    private readonly applyLive: () => void,
  ) {}

  /** bnxtctl_open_uctx: the caps; nothing in firmware. */
  openUctx(uctx: Uctx): void {
    uctx.priv = { caps: BNXT_UCTX_CAPS };
    if (this.env.defects.has('bnxt-hwrm-lock-held-open')) this.en.lockHolders++;
  }

  /** bnxtctl_close_uctx is empty. */
  closeUctx(_uctx: Uctx): void {
    if (this.env.defects.has('bnxt-hwrm-lock-held-open')) this.en.lockHolders--;
  }

  /** bnxtctl_info: struct fwctl_info_bnxt {uctx_caps}, *length = 4. */
  info(uctx: Uctx): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE((uctx.priv as { caps: number }).caps, 0);
    return b;
  }

  /** bnxtctl_fw_rpc, in the kernel's order. */
  fwRpc(_uctx: Uctx, scope: number, input: Buffer, outLen: number, current: Task): RpcResponse {
    const d = this.env.defects;
    if (input.length < HWRM_INPUT_SIZE || input.length > HWRM_MAX_REQ_LEN) fail('EINVAL', `in_len ${input.length} outside ${HWRM_INPUT_SIZE}..${HWRM_MAX_REQ_LEN}`);
    if (outLen < HWRM_OUTPUT_SIZE) fail('EINVAL', `out_len ${outLen} < sizeof(struct output)`);
    const reqType = input.readUInt16LE(HWRM_IN_OFF.req_type);
    const desc = findDmaDesc(reqType);
    let lens: number[] = [];
    let userAddrs: bigint[] = [];
    if (desc) {
      if (input.length !== desc.reqSize) fail('EINVAL', `${desc.name}: in_len ${input.length} != sizeof(input) ${desc.reqSize}`);
      lens = this.checkDmaLens(input, desc);
      // bnxtctl_extract_and_zero_dma_fields
      userAddrs = desc.fields.map((f) => {
        const a = input.readBigUInt64LE(f.addr);
        input.fill(0, f.addr, f.addr + 8);
        return a;
      });
    }
    const resp = Buffer.alloc(outLen); // kvzalloc(*out_len)

    // guard(mutex)(&edev->en_dev_lock)
    if (!this.validate(reqType, desc, scope)) fail('EPERM', `request type 0x${reqType.toString(16)} not allowed at scope ${scope}`);

    const dma = new Map<bigint, Buffer>();
    const kbufs: Buffer[] = [];
    const late = d.has('bnxt-dma-copied-after-send');
    const copyIn = () => {
      desc!.fields.forEach((f, i) => {
        if (f.dir === 'to') current.memory.copyFromUser(userAddrs[i]!, lens[i]!).copy(kbufs[i]!);
      });
    };
    if (desc) {
      // bnxtctl_map_dma_bufs: a zeroed coherent buffer per field, its bus address written into the request.
      desc.fields.forEach((f, i) => {
        const kbuf = Buffer.alloc(lens[i]!);
        const bus = DMA_BUS_BASE + BigInt(i) * BigInt(FWCTL_BNXT_MAX_DMABUF);
        kbufs.push(kbuf);
        dma.set(bus, kbuf);
        input.writeBigUInt64LE(bus, f.addr);
      });
      if (!late) copyIn();
    }

    const { rc, resp: fwResp } = this.en.send(input, dma);
    if (fwResp) fwResp.copy(resp, 0, 0, Math.min(fwResp.readUInt16LE(HWRM_OUT_OFF.resp_len), outLen));
    // "Copy the response to user always": a failure before the firmware answered becomes error_code = rc.
    if (rc && resp.readUInt16LE(HWRM_OUT_OFF.error_code) === 0) resp.writeUInt16LE(errnoCode(-rc), HWRM_OUT_OFF.error_code);
    if (rc === 0 && reqType === HwrmReq.NVM_SET_VARIABLE && d.has('bnxt-nvm-config-applied-live')) this.applyLive();

    if (desc) {
      if (late) copyIn(); // the firmware already ran on a zeroed buffer
      // bnxtctl_unmap_dma_bufs: FROM_DEVICE buffers go back to the user after the firmware ran.
      let faulted: KernelErrno | undefined;
      desc.fields.forEach((f, i) => {
        if (f.dir !== 'from') return;
        try {
          current.memory.copyToUser(userAddrs[i]!, kbufs[i]!, lens[i]!);
        } catch (e) {
          if (!(e instanceof KernelErrno)) throw e;
          faulted = e;
        }
      });
      if (faulted) throw faulted;
    }
    return { out: resp, outLen };
  }

  /** bnxtctl_check_dma_lens: each length (times its unit) in 1..FWCTL_BNXT_MAX_DMABUF. */
  private checkDmaLens(input: Buffer, desc: DmaDesc): number[] {
    const max = this.env.defects.has('bnxt-dma-max-off-by-one') ? FWCTL_BNXT_MAX_DMABUF - 1 : FWCTL_BNXT_MAX_DMABUF;
    return desc.fields.map((f) => {
      const len = f.lenAt === undefined ? f.bufLen! : (f.lenWidth === 2 ? input.readUInt16LE(f.lenAt) : input.readUInt32LE(f.lenAt)) * f.unit!;
      if (!len || len > max) fail('EINVAL', `${desc.name}: DMA length ${len} outside 1..${FWCTL_BNXT_MAX_DMABUF}`);
      return len;
    });
  }

  /** bnxtctl_validate_rpc. */
  private validate(reqType: number, desc: DmaDesc | undefined, scope: number): boolean {
    const d = this.env.defects;
    if (this.en.ulpStopped) return false;
    if (desc) return d.has('bnxt-dma-scope-ignored') || scope >= desc.scopeMin;
    const allowed = INLINE_ALLOW.get(reqType);
    if (allowed) return scope >= allowed.scopeMin;
    // Defects: request types added to the allow-list by mistake.
    if (reqType === HwrmReq.FUNC_CFG && d.has('bnxt-func-cfg-allowed')) return scope >= Scope.CONFIGURATION;
    if ((reqType === HwrmReq.VNIC_ALLOC || reqType === HwrmReq.VNIC_CFG) && d.has('bnxt-vnic-allowed')) return scope >= Scope.CONFIGURATION;
    if (reqType === HwrmReq.RING_FREE && d.has('bnxt-ring-free-allowed')) return scope >= Scope.CONFIGURATION;
    return false;
  }
}
