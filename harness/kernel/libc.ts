/**
 * The few libc calls a real-kernel target needs, through koffi (toolchain §7).
 *
 * Bindings are made once per thread at module load: piscina workers load this
 * module themselves, and no named koffi types are declared, so nothing is
 * registered twice. Every call returns the errno *name* (uapi/errno.ts, else
 * koffi's table) instead of throwing, because an errno is a test result here.
 *
 * Pointers are passed as plain integers (`uintptr_t`): the harness chooses
 * every user address (docs/wire-protocol.md "User memory"), bad ones included,
 * and x86_64/arm64/riscv pass pointers and integers in the same registers.
 */
import koffi from 'koffi';
import { ERRNO, errnoName as uapiErrnoName } from '../../uapi/errno.js';
import type { SyscallResult } from '../targets/target.js';

// asm-generic values (x86_64, arm64, riscv).
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
/** Fails with EEXIST instead of replacing an existing mapping (Linux 4.17+). */
export const MAP_FIXED_NOREPLACE = 0x100000;

const libc = koffi.load('libc.so.6');

const c = {
  open: libc.func('int open(const char *path, int flags)'),
  close: libc.func('int close(int fd)'),
  ioctl: libc.func('int ioctl(int fd, unsigned long request, uintptr_t arg)'),
  // The same call with a Node buffer as the argument, for callers that have no user memory (discovery).
  ioctlBuf: libc.func('int ioctl(int fd, unsigned long request, void *arg)'),
  read: libc.func('long read(int fd, void *buf, unsigned long count)'),
  write: libc.func('long write(int fd, const void *buf, unsigned long count)'),
  pipe: libc.func('int pipe(_Out_ int *fds)'),
  // `void *` results come back as bigint in koffi 3, MAP_FAILED included.
  mmap: libc.func('void *mmap(uintptr_t addr, unsigned long len, int prot, int flags, int fd, long off)'),
  munmap: libc.func('int munmap(uintptr_t addr, unsigned long len)'),
  mincore: libc.func('int mincore(uintptr_t addr, unsigned long len, void *vec)'),
};

const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/** koffi's names by number; the first name wins for aliases (EAGAIN/EWOULDBLOCK). */
const KOFFI_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(koffi.os.errno)) if (!KOFFI_NAMES.has(n)) KOFFI_NAMES.set(n, name);

/** An errno's name: the project's table first (what reports print), koffi's table for the rest. */
export function errnoName(value: number): string {
  const name = uapiErrnoName(value);
  return name.startsWith('E#') ? (KOFFI_NAMES.get(value) ?? name) : name;
}

/** An errno's number from its name, for the few checks that compare (EEXIST, EAGAIN). */
export function errnoValue(name: string): number | undefined {
  return (ERRNO as Record<string, number>)[name] ?? koffi.os.errno[name];
}

/** koffi keeps the errno of the thread's last call; read it right after the call. */
function result(ret: number | bigint): SyscallResult {
  const n = Number(ret);
  return n < 0 ? { ret: -1, errno: errnoName(koffi.errno()) } : { ret: n };
}

/** open(2); `ret` is the descriptor. */
export function open(path: string, flags: number): SyscallResult {
  return result(c.open(path, flags));
}

export function close(fd: number): SyscallResult {
  return result(c.close(fd));
}

/** ioctl(2) with a raw user address, on this thread (for calls that cannot block). */
export function ioctl(fd: number, request: number, arg: bigint): SyscallResult {
  return result(c.ioctl(fd, request, arg));
}

/** Results are never changed by their readers: the common ones are made once and frozen. */
const OK: SyscallResult = Object.freeze({ ret: 0 });
const errnoResults = new Map<number, SyscallResult>();

/**
 * ioctl(2) on this thread, for calls that cannot block: the hot path of the
 * dev: target (issue 15: FWCTL_INFO and FWCTL_RPC within 2x of a C loop). No
 * result object and no errno name is made per call for a success or a
 * repeated errno (the results are frozen and shared); koffi's errno is read
 * right after the call, and only when it failed.
 */
