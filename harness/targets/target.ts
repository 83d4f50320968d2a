/**
 * The target interface: how every suite talks to a fwctl driver, whether it is
 * the in-process reference driver, a program over the wire protocol, or the
 * real kernel. Suites see only this file's types.
 *
 * User memory is explicit: a test allocates buffers in the target's address
 * space and puts their addresses into raw structs, so size, tail and pointer
 * tests (bad pointers included) are expressible on every target.
 */

import type { DeviceRecord } from '../generated/snapshot.js';

/** A buffer in the target process's address space. `bytes` is the live content. */
export interface UserBuffer {
  readonly addr: bigint;
  readonly bytes: Buffer;
}

/** An address no target maps: the first page is never mapped on Linux (mmap_min_addr). */
export const UNMAPPED_ADDRESS = 0x10n;

/**
 * Where user buffers live in every target's address space: far from where
 * Linux puts the heap, libraries and stacks, so a real process can mmap them
 * at exactly these addresses (the wire protocol relies on that).
 */
export const USER_MEMORY_BASE = 0x2000_0000_0000n;
export const PAGE_SIZE = 4096n;

/** What ioctl(2) (or read/write/mmap) returned: 0 or -1 with an errno name. */
export interface SyscallResult {
  ret: number;
  /** The errno name when ret is -1 (e.g. 'ENOTTY'). */
  errno?: string;
}

/** One process using the device: its memory and its descriptors. */
export interface TargetProcess {
  /**
   * Allocate a zeroed buffer (or a copy of `init`) in this process's memory,
   * at `at` when given (page-aligned; the wire protocol's server uses it).
   */
  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer;
  /** Release a buffer; its address becomes unmapped. */
  free(buf: UserBuffer): void;
  /** open(2) the device node; rejects with a SyscallError on failure. */
  open(): Promise<number>;
  /** ioctl(2) with `arg` as the pointer argument. Never rejects for an errno. */
  ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult>;
  /**
   * Optional: the same call made synchronously, for a caller in a hot loop
   * (no promise and no event-loop turn per call: issue 15, `npm run
   * bench:kernel`). Returns undefined, having done nothing, when this call
   * cannot be made without waiting (it may block in firmware, or crosses to
   * another process): then use ioctl(). So `t.ioctlSync?.(fd, r, a) ??
   * (await t.ioctl(fd, r, a))` is always right. Same result as ioctl(); the
   * object may be shared between calls and is frozen: do not change it.
   */
  ioctlSync?(fd: number, request: number, arg: bigint): SyscallResult | undefined;
  close(fd: number): Promise<SyscallResult>;
}

/** open(2) failed. */
export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly errno: string,
  ) {
    super(`${call} failed: ${errno}`);
    this.name = 'SyscallError';
  }
}

/** The calling process died in a syscall (a kernel oops kills it). */
export class ProcessKilled extends Error {
  constructor(readonly reason: string) {
    super(`the calling process was killed: ${reason}`);
    this.name = 'ProcessKilled';
  }
}

/**
 * An agent refused the call (docs/wire-protocol.md "Security"): its operator
 * did not unlock it, or it could not check a pointer, request or size.
 * Nothing reached the device; a test that meets one fails with it.
 */
export class CallRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallRefused';
  }
}

/** The driver behind the target died (an exec driver exited): its tests are crashes. */
export class TargetDied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetDied';
  }
}

/** The driver behind the target stopped answering: its tests are timeouts. */
export class TargetHung extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetHung';
  }
}

/** A second process that can die with its descriptors open. */
export type ChildProcess = TargetProcess & { exit(): Promise<void> };

/**
 * Optional capabilities ("parts"). A test that needs one declares it; a target
 * without it makes the test skip with the reason, never pass.
 */
export interface TargetParts {
  /** Read the kernel's taint mask (/proc/sys/kernel/tainted). */
  taint?: {
    read(): Promise<number>;
    /** Start from a clean kernel (a reboot); only throw-away targets have it. */
    reset?(): Promise<void>;
  };
  /** The kernel log, to see the fwctl full-access warning. */
  kernelLog?: {
    /** Lines logged since boot, from line `from` on (0: all). */
    read(from?: number): Promise<string[]>;
  };
  /** A second process without CAP_SYS_RAWIO in the init user namespace. */
  credentials?: { withoutRawio(): Promise<TargetProcess & { dispose(): Promise<void> }> };
  /** Unbind and rebind the device's driver (hot-unplug). */
  hotplug?: {
    /** The registered device's name, e.g. 'fwctl0'; undefined while unbound. */
    current(): Promise<string | undefined>;
    unregister(): Promise<void>;
    /** Rebind; returns the new device's name, e.g. 'fwctl1'. */
    register(): Promise<string>;
  };
  /** read(2), write(2) and mmap(2) on a descriptor (D-8). */
  fileOps?: { call(fd: number, op: 'read' | 'write' | 'mmap'): Promise<SyscallResult> };
  /** Count the firmware resources held for fwctl descriptors (user contexts, objects). */
  resources?: { count(): Promise<number> };
  /** Trigger a function-level reset (pending configuration goes live). */
  functionReset?: { reset(): Promise<void> };
  /** The kernel subsystem driver sharing the device (netdev, memdev). */
  kernelDriver?: {
    /** What the kernel driver sees live. */
    liveConfig(): Promise<Record<string, number>>;
    /** Make the kernel driver use a command (by profile name) now. */
    use(command: string): Promise<{ ok: boolean; detail: string }>;
    /** Ids of firmware objects the kernel driver owns. */
    ownedObjects(): Promise<number[]>;
  };
  /** Switch the device's firmware (flash + reset): the drivers rebind. */
  firmware?: {
    versions(): Promise<string[]>;
    current(): Promise<string>;
    switch(version: string): Promise<void>;
  };
  /**
   * The device as recorded before a firmware or kernel update (`fwctl-cts snapshot`,
   * `run --abi-baseline FILE`): the abi suite compares against it when the firmware cannot be switched.
   */
  abiBaseline?: { file: string; record(): Promise<DeviceRecord> };
  /** A digest of all device state, to prove a request changed nothing. */
  deviceState?: { digest(): Promise<string> };
  /** Start another process that can die with descriptors open. */
  processes?: { spawn(): Promise<ChildProcess> };
}

