/**
 * The fwctl core, modelled on drivers/fwctl/main.c as digested in
 * reference/kernel-fwctl.md §2. Rule ids (D-*, I-*, R-*, O-*) mark where each
 * behaviour comes from. Defect hooks (`this.defects.has(…)`) are the only
 * departures from the kernel, and each is named in defects/catalog.json.
 */
import {
  FWCTL_INFO,
  FWCTL_RPC,
  FWCTL_TYPE,
  INFO_OFF,
  INFO_SIZE,
  MAX_RPC_LEN,
  RPC_OFF,
  RPC_SIZE,
  Scope,
  decodeInfo,
  decodeRpc,
} from '../../uapi/fwctl.js';
import type { Defects } from '../defects/defects.js';
import { DriverHang, KernelErrno, fail } from '../kernel/errno.js';
import { TAINT_FWCTL, type SimKernel, type Task } from '../kernel/kernel.js';
import type { FwctlOps, RpcResponse, Uctx } from './ops.js';

const FWCTL_MAX_DEVICES = 4096;

/**
 * A driver bug took the kernel down in the caller's context (an oops): the
 * calling process is killed. Not an errno: the syscall never returns one.
 */
export class KernelOops extends Error {
  constructor(detail: string) {
    super(`kernel oops in the fwctl driver: ${detail}`);
    this.name = 'KernelOops';
  }
}

/** A registered (or since unregistered) fwctl device: struct fwctl_device. */
export class FwctlDevice {
  /** Cleared by fwctl_unregister, which is when `ops` becomes NULL (O-4). */
  registered = true;
  /** For the taint-warn-per-device defect: this device has warned. */
  warned = false;
  readonly uctxs = new Set<Uctx>();
  /** References: the registration plus one per open file (O-2, O-5). */
  refs = 1;
  constructor(
    readonly devnum: number,
    readonly parent: string,
    readonly driver: FwctlOps,
  ) {}
  get ops(): FwctlOps | undefined {
    return this.registered ? this.driver : undefined;
  }
  get name(): string {
    return `fwctl${this.devnum}`;
  }
}

/** An open file description on a fwctl device. */
export class FwctlFile {
  closed = false;
  /** For the rawio-checked-once defect: this file was already refused once. */
  rawioChecked = false;
  constructor(
    readonly device: FwctlDevice,
    readonly uctx: Uctx,
  ) {}
}

export class FwctlCore {
  /** fwctl_tainted: taint and warn once per module load. */
  private taintedOnce = false;
  /** For the taint-warn-late defect: mutating RPCs since the module loaded. */
  private mutating = 0;
  private readonly ida = new Set<number>();
  private readonly nodes = new Map<number, FwctlDevice>();
  private nextUctx = 1;
  /** For the shared-context defect: the one context every open reuses. */
  private sharedUctx: Uctx | undefined;

  constructor(
    private readonly kernel: SimKernel,
    private readonly defects: Defects,
  ) {}

  /** fwctl_alloc_device + fwctl_register: lowest free number (O-5). */
  register(parent: string, ops: FwctlOps): FwctlDevice {
    let devnum = 0;
    while (this.ida.has(devnum)) devnum++;
    if (devnum >= FWCTL_MAX_DEVICES) fail('ENOSPC');
    this.ida.add(devnum);
    const dev = new FwctlDevice(devnum, parent, ops);
    this.nodes.set(devnum, dev);
    return dev;
  }

  /** fwctl_unregister + fwctl_put (O-4): the node goes, open files are orphaned. */
  unregister(dev: FwctlDevice): void {
    this.nodes.delete(dev.devnum);
    if (!this.defects.has('unregister-leaks')) for (const uctx of dev.uctxs) dev.driver.closeUctx(uctx);
    dev.uctxs.clear();
    dev.registered = false;
    this.put(dev);
    if (this.defects.has('devnum-reused-while-open')) this.ida.delete(dev.devnum);
  }

  /** The /dev/fwctl/fwctlN node, if registered. */
  node(devnum: number): FwctlDevice | undefined {
    return this.nodes.get(devnum);
  }

  private put(dev: FwctlDevice): void {
    if (--dev.refs === 0) this.ida.delete(dev.devnum); // O-5: freed on the last reference
  }

  // ---- file operations --------------------------------------------------------

