/**
 * bnxt HWRM requests (drivers/fwctl/bnxt/main.c, include/linux/bnxt/hsi.h).
 * Profile request fields:
 * - reqType: the HWRM request type (le16 @0);
 * - body (hex): the request fields after the 16-byte header, so in_len is
 *   16 + body (a DMA command's in_len must equal sizeof its input struct);
 * - cmplRing, targetId: default 0xffff. cmpl_ring 0xffff makes bnxt_en poll
 *   for the response; any other value makes it wait for a completion on that
 *   ring (and fails KONG-channel commands with EINVAL). target_id 0xffff is
 *   this function;
 * - valueAt, objectIdAt: offsets in the request where params `value` and
 *   `objectId` are written (le16);
 * - dma: for DMA commands (FWCTL_BNXT_DMA_COMMANDS), one entry per address
 *   field: {at: offset of the le64 address, size: bytes of the user buffer
 *   this codec allocates, data?: hex to put in it (TO_DEVICE), valueAt?: where
 *   param `value` goes in it (le16)}.
 *
 * The response is the fwctl_rpc.out buffer: struct output (error_code @0,
 * req_type @2, seq_id @4, resp_len @6), the command's fields, and the `valid`
 * byte at resp_len - 1 (bnxt_en zeroes it). The driver leaves out_len as the
 * caller's; resp_len says how long the response really is.
 */
import { HWRM_INPUT_SIZE, HWRM_IN_OFF, HWRM_NA, HWRM_OUTPUT_SIZE, HWRM_OUT_OFF } from '../../uapi/bnxt.js';
import type { Codec } from './codec.js';

const HWRM_VER_GET = 0x0000;

type BnxtRequest = {
  reqType: number;
  body?: string;
  cmplRing?: number;
  targetId?: number;
  valueAt?: number;
  objectIdAt?: number;
  /** `bytes` is `size` as the kernel profiles spell it; `dir` and `lenAt` document the field. */
  dma?: { at: number; size?: number; bytes?: number; dir?: string; lenAt?: number; data?: string; valueAt?: number }[];
};

export const bnxtCodec: Codec = {
  name: 'bnxt',
  encode(request, outLen, mem, params = {}) {
    const r = request as BnxtRequest;
    const body = Buffer.from(r.body ?? '', 'hex');
    const input = Buffer.alloc(HWRM_INPUT_SIZE + body.length);
    input.writeUInt16LE(r.reqType, HWRM_IN_OFF.req_type);
    input.writeUInt16LE(r.cmplRing ?? HWRM_NA, HWRM_IN_OFF.cmpl_ring);
    input.writeUInt16LE(r.targetId ?? HWRM_NA, HWRM_IN_OFF.target_id);
    body.copy(input, HWRM_INPUT_SIZE);
    const put = (buf: Buffer, param: string, at: number | undefined) => {
      const v = params[param];
      if (typeof v === 'number' && at !== undefined) buf.writeUInt16LE(v & 0xffff, at);
    };
    put(input, 'value', r.valueAt);
    put(input, 'objectId', r.objectIdAt);
    for (const f of r.dma ?? []) {
      const data = Buffer.alloc(f.size ?? f.bytes ?? 0);
      Buffer.from(f.data ?? '', 'hex').copy(data);
      put(data, 'value', f.valueAt);
      input.writeBigUInt64LE(mem.alloc(data).addr, f.at);
    }
    return { input, outLen };
  },
  /**
   * error_code @0, from a response the firmware wrote: resp_len is at least the
   * header's 8 bytes. The driver's buffer is zero-filled, so an all-zero
   * (unwritten) response is not a success.
   */
  status(out) {
    if (out.length < HWRM_OUTPUT_SIZE) return { ok: false, status: `short response (${out.length} bytes)` };
    const code = out.readUInt16LE(HWRM_OUT_OFF.error_code);
    const respLen = out.readUInt16LE(HWRM_OUT_OFF.resp_len);
    return { ok: code === 0 && respLen >= HWRM_OUTPUT_SIZE, status: `error_code 0x${code.toString(16)} resp_len ${respLen}` };
  },
  /** The command's fields: after the header, up to resp_len less the `valid` byte. */
  payload(response) {
    if (response.length < HWRM_OUTPUT_SIZE) return Buffer.alloc(0);
    const end = Math.min(response.readUInt16LE(HWRM_OUT_OFF.resp_len) - 1, response.length);
    return response.subarray(HWRM_OUTPUT_SIZE, Math.max(HWRM_OUTPUT_SIZE, end));
  },
  identify: (input) => (input.length < 2 ? undefined : { reqType: input.readUInt16LE(HWRM_IN_OFF.req_type) }),
  payloadOffset: HWRM_OUTPUT_SIZE,
  // HWRM appends new fields inside the caller's buffer and says so in resp_len: growth shows as longer.
  growth: 'append',
  /** seq_id: bnxt_en numbers every request, and the firmware echoes it. */
  volatileOut: [[HWRM_OUT_OFF.seq_id, 2]],
  // HWRM_VER_GET's payload is the firmware (and HWRM interface) version itself: values, not layout.
  values: (request) => ((request as BnxtRequest).reqType === HWRM_VER_GET ? 'all' : []),
};
