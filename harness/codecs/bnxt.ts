/**
 * bnxt HWRM requests (drivers/fwctl/bnxt, digest §3.4). Profile request
 * fields: {reqType, body? (hex)}. The 16-byte input header is req_type le16
 * @0, cmpl_ring @2, seq_id @4, target_id @6, resp_addr le64 @8; the output
 * header is error_code le16 @0, req_type @2, seq_id @4, resp_len @6.
 */
import type { Codec } from './codec.js';

const HWRM_HEADER = 16;
const HWRM_OUT_HEADER = 8;
const HWRM_VER_GET = 0x0000;

export const bnxtCodec: Codec = {
  name: 'bnxt',
  encode(request, outLen) {
    const r = request as { reqType: number; body?: string };
    const body = Buffer.from(r.body ?? '', 'hex');
    const input = Buffer.alloc(HWRM_HEADER + body.length);
    input.writeUInt16LE(r.reqType, 0);
    input.writeUInt16LE(0xffff, 6); // target_id: this function
    body.copy(input, HWRM_HEADER);
    return { input, outLen };
  },
  status(out) {
    const code = out.length >= 2 ? out.readUInt16LE(0) : -1;
    return { ok: code === 0, status: `error_code ${code}` };
  },
  // The response is resp_len bytes (header included): HWRM appends new fields
  // inside the caller's buffer and says so there, so growth shows as longer.
  payload(response) {
    const len = response.length >= HWRM_OUT_HEADER ? response.readUInt16LE(6) : 0;
    return response.subarray(HWRM_OUT_HEADER, Math.max(HWRM_OUT_HEADER, Math.min(len, response.length)));
  },
  payloadOffset: HWRM_OUT_HEADER,
  growth: 'append',
  // seq_id is echoed from the request, and the driver numbers its requests.
  volatileOut: [[4, 2]],
  // HWRM_VER_GET's payload is the firmware (and HWRM interface) version itself.
  values: (request) => ((request as { reqType?: number }).reqType === HWRM_VER_GET ? 'all' : []),
};
