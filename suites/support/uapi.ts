/**
 * Helpers for the two fwctl ioctls, in three forms (after iommufd_utils.h):
 * `raw*` returns what happened, `expectOk` asserts success, and `expectErrno`
 * asserts one errno. Structs are built byte by byte, at any size.
 */
import { expect } from 'chai';
import type { SyscallResult, TargetProcess, UserBuffer } from '../../harness/targets/target.js';
import {
  FWCTL_INFO,
  FWCTL_RPC,
  RPC_SIZE,
  decodeInfo,
  decodeRpc,
  encodeInfo,
  encodeRpc,
  scopeName,
  type FwctlInfo,
  type FwctlRpc,
} from '../../uapi/fwctl.js';
import type { Fixture } from './fixture.js';

export interface RawOptions {
  /** Bytes mapped for the struct (default: its `size`). */
  bufferSize?: number;
  /** Bytes written after the kernel's struct (the tail). */
  tail?: Uint8Array;
  proc?: TargetProcess;
  /** What the evidence line says the call was. */
  detail?: string;
}

export interface RawResult<T> {
  res: SyscallResult;
  /** The struct's buffer after the call. */
  buf: UserBuffer;
  /** The struct's fields as they are after the call. */
  after: T;
}

export async function rawInfo(t: Fixture, fd: number, fields: Partial<FwctlInfo>, opts: RawOptions = {}): Promise<RawResult<FwctlInfo>> {
  const proc = opts.proc ?? t.target;
  const buf = t.alloc(encodeInfo(fields, opts.bufferSize, opts.tail), proc);
  const res = await t.ioctl(fd, FWCTL_INFO, buf.addr, proc, `size=${fields.size ?? 24} flags=${fields.flags ?? 0} len=${fields.device_data_len ?? 0}`);
  return { res, buf, after: decodeInfo(buf.bytes) };
}

export async function rawRpc(t: Fixture, fd: number, fields: Partial<FwctlRpc>, opts: RawOptions = {}): Promise<RawResult<FwctlRpc>> {
  const proc = opts.proc ?? t.target;
  const buf = t.alloc(encodeRpc(fields, opts.bufferSize, opts.tail), proc);
  const detail = `${opts.detail ? `${opts.detail}: ` : ''}size=${fields.size ?? RPC_SIZE} scope=${scopeName(fields.scope ?? 0)} in_len=${fields.in_len ?? 0} out_len=${fields.out_len ?? 0}`;
  const res = await t.ioctl(fd, FWCTL_RPC, buf.addr, proc, detail);
  return { res, buf, after: decodeRpc(buf.bytes) };
}

export interface RpcCall {
  res: SyscallResult;
  after: FwctlRpc;
  /** The response buffer (outBufferSize bytes, filled with `fill` before the call). */
  out: UserBuffer;
}

/** An RPC with mapped in/out buffers: the common case. */
export async function rpc(
  t: Fixture,
  fd: number,
  scope: number,
  input: Buffer,
  outLen: number,
  opts: { outBufferSize?: number; fill?: number; proc?: TargetProcess; inLen?: number } = {},
): Promise<RpcCall> {
  const proc = opts.proc ?? t.target;
  const inBuf = t.alloc(input, proc);
  const out = t.alloc(Math.max(opts.outBufferSize ?? outLen, 1), proc);
  if (opts.fill !== undefined) out.bytes.fill(opts.fill);
  const { res, after } = await rawRpc(t, fd, { scope, in_len: opts.inLen ?? input.length, out_len: outLen, in: inBuf.addr, out: out.addr }, { proc });
  return { res, after, out };
}

export function expectOk(res: SyscallResult, claim: string): void {
  expect(res.errno ?? 'success', claim).to.equal('success');
  expect(res.ret, claim).to.equal(0);
}

export function expectErrno(res: SyscallResult, errno: string, claim: string): void {
  expect(res.errno ?? 'success', claim).to.equal(errno);
  expect(res.ret, claim).to.equal(-1);
}
