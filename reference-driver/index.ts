/**
 * The reference fwctl driver: a simulated kernel with the fwctl core and one
 * device model, optionally carrying named defects. It knows nothing of the
 * harness; targets drive it through this API.
 */
import { FwctlCore, type FwctlDevice, type FwctlFile } from './core/fwctl.js';
import { Defects } from './defects/defects.js';
import { SimKernel, type Task } from './kernel/kernel.js';
import { MODELS, findModel, type DeviceInstance, type DeviceModel } from './models.js';

export { DriverHang, KernelErrno } from './kernel/errno.js';
export { KernelOops } from './core/fwctl.js';
export { ALL_DEFECTS, DEFECTS, defectsFor, isKnownDefect, type DefectEntry } from './defects/defects.js';
export { MODELS, findModel, type DeviceModel } from './models.js';
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
  private readonly defects: Defects;
  private fwVersion: string;
  private dev: DeviceInstance;
  private current: FwctlDevice | undefined;

  constructor(opts: ReferenceOptions) {
    const model = findModel(opts.model);
    if (!model) throw new Error(`unknown model '${opts.model}' (known: ${Object.keys(MODELS).join(', ')})`);
    this.model = model;
    this.fwVersion = this.checkFw(opts.fw ?? model.fwVersions[model.fwVersions.length - 1]!);
    this.defects = new Defects(opts.defects ?? []);
    this.core = new FwctlCore(this.kernel, this.defects);
    this.dev = this.create();
    this.register();
  }

  private checkFw(fw: string): string {
    if (!this.model.fwVersions.includes(fw)) {
      throw new Error(`model '${this.model.name}' has no firmware '${fw}' (known: ${this.model.fwVersions.join(', ')})`);
    }
    return fw;
  }

  private create(): DeviceInstance {
    const dev = this.model.create({ kernel: this.kernel, fw: this.fwVersion, defects: this.defects });
    if (!this.defects.has('state-digest-frozen')) return dev;
    // Defect: the state observer always answers what it saw at power-up, so no change ever shows.
    const frozen = dev.stateDigest();
    return Object.assign(Object.create(dev) as DeviceInstance, { stateDigest: () => frozen });
  }

  get fw(): string {
    return this.fwVersion;
  }

  /** The registered fwctl device, if any. */
  get device(): FwctlDevice | undefined {
    return this.current;
  }

  get instance(): DeviceInstance {
    return this.dev;
  }

  /** Bind the fwctl driver: registers a fwctl device with the lowest free number. */
  register(): FwctlDevice {
    if (this.current) throw new Error(`${this.current.name} is already registered`);
    this.current = this.core.register(this.model.parent, this.dev.fwctl);
    return this.current;
  }

  /** Unbind the fwctl driver (hot-unplug): open descriptors are orphaned (O-4). */
  unregister(): void {
    if (!this.current) throw new Error('no device is registered');
    this.core.unregister(this.current);
    this.current = undefined;
  }

  /** Flash other firmware and reset: the drivers unbind and bind again on the new device. */
  switchFirmware(fw: string): void {
    this.checkFw(fw);
    if (this.current) this.unregister();
    this.fwVersion = fw;
    this.dev = this.create();
    this.register();
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
