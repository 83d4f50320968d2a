/**
 * User memory for a real process (docs/wire-protocol.md "User memory"): every
 * buffer is anonymous pages mmap'd at an address the harness chooses, so the
 * raw structs tests build carry real pointers and the kernel's copy_to_user
 * lands in `bytes`.
 *
 * Layout is the reference driver's (reference-driver/kernel/memory.ts):
 * page-aligned, one unmapped guard page after each buffer, so a struct that
 * runs off its buffer faults (EFAULT) as on Linux; the main thread starts at
 * USER_MEMORY_BASE, each worker thread in its own terabyte above it.
 * MAP_FIXED_NOREPLACE means nothing of Node's is ever replaced.
 *
 * Piscina workers share one address space, and each worker (or each target in
 * a thread) has its own allocator, so the reference address can be taken. An
 * allocator that finds it taken moves to the next hole that has a free page on
 * both sides, and every placement it chose itself is checked afterwards for a
 * neighbour on either side (mincore), so two allocators racing never eat each
 * other's guard pages.
 */
import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { CtsError } from '../errors.js';
import { PAGE_SIZE, USER_MEMORY_BASE, type UserBuffer } from '../targets/target.js';
import { MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_NONE, PROT_READ, PROT_WRITE, fullyMapped, mmap, munmap, view } from './libc.js';

const PAGE = Number(PAGE_SIZE);
/** The top of the x86_64/arm64 (48-bit) user address space. */
const USER_TOP = 0x7fff_ffff_f000n;
const ATTEMPTS = 64;

interface Segment {
  /** Bytes mapped at the buffer's address (whole pages). */
  mapped: number;
  /** A PROT_NONE guard page held after them (at a caller's address), or 0. */
  guard: number;
}

/**
 * The largest buffer: a Buffer view of more than this is a fatal error in
 * koffi (issue 11: `map` of 4 GiB + a page killed the agent), and no fwctl
 * call needs more than MAX_RPC_LEN.
 */
export const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Each thread starts its search in its own terabyte above the reference base
 * (the main thread at the base itself): workers allocating at the same time
 * then do not leapfrog each other through the same holes.
 */
const THREAD_START = USER_MEMORY_BASE + (BigInt(threadId % 32) << 40n);

export class ProcessMemory {
  private next = THREAD_START;
  private readonly segments = new Map<bigint, Segment>();

