/**
 * Comparing responses without assuming one model's layout: the codec and the
 * profile say which bytes vary between calls, which are values rather than
 * layout, and where a response may grow (harness/codecs/codec.ts).
 */
import type { Range } from '../../harness/codecs/index.js';
import type { Command } from '../../harness/profiles/profile.js';
import type { Device } from './device.js';

/** A copy of `buf` with `ranges` zeroed. */
export function blank(buf: Uint8Array, ranges: readonly Range[]): Buffer {
  const b = Buffer.from(buf);
  for (const [off, len] of ranges) if (off < b.length) b.fill(0, off, Math.min(b.length, off + len));
  return b;
}

/** The payload, with what legitimately differs between two identical calls blanked. */
export function steadyPayload(dev: Device, c: Command, response: Buffer): Buffer {
  return blank(dev.codec.payload(response), c.volatile ?? []);
}

/**
 * The fwctl_rpc.out bytes with what differs between identical calls blanked:
 * the codec's per-device ranges and the command's, mapped onto the raw buffer
 * when the payload lives there.
 */
export function steadyOut(dev: Device, c: Command, out: Uint8Array): Buffer {
  const at = dev.codec.payloadOffset;
  const own = at === undefined ? [] : (c.volatile ?? []).map(([off, len]) => [off + at, len] as const);
  return blank(out, [...(dev.codec.volatileOut ?? []), ...own]);
}

/** The payload as ABI: volatile bytes and values (codec's and profile's) blanked. */
export function layoutPayload(dev: Device, c: Command, response: Buffer): Buffer {
  return layoutOf(dev, c, dev.codec.payload(response));
}

/** A payload (a recorded one: an ABI baseline's) as ABI, as layoutPayload. */
export function layoutOf(dev: Device, c: Command, payload: Buffer): Buffer {
  const fromCodec = dev.codec.values?.(c.request) ?? [];
  const fromProfile = c.values ?? [];
  if (fromCodec === 'all' || fromProfile === 'all') return Buffer.alloc(payload.length);
  return blank(payload, [...(c.volatile ?? []), ...fromCodec, ...(fromProfile as Range[])]);
}

const within = (ranges: readonly Range[], i: number) => ranges.some(([off, len]) => i >= off && i < off + len);

/**
 * Describe how `next` differs from `prev` other than by growing, or undefined.
 * Growing is appending past the end, filling a declared reserved range, and —
 * where the device carves new fields out of reserved space anywhere
 * (growth 'reserved') — a byte that was zero becoming non-zero.
 */
export function growthProblem(prev: Buffer, next: Buffer, how: { growth?: 'append' | 'reserved'; reserved?: readonly Range[] } = {}): string | undefined {
  if (next.length < prev.length) return `response shrank from ${prev.length} to ${next.length} bytes`;
  for (let i = 0; i < prev.length; i++) {
    if (next[i] === prev[i]) continue;
    if (within(how.reserved ?? [], i) || (how.growth === 'reserved' && prev[i] === 0)) continue;
    return `byte ${i} changed (0x${prev[i]!.toString(16)} → 0x${next[i]!.toString(16)}): a field moved or changed meaning`;
  }
  return undefined;
}
