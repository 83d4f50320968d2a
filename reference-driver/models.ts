/**
 * The device-model contract. A model is a device (its firmware, at one of
 * several versions) plus the two kernel drivers bound to it: the fwctl driver
 * and the kernel subsystem driver (netdev, memdev) that shares the device.
 */
import type { FwctlOps } from './core/ops.js';
import type { Defects } from './defects/defects.js';
import { bnxtModel } from './devices/bnxt/model.js';
import { cxlModel } from './devices/cxl/model.js';
import { mlx5Model, mlx5Model73 } from './devices/mlx5/model.js';
import { pdsModel } from './devices/pds/model.js';
import type { SimKernel } from './kernel/kernel.js';

export interface ModelEnv {
  kernel: SimKernel;
  /** One of the model's fwVersions. */
  fw: string;
  defects: Defects;
}

/** The kernel subsystem driver that shares the device with fwctl. */
export interface KernelSubsystemDriver {
  /** e.g. 'mlx5_core (netdev)', 'cxl_mem (memdev)'. */
  readonly name: string;
  /** The configuration the kernel driver sees live: read at load and at function reset, not otherwise. */
  liveConfig(): Record<string, number>;
  /**
   * The kernel driver issues its own use of a command now (by the command's
   * profile name). Never throws: reports whether the device served it.
   */
  use(command: string): { ok: boolean; detail: string };
  /** Ids of firmware objects the kernel driver owns (fwctl must not reach them). */
  ownedObjects(): number[];
}

/** One powered-up device with its drivers bound. */
export interface DeviceInstance {
  readonly fwctl: FwctlOps;
  readonly kernelDriver: KernelSubsystemDriver;
  /** Function-level reset: pending configuration becomes live; the kernel driver re-reads it. */
  functionReset(): void;
  /** Firmware resources held for fwctl descriptors right now (user contexts, objects). */
  fwResources(): number;
  /** A digest of every piece of device state a command could change (config, objects, counters). */
  stateDigest(): string;
}

export interface DeviceModel {
  /** Model name as spelled in targets: 'cxl', 'mlx5', 'pds', 'bnxt'. */
  readonly name: string;
  /** The uAPI device type (enum fwctl_device_type). */
  readonly deviceType: number;
  /** Oldest first; the last is the default. */
  readonly fwVersions: readonly string[];
  /** The parent device the fwctl device hangs off (sysfs `device` link). */
  readonly parent: string;
  /**
   * The kernel release whose fwctl driver the model follows (its checks): the sim's
   * kernel release, against which a profile's hazards.before is judged as on dev:.
   */
  readonly kernel?: string;
  /** Power up at env.fw and bind the drivers. */
  create(env: ModelEnv): DeviceInstance;
}

export const MODELS: Record<string, DeviceModel> = {
  cxl: cxlModel,
  mlx5: mlx5Model,
  'mlx5-7-3': mlx5Model73,
  pds: pdsModel,
  bnxt: bnxtModel,
};

/**
 * The model named `name`, if there is one. Only the table's own keys count:
 * `__proto__` or `constructor` must not reach Object.prototype.
 */
export function findModel(name: string): DeviceModel | undefined {
  return Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
}
