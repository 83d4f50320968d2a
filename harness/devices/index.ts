import { cxl } from './cxl.js';
import type { DeviceKnowledge } from './device.js';

export type { DeviceKnowledge } from './device.js';

const BY_TYPE = new Map<number, DeviceKnowledge>([[cxl.deviceType, cxl]]);

export function deviceKnowledge(deviceType: number): DeviceKnowledge | undefined {
  return BY_TYPE.get(deviceType);
}
