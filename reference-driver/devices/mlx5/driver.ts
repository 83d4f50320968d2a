/**
 * The kernel's mlx5 fwctl driver (drivers/fwctl/mlx5/main.c, digest §3.1), in
 * two versions: `6.15` (as merged, torvalds@52929c21: 90 opcodes, ACCESS_REG
 * and ACCESS_REGISTER_USER by op_mod) and `7.3` (four more opcodes).
 *
 * open: CREATE_UCTX with TOOLS_RESOURCES when the firmware has it; the uid is
 * per descriptor. fw_rpc: EMSGSIZE for a short header or response, EBADMSG
 * for an opcode not allowed at the scope, then the uid field is overwritten
 * with the descriptor's and the firmware runs the command. Firmware status
 * errors come back inside the response with out_len unchanged.
 */
import { DeviceType, Scope } from '../../../uapi/fwctl.js';
import type { FwctlOps, RpcResponse, Uctx } from '../../core/ops.js';
import { fail } from '../../kernel/errno.js';
import type { ModelEnv } from '../../models.js';
import type { CommandInterface } from './firmware.js';
import { HDR_LEN, IN, Op, RegOp, Status, UctxCap, statusToErrno } from './ifc.js';

export type Mlx5DriverVersion = '6.15' | '7.3';

const { CONFIGURATION: ANY, DEBUG_READ_ONLY: READ, DEBUG_WRITE: WRITE, DEBUG_WRITE_FULL: FULL } = Scope;

/**
 * mlx5ctl_validate_rpc as merged for 6.15 (torvalds@52929c21; the table is
 * test/fixtures/kernel/mlx5-6.15.json, which a test compares this with):
 * opcode → the lowest scope allowing it. ACCESS_REG and ACCESS_REGISTER_USER
 * are decided by op_mod (see allowed()).
 */
const TIERS_6_15: readonly [number, readonly number[]][] = [
  [ANY, [
    Op.POSTPONE_CONNECTED_QP_TIMEOUT, Op.QUERY_ADAPTER, Op.QUERY_ESW_FUNCTIONS, Op.QUERY_HCA_CAP, Op.QUERY_HCA_VPORT_CONTEXT,
    Op.QUERY_OTHER_HCA_CAP, Op.QUERY_ROCE_ADDRESS, Op.QUERY_VUID, Op.SET_HCA_CAP,
  ]],
  [READ, [
    Op.FPGA_QUERY_QP_COUNTERS, Op.FPGA_QUERY_QP, Op.NOP, Op.QUERY_AFU, Op.QUERY_BURST_SIZE, Op.QUERY_CAPI_PEC,
    Op.QUERY_CONG_PARAMS, Op.QUERY_CONG_STATISTICS, Op.QUERY_CONG_STATUS, Op.QUERY_CQ, Op.QUERY_CRYPTO_STATE,
    Op.QUERY_DC_CNAK_TRACE, Op.QUERY_DCT, Op.QUERY_DELAY_DROP_PARAMS, Op.QUERY_DIAGNOSTIC_COUNTERS, Op.QUERY_DIAGNOSTIC_PARAMS,
    Op.QUERY_DPA_PARTITION, Op.QUERY_DPA_PARTITIONS, Op.QUERY_DRIVER_VERSION, Op.QUERY_EMULATED_FUNCTIONS_INFO,
    Op.QUERY_EMULATED_RESOURCES_INFO, Op.QUERY_EMULATION_DEVICE_EQ_MSIX_MAPPING, Op.QUERY_EQ, Op.QUERY_ESW_VPORT_CONTEXT,
    Op.QUERY_FLOW_COUNTER, Op.QUERY_FLOW_GROUP, Op.QUERY_FLOW_TABLE_ENTRY, Op.QUERY_FLOW_TABLE, Op.QUERY_GENERAL_OBJECT,
    Op.QUERY_HCA_VPORT_GID, Op.QUERY_HCA_VPORT_PKEY, Op.QUERY_ISSI, Op.QUERY_L2_TABLE_ENTRY, Op.QUERY_LAG, Op.QUERY_MAD_DEMUX,
    Op.QUERY_MATCH_SAMPLE_INFO, Op.QUERY_MKEY, Op.QUERY_MODIFY_HEADER_CONTEXT, Op.QUERY_MTT, Op.QUERY_NIC_VPORT_CONTEXT,
    Op.QUERY_NVMF_BACKEND_CONTROLLER, Op.QUERY_NVMF_CC_RESPONSE, Op.QUERY_NVMF_NAMESPACE_CONTEXT,
    Op.QUERY_PACKET_REFORMAT_CONTEXT, Op.QUERY_PAGES, Op.QUERY_PSV, Op.QUERY_Q_COUNTER, Op.QUERY_QP, Op.QUERY_RATE_LIMIT,
    Op.QUERY_RDB, Op.QUERY_REGEXP_PARAMS, Op.QUERY_REGEXP_REGISTER, Op.QUERY_RMP, Op.QUERY_RQ, Op.QUERY_RQT,
    Op.QUERY_RSV_RESOURCES, Op.QUERY_SCHED_QUEUE, Op.QUERY_SCHEDULING_ELEMENT, Op.QUERY_SF_PARTITION,
    Op.QUERY_SPECIAL_CONTEXTS, Op.QUERY_SQ, Op.QUERY_SRQ, Op.QUERY_TIR, Op.QUERY_TIS, Op.QUERY_UCTX, Op.QUERY_UMEM,
    Op.QUERY_VHCA_MIGRATION_STATE, Op.QUERY_VHCA_STATE, Op.QUERY_VNIC_ENV, Op.QUERY_VPORT_COUNTER, Op.QUERY_VPORT_STATE,
    Op.QUERY_WOL_ROL, Op.QUERY_XRC_SRQ, Op.QUERY_XRQ_DC_PARAMS_ENTRY, Op.QUERY_XRQ_ERROR_PARAMS, Op.QUERY_XRQ,
    Op.USER_QUERY_XRQ_DC_PARAMS_ENTRY, Op.USER_QUERY_XRQ_ERROR_PARAMS,
  ]],
  [WRITE, [Op.SET_DIAGNOSTIC_PARAMS]],
];

