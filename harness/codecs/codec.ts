/**
 * A codec turns a profile's request data into the bytes of one device
 * type's RPC, and reads the device's verdict back out of the response.
 * Requests may carry their own user pointers (pds), hence the allocator.
 * cxl, mlx5 and bnxt are also data (codecs/*.json through data.ts, the
 * default; docs/codecs.md); the TypeScript codecs here are their reference.
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

/** [offset, length] of a byte range. */
export type Range = readonly [number, number];

/**
 * What a device type says about the bytes it returns, so that no suite
 * assumes one model's layout: which bytes vary between identical calls,
 * which are values rather than layout, and how a response may grow.
 */
export interface ResponseLayout {
  /**
   * Ranges of the fwctl_rpc.out buffer that legitimately differ between two
   * identical calls, whatever the command (bnxt: the echoed seq_id @4).
   */
  readonly volatileOut?: readonly Range[];
  /**
   * Where payload() starts in the fwctl_rpc.out buffer, so that a profile's
   * payload-relative ranges map onto the raw response; absent when the
   * payload lies elsewhere (pds: out.payload).
   */
  readonly payloadOffset?: number;
  /**
   * How a stable response may change across firmware: 'append' — only past
   * its end; 'reserved' — also bytes that were zero, anywhere (reserved space
   * carved into new fields: mlx5's 4096-byte capability union). Default 'append'.
   */
  readonly growth?: 'append' | 'reserved';
  /** FWCTL_INFO device-data ranges that differ per descriptor (mlx5: the uid @0). */
  readonly infoVolatile?: readonly Range[];
}

/**
 * A per-descriptor context the driver forces into every request, where the
 * device has one (mlx5: the uid the driver writes over the request's): how a
 * descriptor learns its own, and how a request claims another's.
 */
export interface ContextField {
  /** The descriptor's own context id, from its FWCTL_INFO device data. */
  fromInfo(data: Buffer): number;
  /** The request with its context field set to `id`. */
  claim(input: Buffer, id: number): Buffer;
}

export interface Codec extends ResponseLayout {
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
  /**
   * Payload ranges of this request's response that are values rather than
   * layout (a firmware version string, counters): not compared across
   * firmware. 'all': the whole payload (bnxt HWRM_VER_GET).
   */
  values?(request: Record<string, unknown>): readonly Range[] | 'all';
  readonly context?: ContextField;
  /**
   * The fields that name the command a request is, read back from its bytes,
   * spelled and ordered as the profile's request fields are (the opcode first).
   * With it the harness and the agent tell a malformed request that became
   * another command, perhaps a write, from one that did not
   * (harness/profiles/writes.ts). Undefined when the bytes are too short.
   */
  identify?(input: Buffer): Readonly<Record<string, number>> | undefined;
  /**
   * The length a well-formed request declares for itself, read from its bytes
   * (cxl: 16 + op_size @8, which cxlctl_fw_rpc checks since 7.3; pds: the
   * fixed 48-byte struct, checked since e7537735); undefined when too short to
   * say. Absent: the device type's requests declare no length the kernel checks.
   */
  declaredLength?(input: Buffer): number | undefined;
}
