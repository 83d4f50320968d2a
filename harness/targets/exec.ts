/**
 * The `exec:` target: a driver program speaking the wire protocol
 * (docs/wire-protocol.md) on its stdin and stdout. User memory lives here and
 * is mirrored to the driver: before a call, every segment changed since the
 * driver last saw it travels with the call; the reply brings back what the
 * call wrote.
 */
import { WireClient } from '../wire/client.js';
import { fromBase64, hex, unhex, type Hello, type Reply, type Segment } from '../wire/protocol.js';
import { PROFILES_DIR } from '../profiles/profile.js';
import { pluginProfile, pluginProfileForValue } from '../plugins/registry.js';
import { existsSync } from 'node:fs';
import type { TargetSpec } from './spec.js';
import {
  CallRefused,
  PAGE_SIZE,
  ProcessKilled,
  SyscallError,
  USER_MEMORY_BASE,
  type ChildProcess,
  type PartName,
  type StartState,
  type SyscallResult,
  type Target,
  type TargetDescription,
  type TargetOptions,
  type TargetParts,
  type TargetProcess,
  type UserBuffer,
} from './target.js';

interface Mirrored {
  buf: UserBuffer;
  /** What the driver holds: compared before each call to find changed segments. */
  shadow: Buffer;
}

class ExecProcess implements TargetProcess {
  protected readonly segments = new Map<bigint, Mirrored>();
  protected next = USER_MEMORY_BASE;
  protected readonly fds = new Set<number>();

  constructor(
    protected readonly client: WireClient,
    protected readonly proc: number,
  ) {}

  /** A call that must succeed at the protocol level; killed and error replies throw. */
  protected async call(msg: Omit<Parameters<WireClient['call']>[0], 'proc'>): Promise<Reply> {
    const r = await this.client.call({ ...msg, proc: this.proc });
    if (r.killed !== undefined) throw new ProcessKilled(r.killed);
    if (r.error !== undefined) throw new (r.refused ? CallRefused : Error)(`the driver could not ${msg.op}: ${r.error}`);
    return r;
  }

  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    const size = typeof sizeOrInit === 'number' ? sizeOrInit : sizeOrInit.length;
    const addr = at ?? this.next;
    const pages = (BigInt(size) + PAGE_SIZE - 1n) / PAGE_SIZE;
    if (addr + (pages + 1n) * PAGE_SIZE > this.next) this.next = addr + (pages + 1n) * PAGE_SIZE; // +1: guard page
    const buf = { addr, bytes: typeof sizeOrInit === 'number' ? Buffer.alloc(size) : Buffer.from(sizeOrInit) };
    this.segments.set(addr, { buf, shadow: Buffer.alloc(size) });
    // Pipelined: calls of one process take effect in order, so the next ioctl finds it mapped.
    this.call({ op: 'map', addr: hex(addr), size }).catch(() => undefined);
    return buf;
  }

  free(buf: UserBuffer): void {
    if (!this.segments.delete(buf.addr)) return;
    this.call({ op: 'unmap', addr: hex(buf.addr) }).catch(() => undefined);
  }

  /** The node `open` names; none: the driver's own device. */
  protected openPath(): string | undefined {
    return undefined;
  }

  async open(): Promise<number> {
    const path = this.openPath();
    const r = await this.call({ op: 'open', ...(path !== undefined && { path }) });
    if (r.ret === undefined || r.ret < 0) throw new SyscallError('open', r.errno ?? 'EIO');
    this.fds.add(r.ret);
    return r.ret;
  }

  async ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    const mem: Segment[] = [];
    for (const m of this.segments.values()) {
      if (m.buf.bytes.equals(m.shadow)) continue;
      m.buf.bytes.copy(m.shadow);
      mem.push({ addr: hex(m.buf.addr), data: m.buf.bytes.toString('base64') });
    }
    // What was mapped when the call went out: the driver may write only that (a buffer freed meanwhile included).
    const mapped = new Map([...this.segments].map(([addr, m]) => [addr, m.buf.bytes.length]));
    const r = await this.call({ op: 'ioctl', fd, request: hex(request >>> 0), arg: hex(arg), mem });
    for (const seg of r.mem ?? []) {
      const size = mapped.get(unhex(seg.addr));
      if (size === undefined) throw this.client.protocolError(`wrote memory at ${seg.addr}, which the harness never mapped there`);
      let data: Buffer;
      try {
        data = fromBase64(seg.data, `the segment at ${seg.addr}`);
      } catch (e) {
        throw this.client.protocolError(`sent ${(e as Error).message}`);
      }
      // docs/wire-protocol.md: a reply carries the full contents of every segment the call wrote.
      if (data.length !== size) throw this.client.protocolError(`wrote ${data.length} bytes to the segment at ${seg.addr}, which has ${size}`);
      const m = this.segments.get(unhex(seg.addr));
      if (!m) continue; // freed while the call ran
      data.copy(m.buf.bytes);
      data.copy(m.shadow);
    }
    return result(r);
  }

  async close(fd: number): Promise<SyscallResult> {
    this.fds.delete(fd);
    return result(await this.call({ op: 'close', fd }));
  }

  async exit(): Promise<void> {
    await this.call({ op: 'exit' });
  }

  async dispose(): Promise<void> {
    await this.exit().catch(() => undefined);
  }
}