/** What 7.3 adds (drivers/fwctl/mlx5/main.c of 7.3; the check:profiles script reads it). */
const TIERS_7_3_EXTRA: readonly [number, readonly number[]][] = [
  [ANY, [Op.MODIFY_CONG_STATUS, Op.DELEGATE_VHCA_MANAGEMENT]],
  [READ, [Op.QUERY_ADJACENT_FUNCTIONS_ID, Op.QUERY_DELEGATED_VHCA]],
];

/**
 * The model's own commands (not in any kernel): per-descriptor diagnostic
 * counters at DEBUG_READ_ONLY, NV configuration at CONFIGURATION.
 */
const TIERS_MODEL: readonly [number, readonly number[]][] = [
  [ANY, [Op.QUERY_NV_CONFIG, Op.SET_NV_CONFIG]],
  [READ, [Op.ALLOC_DIAG_COUNTER, Op.QUERY_DIAG_COUNTER, Op.DEALLOC_DIAG_COUNTER]],
];

/** Only the `mlx5-data-plane-exposed` defect lets these through: queue and steering objects of the netdev/RDMA data plane. */
const DATA_PLANE = new Set<number>([
  Op.CREATE_QP, Op.DESTROY_QP, Op.RST2INIT_QP, Op.ERR_QP, Op.CREATE_CQ, Op.CREATE_SQ, Op.CREATE_RQ, Op.CREATE_MKEY,
  Op.CREATE_TIR, Op.CREATE_FLOW_TABLE, Op.SET_FLOW_TABLE_ENTRY,
]);

const CAP_CACHE_SLOTS = 256;

function tiers(version: Mlx5DriverVersion): Map<number, number> {
  const all = [...TIERS_6_15, ...(version === '7.3' ? TIERS_7_3_EXTRA : []), ...TIERS_MODEL];
  const map = new Map<number, number>();
  for (const [scope, ops] of all) for (const op of ops) map.set(op, scope);
  return map;
}

/** struct mlx5ctl_uctx. */
interface Mlx5Uctx {
  uid: number;
  caps: number;
}

export class Mlx5FwctlDriver implements FwctlOps {
  readonly deviceType = DeviceType.MLX5;
  private readonly tiers: Map<number, number>;
  /** MLX5_CAP_GEN(uctx_cap), cached by mlx5_core at init. */
  private readonly fwUctxCap: number;
  private readonly fwUctxCap2: number | undefined;
  private open = 0;
  /** For the shared-uid defect: the uid of the descriptor opened last. */
  private lastUid = 0;
  /** For the cap-cache defect: descriptors holding a capability-cache slot (never released). */
  private readonly capCache = new Set<number>();

  constructor(
    private readonly cmdif: CommandInterface,
    private readonly env: ModelEnv,
    readonly version: Mlx5DriverVersion,
  ) {
    this.tiers = tiers(version);
    this.fwUctxCap = cmdif.fw.capField('uctx_cap') ?? 0;
    this.fwUctxCap2 = cmdif.fw.capField('uctx_cap_2');
  }

  private has(defect: string): boolean {
    return this.env.defects.has(defect);
  }

  /** mlx5ctl_open_uctx → mlx5ctl_alloc_uid: CREATE_UCTX; a firmware failure fails open(). */
  openUctx(uctx: Uctx): void {
    const caps = this.fwUctxCap & UctxCap.TOOLS_RESOURCES;
    const cmd = Buffer.alloc(HDR_LEN + 16);
    cmd.writeUInt16BE(Op.CREATE_UCTX, IN.opcode);
    cmd.writeUInt32BE(caps, IN.data); // uctx.cap
    const out = this.cmdif.exec(cmd, HDR_LEN);
    if (out[0] !== Status.OK) fail(statusToErrno(out[0]!), `CREATE_UCTX status 0x${out[0]!.toString(16)}`);
    const uid = out.readUInt16BE(IN.index);
    uctx.priv = { uid, caps } satisfies Mlx5Uctx;
    this.lastUid = uid;
    this.open++;
    if (this.has('mlx5-cmdif-held-open')) this.cmdif.heldBy = 'fwctl (an open descriptor)';
  }

