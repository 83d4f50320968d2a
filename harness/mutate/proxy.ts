/**
 * The mutation proxy: a Target in front of any target (sim:, exec:, dev:) that
 * lets one operator (operators.ts) alter what the target answers. The suites
 * only know the Target interface, so they cannot tell the proxy from the
 * driver: a mutant the suites pass is a fault they would let through.
 *
 * State is per proxy, and a renewed target gets a new proxy: an operator then
 * behaves the same whichever tests share a task, so verdicts do not depend on
 * the worker count.
 */
import { appendFileSync } from 'node:fs';
import { operatorById, type MutantState, type Operator, type ProcessRole } from './operators.js';
import { endTarget, type ChildProcess, type MutationOption, type StartState, type SyscallResult, type Target, type TargetParts, type TargetProcess, type UserBuffer } from '../targets/target.js';

/** The bytes of a caller's buffers, as the proxy sees them (live views: writing changes what the caller reads). */
export interface Memory {
  /** `len` bytes at `addr`, when one buffer of this process holds them all. */
  view(addr: bigint, len: number): Buffer | undefined;
}

/** One process behind the proxy: its buffers are tracked so operators can read and alter structs and payloads. */
class MutantProcess implements TargetProcess, Memory {
  private readonly buffers = new Map<bigint, UserBuffer>();
  private readonly fds = new Set<number>();

  constructor(
    protected readonly inner: TargetProcess,
    protected readonly state: MutantState,
    private readonly role: ProcessRole,
  ) {}

  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    const buf = this.inner.alloc(sizeOrInit, at);
    this.buffers.set(buf.addr, buf);
    return buf;
  }

  free(buf: UserBuffer): void {
    this.buffers.delete(buf.addr);
    this.inner.free(buf);
  }

  view(addr: bigint, len: number): Buffer | undefined {
    for (const b of this.buffers.values()) {
      const off = addr - b.addr;
      if (off >= 0n && off + BigInt(len) <= BigInt(b.bytes.length)) return b.bytes.subarray(Number(off), Number(off) + len);
    }
    return undefined;
  }

  async open(): Promise<number> {
    const op = this.state.operator;
    const fd = op.open ? await op.open(() => this.inner.open(), this.state) : await this.inner.open();
    this.fds.add(fd);
    this.state.openFds++;
    return fd;
  }

  ioctl(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    const op = this.state.operator;
    if (!op.ioctl) return this.inner.ioctl(fd, request, arg);
    // The caller's struct as it was before the call: operators compare with it and restore from it.
    const before = this.view(arg, 32) ?? this.view(arg, 24);
    return op.ioctl({ role: this.role, fd, request, arg, before: before && Buffer.from(before), mem: this, next: () => this.inner.ioctl(fd, request, arg) }, this.state);
  }

  async close(fd: number): Promise<SyscallResult> {
    const res = await this.inner.close(fd);
    if (this.fds.delete(fd)) this.state.openFds--;
    if (res.ret === 0) this.state.closes++;
    return res;
  }

  /** The process is gone: its descriptors are released with it. */
  protected forget(): void {
    this.state.openFds -= this.fds.size;
    this.state.closes += this.fds.size;
    this.fds.clear();
  }
}

class MutantChild extends MutantProcess {
  constructor(
    private readonly child: TargetProcess & { exit?(): Promise<void>; dispose?(): Promise<void> },
    state: MutantState,
    role: ProcessRole,
  ) {
    super(child, state, role);
  }

  async exit(): Promise<void> {
    await this.child.exit!();
    this.forget();
  }

  async dispose(): Promise<void> {
    await this.child.dispose!();
    this.forget();
  }
}

export class MutantTarget extends MutantProcess implements Target {
  readonly parts: TargetParts;
  renew?: (state: StartState) => Promise<Target>;
  inFlight?: () => string[];

  constructor(
    private readonly target: Target,
    private readonly option: MutationOption,
  ) {
    const operator = operatorById(option.operator);
    const state: MutantState = { operator, description: target.description, openFds: 0, closes: 0, scratch: {}, fired: () => {} };
    super(target, state, 'main');
    let told = false;
    // Once per proxy is enough to say the operator fired (on which target); the file is appended synchronously, before the task ends.
    state.fired = () => {
      if (told || !option.hitsFile) return;
      told = true;
      appendFileSync(option.hitsFile, `fired\t${target.description.spec}\n`);
    };
    const inner = target.parts;
    const parts: TargetParts = { ...inner };
    if (inner.credentials) {
      const credentials = inner.credentials;
      parts.credentials = { withoutRawio: async () => new MutantChild(await credentials.withoutRawio(), state, 'norawio') as MutantChild & { dispose(): Promise<void> } };
    }
    if (inner.processes) {
      const processes = inner.processes;
      parts.processes = { spawn: async () => new MutantChild(await processes.spawn(), state, 'child') as unknown as ChildProcess };
    }
    // An operator that alters a part the target lacks does not apply; the caller learns why from the hits file.
    const missing = (operator.needs ?? []).filter((n) => !inner[n]);
    if (missing.length && option.hitsFile) appendFileSync(option.hitsFile, `missing ${missing.join(' ')}\t${target.description.spec}\n`);
    this.parts = missing.length ? parts : { ...parts, ...operator.parts?.(parts, state) };
    if (target.renew) {
      const renew = target.renew.bind(target);
      this.renew = async (s) => {
        const next = await renew(s);
        if (next !== target) return new MutantTarget(next, option);
        // Reset in place: the operator starts over too.
        state.closes = 0;
        state.scratch = {};
        return this;
      };
    }
    if (target.inFlight) this.inFlight = target.inFlight.bind(target);
  }

  get description() {
    return this.target.description;
  }

  get unavailable() {
    return this.target.unavailable;
  }

  shutdown(): Promise<void> {
    return endTarget(this.target);
  }

  dispose(): Promise<void> {
    return this.target.dispose();
  }
}

export function mutantTarget(target: Target, option: MutationOption): Target {
  return new MutantTarget(target, option);
}

export type { Operator };
