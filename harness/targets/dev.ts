/**
 * The `dev:` target: a real fwctl device of the running kernel, driven from
 * this process through libc (harness/kernel/libc.ts) with user memory mmap'd
 * at the harness's addresses (harness/kernel/memory.ts).
 *
 * Real hardware is only touched as far as the user allowed (`allows`): the
 * suites ask before tainting, and the only part that changes the system,
 * `hotplug`, exists only with `allows.destructive` on a cxl_test mock memdev
 * (digest §6), where unbinding is the kernel's own test of O-4.
 *
 * deviceState is a digest of what reading alone shows (harness/targets/observe.ts:
 * every safe read-only probe of the profile; on CXL the supported-feature
 * list and every readable feature). Parts left out on purpose: resources,
 * firmware, kernelDriver and functionReset (no generic way to observe them on
 * real hardware; `run --abi-baseline` stands in for a firmware switch that
 * cannot be done). Their tests skip with the reason, never pass.
 */
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, constants as fsc, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CtsError } from '../errors.js';
import { devTargets, discoverDevice, readTaint, type DiscoveredDevice, type DiscoveryRoots } from '../kernel/discovery.js';
import * as libc from '../kernel/libc.js';
import { ProcessMemory } from '../kernel/memory.js';
import { kernelProfileFor, runningKernel } from '../profiles/kernel.js';
import { ROOT } from '../paths.js';
import { pluginProfileForValue } from '../plugins/registry.js';
import type { Profile } from '../profiles/profile.js';
import { FWCTL_RPC, deviceTypeName } from '../../uapi/fwctl.js';
import type { TargetSpec } from './spec.js';
import {
  PAGE_SIZE,
  SyscallError,
  type PartName,
  type SyscallResult,
  type Target,
  type TargetDescription,
  type TargetOptions,
  type TargetParts,
  type UserBuffer,
} from './target.js';

/** CAP_SYS_RAWIO is capability 17 (include/uapi/linux/capability.h): bit 17 of CapEff. */
const CAP_SYS_RAWIO = 17n;

/** The cxl_test platform driver whose devices carry the mock memdevs (digest §6). */
const MOCK_MEM_DRIVER = 'cxl_mock_mem';
const AGENT_ENTRY = fileURLToPath(new URL('../wire/agent-process.js', import.meta.url));
/** The harness's own V8 tuning carries over to its agent children (the VM runs node without its optimising compilers: vm/test-kernel.mjs). */
const AGENT_NODE_FLAGS = ['--single-threaded', ...process.execArgv.filter((a) => ['--no-opt', '--no-sparkplug', '--jitless'].includes(a))];

/** How long a rebind may take to bring the fwctl node back (emulated guests are slow). */
const REGISTER_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

/** An ioctl on a descriptor this target did not open: the same settled answer every time. */
const EBADF: SyscallResult = Object.freeze({ ret: -1, errno: 'EBADF' });
const SETTLED_EBADF: Promise<SyscallResult> = Promise.resolve(EBADF);

/** Where the target looks; tests and odd systems can move the roots. */
export interface DevRoots extends Omit<DiscoveryRoots, 'info'> {
  proc?: string;
}

export class DevTarget implements Target {
  readonly description: TargetDescription;
  readonly unavailable: Partial<Record<PartName, string>> = {};
  readonly parts: TargetParts;
  private readonly memory = new ProcessMemory();
  /**
   * Descriptors this target opened, each with whether its calls can all be made on this thread (a cxl_test
   * mock answers from memory). Others get EBADF without a syscall: they may be Node's own. One lookup per ioctl.
   */
  private readonly fds = new Map<number, boolean>();
  /** The node open() opens; hotplug moves it to the re-registered device. */
  private node: string;
  private readonly hotplugState?: MockMemdev;
  /** hotplug.register() gave the device a new number; restore it when the descriptors are gone. */
  private moved = false;
  /** The device is a cxl_test mock: its firmware is kernel memory, and no RPC can block. */
  private readonly answersFromMemory: boolean;
  private readonly roots: DevRoots;
  /** How long an agent child may take to answer (the per-test timeout). */
  private readonly callTimeoutMs: number;

