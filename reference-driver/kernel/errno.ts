import { ERRNO, type ErrnoName } from '../../uapi/errno.js';

/** A kernel-side failure: what `return -EXXX` is in C. Crosses only to the syscall boundary. */
export class KernelErrno extends Error {
  readonly errno: ErrnoName;
  constructor(errno: ErrnoName, detail?: string) {
    super(detail ? `${errno}: ${detail}` : errno);
    this.name = 'KernelErrno';
    this.errno = errno;
  }
  get value(): number {
    return ERRNO[this.errno];
  }
}

export function fail(errno: ErrnoName, detail?: string): never {
  throw new KernelErrno(errno, detail);
}

/**
 * Thrown by a driver model to stand for a call that never returns (a hung
 * firmware mailbox). The sim target turns it into a syscall that never completes.
 */
export class DriverHang extends Error {
  constructor(detail: string) {
    super(`driver hang: ${detail}`);
    this.name = 'DriverHang';
  }
}