export type PartName = keyof TargetParts;

/** What a target says about itself; goes into the report's inventory. */
export interface TargetDescription {
  /** The target string it was made from, e.g. 'sim:cxl@1.0+no-emsgsize'. */
  spec: string;
  kind: 'sim' | 'exec' | 'dev';
  /** Device model or device type, lower case ('cxl'). */
  model: string;
  /** Firmware version, when known. */
  fw?: string;
  /** Device node name, e.g. 'fwctl0'. */
  device?: string;
  /** A serial number that names the device across reboots and renumbering (sysfs `serial` of the parent). */
  serial?: string;
  /** Reference-driver defects switched on (sim only). */
  defects?: string[];
  /** The uAPI device type the target claims, checked against FWCTL_INFO (I-5). */
  expectedDeviceType?: number;
  /** Whether the harness's own process has CAP_SYS_RAWIO; unknown when absent. */
  capSysRawio?: boolean;
  /** The device profile's id (profiles/<id>.json), or a profile file. */
  profile?: string;
  /** The kernel release the device runs under (dev: uname -r); hazards fixed there are not hazards. */
  kernelRelease?: string;
  /** What this run may do to the device (real hardware: only what the user unlocked). */
  allows: Allows;
  /**
   * Every worker reaches the same device (real hardware): tests marked
   * exclusive then run alone. A simulator gives each task its own device.
   */
  shared?: boolean;
}

/** What the user unlocked for this run (the CLI's --allow-* flags). */
export interface Allows {
  /** Mutating-scope RPCs, which taint a real kernel. */
  taint: boolean;
  /** Writes, resets, unbinding: anything that changes the device. */
  destructive: boolean;
  /** Inputs the kernel contract flags as able to crash a real kernel (digest §3 hazards). */
  hazards: boolean;
}

export interface TargetOptions {
  allow: Allows;
  /** A snapshot file (`fwctl-cts snapshot`): targets whose device it holds get an `abiBaseline` part. */
  abiBaseline?: string;
  /** A call to an out-of-process driver with no answer for this long means the driver hung. */
  callTimeoutMs?: number;
  /** Record the ioctls a run would issue and issue none (--dry-run). */
  dryRun?: boolean;
  /** Put a mutation proxy in front of the target (`fwctl-cts mutate`, harness/mutate/proxy.ts). */
  mutation?: MutationOption;
}

/** One mutation operator applied to everything a target answers (plain data: it crosses to the workers). */
export interface MutationOption {
  /** The operator's id (harness/mutate/operators.ts). */
  operator: string;
  /** A file the proxy appends a line to whenever the operator changed an answer, so the caller knows it fired. */
  hitsFile?: string;
}

/** A safe default: read-only probes only. */
export const SAFE: TargetOptions = { allow: { taint: false, destructive: false, hazards: false } };

/**
 * The state a test starts from (suites/support/check.ts). 'any': whatever the
 * target gives cheaply; the test reads and leaves nothing another test looks at.
 * 'fresh': a device no earlier test touched. 'clean-kernel': fresh, and
 * TAINT_FWCTL clear with the full-access warning not yet logged.
 */
export type StartState = 'any' | 'fresh' | 'clean-kernel';

export interface Target extends TargetProcess {
  readonly description: TargetDescription;
  readonly parts: TargetParts;
  /**
   * The target in its initial state, for the next test of a task, so no test
   * sees what an earlier one left and verdicts do not depend on how tests are
   * cut into tasks or ordered. May return this target (reset in place) or a
   * new one (this one then disposed). Absent: a real device, which has no
   * initial state to go back to; tests that change it run exclusive instead.
   */
  renew?(state: StartState): Promise<Target>;
  /** Why a part is missing, when the target knows better than "does not provide" (the skip reason). */
  readonly unavailable?: Partial<Record<PartName, string>>;
  /** Release everything the target holds for the task (an exec: target keeps its driver for the next one). */
  dispose(): Promise<void>;
  /** End the target for good, with any driver it keeps between tasks (exec:). Absent: dispose() is the end. */
  shutdown?(): Promise<void>;
  /**
   * The calls sent to the driver and not yet answered, e.g. `close (1502 ms)`: a test that
   * times out names the call that hung rather than mocha's generic "ensure done() is called".
   * @default none (in-process targets cannot leave a call waiting)
   */
  inFlight?(): string[];
}

/** The end of a target's life (a one-shot command, an agent whose harness left): shutdown() where it has one, else dispose(). */
export function endTarget(t: Target): Promise<void> {
  return t.shutdown ? t.shutdown() : t.dispose();
}