  /** open(2) on /dev/fwctl/fwctlN (O-1, O-2). */
  open(task: Task, devnum: number): FwctlFile {
    const dev = this.nodes.get(devnum);
    if (!dev) fail('ENOENT', `no /dev/fwctl/fwctl${devnum}`);
    if (!dev.ops) fail('ENODEV');
    // Non-exclusive: any number of descriptors at once (fwctl.rst "sharing").
    if (this.defects.has('exclusive-open') && dev.uctxs.size > 0) fail('EBUSY');
    // Defect: exclusive per process: a second process cannot open while another holds a descriptor.
    if (this.defects.has('exclusive-per-process') && [...dev.uctxs].some((u) => u.task !== task)) fail('EBUSY');
    // O-1: no capability check; only the node's mode matters.
    if (this.defects.has('open-requires-rawio') && !task.capSysRawio) fail('EPERM');
    let uctx: Uctx;
    if (this.defects.has('shared-context') && this.sharedUctx) {
      uctx = this.sharedUctx;
    } else {
      uctx = { id: this.nextUctx++, task, priv: undefined };
      dev.ops.openUctx(uctx); // errors come back as-is (O-1)
      dev.uctxs.add(uctx);
      if (this.defects.has('shared-context')) this.sharedUctx = uctx;
    }
    dev.refs++;
    return new FwctlFile(dev, uctx);
  }

  /**
   * close(2), or the process exiting: close_uctx once, unless unregister
   * already did (O-3, O-4). Both paths are the same release in Linux.
   */
  close(file: FwctlFile, how: 'close' | 'exit' = 'close'): void {
    if (file.closed) fail('EBADF');
    file.closed = true;
    const dev = file.device;
    if (dev.ops && dev.uctxs.has(file.uctx)) {
      dev.uctxs.delete(file.uctx);
      if (!(how === 'exit' && this.defects.has('leak-on-exit'))) dev.ops.closeUctx(file.uctx);
      if (this.defects.has('shared-context')) {
        // The one shared context is gone: every other descriptor is orphaned with it.
        this.sharedUctx = undefined;
      }
    }
    this.put(dev);
  }

  /** read/write/mmap: no such fops, so the VFS defaults apply (D-8). */
  fileOp(file: FwctlFile, op: 'read' | 'write' | 'mmap'): number {
    if (op === 'read' && this.defects.has('read-implemented')) return 0;
    if (op === 'mmap') fail('ENODEV');
    fail('EINVAL');
  }

  // ---- ioctl ------------------------------------------------------------------

  /** fwctl_fops_ioctl: dispatch D-1..D-6, then INFO or RPC. Returns 0 or throws. */
  ioctl(task: Task, file: FwctlFile, cmd: number, arg: bigint): number {
    const d = this.defects;
    const nr = cmd & 0xff;
    // D-1: nr beyond the table is ENOIOCTLCMD, which the VFS turns into ENOTTY.
    if (nr >= 2 && !d.has('ioctl-nr-unchecked')) fail('ENOTTY');
    const op = d.has('ioctl-nr-unchecked') ? nr & 1 : nr;
    // D-2: the whole cmd must match: type byte, nr, and no direction or size bits.
    const exact = d.has('ioctl-nr-unchecked') ? (FWCTL_TYPE << 8) | nr : op === 0 ? FWCTL_INFO : FWCTL_RPC;
    const matches = d.has('ioctl-cmd-lenient') ? (cmd & 0xff) === nr : cmd >>> 0 === exact;
    if (!matches) fail('ENOTTY');
    const ksize = op === 0 ? INFO_SIZE : RPC_SIZE;

    if (d.has('enodev-before-validation') && !file.device.ops) fail('ENODEV');

    // D-3: get_user(size).
    let usize: number;
    try {
      usize = task.memory.copyFromUser(arg, 4).readUInt32LE(0);
    } catch (e) {
      if (e instanceof KernelErrno && d.has('size-fault-einval')) fail('EINVAL');
      throw e;
    }
    // D-4: below min_size (offsetofend of the last field; equals sizeof for both).
    if (usize < ksize && !d.has('min-size-unchecked')) fail('EINVAL');
    // D-5: copy_struct_from_user — a tail beyond ksize must be zero.
    const kbuf = Buffer.alloc(ksize);
    task.memory.copyFromUser(arg, Math.min(usize, ksize)).copy(kbuf);
    if (usize > ksize) {
      if (d.has('struct-tail-rejected')) fail('E2BIG');
      const tail = task.memory.copyFromUser(arg + BigInt(ksize), usize - ksize);
      if (tail.some((b) => b !== 0) && !d.has('struct-tail-ignored')) fail('E2BIG');
    }
    // D-6: unregistered (ops == NULL) only after the struct was validated.
    if (!file.device.registered && !d.has('serve-after-unregister')) fail('ENODEV');
    if (d.has('shared-context') && !file.device.uctxs.has(file.uctx)) fail('ENODEV');
    const ops = file.device.driver;
    return op === 0 ? this.info(task, file, ops, arg, usize, kbuf) : this.rpc(task, file, ops, arg, usize, kbuf);
  }

