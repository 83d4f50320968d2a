import type { Codec } from './codec.js';
import { bnxtCodec } from './bnxt.js';
import { cxlCodec } from './cxl.js';
import { mlx5Codec } from './mlx5.js';
import { pdsCodec } from './pds.js';

export type { Allocator, Codec, ContextField, DeviceStatus, Encoded, Range, ResponseLayout } from './codec.js';

const CODECS = new Map<string, Codec>([
  [cxlCodec.name, cxlCodec],
  [mlx5Codec.name, mlx5Codec],
  [pdsCodec.name, pdsCodec],
  [bnxtCodec.name, bnxtCodec],
]);

export function codecFor(name: string): Codec | undefined {
  return CODECS.get(name);
}

/** A codec a plugin provides (harness/plugins/, docs/plugins.md); a built-in name cannot be replaced. */
export function registerCodec(codec: Codec): void {
  const known = CODECS.get(codec.name);
  if (known && known !== codec) throw new Error(`codec '${codec.name}' is already defined`);
  CODECS.set(codec.name, codec);
}

export function codecNames(): string[] {
  return [...CODECS.keys()];
}
