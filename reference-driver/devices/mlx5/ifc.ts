/**
 * The slice of the mlx5 command interface (include/linux/mlx5/mlx5_ifc.h,
 * device.h) the mlx5-like model speaks: opcodes, status codes and the
 * 16-byte big-endian command headers (digest §3.1).
 *
 * Opcodes 0xf001..0xf011 are MODEL-ONLY: they lie outside mlx5_ifc's opcode
 * space (real opcodes end below 0xb40, plus a few at 0x8000..0x8006), so no
 * real device answers them. They give the model per-descriptor objects and a
 * next-boot configuration item; the kernel profiles never name them.
 */
import type { ErrnoName } from '../../../uapi/errno.js';

export const Op = {
  QUERY_HCA_CAP: 0x100,
  QUERY_ADAPTER: 0x101,
  INIT_HCA: 0x102,
  TEARDOWN_HCA: 0x103,
  ENABLE_HCA: 0x104,
  DISABLE_HCA: 0x105,
  QUERY_PAGES: 0x107,
  MANAGE_PAGES: 0x108,
  SET_HCA_CAP: 0x109,
  QUERY_ISSI: 0x10a,
  SET_ISSI: 0x10b,
  QUERY_DRIVER_VERSION: 0x10c,
  QUERY_OTHER_HCA_CAP: 0x10e,
  QUERY_SF_PARTITION: 0x111,
  QUERY_VHCA_MIGRATION_STATE: 0x117,
  CREATE_MKEY: 0x200,
  QUERY_MKEY: 0x201,
  QUERY_SPECIAL_CONTEXTS: 0x203,
  QUERY_EQ: 0x303,
  CREATE_CQ: 0x400,
  DESTROY_CQ: 0x401,
  QUERY_CQ: 0x402,
  CREATE_QP: 0x500,
  DESTROY_QP: 0x501,
  RST2INIT_QP: 0x502,
  ERR_QP: 0x507, // MLX5_CMD_OP_2ERR_QP
  QUERY_QP: 0x50b,
  QUERY_RDB: 0x512,
  QUERY_PSV: 0x602,
  QUERY_SRQ: 0x702,
  QUERY_XRC_SRQ: 0x707,
  QUERY_DCT: 0x713,
  QUERY_DC_CNAK_TRACE: 0x716,
  QUERY_XRQ: 0x719,
  QUERY_NVMF_BACKEND_CONTROLLER: 0x722,
  QUERY_XRQ_DC_PARAMS_ENTRY: 0x725,
  QUERY_XRQ_ERROR_PARAMS: 0x727,
  QUERY_NVMF_NAMESPACE_CONTEXT: 0x728,
  QUERY_ESW_FUNCTIONS: 0x740,
  QUERY_VPORT_STATE: 0x750,
  QUERY_ESW_VPORT_CONTEXT: 0x752,
  QUERY_NIC_VPORT_CONTEXT: 0x754,
  QUERY_ROCE_ADDRESS: 0x760,
  QUERY_HCA_VPORT_CONTEXT: 0x762,
  QUERY_HCA_VPORT_GID: 0x764,
  QUERY_HCA_VPORT_PKEY: 0x765,
  QUERY_VNIC_ENV: 0x76f,
  QUERY_VPORT_COUNTER: 0x770,
  QUERY_Q_COUNTER: 0x773,
  QUERY_RATE_LIMIT: 0x781,
  QUERY_SCHEDULING_ELEMENT: 0x784,
  ACCESS_REG: 0x805,
  QUERY_MAD_DEMUX: 0x80b,
  NOP: 0x80d,
  QUERY_BURST_SIZE: 0x813,
  QUERY_DIAGNOSTIC_PARAMS: 0x819,
  SET_DIAGNOSTIC_PARAMS: 0x820,
  QUERY_DIAGNOSTIC_COUNTERS: 0x821,
  QUERY_CONG_STATUS: 0x822,
  QUERY_CONG_PARAMS: 0x824,
  QUERY_CONG_STATISTICS: 0x826,
  QUERY_L2_TABLE_ENTRY: 0x82a,
  QUERY_WOL_ROL: 0x831,
  QUERY_LAG: 0x842,
  CREATE_TIR: 0x900,
  QUERY_TIR: 0x903,
  CREATE_SQ: 0x904,
  QUERY_SQ: 0x907,
  CREATE_RQ: 0x908,
  QUERY_RQ: 0x90b,
  QUERY_RMP: 0x90f,
  QUERY_DELAY_DROP_PARAMS: 0x911,
  QUERY_TIS: 0x915,
  QUERY_RQT: 0x919,
  CREATE_FLOW_TABLE: 0x930,
  QUERY_FLOW_TABLE: 0x932,
  QUERY_FLOW_GROUP: 0x935,
  SET_FLOW_TABLE_ENTRY: 0x936,
  QUERY_FLOW_TABLE_ENTRY: 0x937,
  QUERY_FLOW_COUNTER: 0x93b,
  QUERY_PACKET_REFORMAT_CONTEXT: 0x93f,
  QUERY_MODIFY_HEADER_CONTEXT: 0x942,
  FPGA_QUERY_QP: 0x962,
  FPGA_QUERY_QP_COUNTERS: 0x964,
  QUERY_AFU: 0x971,
  QUERY_CAPI_PEC: 0x981,
  QUERY_GENERAL_OBJECT: 0xa02,
  CREATE_UCTX: 0xa04,
  QUERY_UCTX: 0xa05,
  DESTROY_UCTX: 0xa06,
  QUERY_UMEM: 0xa09,
  QUERY_NVMF_CC_RESPONSE: 0xb02,
  QUERY_EMULATED_FUNCTIONS_INFO: 0xb03,
  QUERY_REGEXP_PARAMS: 0xb05,
  QUERY_REGEXP_REGISTER: 0xb07,
  USER_QUERY_XRQ_DC_PARAMS_ENTRY: 0xb08,
  USER_QUERY_XRQ_ERROR_PARAMS: 0xb0a,
  ACCESS_REGISTER_USER: 0xb0c,
  QUERY_VHCA_STATE: 0xb0d,
  QUERY_EMULATION_DEVICE_EQ_MSIX_MAPPING: 0xb0f,
  QUERY_MATCH_SAMPLE_INFO: 0xb13,
  QUERY_CRYPTO_STATE: 0xb14,
  QUERY_VUID: 0xb22,
  QUERY_DPA_PARTITION: 0xb28,
  QUERY_DPA_PARTITIONS: 0xb2a,
  POSTPONE_CONNECTED_QP_TIMEOUT: 0xb2e,
  QUERY_EMULATED_RESOURCES_INFO: 0xb2f,
  QUERY_RSV_RESOURCES: 0x8000,
  QUERY_MTT: 0x8001,
  QUERY_SCHED_QUEUE: 0x8006,
  // Allowed by fwctl from 7.3 (added after 6.15).
  MODIFY_CONG_STATUS: 0x823,
  QUERY_ADJACENT_FUNCTIONS_ID: 0x730,
  DELEGATE_VHCA_MANAGEMENT: 0x731,
  QUERY_DELEGATED_VHCA: 0x732,
  // ---- model-only (see the file comment) ----
  /** Allocate a per-uid diagnostic counter object; its id comes back at byte 16. */
  ALLOC_DIAG_COUNTER: 0xf001,
  /** Query a diagnostic counter by id (byte 8); id 0 asks for the uid's own summary. */
  QUERY_DIAG_COUNTER: 0xf002,
  /** Free a diagnostic counter by id (byte 8); id 0 frees nothing (free(NULL)). */
  DEALLOC_DIAG_COUNTER: 0xf003,
  /** Read a non-volatile configuration item (byte 10): current and next-boot values. */
  QUERY_NV_CONFIG: 0xf010,
  /** Write a non-volatile configuration item's next-boot value (live after a function reset). */
  SET_NV_CONFIG: 0xf011,
} as const;