  /**
   * ucmd_respond: copy min(usize, ksize) bytes of the struct back (I-6, R-7).
   * `overrun` (a defect) copies all `usize` bytes, leaking stale kernel bytes into the tail.
   */
  private respond(task: Task, arg: bigint, usize: number, kbuf: Buffer, overrun = false): void {
    if (!overrun || usize <= kbuf.length) return task.memory.copyToUser(arg, kbuf, Math.min(usize, kbuf.length));
    const out = Buffer.alloc(usize, 0xa5);
    kbuf.copy(out);
    task.memory.copyToUser(arg, out);
  }

  /** fwctl_cmd_info (I-1..I-7). */
  private info(task: Task, file: FwctlFile, ops: FwctlOps, arg: bigint, usize: number, kbuf: Buffer): number {
    const d = this.defects;
    const cmd = decodeInfo(kbuf);
    // A flaky device (not a kernel rule): about one FWCTL_INFO in eight fails with EIO, at random,
    // so a rerun usually passes. It proves --retries (a pass on retry is a flake, not a failure).
    if (d.has('flaky-info') && Math.random() < 1 / 8) fail('EIO');
    try {
      // I-1
      if (cmd.flags !== 0 && !d.has('info-flags-ignored')) fail('EOPNOTSUPP');
      let driverLen = 0;
      if (cmd.device_data_len > 0) {
        let data: Buffer;
        if (!ops.info) {
          // I-2: no info op: zero-fill the caller's buffer.
          data = Buffer.alloc(cmd.device_data_len, d.has('info-not-zero-filled') ? 0xa5 : 0);
        } else {
          // I-3: copy min(user, driver), zero-pad up to the user's length.
          const driverData = this.driverCall(() => ops.info!(file.uctx));
          driverLen = driverData.length;
          if (d.has('info-overruns-caller-length')) {
            // Defect: copies the driver's whole data even past the caller's length.
            data = Buffer.alloc(Math.max(cmd.device_data_len, driverLen));
            driverData.copy(data);
          } else if (d.has('info-pad-not-zeroed')) {
            // Defect: copy_to_user of the driver's bytes only; the caller's rest is left as it was.
            data = driverData.subarray(0, Math.min(driverLen, cmd.device_data_len));
          } else {
            data = Buffer.alloc(cmd.device_data_len);
            driverData.copy(data, 0, 0, Math.min(driverData.length, data.length));
          }
        }
        try {
          task.memory.copyToUser(cmd.out_device_data, data);
        } catch (e) {
          if (!d.has('info-data-fault-ignored')) throw e;
        }
      } else if (d.has('info-zero-length-touches-buffer') && cmd.out_device_data !== 0n) {
        task.memory.clearUser(cmd.out_device_data, 8);
      }
      // I-4: a zero-length request never calls info(); the length reported is 0.
      kbuf.writeUInt32LE(d.has('wrong-device-type') ? 0 : ops.deviceType, INFO_OFF.out_device_type); // I-5
      kbuf.writeUInt32LE(driverLen, INFO_OFF.device_data_len);
      this.respond(task, arg, usize, kbuf, d.has('info-writeback-overrun')); // I-6
      return 0;
    } catch (e) {
      // I-7: on error the struct is not written back.
      if (d.has('info-writeback-on-error') && e instanceof KernelErrno) {
        kbuf.writeUInt32LE(ops.deviceType, INFO_OFF.out_device_type);
        this.respond(task, arg, usize, kbuf);
      }
      throw e;
    }
  }

