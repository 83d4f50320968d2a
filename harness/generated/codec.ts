/* Generated from schemas/codec.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * Byte order of every multi-byte field that does not say otherwise.
 */
export type Endian = "le" | "be";
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Name".
 */
export type Name = string;
/**
 * Names a bytes field for `lengthOf`; for documentation otherwise.
 */
export type Name1 = string;
/**
 * Byte offset in the request.
 */
export type Offset = number;
/**
 * Take the offset from this request field instead of `at` (the profile says where a parameter goes); not written when the request has no such field.
 */
export type Name2 = string;
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Endian".
 */
export type Endian1 = "le" | "be";
/**
 * The profile request field holding the value.
 */
export type Name3 = string;
/**
 * A run parameter: `value` (a configuration value a write test sends), `objectId` (an object a sharing test touches).
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Param".
 */
export type Param = "value" | "objectId";
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "IntType".
 */
export type IntType = "u8" | "u16" | "u32" | "u64";
/**
 * Written only when the request has this field (a parameter replaces a field the command has, never adds one).
 */
export type Name4 = string;
/**
 * A request field giving the request's total length: zero-padded or cut to it (malformed-length probes).
 */
export type Name5 = string;
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Offset".
 */
export type Offset1 = number;
/**
 * [offset, length] ranges of the fwctl_rpc.out buffer that differ between identical calls, whatever the command (an echoed sequence number).
 */
export type Ranges = [number, number][];
/**
 * FWCTL_INFO device-data ranges that differ per descriptor.
 */
export type Ranges1 = [number, number][];
/**
 * These payload ranges.
 */
export type Ranges2 = [number, number][];
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Ranges".
 */
export type Ranges3 = [number, number][];

/**
 * A device type's RPC format as data (docs/codecs.md): how a profile's request becomes the bytes of fwctl_rpc.in, and how the device's status, ABI payload and object ids are read back from the fwctl_rpc.out buffer. harness/codecs/data.ts turns it into a Codec.
 */
export interface DataCodec {
  $schema?: string;
  /**
   * The codec id a profile names in its `codec` field.
   */
  id: string;
  title: string;
  /**
   * Where the format comes from (uapi header, driver source, firmware spec).
   */
  source: string;
  endian: Endian;
  /**
   * The request fields (by their `request` name) that name the command a request is, the opcode first. They are read back from a request's bytes, so the harness and the agent can tell a malformed request that became a write (harness/profiles/writes.ts). Each must be an integer field of request.fields with a fixed `at`. Without it, every request not sent as the profile spells it counts as a possible write.
   *
   * @minItems 1
   */
  command?: [Name, ...Name[]];
  request: Request;
  status: Status;
  payload: Payload;
  objectId?: Scalar2;
  context?: Context;
  volatileOut?: Ranges;
  infoVolatile?: Ranges1;
  /**
   * How a stable response may change across firmware: 'append' only past its end; 'reserved' also zero bytes anywhere becoming fields. Default 'append'.
   */
  growth?: "append" | "reserved";
  /**
   * Payload ranges that are values rather than layout for the requests they match (first match wins): not compared across firmware.
   */
  values?: {
    when: When;
    ranges?: Ranges2;
    /**
     * The whole payload.
     */
    all?: true;
  }[];
}
/**
 * The request (fwctl_rpc.in): `size` zero bytes, then `fields` in order, then the first matching variant's fields, then buffers; `lengthFrom` pads or cuts the result.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Request".
 */
export interface Request {
  size: number;
  fields: Field[];
  variants?: Variant[];
  buffers?: Buffers;
  lengthFrom?: Name5;
  declaredLength?: DeclaredLength;
}
/**
 * One request field, written in list order. Its value is the first of: run parameter `param` (when the run gives a number), the request's field `request` (when present), `default`; `const` is always the value. No value: the field is left zero. Integers are truncated to their width.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Field".
 */
export interface Field {
  name?: Name1;
  at?: Offset;
  atRequest?: Name2;
  /**
   * bytes: a hex string copied in (the request grows to hold it); uuid: "xxxxxxxx-xxxx-…" as 16 bytes in written order; bit: ORs bit `bit` of byte `at` when the value is true.
   */
  type: "u8" | "u16" | "u32" | "u64" | "bytes" | "uuid" | "bit";
  endian?: Endian1;
  bit?: number;
  const?: number | string | boolean;
  request?: Name3;
  param?: Param;
  /**
   * For a bytes field: how the numeric run parameter is laid out as bytes.
   */
  paramAs?: {
    type: IntType;
    endian?: Endian1;
  };
  default?: number | string | boolean | LengthOf;
  requires?: Name4;
}
/**
 * The byte length of the named bytes field as encoded, plus `add` (a size field).
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "LengthOf".
 */
