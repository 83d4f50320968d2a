/**
 * The bnxt-like device: HWRM firmware, bnxt_en (the netdev, which owns the
 * HWRM channel, its rings and the live configuration) and the bnxt fwctl
 * auxiliary driver, which sends its requests through bnxt_en (bnxt_send_msg).
 */
import { createHash } from 'node:crypto';
import { DeviceType } from '../../../uapi/fwctl.js';
import { HWRM_IN_OFF, HWRM_NA, HWRM_OUT_OFF, HWRM_TARGET_ID_KONG, HwrmErr, HwrmReq } from '../../../uapi/bnxt.js';
import { ERRNO } from '../../../uapi/errno.js';
import type { Defects } from '../../defects/defects.js';
import { DriverHang } from '../../kernel/errno.js';
import type { DeviceInstance, DeviceModel, KernelSubsystemDriver } from '../../models.js';
import { BnxtFwctlDriver } from './driver.js';
import { BNXT_FW_VERSIONS, BNXT_KERNEL_RINGS, BnxtFirmware, RING_TYPE_L2_CMPL, type DmaSpace } from './firmware.js';

/** What bnxt_en reads at probe and at function reset only (devlink permanent parameters). */
const LIVE_KEYS = ['msix-vec-per-pf-max', 'enable-sriov'];

/** The requests bnxt_en itself builds, by the request type's name: header plus the body it uses. */
const OWN_REQUESTS: Record<string, { reqType: number; body?: (b: Buffer) => void; len: number }> = {
  HWRM_VER_GET: { reqType: HwrmReq.VER_GET, len: 24, body: (b) => b.set([1, 10, 3], 16) },
  HWRM_FUNC_QCAPS: { reqType: HwrmReq.FUNC_QCAPS, len: 24, body: (b) => b.writeUInt16LE(0xffff, 16) },
  HWRM_FUNC_QCFG: { reqType: HwrmReq.FUNC_QCFG, len: 24, body: (b) => b.writeUInt16LE(0xffff, 16) },
  HWRM_PORT_PHY_QCFG: { reqType: HwrmReq.PORT_PHY_QCFG, len: 24 },
  HWRM_NVM_FIND_DIR_ENTRY: { reqType: HwrmReq.NVM_FIND_DIR_ENTRY, len: 32, body: (b) => b.writeUInt16LE(1, 22) },
};

/** One HWRM exchange as bnxt_send_msg sees it: the errno (0 or negative) and the response, if any came back. */
export interface HwrmExchange {
  rc: number;
  resp?: Buffer;
}

/**
 * bnxt_en (drivers/net/ethernet/broadcom/bnxt): the HWRM command layer
 * (__hwrm_send) and the netdev's own use of the device.
 */
export class BnxtEnDriver implements KernelSubsystemDriver {
  readonly name = 'bnxt_en (netdev)';
  private live: Record<string, number> = {};
  /** bp->hwrm_cmd_seq: bnxt_en numbers every request it sends, its own and fwctl's alike. */
  private seq = 0;
  /** fwctl descriptors holding hwrm_cmd_lock (only a defect takes it). */
  lockHolders = 0;
  /** BNXT_EN_FLAG_ULP_STOPPED: set while bnxt_en resets the firmware; fwctl RPCs get EPERM meanwhile. */
  ulpStopped = false;

  constructor(
    private readonly fw: BnxtFirmware,
    private readonly defects: Defects,
  ) {
    this.reload();
  }

  reload(): void {
    const running = this.fw.runningOptions();
    this.live = { ...Object.fromEntries(LIVE_KEYS.map((k) => [k, running[k] ?? -1])), mtu: this.fw.mtu };
  }

  liveConfig(): Record<string, number> {
    return { ...this.live };
  }

