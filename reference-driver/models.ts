import type { FwctlOps } from './core/ops.js';
import { CxlFwctlDriver } from './devices/cxl/driver.js';
import { CXL_FW_VERSIONS, CxlMailbox } from './devices/cxl/mailbox.js';
import type { SimKernel } from './kernel/kernel.js';

/** One device model: its firmware versions and how to probe a driver for it. */
export interface DeviceModel {
  readonly name: string;
  /** Oldest first; the last is the default. */
  readonly fwVersions: readonly string[];
  /** The parent device the fwctl device hangs off (sysfs `device` link). */
  readonly parent: string;
  /** Probe: power up the device at `fw` and bind its kernel driver. */
  probe(kernel: SimKernel, fw: string): FwctlOps;
}

export const MODELS: Record<string, DeviceModel> = {
  cxl: {
    name: 'cxl',
    fwVersions: CXL_FW_VERSIONS,
    parent: 'mem0',
    probe: (kernel, fw) => new CxlFwctlDriver(new CxlMailbox(fw), kernel),
  },
};