export interface LengthOf {
  lengthOf: Name;
  add?: number;
}
/**
 * The layout of the requests `when` matches (no `when`: every request; variants are tried in order): its size replaces the default, its fields follow the common ones.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Variant".
 */
export interface Variant {
  when?: When;
  size?: number;
  fields: Field[];
}
/**
 * Matches a request whose named fields all equal these numbers (a request's "0x…" strings count as numbers).
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "When".
 */
export interface When {
  [k: string]: number;
}
/**
 * User buffers a request points at (bnxt's DMA commands): the request field `request` lists {at, size (or bytes), data?, valueAt?}; each gets a buffer of `size` bytes holding `data`, run parameter `value` written at `valueAt` as `value`, and its address written at `at` as `address`.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Buffers".
 */
export interface Buffers {
  request: Name;
  address: Width;
  value?: Width;
}
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Width".
 */
export interface Width {
  type: IntType;
  endian?: Endian1;
}
/**
 * The length a well-formed request declares for itself: `add` plus the value of `field` read from the request (cxl: 16 + op_size @8); without `field`, `add` alone (a fixed-size struct). A kernel that checks it refuses a request cut shorter (robustness.short-request-refused).
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "DeclaredLength".
 */
export interface DeclaredLength {
  field?: Scalar;
  add: number;
}
/**
 * An unsigned integer at a fixed offset.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Scalar".
 */
export interface Scalar {
  at: Offset1;
  type: IntType;
  endian?: Endian1;
  /**
   * ANDed with the value read.
   */
  mask?: number;
}
/**
 * The device's verdict in the fwctl_rpc.out buffer: ok when every field's condition holds.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Status".
 */
export interface Status {
  /**
   * A shorter response is not ok.
   */
  minLength: number;
  /**
   * The status text of a shorter response; {length} is replaced by its length.
   */
  short: string;
  /**
   * @minItems 1
   */
  fields: [StatusField, ...StatusField[]];
}
/**
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "StatusField".
 */
export interface StatusField {
  /**
   * Shown in the status text: '<name> <value>'.
   */
  name: string;
  at: Offset1;
  type: IntType;
  endian?: Endian1;
  /**
   * How the value is shown (default dec).
   */
  format?: "dec" | "hex";
  /**
   * The values that mean success.
   *
   * @minItems 1
   */
  ok?: [number, ...number[]];
  /**
   * Success needs at least this value (a response length).
   */
  min?: number;
}
/**
 * The response bytes whose layout is ABI: from `at` in the fwctl_rpc.out buffer (empty when the buffer is shorter), up to `length`, never past the buffer.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Payload".
 */
export interface Payload {
  at: Offset1;
  /**
   * 'rest': to the buffer's end; 'trim-zeros': to its last non-zero byte (no length field: growth shows as longer); 'field': the length field `field`, counted as `counts` says, plus `add`.
   */
  length: "rest" | "trim-zeros" | "field";
  field?: Scalar1;
  /**
   * With length 'field': the value counts bytes from the payload start ('payload') or from the buffer start ('response').
   */
  counts?: "payload" | "response";
  /**
   * With length 'field': added to the end it gives (-1: a trailing byte that is not payload).
   */
  add?: number;
}
/**
 * An unsigned integer at a fixed offset.
 */
export interface Scalar1 {
  at: Offset1;
  type: IntType;
  endian?: Endian1;
  /**
   * ANDed with the value read.
   */
  mask?: number;
}
/**
 * An unsigned integer at a fixed offset.
 */
export interface Scalar2 {
  at: Offset1;
  type: IntType;
  endian?: Endian1;
  /**
   * ANDed with the value read.
   */
  mask?: number;
}
/**
 * A per-descriptor id the driver forces into every request: read from FWCTL_INFO device data (0 when too short), written over the request's field to claim another's.
 *
 * This interface was referenced by `DataCodec`'s JSON-Schema
 * via the `definition` "Context".
 */
export interface Context {
  info: Scalar;
  request: Scalar;
}
