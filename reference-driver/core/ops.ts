import type { Task } from '../kernel/kernel.js';

/** Per-descriptor driver context (struct fwctl_uctx plus the driver's own state). */
export interface Uctx {
  readonly id: number;
  readonly task: Task;
  /** Driver-private per-descriptor state. */
  priv: unknown;
}

/** What a driver's fw_rpc returns: the response and the length it claims (R-5..R-7). */
export interface RpcResponse {
  out: Buffer;
  outLen: number;
}

/**
 * The driver contract, after struct fwctl_ops (include/linux/fwctl.h).
 * Errors are thrown as KernelErrno, like returning ERR_PTR(-E…).
 */
export interface FwctlOps {
  readonly deviceType: number;
  openUctx(uctx: Uctx): void;
  closeUctx(uctx: Uctx): void;
  /** Optional: device data for FWCTL_INFO. Absent for CXL (I-2). */
  info?(uctx: Uctx): Buffer;
  /**
   * The RPC, run in the caller's context: `current` is the calling task, for
   * drivers that touch user memory themselves (pds copies payloads).
   */
  fwRpc(uctx: Uctx, scope: number, input: Buffer, outLen: number, current: Task): RpcResponse;
}