  /** Make a target for `dev:/dev/fwctl/fwctlN`, after checking the device is there and can be opened. */
  static async create(spec: Extract<TargetSpec, { kind: 'dev' }>, options: TargetOptions, roots: DevRoots = {}): Promise<DevTarget> {
    if (spec.path === 'all') {
      throw new CtsError('CTS_E_TARGET_SPEC', `'${spec.text}' stands for several devices and must be expanded first`, `the devices here: ${devTargets(roots).join(' ') || 'none'}`);
    }
    const name = basename(spec.path);
    const found = discoverDevice(name, roots);
    if (!found) {
      const others = devTargets(roots);
      throw new CtsError(
        'CTS_E_TARGET_SPEC',
        `target '${spec.text}': there is no fwctl device ${name} (/sys/class/fwctl/${name})`,
        others.length ? `devices here: ${others.join(' ')}` : 'no fwctl devices at all: is an fwctl driver loaded?',
      );
    }
    if (found.nodeProblem) throw new CtsError('CTS_E_TARGET_SPEC', `target '${spec.text}': ${found.nodeProblem}`);
    if (found.infoError?.startsWith('open:')) {
      throw new CtsError('CTS_E_TARGET_SPEC', `target '${spec.text}': cannot open ${found.node} (${found.infoError.slice(6)})`, 'the node is 0600 root:root unless udev changes it (O-1)');
    }
    return new DevTarget(spec, options, found, roots);
  }

  private constructor(spec: Extract<TargetSpec, { kind: 'dev' }>, options: TargetOptions, found: DiscoveredDevice, roots: DevRoots) {
    this.node = found.node;
    this.roots = roots;
    const model = found.deviceType === undefined ? 'unknown' : deviceTypeName(found.deviceType).toLowerCase();
    // By device type and running kernel; `run --profile` overrides (harness/profiles/kernel.ts).
    const kernelRelease = runningKernel();
    // A device type a plugin declares (a driver not upstream) takes that plugin's profile (docs/plugins.md).
    const profile = process.env.FWCTL_CTS_PROFILE || kernelProfileFor(model, kernelRelease)?.id || pluginProfileForValue(found.deviceType);
    const capSysRawio = capEffHas(CAP_SYS_RAWIO, roots.proc);
    this.description = {
      spec: spec.text,
      kind: 'dev',
      model,
      device: found.name,
      allows: { ...options.allow },
      shared: true,
      ...(found.firmwareVersion !== undefined && { fw: found.firmwareVersion }),
      ...(found.serial !== undefined && { serial: found.serial }),
      ...(found.deviceType !== undefined && { expectedDeviceType: found.deviceType }),
      ...(capSysRawio !== undefined && { capSysRawio }),
      ...(profile !== undefined && { profile }),
      kernelRelease,
    };
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    const mock = MockMemdev.of(found, roots);
    // Not with --allow-hazards: an input that wedges the kernel must leave the worker thread free.
    this.answersFromMemory = mock !== undefined && !options.allow.hazards;
    if (mock && !options.allow.destructive) this.unavailable.hotplug = 'unbinding the cxl_mock_mem driver needs --allow-destructive';
    else if (mock?.region) {
      // Unbinding a region member tears the region down, which can warn in the CXL region core: not fwctl's doing.
      this.unavailable.hotplug = `${found.parent} is part of CXL ${mock.region}: unbinding it would tear the region down`;
    } else this.hotplugState = mock;
    this.parts = this.makeParts();
  }