  /**
   * __hwrm_send as bnxt_send_msg reaches it: a KONG-channel request must poll
   * (cmpl_ring 0xffff) or it is EINVAL before the firmware sees it; any other
   * cmpl_ring makes the layer wait for a completion on that ring, which only
   * bnxt_en's own completion rings deliver (else -EBUSY once the timeout ran
   * out; the command did run). The seq_id is bnxt_en's, overwriting the caller's.
   */
  send(req: Buffer, dma?: DmaSpace): HwrmExchange {
    const cmplRing = req.readUInt16LE(HWRM_IN_OFF.cmpl_ring);
    if (req.readUInt16LE(HWRM_IN_OFF.target_id) === HWRM_TARGET_ID_KONG && cmplRing !== HWRM_NA) return { rc: -ERRNO.EINVAL };
    this.seq = (this.seq + 1) & 0xffff;
    req.writeUInt16LE(this.seq, HWRM_IN_OFF.seq_id);
    const resp = this.fw.exec(req, dma);
    // The last byte is `valid`: bnxt_en zeroes it, so an older firmware's valid byte reads as the newer field it became.
    resp[resp.readUInt16LE(HWRM_OUT_OFF.resp_len) - 1] = 0;
    if (cmplRing !== HWRM_NA) {
      const ring = BNXT_KERNEL_RINGS.find((r) => r.id === cmplRing && r.type === RING_TYPE_L2_CMPL);
      if (!ring || !this.fw.ringAlive(ring.id)) {
        if (this.defects.has('bnxt-cmpl-ring-hang')) throw new DriverHang(`waiting without a timeout for a completion on ring ${cmplRing}, which nobody services`);
        return { rc: -ERRNO.EBUSY, resp };
      }
    }
    return { rc: hwrmToErrno(resp.readUInt16LE(HWRM_OUT_OFF.error_code)), resp };
  }

  /** bnxt_en's own HWRM traffic for a command, by its profile name. */
  use(command: string): { ok: boolean; detail: string } {
    if (this.lockHolders > 0) return { ok: false, detail: `${command}: hwrm_cmd_lock held by ${this.lockHolders} open fwctl descriptor(s)` };
    const own = OWN_REQUESTS[command];
    if (!own) return { ok: false, detail: `${command}: bnxt_en sends no such request` };
    const req = Buffer.alloc(own.len);
    req.writeUInt16LE(own.reqType, HWRM_IN_OFF.req_type);
    req.writeUInt16LE(HWRM_NA, HWRM_IN_OFF.cmpl_ring);
    req.writeUInt16LE(HWRM_NA, HWRM_IN_OFF.target_id);
    own.body?.(req);
    const { rc, resp } = this.send(req);
    return { ok: rc === 0, detail: `${command}: rc ${rc}, error_code ${resp?.readUInt16LE(HWRM_OUT_OFF.error_code) ?? 'none'}` };
  }

  /** The rings bnxt_en created at probe (ids), which fwctl must not reach. */
  ownedObjects(): number[] {
    return BNXT_KERNEL_RINGS.map((r) => r.id);
  }
}

/** __hwrm_to_stderr (bnxt_hwrm.c). */
function hwrmToErrno(code: number): number {
  switch (code) {
    case HwrmErr.SUCCESS:
      return 0;
    case HwrmErr.RESOURCE_ACCESS_DENIED:
      return -ERRNO.EACCES;
    case HwrmErr.INVALID_PARAMS:
    case HwrmErr.INVALID_FLAGS:
      return -ERRNO.EINVAL;
    case HwrmErr.CMD_NOT_SUPPORTED:
      return -ERRNO.EOPNOTSUPP;
    default:
      return -ERRNO.EIO;
  }
}

/** The instance, with its firmware and bnxt_en visible to the model's own tests. */
export type BnxtInstance = DeviceInstance & { readonly firmware: BnxtFirmware; readonly bnxtEn: BnxtEnDriver };

export const bnxtModel: DeviceModel = {
  name: 'bnxt',
  kernel: '7.3', // bnxt 7.3 (DMA commands)
  deviceType: DeviceType.BNXT,
  fwVersions: BNXT_FW_VERSIONS,
  parent: '0000:3b:00.0',
  create(env) {
    const fw = new BnxtFirmware(env.fw, env.defects);
    const en = new BnxtEnDriver(fw, env.defects);
    const reset = () => {
      fw.applyPending();
      en.reload();
    };
    const instance: BnxtInstance = {
      fwctl: new BnxtFwctlDriver(en, env, reset),
      kernelDriver: en,
      functionReset: reset,
      fwResources: () => 0, // bnxtctl_open_uctx allocates nothing in firmware
      stateDigest: () => createHash('sha256').update(fw.snapshot()).digest('hex'),
      firmware: fw,
      bnxtEn: en,
    };
    return instance;
  },
};
