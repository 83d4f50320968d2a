import type { Codec } from './codec.js';
import { cxlCodec } from './cxl.js';

export type { Allocator, Codec, DeviceStatus, Encoded } from './codec.js';

const CODECS = new Map<string, Codec>([[cxlCodec.name, cxlCodec]]);

export function codecFor(name: string): Codec | undefined {
  return CODECS.get(name);
}
