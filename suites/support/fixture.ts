/**
 * The per-test fixture: holds handles (buffers, descriptors, extra processes)
 * and releases them when the test ends, pass or fail. Every syscall made
 * through it is recorded as evidence for the report.
 */
import { expect } from 'chai';
import type { DeviceStatus, Encoded } from '../../harness/codecs/index.js';
import { kernelProfileFor, runningKernel } from '../../harness/profiles/kernel.js';
import { loadProfile, scopeValue, type Command, type Probe } from '../../harness/profiles/profile.js';
import { pluginDeviceTypeName, pluginProfileForType, unknownDeviceType } from '../../harness/plugins/registry.js';
import {
  SyscallError,
  type SyscallResult,
  type Target,
  type TargetParts,
  type TargetProcess,
  type UserBuffer,
} from '../../harness/targets/target.js';
import { DeviceType, FWCTL_INFO, FWCTL_RPC, INFO_SIZE, TAINT_FWCTL_MASK, decodeInfo, deviceTypeName, encodeInfo, scopeName } from '../../uapi/fwctl.js';
import type { Evidence } from './check.js';
import { Device } from './device.js';
import { expectOk, rawRpc, type RpcCall } from './uapi.js';

type Disposable = TargetProcess & { dispose(): Promise<void> };

export class Fixture {
  private readonly buffers: { proc: TargetProcess; buf: UserBuffer }[] = [];
  private readonly fds: { proc: TargetProcess; fd: number }[] = [];
  private readonly procs: Disposable[] = [];
  private dev?: Device;

