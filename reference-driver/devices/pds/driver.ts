/**
 * The kernel's pds fwctl driver (drivers/fwctl/pds/main.c, digest §3.2):
 * endpoints learned at probe, operations learned lazily per endpoint, the
 * firmware attribute mapped to a scope, EINVAL for anything unknown and EPERM
 * below scope. The driver copies the request and response payloads to and
 * from user memory itself and returns the caller's struct fwctl_rpc_pds with
 * out.retval filled in (out_len = in_len).
 *
 * Modelled on the checked version (raspberrypi/linux@656a52a8: in_len < 48 is
 * EINVAL); torvalds@479bec4c's unchecked read is the pds-short-request-oops defect.
 */
import { DeviceType, Scope } from '../../../uapi/fwctl.js';
import {
  PDS_OP_ENTRY_SIZE,
  PDS_RPC_OFF,
  PDS_RPC_SIZE,
  PDS_UCTX_CAPS,
  PdsFwAttr,
  PdsQueryEntity,
  PdsRc,
  decodeRpcPds,
  opCommand,
  opVersion,
  type FwctlRpcPds,
} from '../../../uapi/pds.js';
import type { FwctlOps, RpcResponse, Uctx } from '../../core/ops.js';
import { DriverHang, fail } from '../../kernel/errno.js';
import type { Task } from '../../kernel/kernel.js';
import type { ModelEnv } from '../../models.js';
import type { PdsFirmware } from './firmware.js';

/** One cached operation: the firmware id (cmd | version << 16), its attribute and the scope it maps to. */
interface OpEntry {
  id: number;
  attr: number;
  scope: number;
}

/** pdsfc_get_operations: firmware attribute to minimum fwctl scope. */
export function attrToScope(attr: number): number {
  switch (attr) {
    case PdsFwAttr.READ:
    case PdsFwAttr.WRITE:
    case PdsFwAttr.SYNC:
      return Scope.CONFIGURATION;
    case PdsFwAttr.DEBUG_READ:
      return Scope.DEBUG_READ_ONLY;
    case PdsFwAttr.DEBUG_WRITE:
      return Scope.DEBUG_WRITE;
    default:
      return Scope.DEBUG_WRITE_FULL;
  }
}

export class PdsFwctlDriver implements FwctlOps {
  readonly deviceType = DeviceType.PDS;
  private readonly maxReqSz: number;
  private readonly maxRespSz: number;
  /** Endpoint id → its operations, fetched on the first RPC and cached until removal. */
  private readonly endpoints = new Map<number, OpEntry[] | undefined>();

  constructor(
    private readonly fw: PdsFirmware,
    private readonly env: ModelEnv,
    /** Make a configuration write live in pds_core now (only a defect does, before a reset). */
    private readonly applyLive: () => void,
  ) {
    // pdsfc_identify: IDENT for the request/response limits.
    const ident = fw.ident();
    this.maxReqSz = ident.readUInt32LE(0);
    this.maxRespSz = ident.readUInt32LE(4);
    // pdsfc_init_endpoints: QUERY ROOT, one page of le32 endpoint ids.
    const root = fw.query('fwctl', PdsQueryEntity.ROOT)!;
    for (let i = 0; i < root.readUInt32LE(0); i++) this.endpoints.set(root.readUInt32LE(4 + 4 * i), undefined);
  }

  /** pdsfc_open_uctx copies the caps; no firmware resources per descriptor. */
  openUctx(uctx: Uctx): void {
    uctx.priv = { caps: PDS_UCTX_CAPS };
    if (this.env.defects.has('pds-adminq-held-open')) this.fw.adminqHolders++;
    // Defect: each descriptor takes a firmware page that close never gives back.
    if (this.env.defects.has('pds-uctx-page-leak')) this.fw.fwctlPages++;
  }

  /** pdsfc_close_uctx is empty. */
  closeUctx(_uctx: Uctx): void {
    if (this.env.defects.has('pds-adminq-held-open')) this.fw.adminqHolders--;
  }

  /**
   * pdsfc_info builds {uctx_caps} but never sets *length, so the core reports
   * device_data_len 0 and zero-fills the caller's buffer (digest §3.2).
   */
  info(_uctx: Uctx): Buffer {
    return Buffer.alloc(0);
  }