  private makeParts(): TargetParts {
    const roots = this.roots;
    const parts: TargetParts = {
      // Read only: a real kernel's taint is sticky until reboot (§4); there is no reset.
      taint: { read: async () => readTaint(roots.proc) },
      fileOps: { call: async (fd, op) => this.fileOp(fd, op) },
    };
    if (kmsgReadable()) parts.kernelLog = { read: async (from = 0) => readKmsg().slice(from) };
    // Other processes are agent children on this device (harness/wire/agent-process.ts); without CAP_SYS_RAWIO via setpriv.
    // The child enforces what this run unlocked (harness/wire/guard.ts), so it gets the same flags.
    const a = this.description.allows;
    const flags = [a.taint && '--allow-taint', a.destructive && '--allow-destructive', a.hazards && '--allow-hazards'].filter(Boolean).join(' ');
    const agent = (prefix = '') => `${prefix}${shellQuote(process.execPath)} ${AGENT_NODE_FLAGS.join(' ')} ${shellQuote(AGENT_ENTRY)} ${shellQuote(this.description.spec)} ${flags}`;
    parts.processes = { spawn: async () => (await import('./exec.js')).agentProcess(agent(), this.callTimeoutMs) };
    const setpriv = setprivPath();
    if (this.description.capSysRawio && setpriv) {
      // Kept by the worker and lent to one test at a time: tests need a process without the capability, not a
      // fresh one (processes.spawn stays fresh: those tests watch a process exit).
      const noRawio = `${setpriv} --inh-caps=-sys_rawio --bounding-set=-sys_rawio `;
      parts.credentials = { withoutRawio: async () => (await import('./exec.js')).lentAgentProcess(agent(noRawio), `${noRawio}${flags}`, () => this.node, this.callTimeoutMs) };
    }
    const id = this.description.profile;
    if (id) {
      // Reads only, at scopes that never taint (R-3): safe on any device, so no --allow-* flag is needed. The
      // observer, codecs and profile load on first use: agent children make a target too, never digest, and
      // every module costs their start-up under emulation.
      let profile: Profile | undefined;
      parts.deviceState = {
        digest: async () => {
          const { digest, observeState, profileVarying } = await import('./observe.js');
          profile ??= (await import('../profiles/profile.js')).loadProfile(id);
          return digest(await observeState(this, profile), profileVarying(profile));
        },
      };
    } else this.unavailable.deviceState = `no device profile for a ${this.description.model} device: nothing to observe it with`;
    const mock = this.hotplugState;
    if (mock) {
      parts.hotplug = {
        current: async () => mock.current(),
        unregister: async () => mock.unbind(),
        register: async () => {
          const dev = await mock.bind();
          this.node = dev.node;
          this.moved = dev.name !== this.description.device;
          return dev.name;
        },
      };
    }
    return parts;
  }

  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    return this.memory.alloc(sizeOrInit, at);
  }

  free(buf: UserBuffer): void {
    this.memory.free(buf);
  }

  /** O_RDWR first; O_RDONLY when the node refuses writers, as ndctl opens it (O-1). */
  async open(): Promise<number> {
    return this.openNode(this.node, this.answersFromMemory);
  }

  /**
   * Open another fwctl device of this machine, named by its node
   * (<dev>/fwctl/fwctlN, nothing else): the agent a worker lends to all its
   * tests serves every device (harness/wire/agent-process.ts).
   */
  async openOther(node: string): Promise<number> {
    const name = basename(node);
    const found = node === join(this.roots.dev ?? '/dev', 'fwctl', name) ? discoverDevice(name, { ...this.roots, info: false }) : undefined;
    if (!found || found.nodeProblem?.includes(' is missing')) throw new SyscallError('open', 'ENOENT');
    if (found.nodeProblem) throw new SyscallError('open', 'EACCES'); // not the device sysfs names
    return this.openNode(found.node, isMockMemdev(found) && !this.description.allows.hazards);
  }

  private openNode(node: string, fromMemory: boolean): number {
    let r = libc.open(node, libc.O_RDWR | libc.O_CLOEXEC);
    if (r.errno === 'EACCES') r = libc.open(node, libc.O_RDONLY | libc.O_CLOEXEC);
    if (r.ret < 0) throw new SyscallError('open', r.errno ?? 'E#?');
    this.fds.set(r.ret, fromMemory);
    return r.ret;
  }

  /**
   * FWCTL_RPC goes to koffi's thread pool: it waits on firmware and may
   * block, and a blocked worker thread could not even be stopped. A cxl_test
   * mock answers from memory, so there (unless hazards are allowed) the call
   * is made in this thread, which costs a few µs instead of hundreds in the
   * emulated VM (npm run bench:kernel). Not `async`: the synchronous call's
   * result comes back as an already settled promise, made once per outcome
   * (harness/kernel/libc.ts ioctlSettled), so a call allocates nothing here.
   */
  ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    const fromMemory = this.fds.get(fd);
    if (fromMemory === undefined) return SETTLED_EBADF;
    return request === FWCTL_RPC && !fromMemory ? libc.ioctlAsync(fd, request, arg) : libc.ioctlSettled(fd, request, arg);
  }

  /**
   * The hot path (Target.ioctlSync): every ioctl but an FWCTL_RPC that may
   * reach firmware, on this thread, with frozen shared results, so a call
   * allocates nothing. Undefined (nothing done) for the RPCs ioctl() sends to
   * the thread pool.
   */
  ioctlSync(fd: number, request: number, arg: bigint): SyscallResult | undefined {
    const fromMemory = this.fds.get(fd);
    if (fromMemory === undefined) return EBADF;
    return request === FWCTL_RPC && !fromMemory ? undefined : libc.ioctlSync(fd, request, arg);
  }

  async close(fd: number): Promise<SyscallResult> {
    if (!this.fds.delete(fd)) return { ret: -1, errno: 'EBADF' };
    const r = libc.close(fd);
    if (this.moved && this.fds.size === 0) await this.restoreName();
    return r;
  }

  /**
   * Other targets (other workers, later tasks) name the device by its number,
   * which a hotplug test moved (O-5: not reused while a descriptor was open).
   * Once this target holds no descriptor, rebinding gets the old number back,
   * so the window in which the device is missing under its name ends with the
   * test that caused it rather than with the task.
   */
  private async restoreName(): Promise<void> {
    const mock = this.hotplugState;
    this.moved = false;
    if (!mock || !this.description.device) return;
    const dev = await mock.restoreName(this.description.device).catch(() => undefined);
    if (dev) this.node = dev.node;
  }

  /**
   * read(2), write(2) and mmap(2) on a descriptor (D-8). fwctl has none of
   * these fops, so the VFS answers EINVAL, EINVAL, ENODEV; a descriptor opened
   * O_RDONLY (the fallback) gets EBADF for write first.
   */
  private fileOp(fd: number, op: 'read' | 'write' | 'mmap'): SyscallResult {
    if (!this.fds.has(fd)) return { ret: -1, errno: 'EBADF' };
    const buf = Buffer.alloc(8);
    if (op === 'read') return libc.read(fd, buf);
    if (op === 'write') return libc.write(fd, buf);
    const page = Number(PAGE_SIZE);
    const m = libc.mmap(0n, page, libc.PROT_READ, libc.MAP_SHARED, fd, 0);
    if ('errno' in m) return { ret: -1, errno: m.errno };
    libc.munmap(m.addr, page); // a driver that does map: report success and leave nothing behind
    return { ret: 0 };
  }

  async dispose(): Promise<void> {
    for (const fd of this.fds.keys()) libc.close(fd);
    this.fds.clear();
    this.memory.freeAll();
    const mock = this.hotplugState;
    if (!mock) return;
    // A test that died between unbind and bind must not leave the device gone.
    if (mock.unbound) await mock.bind().catch(() => undefined);
    await this.restoreName();
  }
}

