/**
 * The pds-like device: adminq firmware, the pds fwctl driver and pds_core
 * (with the VF netdev side), which shares the adminq and owns its queues.
 */
import { createHash } from 'node:crypto';
import { DeviceType } from '../../../uapi/fwctl.js';
import { PdsRc, pdsOp } from '../../../uapi/pds.js';
import type { DeviceInstance, DeviceModel, KernelSubsystemDriver } from '../../models.js';
import { PdsFwctlDriver } from './driver.js';
import { PDS_FW_VERSIONS, PdsFirmware } from './firmware.js';

/** The configuration items pds_core acts on, read at probe and at function reset only. */
const LIVE_KEYS = ['mtu', 'rx-ring-size'];

class PdsCoreDriver implements KernelSubsystemDriver {
  readonly name = 'pds_core (VF netdev)';
  private live: Record<string, number> = {};
  constructor(private readonly fw: PdsFirmware) {
    this.reload();
  }

  reload(): void {
    const running = this.fw.runningConfig();
    this.live = Object.fromEntries(LIVE_KEYS.map((k) => [k, running[k] ?? -1]));
  }

  liveConfig(): Record<string, number> {
    return { ...this.live };
  }

  /** pds_core's own adminq traffic: the named operation, as the kernel client, with a zeroed request. */
  use(command: string): { ok: boolean; detail: string } {
    if (this.fw.adminqHolders > 0) return { ok: false, detail: `${command}: adminq lock held by ${this.fw.adminqHolders} open fwctl descriptor(s)` };
    const found = this.fw.findOp(command);
    if (!found) return { ok: false, detail: `${command}: pds_core has no such operation` };
    const r = this.fw.rpc('kernel', found.ep, pdsOp(found.op.cmd, found.op.version), Buffer.alloc(8), 64);
    return { ok: r.retval === PdsRc.SUCCESS, detail: `${command}: retval ${r.retval}` };
  }

  /** The adminq and notifyq: queues pds_core created, which fwctl must not reach. */
  ownedObjects(): number[] {
    return this.fw.kernelQueueIds();
  }
}

/** The instance, with its firmware visible to the model's own tests. */
export type PdsInstance = DeviceInstance & { readonly firmware: PdsFirmware };

export const pdsModel: DeviceModel = {
  name: 'pds',
  kernel: '7.3', // the in_len check of e7537735, in 7.3
  deviceType: DeviceType.PDS,
  fwVersions: PDS_FW_VERSIONS,
  parent: '0000:b5:00.0',
  create(env) {
    const fw = new PdsFirmware(env.fw, env.defects);
    const core = new PdsCoreDriver(fw);
    const reset = () => {
      fw.applyPending();
      core.reload();
    };
    const instance: PdsInstance = {
      fwctl: new PdsFwctlDriver(fw, env, reset),
      kernelDriver: core,
      functionReset: reset,
      fwResources: () => fw.fwctlPages, // open_uctx allocates nothing in firmware (digest §3.2)
      stateDigest: () => createHash('sha256').update(fw.snapshot()).digest('hex'),
      firmware: fw,
    };
    return instance;
  },
};