function result(r: Reply): SyscallResult {
  return r.errno ? { ret: r.ret ?? -1, errno: r.errno } : { ret: r.ret ?? 0 };
}

export class ExecTarget extends ExecProcess implements Target {
  readonly description: TargetDescription;
  readonly parts: TargetParts;
  /** The driver's reasons for parts it does not offer (an agent without the flag they need). */
  readonly unavailable: Partial<Record<PartName, string>>;

  private readonly canReset: boolean;

  inFlight(): string[] {
    return this.client.inFlight();
  }

  private constructor(client: WireClient, spec: string, hello: NonNullable<Awaited<ReturnType<WireClient['handshake']>>>) {
    super(client, 0);
    this.canReset = (hello.parts ?? []).includes('reset');
    const d = hello.driver;
    this.description = {
      spec,
      kind: 'exec',
      model: d?.model ?? 'unknown',
      ...(d?.fw !== undefined && { fw: d.fw }),
      ...(d?.device !== undefined && { device: d.device }),
      ...(d?.defects && { defects: d.defects }),
      ...(d?.deviceType !== undefined && { expectedDeviceType: d.deviceType }),
      ...(d?.profile !== undefined && { profile: d.profile }),
      // A device type a plugin declares picks that plugin's profile, as dev: picks a kernel profile by type.
      ...(d?.profile === undefined && pluginProfileForValue(d?.deviceType) && { profile: pluginProfileForValue(d?.deviceType) }),
      ...(d?.capSysRawio !== undefined && { capSysRawio: d.capSysRawio }),
      ...(d?.kernelRelease !== undefined && { kernelRelease: d.kernelRelease }),
      // The driver decides: a simulator is thrown away; an agent on real hardware was unlocked by its operator.
      allows: d?.allows ?? { taint: false, destructive: false, hazards: false },
      ...(d?.shared && { shared: true }),
    };
    this.parts = this.partsFrom(new Set(hello.parts ?? []));
    this.unavailable = (d?.unavailable ?? {}) as Partial<Record<PartName, string>>;
  }

  /** Start the driver, or reuse this worker's running one for the same target. */
  static async create(spec: Extract<TargetSpec, { kind: 'exec' }>, options: TargetOptions): Promise<ExecTarget> {
    const cached = running.get(spec.text);
    if (cached?.client.alive) {
      await cached.startOver();
      return cached;
    }
    const timeoutMs = options.callTimeoutMs ?? 10_000;
    const client = new WireClient(spec.command, timeoutMs);
    const hello = await greet(client, timeoutMs);
    const target = new ExecTarget(client, spec.text, hello);
    target.restart = () => ExecTarget.create(spec, options);
    running.set(spec.text, target);
    return target;
  }

  private restart?: () => Promise<ExecTarget>;
  /** Whether anything went to the driver since it started or last started over (a task's first test may find it so). */
  private touched = false;

  protected override call(msg: Parameters<ExecProcess['call']>[0]): Promise<Reply> {
    this.touched = true;
    return super.call(msg);
  }

