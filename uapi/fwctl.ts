/**
 * The fwctl uAPI (include/uapi/fwctl/fwctl.h): ioctl numbers, enums and
 * byte-exact codecs for struct fwctl_info and struct fwctl_rpc.
 *
 * Codecs work at any struct size: `size` is whatever the caller claims, and the
 * buffer may be shorter, exact, or longer with a zero or non-zero tail, so the
 * extensible-struct rules (D-4, D-5) can be exercised byte by byte.
 */

/** ioctl type byte. */
export const FWCTL_TYPE = 0x9a;

/** `_IO(0x9A, 0)` and `_IO(0x9A, 1)`: no direction or size bits (digest §1.1). */
export const FWCTL_INFO = 0x9a00;
export const FWCTL_RPC = 0x9a01;

/** Linux `_IOC()` on x86_64/arm64/riscv: dir<<30 | size<<16 | type<<8 | nr. */
export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;
export function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

export const DeviceType = {
  ERROR: 0,
  MLX5: 1,
  CXL: 2,
  BNXT: 3,
  PDS: 4,
} as const;
export type DeviceTypeName = keyof typeof DeviceType;

export function deviceTypeName(value: number): string {
  for (const [name, v] of Object.entries(DeviceType)) if (v === value) return name;
  return `UNKNOWN(${value})`;
}

/** enum fwctl_rpc_scope: higher is more permissive (digest §1.3). */
export const Scope = {
  CONFIGURATION: 0,
  DEBUG_READ_ONLY: 1,
  DEBUG_WRITE: 2,
  DEBUG_WRITE_FULL: 3,
} as const;
export type ScopeName = keyof typeof Scope;
export const SCOPES: readonly ScopeName[] = ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL'];

export function scopeName(value: number): string {
  return SCOPES[value] ?? `UNKNOWN(${value})`;
}

/** MAX_RPC_LEN = SZ_2M; exactly 2 MiB is allowed. */
export const MAX_RPC_LEN = 2 * 1024 * 1024;

/** TAINT_FWCTL is bit 19, 'J' (digest §4). */
export const TAINT_FWCTL_BIT = 19;
export const TAINT_FWCTL_MASK = 1 << TAINT_FWCTL_BIT;

// ---- struct fwctl_info (24 bytes) ------------------------------------------

export const INFO_SIZE = 24;
export const INFO_OFF = { size: 0, flags: 4, out_device_type: 8, device_data_len: 12, out_device_data: 16 } as const;

export interface FwctlInfo {
  size: number;
  flags: number;
  out_device_type: number;
  device_data_len: number;
  out_device_data: bigint;
}

/**
 * Encode a fwctl_info. `bufferSize` defaults to `size`; bytes past 24 are the
 * tail (zero unless `tail` gives them).
 */
export function encodeInfo(v: Partial<FwctlInfo> & { size?: number }, bufferSize?: number, tail?: Uint8Array): Buffer {
  const size = v.size ?? INFO_SIZE;
  const buf = Buffer.alloc(Math.max(bufferSize ?? size, 4));
  writeFields(buf, [
    [INFO_OFF.size, 4, size],
    [INFO_OFF.flags, 4, v.flags ?? 0],
    [INFO_OFF.out_device_type, 4, v.out_device_type ?? 0],
    [INFO_OFF.device_data_len, 4, v.device_data_len ?? 0],
    [INFO_OFF.out_device_data, 8, v.out_device_data ?? 0n],
  ]);
  if (tail) Buffer.from(tail).copy(buf, INFO_SIZE);
  return buf;
}

/** Decode the fields of a fwctl_info that fit in `buf` (missing ones read as 0). */
export function decodeInfo(buf: Uint8Array): FwctlInfo {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: readU32(b, INFO_OFF.size),
    flags: readU32(b, INFO_OFF.flags),
    out_device_type: readU32(b, INFO_OFF.out_device_type),
    device_data_len: readU32(b, INFO_OFF.device_data_len),
    out_device_data: readU64(b, INFO_OFF.out_device_data),
  };
}

// ---- struct fwctl_rpc (32 bytes) -------------------------------------------

export const RPC_SIZE = 32;
export const RPC_OFF = { size: 0, scope: 4, in_len: 8, out_len: 12, in: 16, out: 24 } as const;

export interface FwctlRpc {
  size: number;
  scope: number;
  in_len: number;
  out_len: number;
  in: bigint;
  out: bigint;
}

export function encodeRpc(v: Partial<FwctlRpc>, bufferSize?: number, tail?: Uint8Array): Buffer {
  const size = v.size ?? RPC_SIZE;
  const buf = Buffer.alloc(Math.max(bufferSize ?? size, 4));
  writeFields(buf, [
    [RPC_OFF.size, 4, size],
    [RPC_OFF.scope, 4, v.scope ?? 0],
    [RPC_OFF.in_len, 4, v.in_len ?? 0],
    [RPC_OFF.out_len, 4, v.out_len ?? 0],
    [RPC_OFF.in, 8, v.in ?? 0n],
    [RPC_OFF.out, 8, v.out ?? 0n],
  ]);
  if (tail) Buffer.from(tail).copy(buf, RPC_SIZE);
  return buf;
}

export function decodeRpc(buf: Uint8Array): FwctlRpc {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: readU32(b, RPC_OFF.size),
    scope: readU32(b, RPC_OFF.scope),
    in_len: readU32(b, RPC_OFF.in_len),
    out_len: readU32(b, RPC_OFF.out_len),
    in: readU64(b, RPC_OFF.in),
    out: readU64(b, RPC_OFF.out),
  };
}

// ---- helpers ----------------------------------------------------------------
// The uAPI structs are host-endian; every supported architecture is little-endian.

type Field = [offset: number, width: 4 | 8, value: number | bigint];

function writeFields(buf: Buffer, fields: Field[]): void {
  for (const [off, width, value] of fields) {
    if (off + width > buf.length) continue; // a short struct simply lacks the field
    if (width === 4) buf.writeUInt32LE(Number(value) >>> 0, off);
    else buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), off);
  }
}

export function readU32(b: Buffer, off: number): number {
  return off + 4 <= b.length ? b.readUInt32LE(off) : 0;
}

export function readU64(b: Buffer, off: number): bigint {
  return off + 8 <= b.length ? b.readBigUInt64LE(off) : 0n;
}
