/**
 * The CXL-like device: mailbox firmware, the CXL fwctl driver and the memdev
 * driver (cxl_mem) that shares the mailbox.
 */
import { createHash } from 'node:crypto';
import { CxlRetval } from '../../../uapi/cxl.js';
import { DeviceType } from '../../../uapi/fwctl.js';
import type { DeviceInstance, DeviceModel, KernelSubsystemDriver, ModelEnv } from '../../models.js';
import { CxlFwctlDriver } from './driver.js';
import { CXL_FW_VERSIONS, CxlMailbox } from './mailbox.js';

/** The cxl_test vendor feature: effects COLD_RESET, so a write goes live at the next reset. */
const TEST_FEATURE = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
const PATROL_SCRUB = '96dad7d6-fde8-482b-a733-75774e06db8a';

/** The memdev driver: reads configuration at probe and at function reset only. */
class CxlMemDriver implements KernelSubsystemDriver {
  readonly name = 'cxl_mem (memdev)';
  private live: Record<string, number> = {};
  constructor(
    private readonly mailbox: CxlMailbox,
    private readonly env: ModelEnv,
  ) {
    this.reload();
  }

  /** Probe or reset: read the features the memdev driver acts on. */
  reload(): void {
    const r = this.mailbox.getFeature(TEST_FEATURE, 0, 4, 0);
    this.live = { 'test-feature': r.retval === CxlRetval.SUCCESS ? r.data.readUInt32LE(0) : -1 };
  }

  liveConfig(): Record<string, number> {
    return { ...this.live };
  }

  /** The memdev driver's own mailbox traffic: a Get Feature of the test feature. */
  use(command: string): { ok: boolean; detail: string } {
    if (this.mailbox.busy) return { ok: false, detail: `mailbox busy (held by fwctl) for ${command}` };
    const r = this.mailbox.getFeature(TEST_FEATURE, 0, 4, 0);
    return { ok: r.retval === CxlRetval.SUCCESS, detail: `${command}: retval ${r.retval}` };
  }

  /** The kernel keeps patrol scrub to itself (include/cxl/features.h). */
  ownedObjects(): number[] {
    return this.mailbox.hasFeature(PATROL_SCRUB) ? [1] : [];
  }
}

export const cxlModel: DeviceModel = {
  name: 'cxl',
  kernel: '7.3', // the length checks of 7.3 features.c
  deviceType: DeviceType.CXL,
  fwVersions: CXL_FW_VERSIONS,
  parent: 'mem0',
  create(env: ModelEnv): DeviceInstance {
    const mailbox = new CxlMailbox(env.fw, env.defects);
    const mem = new CxlMemDriver(mailbox, env);
    const fwctl = new CxlFwctlDriver(mailbox, env, () => mem.reload());
    return {
      fwctl,
      kernelDriver: mem,
      functionReset: () => mem.reload(),
      fwResources: () => 0, // CXL allocates nothing per descriptor (digest §3.3)
      stateDigest: () => createHash('sha256').update(mailbox.snapshot()).digest('hex'),
    };
  },
};