  /** fwctl_cmd_rpc (R-1..R-8). */
  private rpc(task: Task, file: FwctlFile, ops: FwctlOps, arg: bigint, usize: number, kbuf: Buffer): number {
    const d = this.defects;
    const cmd = decodeRpc(kbuf);
    try {
      // before the scope check, so oversized requests never taint.
      if ((cmd.in_len > MAX_RPC_LEN || cmd.out_len > MAX_RPC_LEN) && !d.has('no-emsgsize')) fail('EMSGSIZE');
      // Defect: `>=` for `>`: exactly MAX_RPC_LEN is refused too.
      if ((cmd.in_len === MAX_RPC_LEN || cmd.out_len === MAX_RPC_LEN) && d.has('emsgsize-at-max')) fail('EMSGSIZE');
      // scope policy; R-3: mutating scopes taint before anything is validated.
      let taints: boolean;
      switch (cmd.scope) {
        case Scope.CONFIGURATION:
          taints = false;
          break;
        case Scope.DEBUG_READ_ONLY:
          taints = d.has('taint-low-scope');
          break;
        case Scope.DEBUG_WRITE_FULL:
          // Defect (rawio-checked-once): the check is remembered per file, so only the first refusal happens.
          if (!task.capSysRawio && !d.has('no-rawio-check') && !(d.has('rawio-checked-once') && file.rawioChecked)) {
            file.rawioChecked = true;
            fail('EPERM');
          }
          taints = !d.has('full-scope-no-taint');
          break;
        case Scope.DEBUG_WRITE:
          taints = !d.has('no-taint-debug-write');
          break;
        default:
          fail(d.has('unknown-scope-einval') ? 'EINVAL' : 'EOPNOTSUPP');
      }
      const taintLate = d.has('taint-after-validation');
      if (taints && !taintLate) this.taint(task, file);
      // copy the request in (in_len 0 copies nothing and never faults).
      let input: Buffer;
      try {
        input = task.memory.copyFromUser(cmd.in, cmd.in_len);
      } catch (e) {
        if (!d.has('in-fault-ignored')) throw e;
        input = Buffer.alloc(cmd.in_len);
      }
      // the driver runs with out_len preset to the caller's; its errors come back as-is.
      let resp: RpcResponse;
      try {
        resp = this.driverCall(() => ops.fwRpc(file.uctx, cmd.scope, input, cmd.out_len, task));
        // Defect: at DEBUG_WRITE_FULL the driver hands back no response at all (out_len 0).
        if (cmd.scope === Scope.DEBUG_WRITE_FULL && d.has('driver-no-response-full')) resp = { out: Buffer.alloc(0), outLen: 0 };
      } catch (e) {
        if (e instanceof KernelErrno && d.has('driver-errno-rewritten')) fail('EIO', e.message);
        throw e;
      }
      if (taints && taintLate) this.taint(task, file);
      // copy min(user out_len, driver out_len) bytes.
      const copyLen = d.has('out-copy-overrun') ? resp.outLen : Math.min(cmd.out_len, resp.outLen);
      const out = Buffer.alloc(copyLen);
      resp.out.copy(out, 0, 0, Math.min(copyLen, resp.out.length));
      try {
        task.memory.copyToUser(cmd.out, out);
      } catch (e) {
        if (!d.has('out-fault-ignored')) throw e;
      }
      // out_len is the driver's length, which may exceed the caller's buffer.
      kbuf.writeUInt32LE(d.has('out-len-clamped') ? Math.min(cmd.out_len, resp.outLen) : resp.outLen, RPC_OFF.out_len);
      this.respond(task, arg, usize, kbuf, d.has('rpc-writeback-overrun'));
      return 0;
    } catch (e) {
      // on error nothing is written back.
      if (d.has('rpc-writeback-on-error') && e instanceof KernelErrno) {
        kbuf.writeUInt32LE(0, RPC_OFF.out_len);
        this.respond(task, arg, usize, kbuf);
      }
      throw e;
    }
  }

  /** Call into the driver; anything but an errno or a hang is a driver bug: an oops. */
  private driverCall<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KernelErrno || e instanceof DriverHang) throw e;
      const msg = (e as Error).message;
      this.kernel.printk(`BUG: fwctl driver: ${msg}`);
      this.kernel.printk('Oops: 0000 [#1] PREEMPT SMP');
      throw new KernelOops(msg);
    }
  }

  /** warn and taint once per module load; add_taint itself is idempotent. */
  private taint(task: Task, file: FwctlFile): void {
    const d = this.defects;
    this.mutating++;
    // Defect: the warning comes with the second mutating RPC, not the first (the taint is still set at once).
    if (d.has('taint-warn-late')) {
      this.kernel.addTaint(TAINT_FWCTL);
      if (this.mutating !== 2) return;
    } else if (d.has('taint-warn-per-device')) {
      // Defect: the once-only flag lives in the device, so a re-registered device warns again.
      this.kernel.addTaint(TAINT_FWCTL);
      if (file.device.warned && this.taintedOnce) return;
      file.device.warned = this.taintedOnce = true;
    } else {
      if (this.taintedOnce && !d.has('taint-warn-every-time')) return;
      this.taintedOnce = true;
    }
    this.kernel.printk(
      `fwctl ${file.device.name}: ${task.comm}(${task.pid}): has requested full access to the physical device`,
    );
    this.kernel.addTaint(TAINT_FWCTL);
  }

  /** Module reload (or a simulated reboot) re-arms the once-only warning. */
  rearmTaint(): void {
    this.taintedOnce = false;
    this.mutating = 0;
  }
}