  /**
   * A zeroed buffer of `size` bytes (or a copy of `init`) at `at`, or at the
   * next free address. A zero-length buffer still gets an address: one
   * PROT_NONE page holds it, so any access through it faults like unmapped memory.
   */
  alloc(sizeOrInit: number | Uint8Array, at?: bigint): UserBuffer {
    const size = typeof sizeOrInit === 'number' ? sizeOrInit : sizeOrInit.length;
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BUFFER) throw new RangeError(`bad buffer size ${size} (at most ${MAX_BUFFER})`);
    const mapped = Math.max(1, Math.ceil(size / PAGE)) * PAGE;
    const prot = size === 0 ? PROT_NONE : PROT_READ | PROT_WRITE;
    const addr = at === undefined ? this.place(mapped, prot) : this.placeAt(at, mapped, prot);
    // At a caller's address (the agent's peer chose it), the guard page is held too, so nothing
    // else can be mapped there: a pointer that runs off the buffer faults (harness/wire/guard.ts).
    const guard = at !== undefined && size > 0 ? this.holdGuard(addr, mapped) : 0;
    this.segments.set(addr, { mapped, guard });
    const end = addr + BigInt(mapped) + PAGE_SIZE; // + the guard page
    if (end > this.next) this.next = end;
    const bytes = view(addr, size);
    if (typeof sizeOrInit !== 'number') bytes.set(sizeOrInit);
    return { addr, bytes };
  }

  /** Unmap a buffer: its address faults from now on. `buf.bytes` must not be touched again (SIGSEGV). */
  free(buf: UserBuffer): void {
    const seg = this.segments.get(buf.addr);
    if (!seg) return;
    this.segments.delete(buf.addr);
    munmap(buf.addr, seg.mapped + seg.guard);
  }

  /** Unmap every buffer (target dispose). */
  freeAll(): void {
    for (const [addr, seg] of this.segments) munmap(addr, seg.mapped + seg.guard);
    this.segments.clear();
  }

  /** Map the page after [addr, addr+mapped) PROT_NONE; if it is taken, undo the buffer and say so. */
  private holdGuard(addr: bigint, mapped: number): number {
    const at = addr + BigInt(mapped);
    const r = this.map(at, PAGE, PROT_NONE);
    if ('errno' in r) {
      munmap(addr, mapped);
      const why = r.errno === 'EEXIST' ? 'it is already mapped in this process' : r.errno;
      throw new CtsError('CTS_E_INTERNAL', `cannot hold the guard page at 0x${at.toString(16)} after a buffer: ${why}`);
    }
    return PAGE;
  }

  /** The caller chose the address: map exactly there, or fail saying why. */
  private placeAt(at: bigint, len: number, prot: number): bigint {
    if (at % PAGE_SIZE !== 0n) throw new CtsError('CTS_E_INTERNAL', `user buffer address 0x${at.toString(16)} is not page-aligned`);
    const r = this.map(at, len, prot);
    if ('errno' in r) {
      const why = r.errno === 'EEXIST' ? 'the range is already mapped in this process' : r.errno;
      throw new CtsError('CTS_E_INTERNAL', `cannot map ${len} bytes of user memory at 0x${at.toString(16)}: ${why}`);
    }
    return at;
  }

  /** The next free address from `next`, with a free page before and after. */
  private place(len: number, prot: number): bigint {
    let candidate = this.next;
    for (let i = 0; i < ATTEMPTS; i++) {
      const r = this.map(candidate, len, prot);
      if (!('errno' in r)) {
        const before = candidate - PAGE_SIZE;
        const after = candidate + BigInt(len);
        if (!fullyMapped(before, PAGE) && !fullyMapped(after, PAGE)) return candidate;
        munmap(candidate, len); // someone raced into a neighbouring page: keep both guards free
      } else if (r.errno !== 'EEXIST') {
        throw new CtsError('CTS_E_INTERNAL', `cannot map ${len} bytes of user memory at 0x${candidate.toString(16)}: ${r.errno}`);
      }
      candidate = nextHole(candidate, len);
    }
    throw new CtsError('CTS_E_INTERNAL', `cannot find room for ${len} bytes of user memory above 0x${THREAD_START.toString(16)}`);
  }

  private map(addr: bigint, len: number, prot: number): { addr: bigint } | { errno: string } {
    if (addr < PAGE_SIZE || addr + BigInt(len) > USER_TOP) return { errno: 'ENOMEM' };
    const r = mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
    if ('addr' in r && r.addr !== addr) {
      // A kernel before 4.17 treats MAP_FIXED_NOREPLACE as a hint and maps elsewhere.
      munmap(r.addr, len);
      throw new CtsError('CTS_E_INTERNAL', `mmap put user memory at 0x${r.addr.toString(16)}, not 0x${addr.toString(16)}: the kernel lacks MAP_FIXED_NOREPLACE (Linux 4.17+)`);
    }
    return r;
  }
}

/** The lowest page ≥ `from` where [a - 1 page, a + len + 1 page) touches no mapping of this process. */
function nextHole(from: bigint, len: number): bigint {
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [range] = line.split(' ', 1) as [string];
      const [s, e] = range.split('-') as [string, string];
      return { start: BigInt(`0x${s}`), end: BigInt(`0x${e}`) };
    })
    .sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  let a = from;
  const span = BigInt(len) + PAGE_SIZE;
  for (const m of maps) {
    if (m.end <= a - PAGE_SIZE) continue;
    if (m.start >= a + span) break;
    a = m.end + PAGE_SIZE;
  }
  return a;
}
