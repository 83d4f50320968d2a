/**
 * bnxt HWRM requests (drivers/fwctl/bnxt, digest §3.4). Profile request
 * fields: {reqType, body? (hex)}. The 16-byte input header is req_type le16
 * @0, cmpl_ring @2, seq_id @4, target_id @6, resp_addr le64 @8; the output
 * header is error_code le16 @0, req_type @2, seq_id @4, resp_len @6.
 */
import type { Codec } from './codec.js';

const HWRM_HEADER = 16;
const HWRM_OUT_HEADER = 8;

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
  payload: (response) => response.subarray(HWRM_OUT_HEADER),
};