/** Whether CapEff holds capability `cap`; undefined when /proc/self/status cannot tell. */
export function capEffHas(cap: bigint, proc = '/proc'): boolean | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(readFileSync(join(proc, 'self', 'status'), 'utf8'));
    return m ? ((BigInt(`0x${m[1]}`) >> cap) & 1n) === 1n : undefined;
  } catch {
    return undefined;
  }
}

// ---- the kernel log ---------------------------------------------------------

function kmsgReadable(): boolean {
  try {
    closeSync(openSync('/dev/kmsg', fsc.O_RDONLY | fsc.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

/** This thread's reader of the kernel log: one descriptor, every record read so far, one buffer (a record is at most 8 KiB; a smaller buffer gets EINVAL). */
let kmsg: { fd: number; lines: string[]; buf: Buffer } | undefined;

/**
 * The kernel log as message text (R-3's warning is one): the records held
 * when this thread first read it, then every record since. Each read(2) of
 * /dev/kmsg returns one record, "prio,seq,usec,flags;text\n" plus " KEY=value"
 * lines; a fresh descriptor starts at the oldest record and EAGAIN ends what
 * there is so far, so the descriptor stays open and the next call reads on
 * from there (a robustness probe reads the log after every request; reading
 * it all each time costs seconds under emulation). EPIPE means records were
 * overwritten before they were read: keep going from the next one. Indexes
 * never shift.
 */
function readKmsg(): string[] {
  kmsg ??= { fd: openSync('/dev/kmsg', fsc.O_RDONLY | fsc.O_NONBLOCK), lines: [], buf: Buffer.alloc(16 * 1024) };
  // Through libc, not fs.readSync: the EAGAIN that ends every read would be a thrown Error, made
  // after each robustness probe (milliseconds each under emulation).
  for (;;) {
    const r = libc.read(kmsg.fd, kmsg.buf);
    if (r.errno === 'EPIPE') continue;
    if (r.errno === 'EAGAIN') break;
    if (r.ret < 0) throw new Error(`/dev/kmsg: read: ${r.errno}`);
    if (r.ret === 0) break;
    const record = kmsg.buf.toString('utf8', 0, r.ret);
    const head = record.split('\n', 1)[0]!;
    kmsg.lines.push(head.slice(head.indexOf(';') + 1));
  }
  return kmsg.lines;
}

// ---- hotplug on a cxl_test mock memdev -------------------------------------

/**
 * A cxl_test memdev's fwctl device: its parent memN hangs off a platform
 * device (cxl_mem.N or cxl_rcd.N) bound to cxl_mock_mem. Unbinding it tears
 * down the memdev and unregisters the fwctl device (O-4: the node goes);
 * binding it again registers a new one, which may get another number (O-5).
 */
class MockMemdev {
  unbound = false;

  private constructor(
    private readonly platformDir: string,
    private readonly roots: DiscoveryRoots,
    /** The CXL region this memdev's endpoint decodes for (cxl_test auto-assembles region0), if any. */
    readonly region: string | undefined,
  ) {}

  /** The mock memdev behind `found`, or undefined when it is anything else. */
  static of(found: DiscoveredDevice, roots: DiscoveryRoots): MockMemdev | undefined {
    if (!isMockMemdev(found)) return undefined;
    const platformDir = dirname(found.parentPath!);
    return new MockMemdev(platformDir, { sysfs: roots.sysfs, dev: roots.dev }, regionOf(found.parent!, roots.sysfs ?? '/sys'));
  }

  private get driverDir(): string {
    return join(this.roots.sysfs ?? '/sys', 'bus', 'platform', 'drivers', MOCK_MEM_DRIVER);
  }

  /**
   * The fwctl device under this platform device now (<platform>/memN/fwctl/fwctlM), from sysfs
   * alone. Only that device is described: polling every device costs seconds under emulation.
   */
  find(): DiscoveredDevice | undefined {
    for (const mem of entries(this.platformDir).filter((n) => /^mem\d+$/.test(n))) {
      for (const name of entries(join(this.platformDir, mem, 'fwctl'))) {
        const found = discoverDevice(name, { ...this.roots, info: false });
        if (found?.parentPath !== undefined && dirname(found.parentPath) === this.platformDir) return found;
      }
    }
    return undefined;
  }

  async current(): Promise<string | undefined> {
    return this.find()?.name;
  }

  async unbind(): Promise<void> {
    const before = this.find();
    writeFileSync(join(this.driverDir, 'unbind'), basename(this.platformDir));
    this.unbound = true;
    // Unbinding is synchronous, devtmpfs removal too; wait anyway so "the node is gone" is a fact.
    if (before) await until(() => !existsSync(before.node), `${before.node} to disappear after unbinding ${basename(this.platformDir)}`);
  }

  /**
   * After a hotplug test the device may carry a new number (O-5). Rebinding
   * once nothing holds the old device gets the old number back, since
   * numbers are the lowest free ones; a second try covers a slow release.
   */
  async restoreName(name: string): Promise<DiscoveredDevice | undefined> {
    let now = this.find();
    for (let i = 0; i < 2 && now && now.name !== name; i++) {
      await this.unbind();
      now = await this.bind();
    }
    return now;
  }

  /** Bind again and wait (bounded) for the new fwctl device and its node. */
  async bind(): Promise<DiscoveredDevice> {
    writeFileSync(join(this.driverDir, 'bind'), basename(this.platformDir));
    this.unbound = false;
    let dev: DiscoveredDevice | undefined;
    await until(() => {
      dev = this.find();
      return dev !== undefined && dev.nodeProblem === undefined;
    }, `a fwctl device under ${basename(this.platformDir)} after binding it`);
    return dev!;
  }
}

/** Whether `found` is a cxl_test memdev: its parent memN hangs off a platform device bound to cxl_mock_mem. */
function isMockMemdev(found: DiscoveredDevice): boolean {
  return found.parentPath !== undefined && /^mem\d+$/.test(found.parent ?? '') && linkBase(join(dirname(found.parentPath), 'driver')) === MOCK_MEM_DRIVER;
}

/**
 * The region a memdev takes part in: its endpoint port (the cxl bus device
 * endpointN whose uport is the memdev) has a decoder with a region set.
 */
function regionOf(memdev: string, sysfs: string): string | undefined {
  const bus = join(sysfs, 'bus', 'cxl', 'devices');
  let entries: string[];
  try {
    entries = readdirSync(bus);
  } catch {
    return undefined;
  }
  for (const ep of entries.filter((n) => n.startsWith('endpoint'))) {
    if (linkBase(join(bus, ep, 'uport')) !== memdev) continue;
    let decoders: string[];
    try {
      decoders = readdirSync(join(bus, ep)).filter((n) => n.startsWith('decoder'));
    } catch {
      continue; // the endpoint went away while we looked
    }
    for (const d of decoders) {
      try {
        const region = readFileSync(join(bus, ep, d, 'region'), 'utf8').trim();
        if (region) return region;
      } catch {
        // no region attribute: not an endpoint decoder
      }
    }
  }
  return undefined;
}

async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + REGISTER_TIMEOUT_MS;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${REGISTER_TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A directory's entries; none when it is gone (a device unbound while we look). */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The last name a sysfs link points to (`driver`, `uport`): readlink, not a realpath walk of every component. */
function linkBase(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** setpriv(1) from util-linux, which drops a capability for the child it starts. */
function setprivPath(): string | undefined {
  return ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