  /** mlx5ctl_close_uctx → DESTROY_UCTX; the firmware frees what the context owned. */
  closeUctx(uctx: Uctx): void {
    const { uid } = uctx.priv as Mlx5Uctx;
    const cmd = Buffer.alloc(HDR_LEN);
    cmd.writeUInt16BE(Op.DESTROY_UCTX, IN.opcode);
    cmd.writeUInt16BE(uid, IN.uid);
    this.cmdif.exec(cmd, HDR_LEN);
    if (--this.open === 0) this.cmdif.heldBy = undefined;
  }

  /** struct fwctl_info_mlx5 {uid, uctx_caps}, host-endian. */
  info(uctx: Uctx): Buffer {
    const { uid, caps } = uctx.priv as Mlx5Uctx;
    const data = Buffer.alloc(8);
    data.writeUInt32LE(uid, 0);
    // Defect: reports the firmware's uctx_cap_2 (appended in 2.0) where the granted caps belong.
    data.writeUInt32LE(this.fwUctxCap2 !== undefined && this.has('mlx5-fw2-info-caps-replaced') ? this.fwUctxCap2 : caps, 4);
    return data;
  }

  fwRpc(uctx: Uctx, scope: number, input: Buffer, outLen: number): RpcResponse {
    // Defect: the header is read before in_len is checked (past a short allocation: an oops).
    if (input.length < HDR_LEN && this.has('mlx5-short-header-oops')) {
      throw new Error(`mlx5ctl_fw_rpc: read of mbox_in_hdr past a ${input.length}-byte request`);
    }
    if (input.length < HDR_LEN || outLen < HDR_LEN) fail('EMSGSIZE');
    const opcode = input.readUInt16BE(IN.opcode);
    const opMod = input.readUInt16BE(IN.opMod);
    const allowed = this.allowed(opcode, opMod, scope);
    // Defect: write-tier commands run first and are checked after (a rejected write already happened).
    const runsFirst = this.has('mlx5-validate-after-exec') && (this.tiers.get(opcode) ?? ANY) >= WRITE;
    if (!allowed && !runsFirst) fail('EBADMSG');
    // Defect: each descriptor's first QUERY_HCA_CAP takes one of 256 cache slots that close never frees.
    if (opcode === Op.QUERY_HCA_CAP && this.has('mlx5-cap-cache-leak') && !this.capCache.has(uctx.id)) {
      if (this.capCache.size >= CAP_CACHE_SLOTS) fail('ENOSPC', 'capability cache full');
      this.capCache.add(uctx.id);
    }
    // Enforce the descriptor's user context: the caller's uid field is overwritten.
    const cmd = Buffer.from(input);
    const forced = this.has('mlx5-shared-uid') ? this.lastUid : (uctx.priv as Mlx5Uctx).uid;
    // Defect: a non-zero uid the caller wrote is kept (only an empty field is filled in).
    const callerUid = input.readUInt16BE(IN.uid);
    cmd.writeUInt16BE(this.has('mlx5-uid-not-forced') && callerUid !== 0 ? callerUid : forced, IN.uid);
    const out = this.cmdif.exec(cmd, outLen);
    if (!allowed) fail('EBADMSG');
    return { out, outLen }; // *out_len is left as the caller's
  }

  /** mlx5ctl_validate_rpc. */
  private allowed(opcode: number, opMod: number, scope: number): boolean {
    if (opcode === Op.ACCESS_REG || opcode === Op.ACCESS_REGISTER_USER) {
      // op_mod 0 (write) at any scope; a read needs DEBUG_READ_ONLY. The defect swaps them.
      const anyScope = (opMod === RegOp.WRITE) !== this.has('mlx5-access-reg-inverted');
      return anyScope || scope >= READ;
    }
    let min = this.tiers.get(opcode);
    if (min === undefined) {
      if (this.has('mlx5-data-plane-exposed') && DATA_PLANE.has(opcode)) min = ANY;
      // Defect: a range check instead of a list lets the rest of the 0x1xx HCA group through.
      else if (this.has('mlx5-hca-group-default-allow') && opcode >= 0x100 && opcode <= 0x1ff) min = ANY;
      else return false;
    }
    if (opcode === Op.SET_DIAGNOSTIC_PARAMS && this.has('mlx5-any-scope-diag-write')) min = ANY;
    // Defect: `scope ==` instead of `scope >=` for the DEBUG_READ_ONLY tier.
    if (min === READ && this.has('mlx5-non-monotonic-scope')) return scope === READ;
    return scope >= min;
  }
}
