/**
 * The per-test fixture: holds handles (buffers, descriptors, extra processes)
 * and releases them when the test ends, pass or fail. Every syscall made
 * through it is recorded as evidence for the report.
 */
import { expect } from 'chai';
import { deviceKnowledge, type DeviceKnowledge } from '../../harness/devices/index.js';
import {
  SyscallError,
  type SyscallResult,
  type Target,
  type TargetParts,
  type TargetProcess,
  type UserBuffer,
} from '../../harness/targets/target.js';
import { FWCTL_INFO, FWCTL_RPC, INFO_SIZE, TAINT_FWCTL_MASK, decodeInfo, encodeInfo } from '../../uapi/fwctl.js';
import type { Evidence } from './check.js';

type Disposable = TargetProcess & { dispose(): Promise<void> };

export class Fixture {
  private readonly buffers: { proc: TargetProcess; buf: UserBuffer }[] = [];
  private readonly fds: { proc: TargetProcess; fd: number }[] = [];
  private readonly procs: Disposable[] = [];
  private device?: DeviceKnowledge;

  constructor(
    readonly target: Target,
    private readonly onSkip: (reason: string) => void,
    private readonly record: (e: Evidence) => void,
  ) {}

  /** End the test as skipped, with the reason in the report. */
  skip(reason: string): never {
    this.onSkip(reason);
    throw new Error('unreachable: skip() did not stop the test');
  }

  /** A target part the test cannot do without; skips with the reason when absent. */
  part<K extends keyof TargetParts>(name: K): NonNullable<TargetParts[K]> {
    const p = this.target.parts[name];
    if (!p) this.skip(`target ${this.target.description.kind}: does not provide '${name}'`);
    return p as NonNullable<TargetParts[K]>;
  }

  alloc(sizeOrInit: number | Uint8Array, proc: TargetProcess = this.target): UserBuffer {
    const buf = proc.alloc(sizeOrInit);
    this.buffers.push({ proc, buf });
    return buf;
  }

  async open(proc: TargetProcess = this.target): Promise<number> {
    try {
      const fd = await proc.open();
      this.record({ call: 'open', ret: fd });
      this.fds.push({ proc, fd });
      return fd;
    } catch (e) {
      if (e instanceof SyscallError) this.record({ call: 'open', ret: -1, errno: e.errno });
      throw e;
    }
  }

  /** close(2) now (instead of at the end of the test). */
  async close(fd: number, proc: TargetProcess = this.target): Promise<SyscallResult> {
    const i = this.fds.findIndex((f) => f.fd === fd && f.proc === proc);
    if (i >= 0) this.fds.splice(i, 1);
    const res = await proc.close(fd);
    this.record({ call: 'close', ret: res.ret, errno: res.errno });
    return res;
  }

  async ioctl(fd: number, request: number, arg: bigint, proc: TargetProcess = this.target, detail?: string): Promise<SyscallResult> {
    const res = await proc.ioctl(fd, request, arg);
    const name = request === FWCTL_INFO ? 'FWCTL_INFO' : request === FWCTL_RPC ? 'FWCTL_RPC' : `ioctl(0x${request.toString(16)})`;
    this.record({ call: name, detail, ret: res.ret, errno: res.errno });
    return res;
  }

  /** A process without CAP_SYS_RAWIO (needs the credentials part). */
  async withoutRawio(): Promise<TargetProcess> {
    const p = await this.part('credentials').withoutRawio();
    this.procs.push(p);
    return p;
  }

  /**
   * What the suites know of this device type: the type the target declares,
   * else the one FWCTL_INFO reports. Skips for a type with no knowledge.
   */
  async knowledge(): Promise<DeviceKnowledge> {
    if (this.device) return this.device;
    let type = this.target.description.expectedDeviceType;
    if (type === undefined) {
      const fd = await this.open();
      const buf = this.alloc(encodeInfo({ size: INFO_SIZE }));
      const res = await this.ioctl(fd, FWCTL_INFO, buf.addr, this.target, 'device type probe');
      expect(res.errno, 'FWCTL_INFO (device type probe)').to.equal(undefined);
      type = decodeInfo(buf.bytes).out_device_type;
    }
    const k = deviceKnowledge(type);
    if (!k) this.skip(`no device knowledge for device type ${type}`);
    this.device = k;
    return k;
  }

  /**
   * Make sure TAINT_FWCTL is clear so a test can watch it change: reset the
   * kernel where the target can (sim), else skip, because taint is sticky.
   */
  async untainted(): Promise<void> {
    const taint = this.part('taint');
    if (((await taint.read()) & TAINT_FWCTL_MASK) === 0) return;
    if (!taint.reset) this.skip('TAINT_FWCTL is already set and this target cannot clear it: a change cannot be observed');
    await taint.reset();
    expect((await taint.read()) & TAINT_FWCTL_MASK, 'taint after reset').to.equal(0);
  }

  /** Like untainted(), but says false instead of skipping: for a check that is one part of a test. */
  async canWatchTaint(): Promise<boolean> {
    const taint = this.target.parts.taint;
    if (!taint) return false;
    if (((await taint.read()) & TAINT_FWCTL_MASK) === 0) return true;
    if (!taint.reset) return false;
    await taint.reset();
    return ((await taint.read()) & TAINT_FWCTL_MASK) === 0;
  }

  async tainted(): Promise<boolean> {
    return ((await this.part('taint').read()) & TAINT_FWCTL_MASK) !== 0;
  }

  async cleanup(): Promise<void> {
    for (const { proc, fd } of this.fds.splice(0).reverse()) await proc.close(fd).catch(() => undefined);
    for (const { proc, buf } of this.buffers.splice(0)) proc.free(buf);
    for (const p of this.procs.splice(0)) await p.dispose().catch(() => undefined);
  }
}