  /**
   * The next test of a task: a driver with `reset` starts over for every test; one without
   * gets a new process for a test that declares it needs a fresh device. Not a shared real
   * device's agent: a new agent would find the same device (those tests run exclusive).
   */
  async renew(state: StartState): Promise<ExecTarget> {
    if (!this.touched) return this;
    if (this.canReset) return (await this.startOver(), this);
    if (state === 'any' || this.description.shared || !this.restart) return this;
    await this.shutdown();
    return this.restart();
  }

  private part(part: string, method: string, ...args: unknown[]): Promise<unknown> {
    return this.call({ op: 'part', part, method, args }).then((r) => r.value);
  }

  private partsFrom(has: Set<string>): TargetParts {
    const p = (name: string, method: string) => (...args: unknown[]) => this.part(name, method, ...args) as Promise<never>;
    const child = async (rawio: boolean): Promise<ChildProcess & { dispose(): Promise<void> }> => {
      const r = await this.call({ op: 'spawn', rawio });
      return new ExecProcess(this.client, r.value as number);
    };
    const parts: TargetParts = {};
    if (has.has('taint')) parts.taint = { read: p('taint', 'read'), ...(has.has('taint.reset') && { reset: p('taint', 'reset') }) };
    if (has.has('kernelLog')) parts.kernelLog = { read: p('kernelLog', 'read') };
    if (has.has('credentials')) parts.credentials = { withoutRawio: () => child(false) };
    if (has.has('processes')) parts.processes = { spawn: () => child(true) };
    // null on the wire while unbound (docs/wire-protocol.md): undefined here, as TargetParts says.
    if (has.has('hotplug')) parts.hotplug = { current: async () => ((await p('hotplug', 'current')()) as string | null) ?? undefined, unregister: p('hotplug', 'unregister'), register: p('hotplug', 'register') };
    if (has.has('fileOps')) parts.fileOps = { call: async (fd, name) => result(await this.call({ op: 'fileop', fd, name })) };
    if (has.has('resources')) parts.resources = { count: p('resources', 'count') };
    if (has.has('functionReset')) parts.functionReset = { reset: p('functionReset', 'reset') };
    if (has.has('kernelDriver')) parts.kernelDriver = { liveConfig: p('kernelDriver', 'liveConfig'), use: p('kernelDriver', 'use'), ownedObjects: p('kernelDriver', 'ownedObjects') };
    if (has.has('firmware')) parts.firmware = { versions: p('firmware', 'versions'), current: p('firmware', 'current'), switch: p('firmware', 'switch') };
    if (has.has('deviceState')) parts.deviceState = { digest: p('deviceState', 'digest') };
    return parts;
  }

  /** A new task on a throw-away driver starts from a fresh device, as a `sim:` task does. */
  private async startOver(): Promise<void> {
    if (!this.canReset) return;
    await this.call({ op: 'reset' });
    this.segments.clear();
    this.fds.clear();
    this.next = USER_MEMORY_BASE;
    this.touched = false;
  }

  /** End the driver for good (one-shot callers; the pool's workers keep theirs for the next task). */
  async shutdown(): Promise<void> {
    await this.dispose();
    running.delete(this.description.spec);
    await this.client.close();
  }

  /** The end of a task: its descriptors close; the driver keeps running for the next task. */
  override async dispose(): Promise<void> {
    for (const fd of [...this.fds]) await this.close(fd).catch(() => undefined);
  }
}

/** The least time a driver gets to say hello: starting node on a loaded machine takes seconds. */
const MIN_HELLO_MS = 5000;

/**
 * Say hello and check what the driver says of itself; a driver that does not
 * answer, or answers wrong, is closed with everything it started.
 */