  fwRpc(_uctx: Uctx, scope: number, input: Buffer, _outLen: number, current: Task): RpcResponse {
    if (input.length < PDS_RPC_SIZE) {
      if (!this.env.defects.has('pds-short-request-oops')) fail('EINVAL', `in_len ${input.length} < sizeof(struct fwctl_rpc_pds)`);
      // torvalds@479bec4c reads the struct without checking in_len: past the end of the allocation.
      throw new Error(`unable to handle page fault: fwctl_rpc_pds read past a ${input.length}-byte request`);
    }
    const rpc = decodeRpcPds(input);
    if (this.env.defects.has('pds-posts-before-validate')) {
      // Defect: the request goes onto the adminq (with the driver's own, kernel, rights) before it is validated.
      const early = rpc.inLen > 0 ? current.memory.copyFromUser(rpc.inPayload, rpc.inLen) : Buffer.alloc(0);
      this.fw.rpc('kernel', rpc.ep, rpc.op, early, rpc.outLen);
    }
    const entry = this.validate(rpc, scope);

    // memdup_user of the request payload: EFAULT before anything reaches the firmware.
    const req = rpc.inLen > 0 ? current.memory.copyFromUser(rpc.inPayload, rpc.inLen) : Buffer.alloc(0);
    // The model faults in the response buffer before the firmware runs, so a bad
    // out.payload is EFAULT with nothing done. torvalds@479bec4c copies out only
    // after the adminq command: that order is the pds-late-out-fault defect.
    if (!this.env.defects.has('pds-late-out-fault')) current.memory.copyFromUser(rpc.outPayload, rpc.outLen);
    if (rpc.inRsvd !== 0 && this.env.defects.has('pds-hang-on-reserved')) {
      throw new DriverHang(`in.rsvd 0x${rpc.inRsvd.toString(16)} passed as adminq flags: waiting for a completion interrupt that never comes`);
    }

    const res = this.fw.rpc('fwctl', rpc.ep, rpc.op, req, rpc.outLen);
    if (res.retval === PdsRc.SUCCESS && entry.attr === PdsFwAttr.WRITE && this.env.defects.has('pds-config-applied-live')) this.applyLive();
    // Defect: a write takes pds_core's adminq lock for the commit and never drops it.
    if (entry.attr === PdsFwAttr.WRITE && this.env.defects.has('pds-adminq-held-after-write')) this.fw.adminqHolders++;
    current.memory.copyToUser(rpc.outPayload, res.resp);
    // out.retval is the firmware's completion code; out.len is left as the caller set it.
    input.writeUInt32LE(res.retval, PDS_RPC_OFF.out_retval);
    return { out: input, outLen: input.length };
  }

  /** pdsfc_validate_rpc, in the kernel's order. */
  private validate(rpc: FwctlRpcPds, scope: number): OpEntry {
    const d = this.env.defects;
    if (rpc.inLen > this.maxReqSz) fail('EINVAL', `in.len ${rpc.inLen} > max_req_sz ${this.maxReqSz}`);
    if (rpc.outLen > this.maxRespSz) fail('EINVAL', `out.len ${rpc.outLen} > max_resp_sz ${this.maxRespSz}`);
    if (!this.endpoints.has(rpc.ep)) fail('EINVAL', `unknown endpoint ${rpc.ep}`);
    let ops = this.endpoints.get(rpc.ep);
    if (!ops) {
      ops = this.queryOperations(rpc.ep);
      this.endpoints.set(rpc.ep, ops);
    }
    // PDS_FWCTL_RPC_OPCODE_CMP: same command, and a request version no newer than the firmware's.
    const entry = ops.find(
      (e) => opCommand(e.id) === opCommand(rpc.op) && (opVersion(rpc.op) <= opVersion(e.id) || d.has('pds-op-version-ignored')),
    );
    if (!entry) fail('EINVAL', `endpoint ${rpc.ep} has no operation 0x${rpc.op.toString(16)}`);
    if (d.has('pds-any-scope')) return entry;
    if (scope < entry.scope) fail('EPERM', `operation 0x${entry.id.toString(16)} needs scope ${entry.scope}`);
    if (d.has('pds-scope-non-monotonic') && entry.scope === Scope.DEBUG_WRITE && scope !== entry.scope) fail('EPERM');
    return entry;
  }

  /** pdsfc_get_operations: QUERY ENDPOINT, then the attribute of each entry mapped to a scope. */
  private queryOperations(ep: number): OpEntry[] {
    const page = this.fw.query('fwctl', PdsQueryEntity.ENDPOINT, ep);
    if (!page) fail('ENOMEM', `QUERY ENDPOINT ${ep} failed`);
    const ops: OpEntry[] = [];
    for (let i = 0; i < page.readUInt32LE(0); i++) {
      const at = 4 + PDS_OP_ENTRY_SIZE * i;
      const attr = page.readUInt8(at + 4);
      ops.push({ id: page.readUInt32LE(at), attr, scope: attrToScope(attr) });
    }
    return ops;
  }
}
