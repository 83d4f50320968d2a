/**
 * The `sim:` target: the reference driver in-process. Each target owns one
 * simulated kernel, and each test gets a new one (renew), so tests never
 * share taint, descriptors or device state.
 */
import {
  DriverHang,
  KernelErrno,
  KernelOops,
  ReferenceSystem,
  type FwctlFile,
  type Task,
} from '../../reference-driver/index.js';
import {
  ProcessKilled,
  SyscallError,
  type SyscallResult,
  type Target,
  type TargetDescription,
  type TargetParts,
  type TargetProcess,
  type UserBuffer,
} from './target.js';
import type { TargetSpec } from './spec.js';

/** One simulated process: a Task plus an fd table. */
class SimProcess implements TargetProcess {
  private readonly fds = new Map<number, FwctlFile>();
  private nextFd = 3;
  private killed: string | undefined;

  constructor(
    protected readonly sys: ReferenceSystem,
    protected readonly task: Task,
  ) {}

  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    const bytes = typeof sizeOrInit === 'number' ? Buffer.alloc(sizeOrInit) : Buffer.from(sizeOrInit);
    return { addr: this.task.memory.map(bytes, at), bytes };
  }

  free(buf: UserBuffer): void {
    this.task.memory.unmap(buf.addr);
  }

  async open(): Promise<number> {
    this.alive();
    try {
      const file = this.sys.open(this.task);
      const fd = this.nextFd++;
      this.fds.set(fd, file);
      return fd;
    } catch (e) {
      if (e instanceof KernelErrno) throw new SyscallError('open', e.errno);
      throw e;
    }
  }

  ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    this.alive();
    const file = this.fds.get(fd);
    if (!file) return Promise.resolve({ ret: -1, errno: 'EBADF' });
    try {
      return Promise.resolve(syscall(() => this.sys.core.ioctl(this.task, file, request, arg)));
    } catch (e) {
      // A hung firmware call: the syscall never returns.
      if (e instanceof DriverHang) return new Promise(() => {});
      if (e instanceof KernelOops) {
        // The oops kills the caller; like any dying process, its descriptors are released.
        void this.exit();
        this.killed = e.message;
        return Promise.reject(new ProcessKilled(e.message));
      }
      return Promise.reject(e);
    }
  }

  async close(fd: number): Promise<SyscallResult> {
    const file = this.fds.get(fd);
    if (!file) return { ret: -1, errno: 'EBADF' };
    this.fds.delete(fd);
    return syscall(() => (this.sys.core.close(file), 0));
  }

  fileOp(fd: number, op: 'read' | 'write' | 'mmap'): SyscallResult {
    const file = this.fds.get(fd);
    if (!file) return { ret: -1, errno: 'EBADF' };
    return syscall(() => this.sys.core.fileOp(file, op));
  }

  /** The process exits: the kernel releases every descriptor it still holds. */
  async exit(): Promise<void> {
    for (const [fd, file] of this.fds) {
      this.fds.delete(fd);
      this.sys.core.close(file, 'exit');
    }
    this.killed ??= 'exited';
  }

  async dispose(): Promise<void> {
    for (const fd of [...this.fds.keys()]) await this.close(fd);
  }

  private alive(): void {
    if (this.killed) throw new ProcessKilled(this.killed);
  }
}

function syscall(fn: () => number): SyscallResult {
  try {
    return { ret: fn() };
  } catch (e) {
    if (e instanceof KernelErrno) return { ret: -1, errno: e.errno };
    throw e;
  }
}

export class SimTarget extends SimProcess implements Target {
  readonly description: TargetDescription;
  readonly parts: TargetParts;

  constructor(private readonly spec: Extract<TargetSpec, { kind: 'sim' }>) {
    const sys = new ReferenceSystem({ model: spec.model, fw: spec.fw, defects: spec.defects });
    super(sys, sys.spawn({ capSysRawio: true }));
    this.description = {
      spec: spec.text,
      kind: 'sim',
      model: spec.model,
      fw: sys.fw,
      device: sys.device?.name,
      defects: spec.defects,
      expectedDeviceType: sys.model.deviceType,
      capSysRawio: true,
      profile: `reference-${sys.model.name}`,
      // The release whose driver the model follows: hazards fixed there are fixed here (Device.hazardFixed).
      ...(sys.model.kernel && { kernelRelease: sys.model.kernel }),
      // A simulated kernel is thrown away after the task: everything is allowed.
      allows: { taint: true, destructive: true, hazards: true },
    };
    const child = (capSysRawio: boolean, comm: string) => new SimProcess(sys, sys.spawn({ capSysRawio, comm }));
    this.parts = {
      taint: {
        read: async () => sys.kernel.tainted,
        reset: async () => sys.reboot(),
      },
      kernelLog: { read: async (from = 0) => sys.kernel.dmesg().slice(from) },
      credentials: { withoutRawio: async () => child(false, 'fwctl-cts-norawio') },
      processes: { spawn: async () => child(true, 'fwctl-cts-child') },
      hotplug: {
        current: async () => sys.device?.name,
        unregister: async () => sys.unregister(),
        register: async () => sys.register().name,
      },
      fileOps: { call: async (fd, op) => this.fileOp(fd, op) },
      resources: { count: async () => sys.instance.fwResources() },
      functionReset: { reset: async () => sys.instance.functionReset() },
      kernelDriver: {
        liveConfig: async () => sys.instance.kernelDriver.liveConfig(),
        use: async (command) => sys.instance.kernelDriver.use(command),
        ownedObjects: async () => sys.instance.kernelDriver.ownedObjects(),
      },
      firmware: {
        versions: async () => [...sys.model.fwVersions],
        current: async () => sys.fw,
        switch: async (v) => sys.switchFirmware(v),
      },
      deviceState: { digest: async () => sys.instance.stateDigest() },
    };
  }

  /** Whether a test has had this system: the first test of a task gets it as it was made. */
  private claimed = false;

  /** A new simulated system, as after boot, for every test whatever it declares: it costs about a millisecond. */
  async renew(): Promise<SimTarget> {
    if (!this.claimed) return ((this.claimed = true), this);
    await this.dispose();
    const next = new SimTarget(this.spec);
    next.claimed = true;
    return next;
  }
}