async function greet(client: WireClient, timeoutMs: number): Promise<Hello> {
  try {
    // Starting a driver (node, ssh) is not a test: a short per-test timeout does not bound it.
    const hello = await client.handshake(Math.max(timeoutMs, MIN_HELLO_MS));
    const profile = hello.driver?.profile;
    // A profile by id from profiles/ only: a path would let a driver make the harness read any file.
    if (profile !== undefined && !(/^[a-z0-9][a-z0-9-]*$/.test(profile) && (existsSync(`${PROFILES_DIR}${profile}.json`) || pluginProfile(profile)))) {
      throw client.protocolError(`names profile ${JSON.stringify(profile.slice(0, 80))} in its hello: expected the id of a profile in profiles/ or in a loaded plugin (--plugin, docs/plugins.md)`);
    }
    return hello;
  } catch (e) {
    await client.close();
    throw e;
  }
}

/** This worker's running drivers, by target string. */
const running = new Map<string, ExecTarget>();

/**
 * A process of its own on the same machine, reached over the wire protocol:
 * `command` starts `fwctl-cts agent …` (maybe under setpriv, to drop a
 * capability). Exiting it ends the agent, and the kernel closes what it held.
 */
export async function agentProcess(command: string, callTimeoutMs: number): Promise<ChildProcess & { dispose(): Promise<void> }> {
  const client = new WireClient(command, callTimeoutMs);
  await greet(client, callTimeoutMs);
  const proc = new ExecProcess(client, 0);
  const end = () => client.close();
  return Object.assign(proc, { exit: end, dispose: end });
}

/** This worker's idle lent agents, by key (the command without its device, and the call timeout). */
const idle = new Map<string, WireClient[]>();

/**
 * Like agentProcess(), but the agent is lent, not started, when this worker
 * has an idle one for `key`: a test needs a process without CAP_SYS_RAWIO,
 * not a new one, and starting node costs seconds under an emulated CPU. The
 * handle has the agent to itself and opens `node()` (the agent serves every
 * fwctl device of the machine: `open` with a `path`). Giving it back closes
 * its descriptors and unmaps its memory; an agent with a call that failed or
 * is still running is not lent again but closed, and so is one that exits.
 */
export async function lentAgentProcess(
  command: string,
  key: string,
  node: () => string,
  callTimeoutMs: number,
): Promise<TargetProcess & ChildProcess & { dispose(): Promise<void> }> {
  const pool = idle.get(`${key} ${callTimeoutMs}`) ?? [];
  idle.set(`${key} ${callTimeoutMs}`, pool);
  let client = pool.pop();
  while (client && !client.alive) client = pool.pop();
  if (!client) {
    client = new WireClient(command, callTimeoutMs, true);
    await greet(client, callTimeoutMs);
  }
  return new LentProcess(client, node, pool);
}

class LentProcess extends ExecProcess {
  /** Calls not answered yet, and whether one failed: either way the agent may be stuck. */
  private inFlight = 0;
  private spoiled = false;
  private returned = false;

  constructor(
    client: WireClient,
    private readonly node: () => string,
    private readonly pool: WireClient[],
  ) {
    super(client, 0);
  }

  protected override async call(msg: Omit<Parameters<WireClient['call']>[0], 'proc'>): Promise<Reply> {
    // Mapping and unmapping are the agent's own bookkeeping: queued behind a stuck call, never stuck themselves.
    const counts = msg.op !== 'map' && msg.op !== 'unmap';
    if (counts) this.inFlight++;
    try {
      return await super.call(msg);
    } catch (e) {
      this.spoiled = true;
      throw e;
    } finally {
      if (counts) this.inFlight--;
    }
  }

  protected override openPath(): string {
    return this.node();
  }

  /** The process exits: the agent goes (the kernel closes what it held), at once even with a call stuck in it. */
  override async exit(): Promise<void> {
    if (this.returned) return;
    this.returned = true;
    await this.client.close();
  }

  /** Give the agent back as it was lent, nothing open, nothing mapped; or close it when it may be stuck. */
  override async dispose(): Promise<void> {
    if (this.returned) return;
    if (this.inFlight > 0 || this.spoiled) return this.exit();
    for (const fd of [...this.fds]) await this.close(fd).catch(() => undefined);
    for (const addr of [...this.segments.keys()]) {
      this.segments.delete(addr);
      await this.call({ op: 'unmap', addr: hex(addr) }).catch(() => undefined);
    }
    if (this.spoiled || !this.client.alive) return this.exit();
    this.returned = true;
    this.pool.push(this.client);
  }
}
