import { CXL_FEAT_ENTRY_SIZE, CXL_OUT_HEADER, encodeGetSupportedFeatures, encodeRawCxl } from '../../uapi/cxl.js';
import { DeviceType } from '../../uapi/fwctl.js';
import type { DeviceKnowledge } from './device.js';

export const cxl: DeviceKnowledge = {
  name: 'cxl',
  deviceType: DeviceType.CXL,
  hasInfoOp: false,
  // Get Supported Features for one entry: served from the kernel's cache, any scope.
  // The kernel reports 16 + 8 + 48 bytes (8 more than it writes, digest §3.3).
  benign: () => ({
    input: encodeGetSupportedFeatures(CXL_FEAT_ENTRY_SIZE, 0),
    outLen: CXL_OUT_HEADER + 8 + CXL_FEAT_ENTRY_SIZE,
    driverOutLen: CXL_OUT_HEADER + 8 + CXL_FEAT_ENTRY_SIZE,
  }),
  // Opcode 0x0001 is not a Feature command: EINVAL at every scope.
  rejected: () => ({ input: encodeRawCxl(0x0001), errno: 'EINVAL' }),
};
