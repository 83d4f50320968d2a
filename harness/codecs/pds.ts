/**
 * pds requests (struct fwctl_rpc_pds, digest §1.6 and §3.2). Profile request
 * fields: {ep, op (command, bits 15:0), ver? (bits 23:16, default 1),
 * data? (hex: the in.payload bytes), respLen? (out.len, default 64),
 * valueAt?, objectIdAt? (offsets in data where params `value` and `objectId`
 * are written as le32)}.
 *
 * pds is the one device whose response is not in the fwctl_rpc.out buffer:
 * - `input` is the 48-byte struct; its in.payload and out.payload point at
 *   buffers this codec allocates with `mem` in the caller's process.
 * - The driver returns the caller's struct as the fwctl_rpc output
 *   (out_len = in_len = 48), with out.retval @24 set to the firmware's
 *   completion code: status() reads it from the fwctl_rpc.out buffer. A caller
 *   that passes out_len < 28 gets no retval back, and status() says not ok.
 * - The device's response lands in out.payload, returned as
 *   `Encoded.response`: payload() reads it. The reference firmware's
 *   responses are {le32 data length, data}; payload() returns the data, so a
 *   response that grows across firmware shows as longer, not as changed bytes.
 *   (Real pds firmware payloads are vendor-defined; for those, payload()
 *   falls back to the whole out.payload buffer when the length does not fit.)
 */
import { PDS_RPC_OFF, PDS_RPC_SIZE, encodeRpcPds, pdsOp } from '../../uapi/pds.js';
import type { Codec } from './codec.js';

type PdsRequest = {
  ep: number;
  op: number;
  ver?: number;
  data?: string;
  respLen?: number;
  valueAt?: number;
  objectIdAt?: number;
};

export const pdsCodec: Codec = {
  name: 'pds',
  growth: 'append',
  encode(request, outLen, mem, params = {}) {
    const r = request as PdsRequest;
    const data = Buffer.from(r.data ?? '', 'hex');
    for (const [param, at] of [['value', r.valueAt], ['objectId', r.objectIdAt]] as const) {
      const v = params[param];
      if (typeof v === 'number' && at !== undefined) data.writeUInt32LE(v >>> 0, at);
    }
    const respLen = r.respLen ?? 64;
    const inPayload = data.length ? mem.alloc(data) : undefined;
    const response = mem.alloc(Math.max(respLen, 1));
    const input = encodeRpcPds({
      op: pdsOp(r.op, r.ver ?? 1),
      ep: r.ep,
      inLen: data.length,
      inPayload: inPayload?.addr ?? 0n,
      outLen: respLen,
      outPayload: response.addr,
    });
    return { input, outLen, response };
  },
  // The endpoint first, then the command (in.op bits 15:0; the version in bits 23:16 does not change what
  // it does). Endpoint first because pds firmware declares each endpoint's operations and their scopes
  // itself (pdsfc_validate_rpc() in drivers/fwctl/pds/main.c), so a profile may not list them all: any
  // request to an endpoint with writes that is none of its listed reads counts as a possible write.
  identify: (input) =>
    input.length < PDS_RPC_OFF.in_ep + 4 ? undefined : { ep: input.readUInt32LE(PDS_RPC_OFF.in_ep), op: input.readUInt32LE(PDS_RPC_OFF.in_op) & 0xffff },
  // struct fwctl_rpc_pds is fixed-size: pdsfc_fw_rpc refuses in_len < 48 since e7537735 (pds/main.c ~365).
  declaredLength: () => PDS_RPC_SIZE,
  status(out) {
    if (out.length < PDS_RPC_OFF.out_retval + 4) return { ok: false, status: `no out.retval (only ${out.length} bytes returned)` };
    const retval = out.readUInt32LE(PDS_RPC_OFF.out_retval);
    return { ok: retval === 0, status: `retval ${retval}` };
  },
  payload(response) {
    if (response.length < 4) return Buffer.alloc(0);
    const len = response.readUInt32LE(0);
    return len <= response.length - 4 ? response.subarray(4, 4 + len) : response;
  },
};
