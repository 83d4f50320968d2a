/**
 * CXL payloads carried by FWCTL_RPC (include/uapi/fwctl/cxl.h,
 * include/uapi/cxl/features.h). Little-endian, packed (digest §1.6).
 */

export const CxlOpcode = {
  GET_SUPPORTED_FEATURES: 0x0500,
  GET_FEATURE: 0x0501,
  SET_FEATURE: 0x0502,
} as const;

/** CXL mailbox return codes, in spec order. */
export const CxlRetval = {
  SUCCESS: 0,
  BACKGROUND: 1,
  INPUT: 2,
  UNSUPPORTED: 3,
  INTERNAL: 4,
  RETRY: 5,
  BUSY: 6,
} as const;

/** cxl_feat_entry.effects bits (CXL_CMD_*). */
export const CxlEffect = {
  CONFIG_CHANGE_COLD_RESET: 1 << 0,
  CONFIG_CHANGE_IMMEDIATE: 1 << 1,
  DATA_CHANGE_IMMEDIATE: 1 << 2,
  POLICY_CHANGE_IMMEDIATE: 1 << 3,
  LOG_CHANGE_IMMEDIATE: 1 << 4,
  SECURITY_STATE_CHANGE: 1 << 5,
  BACKGROUND: 1 << 6,
  BGCMD_ABORT_SUPPORTED: 1 << 7,
  EFFECTS_VALID: 1 << 9,
  CONFIG_CHANGE_CONV_RESET: 1 << 10,
  CONFIG_CHANGE_CXL_RESET: 1 << 11,
  RESERVED_MASK: 0xf000,
} as const;

export const CXL_EFFECTS_IMMEDIATE =
  CxlEffect.CONFIG_CHANGE_IMMEDIATE | CxlEffect.DATA_CHANGE_IMMEDIATE | CxlEffect.POLICY_CHANGE_IMMEDIATE | CxlEffect.LOG_CHANGE_IMMEDIATE;
export const CXL_EFFECTS_RESET =
  CxlEffect.CONFIG_CHANGE_COLD_RESET | CxlEffect.CONFIG_CHANGE_CONV_RESET | CxlEffect.CONFIG_CHANGE_CXL_RESET;

/** cxl_feat_entry.flags bits. */
export const CxlFeatFlag = {
  CHANGEABLE: 1 << 0,
  PERSIST_FW_UPDATE: 1 << 4,
  DEFAULT_SEL: 1 << 5,
  SAVED_SEL: 1 << 6,
} as const;

/** Set Feature flags: bits 2:0 data-transfer mode, bit 3 saved across reset. */
export const CxlSetFlag = {
  FULL: 0,
  INITIATE: 1,
  CONTINUE: 2,
  FINISH: 3,
  ABORT: 4,
  TRANSFER_MASK: 0x7,
  SAVED_ACROSS_RESET: 1 << 3,
} as const;

export const CXL_RPC_HEADER = 16; // opcode, flags, op_size, reserved1
export const CXL_RPC_SIZE = 48; // sizeof(struct fwctl_rpc_cxl)
export const CXL_OUT_HEADER = 16; // sizeof(struct fwctl_rpc_cxl_out)
export const CXL_OUT_PAYLOAD = 8; // offsetof(fwctl_rpc_cxl_out, payload)
export const CXL_FEAT_ENTRY_SIZE = 48;
export const CXL_GET_SUP_FEATS_IN_SIZE = 8;
export const CXL_GET_FEAT_IN_SIZE = 21;
export const CXL_SET_FEAT_HEADER = 32;

// ---- UUIDs ------------------------------------------------------------------

/** Parse `xxxxxxxx-xxxx-…` into the 16 bytes the kernel compares (uuid_t: byte order as written). */
export function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

