/**
 * A codec turns a profile's request data into the bytes of one device
 * type's RPC, and reads the device's verdict back out of the response.
 * Requests may carry their own user pointers (pds), hence the allocator.
 */
import type { UserBuffer } from '../targets/target.js';

export interface Allocator {
  alloc(sizeOrInit: number | Uint8Array): UserBuffer;
}

export interface Encoded {
  /** The bytes fwctl_rpc.in points at. */
  input: Buffer;
  /** The fwctl_rpc.out_len to pass. */
  outLen: number;
  /**
   * Where the device's response lands when it is not the fwctl_rpc.out buffer
   * (pds writes it to out.payload). The suite reads it after the call.
   */
  response?: UserBuffer;
}

export interface DeviceStatus {
  ok: boolean;
  /** e.g. 'retval 0', 'status 0x0 syndrome 0x0'. */
  status: string;
}

export interface Codec {
  readonly name: string;
  /**
   * Encode a request. `params` fill request fields that depend on the run:
   * `value` (a configuration value to write), `objectId` (an object to touch).
   */
  encode(request: Record<string, unknown>, outLen: number, mem: Allocator, params?: Record<string, unknown>): Encoded;
  /**
   * The device's own verdict inside a successful ioctl, read from the
   * fwctl_rpc.out buffer (for pds: the returned struct's out.retval).
   */
  status(out: Buffer): DeviceStatus;
  /**
   * The response bytes whose layout is ABI, from `Encoded.response` when the
   * request has one (pds: out.payload), else from the fwctl_rpc.out buffer.
   */
  payload(response: Buffer): Buffer;
  /**
   * [offset, length] ranges of the fwctl_rpc.out buffer that differ between
   * identical calls (bnxt: the seq_id its HWRM layer assigns and the firmware echoes).
   */
  readonly volatileOut?: readonly (readonly [number, number])[];
  /** For own-object commands: the object id an alloc response carries (same buffer as payload()). */
  objectId?(response: Buffer): number;
}
