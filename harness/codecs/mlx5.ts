/**
 * mlx5 requests: a mlx5 command mailbox, big-endian (digest §3.1). Profile
 * request fields (numbers, or "0x…" strings for readability):
 * - opcode (u16 @0), opMod (u16 @6), uid (u16 @2; the driver overwrites it);
 * - objectId (u32 @8: qpn, cqn, a diagnostic counter's id); param `objectId`
 *   replaces it when the request has the field;
 * - otherFunction (bit 7 of byte 8: SET_HCA_CAP other-function mode, other_vport);
 * - index (u16 @10: register_id for ACCESS_REG, function_id, an NV item);
 * - value (u32 @12; param `value` replaces it when the request has the field);
 * - data (hex, from byte 16: register data, capability or parameter context);
 * - inLen (total length: pads with zeros or cuts; default 16 + data).
 *
 * Responses: status u8 @0, syndrome be32 @4, command data from byte 8 (many
 * commands answer in bytes 8-15: vport state, current ISSI, special-context
 * keys, object ids). mlx5 responses carry no length and the driver reports
 * the caller's out_len, so payload() is bytes 8.. up to the last non-zero one:
 * a response that grows across firmware shows as longer, not as changed bytes.
 * Capability blocks are fixed unions whose new fields are carved out of
 * reserved (zero) space anywhere, hence growth 'reserved'.
 *
 * FWCTL_INFO data is struct fwctl_info_mlx5 {u32 uid, u32 uctx_caps}
 * (include/uapi/fwctl/mlx5.h): the uid is per descriptor, and it is the
 * context drivers/fwctl/mlx5/main.c forces into every request's uid field.
 */
import type { Codec } from './codec.js';

type Num = number | string;
type Mlx5Request = {
  opcode: Num;
  opMod?: Num;
  uid?: Num;
  objectId?: Num;
  otherFunction?: boolean;
  index?: Num;
  value?: Num;
  data?: string;
  inLen?: number;
};

const HDR = 16;
/** Where response data starts: right after status and syndrome. */
const OUT_DATA = 8;

function num(v: unknown, fallback = 0): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return fallback;
}

export const mlx5Codec: Codec = {
  name: 'mlx5',
  encode(request, outLen, _mem, params = {}) {
    const r = request as Mlx5Request;
    const data = Buffer.from(r.data ?? '', 'hex');
    const cmd = Buffer.alloc(HDR + data.length);
    cmd.writeUInt16BE(num(r.opcode) & 0xffff, 0);
    cmd.writeUInt16BE(num(r.uid) & 0xffff, 2);
    cmd.writeUInt16BE(num(r.opMod) & 0xffff, 6);
    if (r.objectId !== undefined) cmd.writeUInt32BE(num(params.objectId, num(r.objectId)) >>> 0, 8);
    if (r.otherFunction) cmd[8]! |= 0x80;
    if (r.index !== undefined) cmd.writeUInt16BE(num(r.index) & 0xffff, 10);
    if (r.value !== undefined) cmd.writeUInt32BE(num(params.value, num(r.value)) >>> 0, 12);
    data.copy(cmd, HDR);
    const input = r.inLen === undefined ? cmd : Buffer.concat([cmd, Buffer.alloc(Math.max(0, r.inLen - cmd.length))]).subarray(0, r.inLen);
    return { input, outLen };
  },
  // mbox_out_hdr: status u8 @0, syndrome be32 @4.
  status(response) {
    if (response.length < 8) return { ok: false, status: `short response (${response.length} bytes)` };
    const status = response[0]!;
    const syndrome = response.readUInt32BE(4);
    return { ok: status === 0, status: `status 0x${status.toString(16)} syndrome 0x${syndrome.toString(16)}` };
  },
  payload(response) {
    let end = response.length;
    while (end > OUT_DATA && response[end - 1] === 0) end--;
    return response.subarray(Math.min(OUT_DATA, end), end);
  },
  // The model's ALLOC_DIAG_COUNTER returns the id as the first be32 after the 16-byte header.
  objectId(payload) {
    const b = Buffer.alloc(4);
    payload.copy(b, 0, HDR - OUT_DATA, Math.min(HDR - OUT_DATA + 4, payload.length));
    return b.readUInt32BE(0);
  },
  // opcode @0 and op_mod @6: ACCESS_REG reads and writes differ only in op_mod (drivers/fwctl/mlx5/main.c).
  identify: (input) => (input.length < 8 ? undefined : { opcode: input.readUInt16BE(0), opMod: input.readUInt16BE(6) }),
  payloadOffset: OUT_DATA,
  growth: 'reserved',
  infoVolatile: [[0, 4]],
  context: {
    fromInfo: (data) => (data.length >= 4 ? data.readUInt32LE(0) & 0xffff : 0),
    claim(input, id) {
      const b = Buffer.from(input);
      if (b.length >= 4) b.writeUInt16BE(id & 0xffff, 2);
      return b;
    },
  },
};