  constructor(
    readonly target: Target,
    private readonly onSkip: (reason: string) => void,
    private readonly record: (e: Evidence) => void,
    private readonly onNotice: (message: string) => void = () => {},
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
   * The device's profile and codec: the target's own profile when it names
   * one, else the kernel profile of the device type FWCTL_INFO reports.
   */
  async device(): Promise<Device> {
    if (this.dev) return this.dev;
    const d = this.target.description;
    let id = d.profile;
    if (!id) {
      let type = d.expectedDeviceType;
      if (type === undefined) {
        const fd = await this.open();
        const buf = this.alloc(encodeInfo({ size: INFO_SIZE }));
        const res = await this.ioctl(fd, FWCTL_INFO, buf.addr, this.target, 'device type probe');
        expect(res.errno, 'FWCTL_INFO (device type probe)').to.equal(undefined);
        type = decodeInfo(buf.bytes).out_device_type;
      }
      // A device type of a plugin's (a driver not upstream yet) is described by that plugin's profile.
      const declared = pluginDeviceTypeName(type);
      if (declared !== undefined) {
        id = pluginProfileForType(declared);
        if (!id) this.skip(unknownDeviceType(declared, `device type ${type}, declared by a plugin without a profile for it`));
      } else {
        const from = d.expectedDeviceType === undefined ? 'FWCTL_INFO out_device_type' : "the driver's hello";
        if (!Object.values(DeviceType).includes(type as never) || type === DeviceType.ERROR) this.skip(unknownDeviceType(type, from));
        const name = deviceTypeName(type).toLowerCase();
        id = kernelProfileFor(name, d.kernelRelease ?? runningKernel())?.id ?? pluginProfileForType(name);
        if (!id) this.skip(`no kernel profile for device type ${name}`);
      }
    }
    this.dev = Device.of(loadProfile(id), d.fw, d.kernelRelease);
    return this.dev;
  }

  /** Encode a catalogued command or probe, its nested buffers in `proc`'s memory. */
  async encode(item: Command | Probe, params: Record<string, unknown> = {}, proc: TargetProcess = this.target): Promise<Encoded> {
    const dev = await this.device();
    return dev.codec.encode(item.request, item.outLen ?? 64, { alloc: (x) => this.alloc(x, proc) }, params);
  }

  /**
   * Send a command at a scope. Returns the ioctl's result, the device status
   * (when the ioctl succeeded) and the response bytes the codec reads.
   */
  async send(
    fd: number,
    item: Command | Probe,
    scope: number,
    opts: { params?: Record<string, unknown>; proc?: TargetProcess; outLen?: number; outBufferSize?: number; rewrite?: (input: Buffer) => Buffer } = {},
  ): Promise<RpcCall & { status?: DeviceStatus; response: Buffer }> {
    this.guard(item, scope);
    const proc = opts.proc ?? this.target;
    const dev = await this.device();
    const encoded = await this.encode(item, opts.params, proc);
    const enc = opts.rewrite ? { ...encoded, input: opts.rewrite(encoded.input) } : encoded;
    const outLen = opts.outLen ?? enc.outLen;
    const inBuf = this.alloc(enc.input, proc);
    const out = this.alloc(Math.max(opts.outBufferSize ?? outLen, 1), proc);
    const { res, after } = await rawRpc(this, fd, { scope, in_len: enc.input.length, out_len: outLen, in: inBuf.addr, out: out.addr }, { proc, detail: `${item.name} at ${scopeName(scope)}` });
    // The kernel copies min(caller's, driver's out_len) bytes: only those were written, so the
    // device status is read from them alone — a driver that writes nothing must not read as success
    // (mlx5's OK status is 0x00, like the zeros of an untouched buffer).
    const written = out.bytes.subarray(0, Math.min(outLen, after.out_len, out.bytes.length));
    const response = enc.response ? enc.response.bytes : written;
    return { res, after, out, response, status: res.ret === 0 ? dev.codec.status(written) : undefined };
  }

  /** send(), asserting the ioctl and the device both said yes. */
  async sendOk(fd: number, item: Command | Probe, scope: number, opts: Parameters<Fixture['send']>[3] = {}) {
    const r = await this.send(fd, item, scope, opts);
    expectOk(r.res, `${item.name} at ${scopeName(scope)}`);
    expect(r.status?.ok, `${item.name} at ${scopeName(scope)}: device status ${r.status?.status}`).to.equal(true);
    return r;
  }

  /**
   * Safety on real hardware (DESIGN "Safety"): by default only catalogued safe
   * probes at CONFIGURATION or DEBUG_READ_ONLY. Anything else skips, naming the
   * flag that would unlock it. Simulators allow everything.
   */
  private guard(item: Command | Probe, scope: number): void {
    const allows = this.target.description.allows;
    if (scope >= 2 && !allows.taint) this.skip(`not unlocked: ${item.name} at ${scopeName(scope)} taints the kernel; needs --allow-taint`);
    const safe = 'safeProbe' in item && item.safeProbe;
    if (!safe && !allows.destructive) this.skip(`not unlocked: ${item.name} is not a safe probe; needs --allow-destructive`);
  }

  /** The benign request, encoded (its buffers live until the test ends). */
  async benign(proc: TargetProcess = this.target): Promise<{ command: Command; scope: number; input: Buffer; outLen: number; reportedOutLen: number | 'caller' }> {
    const command = (await this.device()).benign;
    const enc = await this.encode(command, {}, proc);
    return { command, scope: scopeValue(command.minScope), input: enc.input, outLen: enc.outLen, reportedOutLen: command.reportedOutLen ?? 'caller' };
  }

  /** A request outside the catalogue, encoded, with the errno the driver must give it. */
  async rejected(proc: TargetProcess = this.target): Promise<{ input: Buffer; errno: string }> {
    const { probe, errno } = (await this.device()).rejected;
    this.guard(probe, 0); // not catalogued: a faulty driver might carry it out
    return { input: (await this.encode(probe, {}, proc)).input, errno };
  }

  /** Skip unless this run may do `what` to the device (real hardware: the user's flags). */
  allow(what: 'taint' | 'destructive' | 'hazards'): void {
    if (!this.target.description.allows[what]) this.skip(`not unlocked: needs --allow-${what}`);
  }

  /** Evidence of calls made around the fixture (robustness probes send from their own processes). */
  evidence(e: Evidence): void {
    this.record(e);
  }

  /** A finding that is not a failure (e.g. a debug command changed between firmware versions). */
  notice(message: string): void {
    this.onNotice(message);
  }

  scopes(from = 0): number[] {
    return [0, 1, 2, 3].filter((s) => s >= from);
  }

  /**
   * Make sure TAINT_FWCTL is clear so a test can watch it change: reset the
   * kernel where the target can (sim), else skip, because taint is sticky.
   */
  async untainted(): Promise<void> {
    this.allow('taint');
    const taint = this.part('taint');
    if (((await taint.read()) & TAINT_FWCTL_MASK) === 0) return;
    if (!taint.reset) this.skip('TAINT_FWCTL is already set and this target cannot clear it: a change cannot be observed');
    await taint.reset();
    expect((await taint.read()) & TAINT_FWCTL_MASK, 'taint after reset').to.equal(0);
  }

  /** Like untainted(), but says false instead of skipping: for a check that is one part of a test. */
  async canWatchTaint(): Promise<boolean> {
    const taint = this.target.parts.taint;
    if (!taint || !this.target.description.allows.taint) return false;
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
