/**
 * What a device shows to someone who only reads: every safe read-only probe
 * of its profile and, where the codec knows how to list the device's state,
 * all of it (CXL: the supported-feature list and every readable feature).
 * The `dev:` target's deviceState digest and `fwctl-cts snapshot` are built
 * from these observations. Only CONFIGURATION and DEBUG_READ_ONLY requests are
 * sent: they never taint (digest §4, R-3) and change nothing.
 */
import { createHash } from 'node:crypto';
import { codecFor, type Codec } from '../codecs/index.js';
import { scopeValue, type Command, type Profile } from '../profiles/profile.js';
import { CXL_FEAT_ENTRY_SIZE, CXL_OUT_PAYLOAD, CxlFeatFlag, decodeFeatEntry, encodeGetFeature, encodeGetSupportedFeatures } from '../../uapi/cxl.js';
import { FWCTL_INFO, FWCTL_RPC, INFO_SIZE, RPC_SIZE, decodeInfo, decodeRpc, encodeInfo, encodeRpc } from '../../uapi/fwctl.js';
import type { TargetProcess, UserBuffer } from './target.js';

/** One request's outcome as seen from user space. */
export interface Observation {
  name: string;
  scope: number;
  ret: number;
  errno?: string;
  /** The device's own verdict (codec), when the ioctl succeeded. */
  ok?: boolean;
  status?: string;
  /** The response bytes whose layout is ABI (codec payload()), when the ioctl succeeded. */
  payload?: Buffer;
}

/** [offset, length] ranges of a payload that legitimately differ between calls. */
export type Ranges = readonly (readonly [number, number])[];

/** Which bytes of an observation vary on their own (counters, sequence numbers): left out of a digest. */
export type VaryingBytes = (o: Observation) => Ranges;

/** The commands a read-only observer may send: safe probes, read effects, scopes that never taint. */
export function readOnlyProbes(profile: Profile): Command[] {
  return profile.commands.filter((c) => c.safeProbe && (c.effects === 'read-only' || c.effects === 'debug-read') && scopeValue(c.minScope) <= 1);
}

/**
 * Buffers for one request, given back together. A digest runs before and
 * after every robustness probe, so buffers are kept per process and size and
 * handed out again zeroed (an mmap and munmap per buffer cost more than the
 * RPC under emulation); the process's own teardown frees them.
 */
class Scratch {
  private static readonly kept = new WeakMap<TargetProcess, Map<number, UserBuffer[]>>();
  private readonly lent: UserBuffer[] = [];
  constructor(private readonly proc: TargetProcess) {}
  alloc(sizeOrInit: number | Uint8Array): UserBuffer {
    const size = typeof sizeOrInit === 'number' ? sizeOrInit : sizeOrInit.length;
    let spare = Scratch.kept.get(this.proc);
    if (!spare) Scratch.kept.set(this.proc, (spare = new Map()));
    const b = spare.get(size)?.pop() ?? this.proc.alloc(size);
    b.bytes.fill(0);
    if (typeof sizeOrInit !== 'number') Buffer.from(sizeOrInit).copy(b.bytes);
    this.lent.push(b);
    return b;
  }
  free(): void {
    const spare = Scratch.kept.get(this.proc)!;
    for (const b of this.lent.splice(0)) spare.set(b.bytes.length, [...(spare.get(b.bytes.length) ?? []), b]);
  }
}

/** Send one encoded request on `fd` at `scope` and read back what came out. */
async function rpc(proc: TargetProcess, fd: number, codec: Codec, name: string, scope: number, encode: (mem: Scratch) => { input: Buffer; outLen: number; response?: UserBuffer }): Promise<Observation> {
  const mem = new Scratch(proc);
  try {
    const enc = encode(mem);
    const inBuf = mem.alloc(enc.input);
    const out = mem.alloc(Math.max(enc.outLen, 1));
    const arg = mem.alloc(encodeRpc({ size: RPC_SIZE, scope, in_len: enc.input.length, out_len: enc.outLen, in: inBuf.addr, out: out.addr }));
    const res = await proc.ioctl(fd, FWCTL_RPC, arg.addr);
    if (res.ret !== 0) return { name, scope, ret: res.ret, errno: res.errno };
    const after = decodeRpc(arg.bytes);
    const response = Buffer.from(enc.response ? enc.response.bytes : out.bytes.subarray(0, Math.min(after.out_len, out.bytes.length)));
    const status = codec.status(Buffer.from(out.bytes));
    return { name, scope, ret: 0, ok: status.ok, status: status.status, payload: Buffer.from(codec.payload(response)) };
  } finally {
    mem.free();
  }
}

/** A profile command, as the suites send it (harness/codecs). */
export function sendCommand(proc: TargetProcess, fd: number, codec: Codec, c: Command, scope = scopeValue(c.minScope)): Promise<Observation> {
  return rpc(proc, fd, codec, c.name, scope, (mem) => codec.encode(c.request, c.outLen, mem));
}

