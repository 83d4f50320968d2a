/**
 * CXL requests (fwctl_rpc_cxl). Profile request fields:
 * {opcode, opSize?, count?, startIdx?, uuid?, offset?, selection?, flags?, data? (hex)}.
 * Params: `value` (u32, written little-endian as the feature data).
 */
import {
  CXL_OUT_PAYLOAD,
  CXL_RPC_HEADER,
  CXL_RPC_SIZE,
  CxlOpcode,
  encodeGetFeature,
  encodeGetSupportedFeatures,
  encodeRawCxl,
  encodeSetFeature,
} from '../../uapi/cxl.js';
import type { Codec } from './codec.js';

type CxlRequest = {
  opcode: number;
  opSize?: number;
  count?: number;
  startIdx?: number;
  uuid?: string;
  offset?: number;
  selection?: number;
  flags?: number;
  data?: string;
};

function valueBytes(value: unknown, fallback: string | undefined): Buffer {
  if (typeof value === 'number') {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return b;
  }
  return Buffer.from(fallback ?? '', 'hex');
}

export const cxlCodec: Codec = {
  name: 'cxl',
  // Features and their data grow at the end; the payload follows the 8-byte {size, retval} header.
  growth: 'append',
  payloadOffset: CXL_OUT_PAYLOAD,
  encode(request, outLen, _mem, params = {}) {
    const r = request as CxlRequest;
    const uuid = r.uuid ?? 'ffffffff-ffff-ffff-ffff-ffffffffffff';
    let input: Buffer;
    switch (r.opcode) {
      case CxlOpcode.GET_SUPPORTED_FEATURES:
        input = encodeGetSupportedFeatures(r.count ?? 0, r.startIdx ?? 0, r.opSize);
        break;
      case CxlOpcode.GET_FEATURE:
        input = encodeGetFeature({ uuid, offset: r.offset, count: r.count ?? 0, selection: r.selection, opSize: r.opSize });
        break;
      case CxlOpcode.SET_FEATURE:
        input = encodeSetFeature({ uuid, flags: r.flags, offset: r.offset, data: valueBytes(params.value, r.data), opSize: r.opSize });
        break;
      default:
        input = encodeRawCxl(r.opcode, r.opSize ?? 0, CXL_RPC_SIZE);
    }
    return { input, outLen };
  },
  // fwctl_rpc_cxl_out: size @0, retval @4 (the mailbox return code).
  status(response) {
    const retval = response.length >= 8 ? response.readUInt32LE(4) : -1;
    return { ok: retval === 0, status: `retval ${retval}` };
  },
  // The payload is `size` bytes from offset 8; out_len overstates Get Supported
  // Features by 8 bytes (digest §3.3), so the length comes from `size`.
  // The opcode decides what a request does; the UUID only picks which Feature (fwctl_rpc_cxl.opcode @0).
  identify: (input) => (input.length < 4 ? undefined : { opcode: input.readUInt32LE(0) }),
  // cxlctl_fw_rpc (7.3): in_len < sizeof(hdr) || op_size > in_len - sizeof(hdr) is EINVAL; op_size @8.
  declaredLength: (input) => (input.length < 12 ? undefined : CXL_RPC_HEADER + input.readUInt32LE(8)),
  payload: (response) => (response.length < 8 ? Buffer.alloc(0) : response.subarray(CXL_OUT_PAYLOAD, CXL_OUT_PAYLOAD + response.readUInt32LE(0))),
};
