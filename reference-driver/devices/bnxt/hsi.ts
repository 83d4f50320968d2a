/**
 * The bnxt fwctl allow-list and DMA descriptor table, transcribed from Linux
 * 7.3 drivers/fwctl/bnxt/main.c (bnxtctl_validate_rpc: 72 inline request
 * types; bnxtctl_dma_cmds[]: 32 DMA commands; 104 in all) with request numbers,
 * struct sizes and field offsets from include/linux/bnxt/hsi.h.
 */
import { Scope } from '../../../uapi/fwctl.js';

export interface DmaField {
  /** DMA_TO_DEVICE (user data copied in before the firmware runs) or DMA_FROM_DEVICE (copied out after). */
  dir: 'to' | 'from';
  /** offsetof(hwrm_xxx_input, addr field): a le64 user pointer the driver swaps for a bus address. */
  addr: number;
  /** offsetof the length field, its width (2 or 4) and the bytes one unit stands for; absent for a fixed length. */
  lenAt?: number;
  lenWidth?: 2 | 4;
  unit?: number;
  /** CMD_DATA_FIXED: the buffer length when the request carries none. */
  bufLen?: number;
}

export interface DmaDesc {
  name: string;
  reqType: number;
  scopeMin: number;
  /** sizeof(struct hwrm_xxx_input): in_len must equal it exactly. */
  reqSize: number;
  fields: DmaField[];
}

