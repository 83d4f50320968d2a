/**
 * The `sim:` target: the reference driver in-process. Each target owns one
 * simulated kernel, so tasks never share taint or descriptors.
 */
import { DeviceType } from '../../uapi/fwctl.js';
import { KernelErrno, ReferenceSystem, type FwctlFile, type Task } from '../../reference-driver/index.js';
import {
  SyscallError,
  type SyscallResult,
  type Target,
  type TargetDescription,
  type TargetParts,
  type TargetProcess,
  type UserBuffer,
} from './target.js';
import type { TargetSpec } from './spec.js';

const MODEL_DEVICE_TYPE: Record<string, number> = { cxl: DeviceType.CXL, mlx5: DeviceType.MLX5, pds: DeviceType.PDS };

/** One simulated process: a Task plus an fd table. */
class SimProcess implements TargetProcess {
  private readonly fds = new Map<number, FwctlFile>();
  private nextFd = 3;

  constructor(
    protected readonly sys: ReferenceSystem,
    protected readonly task: Task,
  ) {}

  alloc(sizeOrInit: number | Uint8Array): UserBuffer {
    const bytes = typeof sizeOrInit === 'number' ? Buffer.alloc(sizeOrInit) : Buffer.from(sizeOrInit);
    return { addr: this.task.memory.map(bytes), bytes };
  }

  free(buf: UserBuffer): void {
    this.task.memory.unmap(buf.addr);
  }

  async open(): Promise<number> {
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

  async ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    const file = this.fds.get(fd);
    if (!file) return { ret: -1, errno: 'EBADF' };
    return syscall(() => this.sys.core.ioctl(this.task, file, request, arg));
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

  async dispose(): Promise<void> {
    for (const fd of [...this.fds.keys()]) await this.close(fd);
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

  constructor(spec: Extract<TargetSpec, { kind: 'sim' }>) {
    const sys = new ReferenceSystem({ model: spec.model, fw: spec.fw, defects: spec.defects });
    super(sys, sys.spawn({ capSysRawio: true }));
    this.description = {
      spec: spec.text,
      kind: 'sim',
      model: spec.model,
      fw: sys.fw,
      device: sys.device?.name,
      defects: spec.defects,
      expectedDeviceType: MODEL_DEVICE_TYPE[spec.model],
      capSysRawio: true,
    };
    this.parts = {
      taint: {
        read: async () => sys.kernel.tainted,
        reset: async () => sys.reboot(),
      },
      kernelLog: { read: async () => [...sys.kernel.dmesg()] },
      credentials: {
        withoutRawio: async () => new SimProcess(sys, sys.spawn({ capSysRawio: false, comm: 'fwctl-cts-norawio' })),
      },
      hotplug: {
        current: async () => sys.device?.name,
        unregister: async () => sys.unregister(),
        register: async () => sys.register().name,
      },
      fileOps: { call: async (fd, op) => this.fileOp(fd, op) },
    };
  }
}
