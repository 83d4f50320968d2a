/**
 * bnxt fwctl (include/uapi/fwctl/bnxt.h, Linux 7.3) and the HWRM wire format
 * the driver passes through (include/linux/bnxt/hsi.h). Little-endian.
 */

/** enum fwctl_bnxt_commands: bit numbers of fwctl_info_bnxt.uctx_caps. */
export const FwctlBnxtCommands = {
  INLINE: 0,
  QUERY: 1,
  SEND: 2,
  /** New in 7.3: commands carrying DMA buffers. */
  DMA: 3,
} as const;

/** bnxtctl_open_uctx sets all four bits (main.c): uctx_caps 0xf. */
export const BNXT_UCTX_CAPS =
  (1 << FwctlBnxtCommands.INLINE) | (1 << FwctlBnxtCommands.QUERY) | (1 << FwctlBnxtCommands.SEND) | (1 << FwctlBnxtCommands.DMA);

/** sizeof(struct fwctl_info_bnxt). */
export const BNXT_INFO_SIZE = 4;

/** FWCTL_BNXT_MAX_DMABUF: 64 KiB per DMA buffer. */
export const FWCTL_BNXT_MAX_DMABUF = 0x10000;

/** struct input (hsi.h, 16 B): every HWRM request starts with it. */
export const HWRM_INPUT_SIZE = 16;
export const HWRM_IN_OFF = { req_type: 0, cmpl_ring: 2, seq_id: 4, target_id: 6, resp_addr: 8 } as const;

/** struct output (hsi.h, 8 B); the last byte of every response (at resp_len - 1) is `valid`. */
export const HWRM_OUTPUT_SIZE = 8;
export const HWRM_OUT_OFF = { error_code: 0, req_type: 2, seq_id: 4, resp_len: 6 } as const;

/** HWRM_MAX_REQ_LEN (hsi.h): the fwctl driver rejects longer requests. */
export const HWRM_MAX_REQ_LEN = 128;

/** INVALID_HW_RING_ID: cmpl_ring 0xffff means "poll, no completion ring"; target_id 0xffff means this function. */
export const HWRM_NA = 0xffff;
export const HWRM_TARGET_ID_KONG = 0xfff9;

/** HWRM_ERR_CODE_* (hsi.h). */
export const HwrmErr = {
  SUCCESS: 0x0,
  FAIL: 0x1,
  INVALID_PARAMS: 0x2,
  RESOURCE_ACCESS_DENIED: 0x3,
  INVALID_FLAGS: 0x5,
  ENTITY_NOT_PRESENT: 0x13,
  CMD_NOT_SUPPORTED: 0xffff,
} as const;

/** The request types the reference model implements, plus its probes (hsi.h numbers). */
export const HwrmReq = {
  VER_GET: 0x0,
  FUNC_RESET: 0x11,
  FUNC_QCAPS: 0x15,
  FUNC_QCFG: 0x16,
  FUNC_CFG: 0x17,
  PORT_PHY_CFG: 0x20,
  PORT_PHY_QCFG: 0x27,
  PORT_PHY_I2C_WRITE: 0x2b,
  PORT_PHY_I2C_READ: 0x2c,
  QUEUE_CFG: 0x32,
  VNIC_ALLOC: 0x40,
  VNIC_CFG: 0x42,
  RING_ALLOC: 0x50,
  RING_FREE: 0x51,
  DBG_READ_DIRECT: 0xff10,
  DBG_TOKEN_CFG: 0xff30,
  NVM_GET_VARIABLE: 0xfff1,
  NVM_SET_VARIABLE: 0xfff2,
  NVM_FIND_DIR_ENTRY: 0xfff9,
  NVM_GET_DIR_ENTRIES: 0xfffa,
  NVM_READ: 0xfffd,
  NVM_RAW_WRITE_BLK: 0xffff,
} as const;

/** A kernel errno as the fwctl driver stores it in error_code: cpu_to_le16(rc) of a negative rc. */
export function errnoCode(errno: number): number {
  return -errno & 0xffff;
}
