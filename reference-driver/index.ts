/**
 * The reference fwctl driver: a simulated kernel with the fwctl core and one
 * device model, optionally carrying named defects. It knows nothing of the
 * harness; targets drive it through this API.
 */
import { FwctlCore, type FwctlDevice, type FwctlFile } from './core/fwctl.js';
import { Defects } from './defects/defects.js';
import { SimKernel, type Task } from './kernel/kernel.js';
import { MODELS, type DeviceModel } from './models.js';

export { KernelErrno } from './kernel/errno.js';
export { DEFECTS, isKnownDefect, type DefectEntry } from './defects/defects.js';
export { MODELS, type DeviceModel } from './models.js';
export type { Task } from './kernel/kernel.js';
export type { FwctlFile } from './core/fwctl.js';

export interface ReferenceOptions {
  model: string;
  /** Firmware version; the model's newest when absent. */
  fw?: string;
  defects?: readonly string[];
}

export class ReferenceSystem {
  readonly kernel = new SimKernel();
  readonly core: FwctlCore;
  readonly model: DeviceModel;
  readonly fw: string;
  private current: FwctlDevice | undefined;

  constructor(opts: ReferenceOptions) {
    const model = MODELS[opts.model];
    if (!model) throw new Error(`unknown model '${opts.model}' (known: ${Object.keys(MODELS).join(', ')})`);
    const fw = opts.fw ?? model.fwVersions[model.fwVersions.length - 1]!;
    if (!model.fwVersions.includes(fw)) {
      throw new Error(`model '${model.name}' has no firmware '${fw}' (known: ${model.fwVersions.join(', ')})`);
    }
    this.model = model;
    this.fw = fw;
    this.core = new FwctlCore(this.kernel, new Defects(opts.defects ?? []));
    this.register();
  }

  /** The registered fwctl device, if any. */
  get device(): FwctlDevice | undefined {
    return this.current;
  }

  /** Bind the driver (probe): registers a fwctl device with the lowest free number. */
  register(): FwctlDevice {
    if (this.current) throw new Error(`${this.current.name} is already registered`);
    this.current = this.core.register(this.model.parent, this.model.probe(this.kernel, this.fw));
    return this.current;
  }

  /** Unbind the driver (hot-unplug): open descriptors are orphaned (O-4). */
  unregister(): void {
    if (!this.current) throw new Error('no device is registered');
    this.core.unregister(this.current);
    this.current = undefined;
  }

  spawn(opts: { capSysRawio?: boolean; comm?: string } = {}): Task {
    return this.kernel.spawn(opts);
  }

  open(task: Task): FwctlFile {
    if (!this.current) return this.core.open(task, -1); // ENOENT: the node is gone
    return this.core.open(task, this.current.devnum);
  }

  /** A simulated reboot: taint clear, the once-only warning re-armed. */
  reboot(): void {
    this.kernel.reboot();
    this.core.rearmTaint();
  }
}