export function uuidString(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---- requests (struct fwctl_rpc_cxl) ----------------------------------------

function header(opcode: number, opSize: number, total: number, flags = 0): Buffer {
  const b = Buffer.alloc(total);
  b.writeUInt32LE(opcode, 0);
  b.writeUInt32LE(flags, 4);
  b.writeUInt32LE(opSize, 8);
  return b;
}

/** Get Supported Features: `count` bytes of entries wanted, from `startIdx`. */
export function encodeGetSupportedFeatures(count: number, startIdx = 0, opSize = CXL_GET_SUP_FEATS_IN_SIZE): Buffer {
  const b = header(CxlOpcode.GET_SUPPORTED_FEATURES, opSize, CXL_RPC_SIZE);
  b.writeUInt32LE(count >>> 0, 16);
  b.writeUInt16LE(startIdx & 0xffff, 20);
  return b;
}

export interface GetFeatureIn {
  uuid: string;
  offset?: number;
  count: number;
  selection?: number;
  opSize?: number;
}

export function encodeGetFeature(v: GetFeatureIn): Buffer {
  const b = header(CxlOpcode.GET_FEATURE, v.opSize ?? CXL_GET_FEAT_IN_SIZE, CXL_RPC_SIZE);
  uuidBytes(v.uuid).copy(b, 16);
  b.writeUInt16LE(v.offset ?? 0, 32);
  b.writeUInt16LE(v.count & 0xffff, 34);
  b.writeUInt8(v.selection ?? 0, 36);
  return b;
}

export interface SetFeatureIn {
  uuid: string;
  flags?: number;
  offset?: number;
  version?: number;
  data: Uint8Array;
  opSize?: number;
}

export function encodeSetFeature(v: SetFeatureIn): Buffer {
  const opSize = v.opSize ?? CXL_SET_FEAT_HEADER + v.data.length;
  const b = header(CxlOpcode.SET_FEATURE, opSize, CXL_RPC_HEADER + CXL_SET_FEAT_HEADER + v.data.length);
  uuidBytes(v.uuid).copy(b, 16);
  b.writeUInt32LE(v.flags ?? 0, 32);
  b.writeUInt16LE(v.offset ?? 0, 36);
  b.writeUInt8(v.version ?? 0, 38);
  Buffer.from(v.data).copy(b, 48);
  return b;
}

/** Any opcode with an op_size; used for unknown-opcode probes. */
export function encodeRawCxl(opcode: number, opSize = 0, total = CXL_RPC_SIZE): Buffer {
  return header(opcode, opSize, total);
}

export interface CxlRpcIn {
  opcode: number;
  flags: number;
  opSize: number;
  reserved1: number;
}

export function decodeCxlRpcHeader(b: Buffer): CxlRpcIn {
  return { opcode: b.readUInt32LE(0), flags: b.readUInt32LE(4), opSize: b.readUInt32LE(8), reserved1: b.readUInt32LE(12) };
}

// ---- responses (struct fwctl_rpc_cxl_out) -----------------------------------

export interface CxlOut {
  size: number;
  retval: number;
  payload: Buffer;
}

export function decodeCxlOut(b: Buffer): CxlOut {
  return { size: b.readUInt32LE(0), retval: b.readUInt32LE(4), payload: b.subarray(CXL_OUT_PAYLOAD) };
}

export interface CxlFeatEntry {
  uuid: string;
  id: number;
  getFeatSize: number;
  setFeatSize: number;
  flags: number;
  getFeatVer: number;
  setFeatVer: number;
  effects: number;
}

export function encodeFeatEntry(e: CxlFeatEntry): Buffer {
  const b = Buffer.alloc(CXL_FEAT_ENTRY_SIZE);
  uuidBytes(e.uuid).copy(b, 0);
  b.writeUInt16LE(e.id, 16);
  b.writeUInt16LE(e.getFeatSize, 18);
  b.writeUInt16LE(e.setFeatSize, 20);
  b.writeUInt32LE(e.flags >>> 0, 22);
  b.writeUInt8(e.getFeatVer, 26);
  b.writeUInt8(e.setFeatVer, 27);
  b.writeUInt16LE(e.effects, 28);
  return b;
}

export function decodeFeatEntry(b: Buffer): CxlFeatEntry {
  return {
    uuid: uuidString(b.subarray(0, 16)),
    id: b.readUInt16LE(16),
    getFeatSize: b.readUInt16LE(18),
    setFeatSize: b.readUInt16LE(20),
    flags: b.readUInt32LE(22),
    getFeatVer: b.readUInt8(26),
    setFeatVer: b.readUInt8(27),
    effects: b.readUInt16LE(28),
  };
}

export interface SupportedFeaturesOut {
  size: number;
  retval: number;
  numEntries: number;
  supportedFeats: number;
  entries: CxlFeatEntry[];
}

/** Decode Get Supported Features output; entries beyond the buffer are not invented. */
export function decodeSupportedFeatures(b: Buffer): SupportedFeaturesOut {
  const numEntries = b.readUInt16LE(8);
  const entries: CxlFeatEntry[] = [];
  for (let i = 0; i < numEntries; i++) {
    const off = 16 + i * CXL_FEAT_ENTRY_SIZE;
    if (off + CXL_FEAT_ENTRY_SIZE > b.length) break;
    entries.push(decodeFeatEntry(b.subarray(off, off + CXL_FEAT_ENTRY_SIZE)));
  }
  return { size: b.readUInt32LE(0), retval: b.readUInt32LE(4), numEntries, supportedFeats: b.readUInt16LE(10), entries };
}
