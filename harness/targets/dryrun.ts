/**
 * `--dry-run`: a stand-in for a target that records every ioctl a run would
 * issue and issues none. Descriptors and memory are make-believe; every call
 * "succeeds" with untouched buffers, so each test goes on to the requests it
 * would send next. Only the real target's description and part list are used
 * (its discovery may ask FWCTL_INFO; no RPC is sent).
 */
import { FWCTL_INFO, FWCTL_RPC, decodeRpc, scopeName } from '../../uapi/fwctl.js';
import type { Evidence } from '../runner/types.js';
import { PAGE_SIZE, USER_MEMORY_BASE, type PartName, type SyscallResult, type Target, type TargetDescription, type TargetParts, type TargetProcess, type UserBuffer } from './target.js';

const LOG_LIMIT = 500;

class DryProcess implements TargetProcess {
  private next = USER_MEMORY_BASE;
  private fd = 3;
  protected readonly memory = new Map<bigint, Buffer>();

  constructor(protected readonly log: Evidence[]) {}

  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    const bytes = typeof sizeOrInit === 'number' ? Buffer.alloc(sizeOrInit) : Buffer.from(sizeOrInit);
    const addr = at ?? this.next;
    this.next = addr + ((BigInt(bytes.length) + PAGE_SIZE - 1n) / PAGE_SIZE + 1n) * PAGE_SIZE;
    this.memory.set(addr, bytes);
    return { addr, bytes };
  }

  free(buf: UserBuffer): void {
    this.memory.delete(buf.addr);
  }

  async open(): Promise<number> {
    return this.fd++;
  }

  async ioctl(_fd: number, request: number, arg: bigint): Promise<SyscallResult> {
    const struct = this.memory.get(arg);
    let detail = `request 0x${request.toString(16)}`;
    if (request === FWCTL_RPC && struct) {
      const r = decodeRpc(struct);
      detail = `scope=${scopeName(r.scope)} in_len=${r.in_len} out_len=${r.out_len}`;
    }
    const call = request === FWCTL_RPC ? 'FWCTL_RPC' : request === FWCTL_INFO ? 'FWCTL_INFO' : 'ioctl';
    if (this.log.length < LOG_LIMIT) this.log.push({ call, detail, ret: 0 });
    return { ret: 0 };
  }

  async close(): Promise<SyscallResult> {
    return { ret: 0 };
  }

  async exit(): Promise<void> {}

  async dispose(): Promise<void> {}
}

export class DryRunTarget extends DryProcess implements Target {
  readonly description: TargetDescription;
  readonly parts: TargetParts;
  readonly unavailable?: Partial<Record<PartName, string>>;

  constructor(real: Target) {
    super([]);
    this.description = { ...real.description };
    this.unavailable = real.unavailable;
    // The same parts, answering without touching anything.
    const has = (k: keyof TargetParts) => real.parts[k] !== undefined;
    const child = async () => new DryProcess(this.log);
    this.parts = {
      ...(has('taint') && { taint: { read: async () => 0 } }),
      ...(has('kernelLog') && { kernelLog: { read: async () => [] } }),
      ...(has('credentials') && { credentials: { withoutRawio: child } }),
      ...(has('processes') && { processes: { spawn: child } }),
      ...(has('fileOps') && { fileOps: { call: async () => ({ ret: 0 }) } }),
    };
  }

  /** The calls recorded since the last drain (the runner attaches them to each test). */
  drain(): Evidence[] {
    return this.log.splice(0);
  }
}