/** bnxtctl_validate_rpc's switch: request type to minimum scope (main.c, the `case HWRM_…:` lists). */
export const INLINE_ALLOW: ReadonlyMap<number, { name: string; scopeMin: number }> = new Map([
  [0x11, { name: 'HWRM_FUNC_RESET', scopeMin: Scope.CONFIGURATION }],
  [0x25, { name: 'HWRM_PORT_CLR_STATS', scopeMin: Scope.CONFIGURATION }],
  [0xc0, { name: 'HWRM_FW_RESET', scopeMin: Scope.CONFIGURATION }],
  [0xc3, { name: 'HWRM_FW_SYNC', scopeMin: Scope.CONFIGURATION }],
  [0xc8, { name: 'HWRM_FW_SET_TIME', scopeMin: Scope.CONFIGURATION }],
  [0xff0f, { name: 'HWRM_DBG_LOG_BUFFER_FLUSH', scopeMin: Scope.CONFIGURATION }],
  [0xff15, { name: 'HWRM_DBG_ERASE_NVM', scopeMin: Scope.CONFIGURATION }],
  [0xff16, { name: 'HWRM_DBG_CFG', scopeMin: Scope.CONFIGURATION }],
  [0xffec, { name: 'HWRM_NVM_DEFRAG', scopeMin: Scope.CONFIGURATION }],
  [0xffee, { name: 'HWRM_NVM_FACTORY_DEFAULTS', scopeMin: Scope.CONFIGURATION }],
  [0xfff0, { name: 'HWRM_NVM_FLUSH', scopeMin: Scope.CONFIGURATION }],
  [0xfff5, { name: 'HWRM_NVM_VERIFY_UPDATE', scopeMin: Scope.CONFIGURATION }],
  [0xfff7, { name: 'HWRM_NVM_ERASE_DIR_ENTRY', scopeMin: Scope.CONFIGURATION }],
  [0xfff8, { name: 'HWRM_NVM_MOD_DIR_ENTRY', scopeMin: Scope.CONFIGURATION }],
  [0xfff9, { name: 'HWRM_NVM_FIND_DIR_ENTRY', scopeMin: Scope.CONFIGURATION }],
  [0x0, { name: 'HWRM_VER_GET', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xc, { name: 'HWRM_ERROR_RECOVERY_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x15, { name: 'HWRM_FUNC_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x16, { name: 'HWRM_FUNC_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x18, { name: 'HWRM_FUNC_QSTATS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x27, { name: 'HWRM_PORT_PHY_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x28, { name: 'HWRM_PORT_MAC_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x2a, { name: 'HWRM_PORT_PHY_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x2c, { name: 'HWRM_PORT_PHY_I2C_READ', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xb6, { name: 'HWRM_PORT_PHY_MDIO_READ', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x37, { name: 'HWRM_QUEUE_PRI2COS_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x39, { name: 'HWRM_QUEUE_COS2BW_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x47, { name: 'HWRM_VNIC_RSS_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x87, { name: 'HWRM_QUEUE_GLOBAL_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x88, { name: 'HWRM_QUEUE_ADPTV_QOS_RX_FEATURE_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x8a, { name: 'HWRM_QUEUE_ADPTV_QOS_TX_FEATURE_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x8c, { name: 'HWRM_QUEUE_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x8d, { name: 'HWRM_QUEUE_ADPTV_QOS_RX_TUNING_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x8f, { name: 'HWRM_QUEUE_ADPTV_QOS_TX_TUNING_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xa0, { name: 'HWRM_TUNNEL_DST_PORT_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xbc, { name: 'HWRM_PORT_TX_FIR_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xbe, { name: 'HWRM_FW_LIVEPATCH_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xc1, { name: 'HWRM_FW_QSTATUS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xc2, { name: 'HWRM_FW_HEALTH_CHECK', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xc9, { name: 'HWRM_FW_GET_TIME', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xda, { name: 'HWRM_PORT_EP_TX_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xdd, { name: 'HWRM_PORT_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xdf, { name: 'HWRM_PORT_MAC_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xe0, { name: 'HWRM_TEMP_MONITOR_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xe1, { name: 'HWRM_REG_POWER_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xe2, { name: 'HWRM_CORE_FREQUENCY_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x112, { name: 'HWRM_CFA_REDIRECT_QUERY_TUNNEL_TYPE', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x124, { name: 'HWRM_CFA_ADV_FLOW_MGNT_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x190, { name: 'HWRM_FUNC_RESOURCE_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x192, { name: 'HWRM_FUNC_BACKING_STORE_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x194, { name: 'HWRM_FUNC_BACKING_STORE_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x198, { name: 'HWRM_FUNC_QSTATS_EXT', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x19c, { name: 'HWRM_FUNC_PTP_PIN_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x1a1, { name: 'HWRM_FUNC_PTP_EXT_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x1a4, { name: 'HWRM_FUNC_BACKING_STORE_QCFG_V2', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x1a8, { name: 'HWRM_FUNC_BACKING_STORE_QCAPS_V2', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x1ac, { name: 'HWRM_FUNC_SYNCE_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x1c3, { name: 'HWRM_FUNC_TTX_PACING_RATE_PROF_QUERY', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x232, { name: 'HWRM_PORT_PHY_FDRSTAT', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff1c, { name: 'HWRM_DBG_RING_INFO_GET', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff20, { name: 'HWRM_DBG_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff21, { name: 'HWRM_DBG_QCFG', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff25, { name: 'HWRM_DBG_USEQ_FLUSH', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff26, { name: 'HWRM_DBG_USEQ_QCAPS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff2e, { name: 'HWRM_DBG_SIM_CABLE_STATE', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff2f, { name: 'HWRM_DBG_TOKEN_QUERY_AUTH_IDS', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xfff6, { name: 'HWRM_NVM_GET_DEV_INFO', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xfffb, { name: 'HWRM_NVM_GET_DIR_INFO', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x200, { name: 'HWRM_SELFTEST_QLIST', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0xff18, { name: 'HWRM_DBG_COREDUMP_INITIATE', scopeMin: Scope.DEBUG_READ_ONLY }],
  [0x2b, { name: 'HWRM_PORT_PHY_I2C_WRITE', scopeMin: Scope.DEBUG_WRITE }],
  [0xb5, { name: 'HWRM_PORT_PHY_MDIO_WRITE', scopeMin: Scope.DEBUG_WRITE }],
]);

/** bnxtctl_dma_cmds[] in table order (main.c, CMD_DMA_LEN / CMD_DMAS). */
export const DMA_CMDS: readonly DmaDesc[] = [
  { name: 'HWRM_NVM_SET_VARIABLE', reqType: 0xfff2, scopeMin: Scope.CONFIGURATION, reqSize: 40, fields: [{ dir: 'to', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_NVM_GET_VARIABLE', reqType: 0xfff1, scopeMin: Scope.CONFIGURATION, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_NVM_READ', reqType: 0xfffd, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 32, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_NVM_GET_DIR_ENTRIES', reqType: 0xfffa, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 24, fields: [{ dir: 'from', addr: 16, bufLen: 65536 }] },
  { name: 'HWRM_NVM_WRITE', reqType: 0xfffe, scopeMin: Scope.DEBUG_WRITE, reqSize: 56, fields: [{ dir: 'to', addr: 16, lenAt: 32, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_NVM_MODIFY', reqType: 0xfff4, scopeMin: Scope.DEBUG_WRITE, reqSize: 40, fields: [{ dir: 'to', addr: 16, lenAt: 32, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_NVM_RAW_WRITE_BLK', reqType: 0xffff, scopeMin: Scope.DEBUG_WRITE_FULL, reqSize: 40, fields: [{ dir: 'to', addr: 16, lenAt: 28, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_NVM_RAW_DUMP', reqType: 0xfffc, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 28, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_FW_GET_STRUCTURED_DATA', reqType: 0xcb, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_FW_SET_STRUCTURED_DATA', reqType: 0xca, scopeMin: Scope.DEBUG_WRITE, reqSize: 32, fields: [{ dir: 'to', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_FW_LIVEPATCH', reqType: 0xbf, scopeMin: Scope.DEBUG_WRITE_FULL, reqSize: 32, fields: [{ dir: 'to', addr: 24, lenAt: 20, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_DBG_COREDUMP_LIST', reqType: 0xff17, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_DBG_COREDUMP_RETRIEVE', reqType: 0xff19, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 56, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_DBG_READ_DIRECT', reqType: 0xff10, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 16, lenAt: 28, lenWidth: 4, unit: 4 }] },
  { name: 'HWRM_DBG_READ_INDIRECT', reqType: 0xff11, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 80, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_DBG_SERDES_TEST', reqType: 0xff0e, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 28, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_DBG_TOKEN_CFG', reqType: 0xff30, scopeMin: Scope.DEBUG_WRITE_FULL, reqSize: 32, fields: [{ dir: 'to', addr: 24, lenAt: 20, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_QUEUE_DSCP2PRI_QCFG', reqType: 0x3c, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 16, lenAt: 26, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_PORT_QSTATS', reqType: 0x23, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 24, bufLen: 408 }, { dir: 'from', addr: 32, bufLen: 528 }] },
  { name: 'HWRM_PORT_QSTATS_EXT', reqType: 0xb4, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 24, lenAt: 18, lenWidth: 2, unit: 1 }, { dir: 'from', addr: 32, lenAt: 20, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_PORT_QSTATS_EXT_PFC_ADV', reqType: 0xba, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 24, lenAt: 18, lenWidth: 2, unit: 1 }, { dir: 'from', addr: 32, lenAt: 18, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_PCIE_QSTATS', reqType: 0x204, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 24, lenAt: 16, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_STAT_GENERIC_QSTATS', reqType: 0x218, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 24, lenAt: 16, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_STAT_QUERY_ROCE_STATS', reqType: 0xe6, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 24, lenAt: 16, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_STAT_QUERY_ROCE_STATS_EXT', reqType: 0xe7, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 24, lenAt: 16, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_PORT_EVENTS_LOG', reqType: 0x67, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 4, unit: 1 }] },
  { name: 'HWRM_PORT_PRBS_TEST', reqType: 0xd5, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 48, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_PORT_DSC_DUMP', reqType: 0xd9, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 24, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_SCH_GRP_CFG', reqType: 0x73, scopeMin: Scope.DEBUG_WRITE, reqSize: 88, fields: [{ dir: 'to', addr: 24, lenAt: 18, lenWidth: 2, unit: 2 }] },
  { name: 'HWRM_SCH_GRP_QCFG', reqType: 0x74, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 32, fields: [{ dir: 'from', addr: 24, lenAt: 18, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_SELFTEST_RETRIEVE_SERDES_DATA', reqType: 0x203, scopeMin: Scope.DEBUG_READ_ONLY, reqSize: 40, fields: [{ dir: 'from', addr: 16, lenAt: 28, lenWidth: 2, unit: 1 }] },
  { name: 'HWRM_DBG_PTRACE', reqType: 0xff2d, scopeMin: Scope.DEBUG_WRITE, reqSize: 40, fields: [{ dir: 'to', addr: 16, lenAt: 32, lenWidth: 4, unit: 1 }, { dir: 'from', addr: 24, lenAt: 32, lenWidth: 4, unit: 1 }] },
];

/** bnxtctl_find_dma_desc. */
export function findDmaDesc(reqType: number): DmaDesc | undefined {
  return DMA_CMDS.find((d) => d.reqType === reqType);
}
