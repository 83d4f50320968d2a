/**
 * The pds fwctl payloads (include/uapi/fwctl/pds.h, digest §1.6) and the
 * firmware constants the driver interprets (pds_adminq.h, digest §3.2).
 * Host-endian; modelled little-endian (x86_64, arm64).
 */

/** sizeof(struct fwctl_rpc_pds). */
export const PDS_RPC_SIZE = 48;

/** struct fwctl_rpc_pds: `in` @0..23, `out` @24..47. */
export const PDS_RPC_OFF = {
  in_op: 0,
  in_ep: 4,
  in_rsvd: 8,
  in_len: 12,
  in_payload: 16,
  out_retval: 24,
  out_rsvd: 28,
  out_len: 36,
  out_payload: 40,
} as const;

export interface FwctlRpcPds {
  /** Bits 15:0 command, 23:16 version. */
  op: number;
  ep: number;
  inRsvd: number;
  inLen: number;
  inPayload: bigint;
  retval: number;
  outRsvd: [number, number];
  outLen: number;
  outPayload: bigint;
}

export function encodeRpcPds(v: Partial<FwctlRpcPds>): Buffer {
  const b = Buffer.alloc(PDS_RPC_SIZE);
  b.writeUInt32LE((v.op ?? 0) >>> 0, PDS_RPC_OFF.in_op);
  b.writeUInt32LE((v.ep ?? 0) >>> 0, PDS_RPC_OFF.in_ep);
  b.writeUInt32LE((v.inRsvd ?? 0) >>> 0, PDS_RPC_OFF.in_rsvd);
  b.writeUInt32LE((v.inLen ?? 0) >>> 0, PDS_RPC_OFF.in_len);
  b.writeBigUInt64LE(v.inPayload ?? 0n, PDS_RPC_OFF.in_payload);
  b.writeUInt32LE((v.retval ?? 0) >>> 0, PDS_RPC_OFF.out_retval);
  b.writeUInt32LE((v.outRsvd?.[0] ?? 0) >>> 0, PDS_RPC_OFF.out_rsvd);
  b.writeUInt32LE((v.outRsvd?.[1] ?? 0) >>> 0, PDS_RPC_OFF.out_rsvd + 4);
  b.writeUInt32LE((v.outLen ?? 0) >>> 0, PDS_RPC_OFF.out_len);
  b.writeBigUInt64LE(v.outPayload ?? 0n, PDS_RPC_OFF.out_payload);
  return b;
}

/** Decode the first 48 bytes; throws RangeError on a shorter buffer (the caller checks in_len). */
export function decodeRpcPds(b: Buffer): FwctlRpcPds {
  return {
    op: b.readUInt32LE(PDS_RPC_OFF.in_op),
    ep: b.readUInt32LE(PDS_RPC_OFF.in_ep),
    inRsvd: b.readUInt32LE(PDS_RPC_OFF.in_rsvd),
    inLen: b.readUInt32LE(PDS_RPC_OFF.in_len),
    inPayload: b.readBigUInt64LE(PDS_RPC_OFF.in_payload),
    retval: b.readUInt32LE(PDS_RPC_OFF.out_retval),
    outRsvd: [b.readUInt32LE(PDS_RPC_OFF.out_rsvd), b.readUInt32LE(PDS_RPC_OFF.out_rsvd + 4)],
    outLen: b.readUInt32LE(PDS_RPC_OFF.out_len),
    outPayload: b.readBigUInt64LE(PDS_RPC_OFF.out_payload),
  };
}

/** in.op: bits 15:0 command, 23:16 version (PDS_FWCTL_RPC_OPCODE_*). */
export function pdsOp(cmd: number, version = 1): number {
  return (((version & 0xff) << 16) | (cmd & 0xffff)) >>> 0;
}
export const opCommand = (op: number): number => op & 0xffff;
export const opVersion = (op: number): number => (op >>> 16) & 0xff;

/** enum fwctl_pds_uctx_caps: bit numbers, which the driver ORs as values (digest §3.2). */
export const PdsUctxCap = { QUERY: 0, SEND: 1 } as const;
/** What pdsfc_open_uctx stores: QUERY_CAP | SEND_CAP = 0 | 1 = 1. */
export const PDS_UCTX_CAPS = PdsUctxCap.QUERY | PdsUctxCap.SEND;

/** Operation attribute bits in the firmware's ENDPOINT query page (pds_adminq.h). */
export const PdsFwAttr = {
  READ: 0x00,
  DEBUG_READ: 0x02,
  WRITE: 0x04,
  DEBUG_WRITE: 0x08,
  SYNC: 0x10,
} as const;

/** Adminq opcodes and QUERY entities the driver uses at probe and on first use (digest §3.2). */
export const PdsAdminq = { IDENT: 70, QUERY: 72 } as const;
export const PdsQueryEntity = { ROOT: 0, ENDPOINT: 1 } as const;
/** One operation entry of an ENDPOINT page: {id le32, scope u8, rsvd[3]}. */
export const PDS_OP_ENTRY_SIZE = 8;

/**
 * Firmware completion codes reported in out.retval (after pds_core_if.h's
 * PDS_RC_*; the values the reference firmware uses).
 */
export const PdsRc = {
  SUCCESS: 0,
  EOPCODE: 2,
  EPERM: 4,
  ENOENT: 7,
  EINVAL: 14,
  ERANGE: 16,
} as const;