export const OP_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Op).map(([k, v]) => [v, k]));

/** Command status (device.h MLX5_CMD_STAT_*). */
export const Status = {
  OK: 0x0,
  INT_ERR: 0x1,
  BAD_OP: 0x2,
  BAD_PARAM: 0x3,
  BAD_SYS_STATE: 0x4,
  BAD_RES: 0x5,
  RES_BUSY: 0x6,
  LIM_ERR: 0x8,
  BAD_RES_STATE: 0x9,
  IX_ERR: 0xa,
  NO_RES: 0xf,
  BAD_INP_LEN: 0x50,
  BAD_OUTP_LEN: 0x51,
} as const;

/** How mlx5_cmd_exec turns a failed status into an errno (cmd.c cmd_status_to_err). */
export function statusToErrno(status: number): ErrnoName {
  switch (status) {
    case Status.RES_BUSY:
      return 'EBUSY';
    case Status.LIM_ERR:
      return 'ENOMEM';
    case Status.NO_RES:
      return 'EAGAIN';
    case Status.BAD_OP:
    case Status.BAD_PARAM:
    case Status.BAD_RES:
    case Status.BAD_RES_STATE:
    case Status.IX_ERR:
      return 'EINVAL';
    default:
      return 'EIO';
  }
}

/** mbox_in_hdr / mbox_out_hdr: 16 bytes each. */
export const HDR_LEN = 16;
export const IN = { opcode: 0, uid: 2, opMod: 6, objectId: 8, index: 10, value: 12, data: 16 } as const;
export const OUT = { status: 0, syndrome: 4, data: 16 } as const;

/** ACCESS_REG op_mod (MLX5_REG_ACCESS_OP_*). */
export const RegOp = { WRITE: 0, READ: 1 } as const;

/** uctx capabilities (MLX5_UCTX_CAP_*; TOOLS_RESOURCES is the fwctl one). */
export const UctxCap = { RAW_TX: 0x1, INTERNAL_DEV_RES: 0x2, TOOLS_RESOURCES: 0x4 } as const;

/** Registers the model's firmware implements. */
export const Reg = {
  /** Port administrative status: the netdev owns it (ifup/ifdown); tools uids may only read. */
  PAOS: 0x5006,
  /** Management LED control: the port-identify beacon, invisible to the netdev. */
  MLCR: 0x902b,
} as const;

/** Model NV configuration items (byte 10 of QUERY/SET_NV_CONFIG). */
export const NvItem = { ROCE_ENABLED: 1 } as const;

/** HCA capability type in QUERY_HCA_CAP op_mod bits 15:1 (bit 0: 1 = current, 0 = maximum). */
export const CapType = { GENERAL: 0 } as const;