/** FWCTL_INFO with room for 256 bytes of device data (I-1..I-4): the type, and the data the driver wrote. */
export async function observeInfo(proc: TargetProcess, fd: number): Promise<{ ret: number; errno?: string; deviceType?: number; data?: Buffer }> {
  const mem = new Scratch(proc);
  try {
    const data = mem.alloc(256);
    const arg = mem.alloc(encodeInfo({ size: INFO_SIZE, device_data_len: 256, out_device_data: data.addr }));
    const res = await proc.ioctl(fd, FWCTL_INFO, arg.addr);
    if (res.ret !== 0) return { ret: res.ret, errno: res.errno };
    const info = decodeInfo(arg.bytes);
    return { ret: 0, deviceType: info.out_device_type, data: Buffer.from(data.bytes.subarray(0, Math.min(info.device_data_len, 256))) };
  } finally {
    mem.free();
  }
}

/**
 * The device's whole readable state, for device types whose commands can list
 * it. CXL (CXL 3.x §8.2.9.6; drivers/cxl/core/features.c): Get Supported
 * Features from entry 0 (the kernel's cached list, kernel-exclusive entries
 * included with set_size 0), then Get Feature of every entry with a non-zero
 * get_size, current value and, where the entry says it has one, the saved one.
 */
const ENUMERATORS: Record<string, (send: (name: string, input: Buffer, outLen: number) => Promise<Observation>) => Promise<Observation[]>> = {
  async cxl(send) {
    // Room for 16 entries first (cxl_test lists one); the answer says how many there are in all (supported_feats).
    const ask = (n: number) => send('features', encodeGetSupportedFeatures(n * CXL_FEAT_ENTRY_SIZE), CXL_OUT_PAYLOAD + 8 + n * CXL_FEAT_ENTRY_SIZE);
    let list = await ask(16);
    if (list.ret !== 0 || !list.ok || !list.payload || list.payload.length < 4) return [list];
    const total = list.payload.readUInt16LE(2);
    if (total > 16) list = await ask(total);
    const out = [list];
    const entries = list.payload && list.ok ? list.payload.subarray(8) : Buffer.alloc(0);
    for (let at = 0; at + CXL_FEAT_ENTRY_SIZE <= entries.length; at += CXL_FEAT_ENTRY_SIZE) {
      const e = decodeFeatEntry(entries.subarray(at, at + CXL_FEAT_ENTRY_SIZE));
      if (!e.getFeatSize) continue;
      const selections = e.flags & CxlFeatFlag.SAVED_SEL ? [0, 2] : [0];
      for (const selection of selections) {
        out.push(await send(`feature ${e.uuid} selection ${selection}`, encodeGetFeature({ uuid: e.uuid, count: e.getFeatSize, selection }), CXL_OUT_PAYLOAD + 8 + e.getFeatSize));
      }
    }
    return out;
  },
};

/**
 * What reading shows, on one descriptor: the codec's listing of the device's
 * whole state where it has one (it covers what the profile's probes read: CXL's
 * are a Get Supported Features and a Get Feature), else every safe read-only
 * probe of the profile.
 */
export async function observeState(proc: TargetProcess, profile: Profile): Promise<Observation[]> {
  const codec = codecFor(profile.codec);
  if (!codec) throw new Error(`profile ${profile.id}: no codec '${profile.codec}'`);
  const list = ENUMERATORS[profile.codec];
  // A digest of nothing would never change: no observer rather than a blind one.
  if (!list && !readOnlyProbes(profile).length) throw new Error(`profile ${profile.id}: no safe read-only probe to observe the device with`);
  const fd = await proc.open();
  try {
    if (list) return await list((name, input, outLen) => rpc(proc, fd, codec, name, 0, () => ({ input, outLen })));
    const seen: Observation[] = [];
    for (const c of readOnlyProbes(profile)) seen.push(await sendCommand(proc, fd, codec, c));
    return seen;
  } finally {
    await proc.close(fd);
  }
}

/** The profile's `volatile` ranges of a command (ids, counters); enumerated state has none. */
export function profileVarying(profile: Profile): VaryingBytes {
  const byName = new Map(profile.commands.map((c) => [c.name, c.volatile ?? []]));
  return (o) => byName.get(o.name) ?? [];
}

/** A digest of observations: each one's name, errno, status and payload with its varying bytes blanked. */
export function digest(seen: readonly Observation[], varying: VaryingBytes): string {
  const h = createHash('sha256');
  for (const o of seen) {
    const p = Buffer.from(o.payload ?? []);
    for (const [off, len] of varying(o)) p.fill(0, off, off + len);
    h.update(`${o.name}\0${o.ret}\0${o.errno ?? ''}\0${o.status ?? ''}\0${p.toString('hex')}\n`);
  }
  return h.digest('hex');
}

