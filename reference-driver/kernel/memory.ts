import { fail } from './errno.js';

/**
 * A process's user address space, modelled as explicit segments: every byte
 * outside a segment is unmapped, so copy_{from,to}_user on it gives EFAULT.
 * Segments are page-aligned with an unmapped guard page after each, so a
 * struct that runs off the end of its buffer faults like it would on Linux.
 */
export class UserMemory {
  private static readonly BASE = 0x2000_0000_0000n;
  private static readonly PAGE = 4096n;
  private next = UserMemory.BASE;
  /** Sorted by base address (allocation only grows), so lookups are a binary search. */
  private readonly bases: bigint[] = [];
  private readonly segments = new Map<bigint, Buffer>();

  /**
   * Map `bytes` (shared, not copied) at a fresh address, or at `at` when the
   * caller chooses (it must not overlap a mapping), and return the address.
   */
  map(bytes: Buffer, at?: bigint): bigint {
    const pages = (BigInt(bytes.length) + UserMemory.PAGE - 1n) / UserMemory.PAGE;
    const addr = at ?? this.next;
    if (at !== undefined) {
      const i = this.baseIndex(at);
      const before = this.bases[i];
      const after = this.bases[i + 1];
      const end = at + pages * UserMemory.PAGE;
      if ((before !== undefined && before + BigInt(this.segments.get(before)!.length) > at) || (after !== undefined && after < end) || before === at) {
        throw new Error(`mapping at 0x${at.toString(16)} overlaps another`);
      }
      this.bases.splice(i + 1, 0, at);
    } else {
      this.bases.push(addr);
    }
    const nextFree = addr + (pages + 1n) * UserMemory.PAGE; // +1: guard page
    if (nextFree > this.next) this.next = nextFree;
    this.segments.set(addr, bytes);
    return addr;
  }

  unmap(addr: bigint): void {
    if (!this.segments.delete(addr)) return;
    this.bases.splice(this.baseIndex(addr), 1);
  }

  /** Index of the last base <= addr, or -1. */
  private baseIndex(addr: bigint): number {
    let lo = 0;
    let hi = this.bases.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.bases[mid]! <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** The segment holding [addr, addr+len), or EFAULT. len 0 never faults (access_ok of 0 bytes). */
  private locate(addr: bigint, len: number): { seg: Buffer; off: number } | undefined {
    if (len === 0) return undefined;
    const base = this.bases[this.baseIndex(addr)];
    const seg = base === undefined ? undefined : this.segments.get(base);
    if (base !== undefined && seg && addr + BigInt(len) <= base + BigInt(seg.length)) return { seg, off: Number(addr - base) };
    fail('EFAULT', `user access at 0x${addr.toString(16)} len ${len}`);
  }

  copyFromUser(addr: bigint, len: number): Buffer {
    const at = this.locate(addr, len);
    return at ? Buffer.from(at.seg.subarray(at.off, at.off + len)) : Buffer.alloc(0);
  }

  copyToUser(addr: bigint, data: Uint8Array, len = data.length): void {
    const at = this.locate(addr, len);
    if (at) at.seg.set(data.subarray(0, len), at.off);
  }

  clearUser(addr: bigint, len: number): void {
    const at = this.locate(addr, len);
    if (at) at.seg.fill(0, at.off, at.off + len);
  }
}
