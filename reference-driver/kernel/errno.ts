import { ERRNO, type ErrnoName } from '../../uapi/errno.js';

/**
 * A kernel-side failure: what `return -EXXX` is in C. Crosses only to the
 * syscall boundary. Not an Error: it is control flow, thrown for every
 * rejected request, and capturing a stack each time dominated the profile.
 */
export class KernelErrno {
  readonly name = 'KernelErrno';
  readonly message: string;
  constructor(
    readonly errno: ErrnoName,
    detail?: string,
  ) {
    this.message = detail ? `${errno}: ${detail}` : errno;
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