export function ioctlSync(fd: number, request: number, arg: bigint): SyscallResult {
  const ret = c.ioctl(fd, request, arg) as number;
  if (ret === 0) return OK;
  if (ret > 0) return { ret };
  const e = koffi.errno();
  let r = errnoResults.get(e);
  if (!r) errnoResults.set(e, (r = Object.freeze({ ret: -1, errno: errnoName(e) })));
  return r;
}

const SETTLED_OK: Promise<SyscallResult> = Promise.resolve(OK);
const settled = new Map<SyscallResult, Promise<SyscallResult>>();

/** ioctlSync as an already settled promise, made once per outcome (Target.ioctl's shape). */
export function ioctlSettled(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
  const r = ioctlSync(fd, request, arg);
  if (r === OK) return SETTLED_OK;
  if (r.ret > 0) return Promise.resolve(r);
  let p = settled.get(r);
  if (!p) settled.set(r, (p = Promise.resolve(r)));
  return p;
}

/**
 * ioctl(2) on koffi's thread pool, for calls that can block (FWCTL_RPC reaches
 * firmware): a blocked synchronous call would freeze the event loop, and with
 * it every timeout (toolchain §7). koffi hands the call's errno to the callback.
 */
export function ioctlAsync(fd: number, request: number, arg: bigint): Promise<SyscallResult> {
  return new Promise((resolve, reject) => {
    c.ioctl.async(fd, request, arg, (err: unknown, ret: number) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(result(ret));
    });
  });
}

/** ioctl(2) with a Node buffer as the argument (the kernel reads and writes it in place). */
export function ioctlBuffer(fd: number, request: number, buf: Buffer): SyscallResult {
  return result(c.ioctlBuf(fd, request, buf));
}

/** read(2) into `buf`; `ret` is the byte count. */
export function read(fd: number, buf: Buffer, count = buf.length): SyscallResult {
  return result(c.read(fd, buf, Math.min(count, buf.length)));
}

/** write(2) from `buf`; `ret` is the byte count. */
export function write(fd: number, buf: Buffer, count = buf.length): SyscallResult {
  return result(c.write(fd, buf, Math.min(count, buf.length)));
}

/** pipe(2): [read end, write end]; throws, since only tests and probes use it. */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  const r = result(c.pipe(fds));
  if (r.ret < 0) throw new Error(`pipe failed: ${r.errno}`);
  return [fds[0]!, fds[1]!];
}

/** mmap(2): the mapped address, or the errno name. */
export function mmap(addr: bigint, len: number, prot: number, flags: number, fd = -1, off = 0): { addr: bigint } | { errno: string } {
  const p = BigInt((c.mmap(addr, len, prot, flags, fd, off) as bigint | number | null) ?? 0);
  if (p === MAP_FAILED) return { errno: errnoName(koffi.errno()) };
  return { addr: p };
}

export function munmap(addr: bigint, len: number): SyscallResult {
  return result(c.munmap(addr, len));
}

/**
 * Whether any page of [addr, addr+len) is mapped at all. mincore(2) fails with
 * ENOMEM when the range holds an unmapped page, which makes it a cheap probe
 * that touches nothing; `addr` must be page-aligned.
 */
export function fullyMapped(addr: bigint, len: number): boolean {
  const vec = Buffer.alloc(Math.max(1, Math.ceil(len / 4096)));
  return Number(c.mincore(addr, len, vec)) === 0;
}

/**
 * A Buffer that *is* the memory at `addr` (no copy): the kernel's writes show
 * through it and JS writes reach the kernel. Touching it after the pages are
 * unmapped is a SIGSEGV; koffi's views cannot be detached, so callers must not.
 */
export function view(addr: bigint, len: number): Buffer {
  if (len === 0) return Buffer.alloc(0);
  return Buffer.from(koffi.view(addr, len));
}
