/**
 * The differential check's probes: one ioctl (or a short sequence) each, run
 * the same way against any Target, each producing a transcript line that two
 * targets can be compared on byte for byte (issue #5, item 3).
 *
 * They cover every D/I/R/O rule that cxl_test can exercise (digest §2, §6)
 * and every CXL command — Get Supported Features, Get Feature and Set Feature
 * of the cxl_test vendor feature, an unknown opcode — at every scope, at the
 * length edges: exact, one byte longer, op_size ±1, the out_len edges. Short
 * requests (in_len below 16 + op_size, Get Feature without payload room, Set
 * Feature with out_len below the out header) are kernel hazards before 7.3
 * (digest §3.3): they are `hazard` probes, sent only when both targets allow
 * hazards (a throw-away VM or a simulator).
 *
 * Order matters on a real kernel, whose taint is sticky: probes run in phase
 * order — `clean` (scopes 0, 1 and no RPC), `pre-taint` (scope ≥ 2 requests
 * that must not taint: oversized, no CAP_SYS_RAWIO, unknown scope),
 * `first-taint` (the first mutating request, one the driver rejects: R-3),
 * `tainted` (every other scope 2/3 request), `hotplug` (unbinding).
 */
import {
  CXL_GET_FEAT_IN_SIZE,
  CXL_GET_SUP_FEATS_IN_SIZE,
  CXL_RPC_HEADER,
  CXL_SET_FEAT_HEADER,
  CxlOpcode,
  CxlSetFlag,
  encodeGetFeature,
  encodeGetSupportedFeatures,
  encodeRawCxl,
  encodeSetFeature,
  type GetFeatureIn,
  type SetFeatureIn,
} from '../../uapi/cxl.js';
import {
  FWCTL_INFO,
  FWCTL_RPC,
  INFO_SIZE,
  IOC_READ,
  IOC_WRITE,
  MAX_RPC_LEN,
  RPC_SIZE,
  TAINT_FWCTL_MASK,
  decodeInfo,
  decodeRpc,
  encodeInfo,
  encodeRpc,
  ioc,
  type FwctlInfo,
  type FwctlRpc,
} from '../../uapi/fwctl.js';
import { SyscallError, UNMAPPED_ADDRESS, type PartName, type Target, type TargetProcess, type UserBuffer } from '../targets/target.js';

export type ProbePhase = 'clean' | 'pre-taint' | 'first-taint' | 'tainted' | 'hotplug';
export const PHASES: readonly ProbePhase[] = ['clean', 'pre-taint', 'first-taint', 'tainted', 'hotplug'];

/** One call of a probe, as it is compared. Pointer fields are left out: addresses differ between targets. */
export interface Step {
  call: string;
  ret: number;
  errno?: string;
  /** fwctl_rpc.out_len (or fwctl_info.device_data_len) after the call. */
  out_len?: number;
  /** What came back in the response (or device-data) buffer, hex, from its first byte. */
  bytes?: string;
  /** The struct after the call: its non-pointer fields and any bytes past the kernel's struct. */
  struct?: string;
}

/** A transcript line: the probe's last step on top, every step below, and the taint around it. */
export interface Transcript {
  probe: string;
  ret: number;
  errno?: string;
  out_len?: number;
  bytes?: string;
  steps: Step[];
  /** TAINT_FWCTL (bit 19) before and after the probe; absent when the target cannot tell. */
  taintBefore?: boolean;
  taintAfter?: boolean;
  /** Why the probe did not run (then nothing else is set). */
  skipped?: string;
  /** The probe threw (a harness problem, or the calling process was killed). */
  error?: string;
}

export interface Probe {
  name: string;
  /** The digest rules (D-/I-/R-/O-) and the CXL command the probe exercises. */
  covers: string[];
  phase: ProbePhase;
  /** A request the digest flags as able to crash a kernel before 7.3 (short CXL requests). */
  hazard?: boolean;
  /** Target parts the probe needs; without them on both targets it is skipped on both. */
  requires?: PartName[];
  run(p: ProbeContext): Promise<Step[]>;
}

/** The cxl_test vendor test feature (digest §6). */
export const TEST_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
/** Patrol scrub: kernel-exclusive (include/cxl/features.h); not in cxl_test's feature list. */
const PATROL_SCRUB_UUID = '96dad7d6-fde8-482b-a733-75774e06db8a';
const UNKNOWN_UUID = '0123abcd-0000-4000-8000-00000000beef';

/** Bytes of a response kept in a transcript (the rest only matters through out_len). */
const BYTES_KEPT = 256;
/** Response buffers are pre-filled with this, so bytes the kernel did not write show. */
const FILL = 0xcc;

const hex = (b: Uint8Array, n = BYTES_KEPT) => Buffer.from(b.subarray(0, Math.min(n, b.length))).toString('hex');

// ---- the probe context --------------------------------------------------------

/** Processes shared by all probes of one run (a second process is expensive on a real kernel). */
export interface SharedProcesses {
  noRawio?: Promise<TargetProcess & { dispose(): Promise<void> }>;
}

/** What a probe runs with: buffers and descriptors it gets are released after it. */
export class ProbeContext {
  private readonly buffers: { proc: TargetProcess; buf: UserBuffer }[] = [];
  private readonly fds: { proc: TargetProcess; fd: number }[] = [];

  constructor(
    readonly target: Target,
    private readonly shared: SharedProcesses,
  ) {}

  alloc(sizeOrInit: number | Uint8Array, proc: TargetProcess = this.target): UserBuffer {
    const buf = proc.alloc(sizeOrInit);
    this.buffers.push({ proc, buf });
    return buf;
  }

  async open(proc: TargetProcess = this.target): Promise<number> {
    const fd = await proc.open();
    this.fds.push({ proc, fd });
    return fd;
  }

  /** open(2) as a step: an error is recorded, not thrown. */
  async openStep(call = 'open', proc: TargetProcess = this.target): Promise<{ step: Step; fd?: number }> {
    try {
      const fd = await this.open(proc);
      return { step: { call, ret: 0 }, fd };
    } catch (e) {
      if (e instanceof SyscallError) return { step: { call, ret: -1, errno: e.errno } };
      throw e;
    }
  }

  async close(fd: number, call = 'close', proc: TargetProcess = this.target): Promise<Step> {
    const i = this.fds.findIndex((f) => f.fd === fd && f.proc === proc);
    if (i >= 0) this.fds.splice(i, 1);
    const r = await proc.close(fd);
    return { call, ret: r.ret, ...(r.errno && { errno: r.errno }) };
  }

  /** The process without CAP_SYS_RAWIO, made once per run. */
  noRawio(): Promise<TargetProcess> {
    const cred = this.target.parts.credentials;
    if (!cred) throw new Error('the target has no credentials part');
    this.shared.noRawio ??= cred.withoutRawio();
    return this.shared.noRawio;
  }

  /** An ioctl with any command on a raw argument; the struct bytes after the call are kept. */
  async rawIoctl(call: string, fd: number, request: number, arg: UserBuffer | bigint, proc: TargetProcess = this.target): Promise<Step> {
    const addr = typeof arg === 'bigint' ? arg : arg.addr;
    const r = await proc.ioctl(fd, request, addr);
    return { call, ret: r.ret, ...(r.errno && { errno: r.errno }), ...(typeof arg !== 'bigint' && { struct: hex(arg.bytes, 64) }) };
  }

  /**
   * FWCTL_RPC with a mapped request (`input`, or an unmapped `in`) and a
   * response buffer of `outBuffer` bytes (default max(out_len, 64)) filled with 0xcc.
   */
  async rpc(
    call: string,
    fd: number,
    o: {
      scope: number;
      input?: Buffer;
      inLen?: number;
      outLen: number;
      outBuffer?: number;
      in?: bigint;
      out?: bigint;
      size?: number;
      structBuffer?: number;
      tail?: Uint8Array;
      outLenField?: number;
      proc?: TargetProcess;
    },
  ): Promise<Step> {
    const proc = o.proc ?? this.target;
    const inBuf = o.input ? this.alloc(o.input, proc) : undefined;
    const outSize = o.outBuffer ?? Math.max(o.outLen, 64);
    const outBuf = o.out === undefined ? this.alloc(outSize, proc) : undefined;
    outBuf?.bytes.fill(FILL);
    const fields: Partial<FwctlRpc> = {
      size: o.size ?? RPC_SIZE,
      scope: o.scope,
      in_len: o.inLen ?? o.input?.length ?? 0,
      out_len: o.outLenField ?? o.outLen,
      in: o.in ?? inBuf?.addr ?? 0n,
      out: o.out ?? outBuf!.addr,
    };
    const st = this.alloc(encodeRpc(fields, o.structBuffer, o.tail), proc);
    const r = await proc.ioctl(fd, FWCTL_RPC, st.addr);
    const after = decodeRpc(st.bytes);
    return {
      call,
      ret: r.ret,
      ...(r.errno && { errno: r.errno }),
      out_len: after.out_len,
      ...(outBuf && { bytes: hex(outBuf.bytes) }),
      struct: `size=${after.size} scope=${after.scope} in_len=${after.in_len} out_len=${after.out_len}${structTail(st.bytes, RPC_SIZE)}`,
    };
  }

  /** FWCTL_INFO with a device-data buffer of `data` bytes filled with 0xee (or an explicit pointer). */
  async info(
    call: string,
    fd: number,
    o: { fields?: Partial<FwctlInfo>; data?: number; dataPtr?: bigint; structBuffer?: number; tail?: Uint8Array; proc?: TargetProcess } = {},
  ): Promise<Step> {
    const proc = o.proc ?? this.target;
    const data = o.data ? this.alloc(Buffer.alloc(o.data, 0xee), proc) : undefined;
    const fields: Partial<FwctlInfo> = { device_data_len: o.data ?? 0, out_device_data: o.dataPtr ?? data?.addr ?? 0n, ...o.fields };
    const st = this.alloc(encodeInfo(fields, o.structBuffer, o.tail), proc);
    const r = await proc.ioctl(fd, FWCTL_INFO, st.addr);
    const after = decodeInfo(st.bytes);
    return {
      call,
      ret: r.ret,
      ...(r.errno && { errno: r.errno }),
      out_len: after.device_data_len,
      ...(data && { bytes: hex(data.bytes) }),
      struct: `size=${after.size} flags=${after.flags} out_device_type=${after.out_device_type} device_data_len=${after.device_data_len}${structTail(st.bytes, INFO_SIZE)}`,
    };
  }

  /** Close every descriptor and free every buffer the probe left. */
  async release(): Promise<void> {
    for (const { proc, fd } of this.fds.splice(0).reverse()) await proc.close(fd).catch(() => undefined);
    for (const { proc, buf } of this.buffers.splice(0)) proc.free(buf);
  }
}

/** `len` zero bytes but the last, which is 1. */
function lastByteSet(len: number): Buffer {
  const b = Buffer.alloc(len);
  b[len - 1] = 1;
  return b;
}

/** Bytes of the struct buffer past the kernel's struct, if any. */
function structTail(bytes: Buffer, ksize: number): string {
  return bytes.length > ksize ? ` tail=${hex(bytes.subarray(ksize), 64)}` : '';
}

// ---- CXL requests ---------------------------------------------------------------

/** A CXL request cut or padded to `len` bytes (in_len edges). */
function sized(b: Buffer, len: number): Buffer {
  if (len <= b.length) return b.subarray(0, len);
  const out = Buffer.alloc(len);
  b.copy(out);
  return out;
}

const gsf = (count = 48, start = 0, opSize = CXL_GET_SUP_FEATS_IN_SIZE) => encodeGetSupportedFeatures(count, start, opSize);
const gf = (v: Partial<GetFeatureIn> = {}) => encodeGetFeature({ uuid: TEST_UUID, count: 4, ...v });
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const sf = (v: Partial<SetFeatureIn> = {}) => encodeSetFeature({ uuid: TEST_UUID, data: le32(0xdeadbeef), version: 1, ...v });

/** The exact request lengths: the header plus op_size. */
const EXACT = {
  gsf: CXL_RPC_HEADER + CXL_GET_SUP_FEATS_IN_SIZE, // 24
  gf: CXL_RPC_HEADER + CXL_GET_FEAT_IN_SIZE, // 37
  sf: CXL_RPC_HEADER + CXL_SET_FEAT_HEADER + 4, // 52
};

interface CxlCommand {
  id: string;
  input: () => Buffer;
  /** header + op_size. */
  exact: number;
  /** The out_len a caller that knows the answer's size passes. */
  outLen: number;
}

const COMMANDS: CxlCommand[] = [
  { id: 'GET_SUPPORTED_FEATURES', input: () => sized(gsf(), EXACT.gsf), exact: EXACT.gsf, outLen: 72 },
  { id: 'GET_FEATURE', input: () => sized(gf(), EXACT.gf), exact: EXACT.gf, outLen: 20 },
  { id: 'SET_FEATURE', input: () => sf(), exact: EXACT.sf, outLen: 16 },
  { id: 'opcode 0x0001', input: () => encodeRawCxl(0x0001, 8), exact: 24, outLen: 64 },
];

// ---- building probes -------------------------------------------------------------

/** A probe that opens one descriptor and makes one FWCTL_RPC with a CXL request. */
function cxlProbe(
  name: string,
  covers: string[],
  phase: ProbePhase,
  scope: number,
  input: () => Buffer,
  o: { inLen?: number; outLen: number; outBuffer?: number; hazard?: boolean },
): Probe {
  return {
    name,
    covers,
    phase,
    ...(o.hazard && { hazard: true }),
    run: async (p) => {
      const fd = await p.open();
      return [await p.rpc('FWCTL_RPC', fd, { scope, input: input(), inLen: o.inLen, outLen: o.outLen, outBuffer: o.outBuffer })];
    },
  };
}

/** A probe of one FWCTL_INFO. */
function infoProbe(name: string, covers: string[], o: Parameters<ProbeContext['info']>[2]): Probe {
  return {
    name,
    covers,
    phase: 'clean',
    run: async (p) => {
      const fd = await p.open();
      return [await p.info('FWCTL_INFO', fd, o)];
    },
  };
}

/** A probe of one ioctl with an arbitrary command on a size-valid struct. */
function cmdProbe(name: string, covers: string[], request: number, struct: Buffer | 'unmapped'): Probe {
  return {
    name,
    covers,
    phase: 'clean',
    run: async (p) => {
      const fd = await p.open();
      const arg = struct === 'unmapped' ? UNMAPPED_ADDRESS : p.alloc(struct);
      return [await p.rawIoctl(`ioctl(0x${request.toString(16)})`, fd, request, arg)];
    },
  };
}

const SCOPE_NAMES = ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL'];

/** Every probe, in run order. Names are stable: disagreements are reported by them. */
export function buildProbes(): Probe[] {
  const probes: Probe[] = [];
  const add = (...p: Probe[]) => probes.push(...p);
  const gsfExact = () => sized(gsf(), EXACT.gsf);

  // ---- dispatch (D-1..D-5, D-8) ----
  const infoStruct = () => encodeInfo({ size: INFO_SIZE });
  const rpcStruct = () => encodeRpc({ size: RPC_SIZE });
  for (const nr of [2, 3, 0xff]) add(cmdProbe(`D-1 ioctl nr ${nr}`, ['D-1'], ioc(0, 0x9a, nr, 0), rpcStruct()));
  add(
    cmdProbe('D-2 type 0x9B nr 0', ['D-2'], ioc(0, 0x9b, 0, 0), infoStruct()),
    cmdProbe('D-2 type 0x9B nr 1', ['D-2'], ioc(0, 0x9b, 1, 0), rpcStruct()),
    cmdProbe('D-2 _IOWR(0x9A, 0, 24)', ['D-2'], ioc(IOC_READ | IOC_WRITE, 0x9a, 0, INFO_SIZE), infoStruct()),
    cmdProbe('D-2 _IOW(0x9A, 0, 24)', ['D-2'], ioc(IOC_WRITE, 0x9a, 0, INFO_SIZE), infoStruct()),
    cmdProbe('D-2 _IOR(0x9A, 1, 32)', ['D-2'], ioc(IOC_READ, 0x9a, 1, RPC_SIZE), rpcStruct()),
    cmdProbe('D-3 FWCTL_INFO unmapped argument', ['D-3'], FWCTL_INFO, 'unmapped'),
    cmdProbe('D-3 FWCTL_RPC unmapped argument', ['D-3'], FWCTL_RPC, 'unmapped'),
  );
  for (const size of [0, 4, 16, INFO_SIZE - 1]) add(infoProbe(`D-4 FWCTL_INFO size ${size}`, ['D-4'], { fields: { size }, structBuffer: INFO_SIZE }));
  for (const size of [0, 24, RPC_SIZE - 1]) {
    add({
      name: `D-4 FWCTL_RPC size ${size}`,
      covers: ['D-4'],
      phase: 'clean',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, input: gsfExact(), outLen: 72, size, structBuffer: RPC_SIZE })],
    });
  }
  add(
    infoProbe('D-5 FWCTL_INFO size 32, zero tail', ['D-5', 'I-6'], { fields: { size: 32 } }),
    infoProbe('D-5 FWCTL_INFO size 4096, zero tail', ['D-5', 'I-6'], { fields: { size: 4096 } }),
    infoProbe('D-5 FWCTL_INFO size 32, byte 24 non-zero', ['D-5', 'I-7'], { fields: { size: 32 }, tail: Buffer.from([0xff]) }),
    infoProbe('D-5 FWCTL_INFO size 32, byte 31 non-zero', ['D-5', 'I-7'], { fields: { size: 32 }, tail: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0xff]) }),
    infoProbe('D-5 FWCTL_INFO size 8192, last byte non-zero', ['D-5'], { fields: { size: 8192 }, tail: lastByteSet(8192 - INFO_SIZE) }),
  );
  for (const [what, size, tail] of [
    ['size 64, zero tail', 64, undefined],
    ['size 40, byte 32 non-zero', 40, Buffer.from([1])],
    ['size 40, byte 39 non-zero', 40, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80])],
  ] as const) {
    add({
      name: `D-5 FWCTL_RPC ${what}`,
      covers: ['D-5', 'R-7', 'R-8'],
      phase: 'clean',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, input: gsfExact(), outLen: 72, size, tail })],
    });
  }
  add({
    name: 'D-8 read, write and mmap',
    covers: ['D-8'],
    phase: 'clean',
    requires: ['fileOps'],
    run: async (p) => {
      const fd = await p.open();
      const ops = p.target.parts.fileOps!;
      const steps: Step[] = [];
      for (const op of ['read', 'write', 'mmap'] as const) {
        const r = await ops.call(fd, op);
        steps.push({ call: op, ret: r.ret, ...(r.errno && { errno: r.errno }) });
      }
      return steps;
    },
  });

  // ---- FWCTL_INFO (I-1..I-7) ----
  add(
    infoProbe('I-1 flags 1', ['I-1', 'I-7'], { fields: { flags: 1, out_device_type: 0xaaaa }, data: 16 }),
    infoProbe('I-1 flags 0x80000000', ['I-1', 'I-7'], { fields: { flags: 0x80000000 } }),
    infoProbe('I-2 device data 16 bytes', ['I-2', 'I-5', 'I-6'], { data: 16 }),
    infoProbe('I-2 device data 4096 bytes', ['I-2'], { data: 4096 }),
    infoProbe('I-2 device data 16 bytes unmapped', ['I-2', 'I-7'], { fields: { device_data_len: 16, out_device_type: 0xaaaa }, dataPtr: UNMAPPED_ADDRESS }),
    infoProbe('I-4 device_data_len 0, unmapped pointer', ['I-4'], { dataPtr: UNMAPPED_ADDRESS }),
    infoProbe('I-5 out_device_type', ['I-5'], {}),
    infoProbe('I-6 size 24 with a sentinel after', ['I-6'], { structBuffer: 32, tail: Buffer.alloc(8, 0x5a) }),
  );

  // ---- FWCTL_RPC delivery (R-1, R-4..R-8) at CONFIGURATION ----
  add(
    cxlProbe('R-1 in_len 2 MiB + 1', ['R-1', 'R-8'], 'clean', 0, () => sized(gsf(), MAX_RPC_LEN + 1), { outLen: 72 }),
    cxlProbe('R-1 out_len 2 MiB + 1', ['R-1', 'R-8'], 'clean', 0, () => gsfExact(), { outLen: MAX_RPC_LEN + 1, outBuffer: 128 }),
    cxlProbe('R-1 in_len and out_len exactly 2 MiB', ['R-1', 'R-7', 'GET_SUPPORTED_FEATURES'], 'clean', 0, () => sized(gsf(), MAX_RPC_LEN), { outLen: MAX_RPC_LEN }),
    {
      name: 'R-4 unmapped request',
      covers: ['R-4', 'R-8'],
      phase: 'clean',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, in: UNMAPPED_ADDRESS, inLen: EXACT.gsf, outLen: 72, outLenField: 123 })],
    },
    {
      name: 'R-4 in_len 0, unmapped request',
      covers: ['R-4'],
      phase: 'clean',
      hazard: true,
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, in: UNMAPPED_ADDRESS, inLen: 0, outLen: 72 })],
    },
    {
      name: 'R-5 driver rejection keeps out_len',
      covers: ['R-5', 'R-8'],
      phase: 'clean',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, input: encodeRawCxl(0x0001, 8), outLen: 64, outLenField: 123 })],
    },
    {
      name: 'R-6 unmapped response',
      covers: ['R-6'],
      phase: 'clean',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 0, input: gsfExact(), outLen: 72, out: UNMAPPED_ADDRESS })],
    },
    {
      name: 'R-8 unknown scope 9 keeps out_len',
      covers: ['R-2', 'R-8'],
      phase: 'pre-taint',
      run: async (p) => [await p.rpc('FWCTL_RPC', await p.open(), { scope: 9, input: gsfExact(), outLen: 72, outLenField: 123 })],
    },
  );
  for (const len of [0, 8, 20, 71, 72, 4096]) {
    add(cxlProbe(`R-6/R-7 GET_SUPPORTED_FEATURES out_len ${len}`, ['R-6', 'R-7', 'GET_SUPPORTED_FEATURES'], 'clean', 0, gsfExact, { outLen: len, outBuffer: Math.max(len, 128) }));
  }

  // ---- open and descriptors (O-1, O-2) ----
  add(
    {
      name: 'O-1 open and FWCTL_INFO without CAP_SYS_RAWIO',
      covers: ['O-1'],
      phase: 'clean',
      requires: ['credentials'],
      run: async (p) => {
        const proc = await p.noRawio();
        const { step, fd } = await p.openStep('open without CAP_SYS_RAWIO', proc);
        return fd === undefined ? [step] : [step, await p.info('FWCTL_INFO', fd, { proc })];
      },
    },
    {
      name: 'O-2 two descriptors, one closed',
      covers: ['O-2', 'O-3'],
      phase: 'clean',
      run: async (p) => {
        const a = await p.open();
        const b = await p.open();
        const rpc = (fd: number, what: string) => p.rpc(what, fd, { scope: 0, input: gsfExact(), outLen: 72 });
        return [await rpc(a, 'RPC on A'), await rpc(b, 'RPC on B'), await p.close(a, 'close A'), await rpc(b, 'RPC on B after closing A'), await p.info('FWCTL_INFO on B', b)];
      },
    },
  );

  // ---- every CXL command at scopes 0 and 1 (2 and 3 come after the first taint) ----
  for (const scope of [0, 1]) {
    for (const c of COMMANDS) add(cxlProbe(`${c.id} at ${SCOPE_NAMES[scope]}`, ['R-2', 'R-5', c.id], 'clean', scope, c.input, { outLen: c.outLen }));
  }

  // ---- length edges at CONFIGURATION ----
  const readCommands = COMMANDS.filter((c) => c.id !== 'SET_FEATURE');
  for (const c of readCommands) {
    add(cxlProbe(`${c.id} in_len exact + 1`, ['R-4', c.id], 'clean', 0, () => sized(c.input(), c.exact + 1), { outLen: c.outLen }));
    add(cxlProbe(`${c.id} in_len 48 (whole struct)`, ['R-4', c.id], 'clean', 0, () => sized(c.input(), 48), { outLen: c.outLen }));
    for (const len of [c.exact - 1, CXL_RPC_HEADER, CXL_RPC_HEADER - 1, 4, 0]) {
      add(cxlProbe(`${c.id} in_len ${len}`, ['R-4', c.id], 'clean', 0, () => sized(c.input(), len), { outLen: c.outLen, hazard: true }));
    }
  }
  add(
    cxlProbe('GET_SUPPORTED_FEATURES op_size 7', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(48, 0, 7), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES op_size 9', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(48, 0, 9), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES count 0', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(0), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES count 47', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(47), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES count 96', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(96), { outLen: 4096 }),
    cxlProbe('GET_SUPPORTED_FEATURES start_idx 1', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(48, 1), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES start_idx 0xffff', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => gsf(48, 0xffff), { outLen: 72 }),
    cxlProbe('GET_SUPPORTED_FEATURES opcode 0x10500 (upper bits ignored)', ['GET_SUPPORTED_FEATURES'], 'clean', 0, () => {
      const b = gsf();
      b.writeUInt32LE(0x10500, 0);
      return b;
    }, { outLen: 72 }),
    cxlProbe('GET_FEATURE op_size 20', ['GET_FEATURE'], 'clean', 0, () => gf({ opSize: 20 }), { outLen: 20 }),
    cxlProbe('GET_FEATURE op_size 22', ['GET_FEATURE'], 'clean', 0, () => gf({ opSize: 22 }), { outLen: 20 }),
    cxlProbe('GET_FEATURE count 0', ['GET_FEATURE'], 'clean', 0, () => gf({ count: 0 }), { outLen: 20 }),
    cxlProbe('GET_FEATURE count 5 (past the feature)', ['GET_FEATURE'], 'clean', 0, () => gf({ count: 5 }), { outLen: 64 }),
    cxlProbe('GET_FEATURE offset 2 count 2', ['GET_FEATURE'], 'clean', 0, () => gf({ offset: 2, count: 2 }), { outLen: 64 }),
    cxlProbe('GET_FEATURE offset 4 count 1', ['GET_FEATURE'], 'clean', 0, () => gf({ offset: 4, count: 1 }), { outLen: 64 }),
    cxlProbe('GET_FEATURE offset 5 count 1', ['GET_FEATURE'], 'clean', 0, () => gf({ offset: 5, count: 1 }), { outLen: 64 }),
    cxlProbe('GET_FEATURE selection 3', ['GET_FEATURE'], 'clean', 0, () => gf({ selection: 3 }), { outLen: 20 }),
    cxlProbe('GET_FEATURE unknown UUID', ['GET_FEATURE'], 'clean', 0, () => gf({ uuid: UNKNOWN_UUID }), { outLen: 20 }),
    cxlProbe('GET_FEATURE opcode 0x10501 (upper bits ignored)', ['GET_FEATURE'], 'clean', 0, () => {
      const b = gf();
      b.writeUInt32LE(0x10501, 0);
      return b;
    }, { outLen: 20 }),
    // The out_len edges of Get Feature: payload room is 8 + count (4).
    cxlProbe('GET_FEATURE out_len 12 (exact payload room)', ['R-6', 'R-7', 'GET_FEATURE'], 'clean', 0, () => gf(), { outLen: 12 }),
    cxlProbe('GET_FEATURE out_len 4096', ['R-6', 'R-7', 'GET_FEATURE'], 'clean', 0, () => gf(), { outLen: 4096 }),
    cxlProbe('GET_FEATURE out_len 11 (no payload room)', ['GET_FEATURE'], 'clean', 0, () => gf(), { outLen: 11, hazard: true }),
    cxlProbe('GET_FEATURE out_len 8', ['GET_FEATURE'], 'clean', 0, () => gf(), { outLen: 8, hazard: true }),
    cxlProbe('GET_FEATURE out_len 0', ['GET_FEATURE'], 'clean', 0, () => gf(), { outLen: 0, hazard: true }),
  );
  for (const opcode of [0x0000, 0x0100, 0x0200, 0x0503, 0x4400, 0xffff]) {
    add(cxlProbe(`opcode 0x${opcode.toString(16).padStart(4, '0')}`, ['R-5', 'unknown opcode'], 'clean', 0, () => encodeRawCxl(opcode, 8), { outLen: 64 }));
  }

  // ---- scope >= 2 without taint (R-1 before EPERM, unknown scopes) ----
  add(
    cxlProbe('R-1 in_len 2 MiB + 1 at DEBUG_WRITE (no taint)', ['R-1', 'R-3'], 'pre-taint', 2, () => sized(gsf(), MAX_RPC_LEN + 1), { outLen: 72 }),
    cxlProbe('R-1 out_len 2 MiB + 1 at DEBUG_WRITE_FULL (no taint)', ['R-1', 'R-3'], 'pre-taint', 3, () => gsfExact(), { outLen: MAX_RPC_LEN + 1, outBuffer: 128 }),
    {
      name: 'R-2 DEBUG_WRITE_FULL without CAP_SYS_RAWIO (no taint)',
      covers: ['R-2', 'R-8'],
      phase: 'pre-taint',
      requires: ['credentials'],
      run: async (p) => {
        const proc = await p.noRawio();
        const fd = await p.open(proc);
        return [await p.rpc('FWCTL_RPC without CAP_SYS_RAWIO', fd, { scope: 3, input: gsfExact(), outLen: 72, proc })];
      },
    },
  );
  for (const scope of [4, 5, 0x7fffffff, 0xffffffff]) {
    add(cxlProbe(`R-2 scope 0x${scope.toString(16)}`, ['R-2', 'R-8'], 'pre-taint', scope, gsfExact, { outLen: 72 }));
  }

  // ---- the first mutating request: rejected by the driver, taints all the same (R-3) ----
  add(cxlProbe('R-3 rejected request at DEBUG_WRITE taints', ['R-3', 'R-5', 'unknown opcode'], 'first-taint', 2, () => encodeRawCxl(0x0001, 8), { outLen: 64 }));

  // ---- every CXL command at scopes 2 and 3 ----
  for (const scope of [2, 3]) {
    for (const c of COMMANDS) add(cxlProbe(`${c.id} at ${SCOPE_NAMES[scope]}`, ['R-2', 'R-3', c.id], 'tainted', scope, c.input, { outLen: c.outLen }));
  }

  // ---- Set Feature: values, edges and the mock's handling (DEBUG_WRITE) ----
  const read = (p: ProbeContext, fd: number, what: string, selection = 0) => p.rpc(what, fd, { scope: 0, input: sized(gf({ selection }), EXACT.gf), outLen: 20 });
  /** Set, read back (current, default, saved), then put 0xdeadbeef back. */
  const setAndRead = (name: string, covers: string[], set: () => Buffer, o: { outLen?: number; hazard?: boolean } = {}): Probe => ({
    name,
    covers: ['SET_FEATURE', 'GET_FEATURE', ...covers],
    phase: 'tainted',
    ...(o.hazard && { hazard: true }),
    run: async (p) => {
      const fd = await p.open();
      const steps = [await p.rpc('Set Feature', fd, { scope: 2, input: set(), outLen: o.outLen ?? 16 })];
      steps.push(await read(p, fd, 'Get Feature (current)'), await read(p, fd, 'Get Feature (default)', 1), await read(p, fd, 'Get Feature (saved)', 2));
      steps.push(await p.rpc('restore 0xdeadbeef', fd, { scope: 2, input: sf(), outLen: 16 }));
      return steps;
    },
  });
  add(
    setAndRead('SET_FEATURE 0xabcdabcd and read back', [], () => sf({ data: le32(0xabcdabcd) })),
    setAndRead('SET_FEATURE 1 byte of data', [], () => sf({ data: Buffer.from([0x11]) })),
    setAndRead('SET_FEATURE 5 bytes of data', [], () => sf({ data: Buffer.from([0x21, 0x22, 0x23, 0x24, 0x25]) })),
    setAndRead('SET_FEATURE offset 1', [], () => sf({ offset: 1, data: le32(0x12345678) })),
    setAndRead('SET_FEATURE transfer mode INITIATE (replaced by the kernel)', [], () => sf({ flags: CxlSetFlag.INITIATE, data: le32(0x0badf00d) })),
    setAndRead('SET_FEATURE version 0', [], () => sf({ version: 0, data: le32(0x01020304) })),
    setAndRead('SET_FEATURE out_len 4096', ['R-7'], () => sf({ data: le32(0x0a0b0c0d) }), { outLen: 4096 }),
    setAndRead('SET_FEATURE in_len exact + 1', ['R-4'], () => sized(sf({ data: le32(0x31323334) }), EXACT.sf + 1)),
    setAndRead('SET_FEATURE out_len 15', [], () => sf({ data: le32(0x41424344) }), { outLen: 15, hazard: true }),
    setAndRead('SET_FEATURE out_len 8', [], () => sf({ data: le32(0x51525354) }), { outLen: 8, hazard: true }),
    setAndRead('SET_FEATURE out_len 0', [], () => sf({ data: le32(0x61626364) }), { outLen: 0, hazard: true }),
    cxlProbe('SET_FEATURE op_size 32 (no data)', ['SET_FEATURE'], 'tainted', 2, () => sf({ opSize: 32 }), { outLen: 16 }),
    cxlProbe('SET_FEATURE op_size 16 (UUID only)', ['SET_FEATURE'], 'tainted', 2, () => sf({ opSize: 16 }), { outLen: 16 }),
    cxlProbe('SET_FEATURE op_size 15', ['SET_FEATURE'], 'tainted', 2, () => sf({ opSize: 15 }), { outLen: 16 }),
    cxlProbe('SET_FEATURE unknown UUID', ['SET_FEATURE'], 'tainted', 2, () => sf({ uuid: UNKNOWN_UUID }), { outLen: 16 }),
    cxlProbe('SET_FEATURE patrol scrub (kernel-exclusive)', ['SET_FEATURE'], 'tainted', 3, () => sf({ uuid: PATROL_SCRUB_UUID, data: le32(1) }), { outLen: 16 }),
    cxlProbe('SET_FEATURE in_len 51 (one byte short)', ['R-4', 'SET_FEATURE'], 'tainted', 2, () => sized(sf(), EXACT.sf - 1), { outLen: 16, hazard: true }),
    cxlProbe('SET_FEATURE in_len 16', ['R-4', 'SET_FEATURE'], 'tainted', 2, () => sized(sf(), 16), { outLen: 16, hazard: true }),
    cxlProbe('SET_FEATURE in_len 0', ['R-4', 'SET_FEATURE'], 'tainted', 2, () => sized(sf(), 0), { outLen: 16, hazard: true }),
  );
  add(cxlProbe(`opcode 0x${CxlOpcode.SET_FEATURE.toString(16)} with in_len 0 at DEBUG_WRITE_FULL`, ['R-4'], 'tainted', 3, () => Buffer.alloc(0), { outLen: 16, hazard: true }));

  // ---- unregister with descriptors open (D-6, O-4, O-5) ----
  add(
    {
      name: 'O-4 unregister with two descriptors open',
      covers: ['D-6', 'O-4'],
      phase: 'hotplug',
      requires: ['hotplug'],
      run: async (p) => {
        const hotplug = p.target.parts.hotplug!;
        const a = await p.open();
        const b = await p.open();
        const steps: Step[] = [];
        await hotplug.unregister();
        try {
          steps.push(
            await p.info('FWCTL_INFO on A', a),
            await p.rpc('FWCTL_RPC on A', a, { scope: 0, input: gsfExact(), outLen: 72 }),
            await p.info('FWCTL_INFO size 8 on A (D-4 before D-6)', a, { fields: { size: 8 }, structBuffer: INFO_SIZE }),
            await p.info('FWCTL_INFO non-zero tail on A (D-5 before D-6)', a, { fields: { size: 32 }, tail: Buffer.from([1]) }),
            await p.rpc('FWCTL_RPC unknown scope on A', a, { scope: 9, input: gsfExact(), outLen: 72 }),
            await p.close(a, 'close A'),
            await p.rpc('FWCTL_RPC on B', b, { scope: 0, input: gsfExact(), outLen: 72 }),
            await p.close(b, 'close B'),
            (await p.openStep('open while unregistered')).step,
          );
        } finally {
          await hotplug.register();
        }
        const { step, fd } = await p.openStep('open after register');
        steps.push(step);
        if (fd !== undefined) steps.push(await p.info('FWCTL_INFO after register', fd), await p.rpc('FWCTL_RPC after register', fd, { scope: 0, input: gsfExact(), outLen: 72 }));
        return steps;
      },
    },
    {
      name: 'O-5 device number not reused while a descriptor is open',
      covers: ['O-5'],
      phase: 'hotplug',
      requires: ['hotplug'],
      run: async (p) => {
        const hotplug = p.target.parts.hotplug!;
        const fd = await p.open();
        const before = await hotplug.current();
        await hotplug.unregister();
        const after = await hotplug.register();
        const steps: Step[] = [{ call: 'registered under a new number', ret: after !== before ? 1 : 0 }];
        steps.push(await p.close(fd, 'close the old descriptor'));
        return steps;
      },
    },
  );

  const order = (p: Probe) => PHASES.indexOf(p.phase);
  return probes.map((p, i) => ({ p, i })).sort((x, y) => order(x.p) - order(y.p) || x.i - y.i).map(({ p }) => p);
}

// ---- running ---------------------------------------------------------------------

export interface RunProbesOptions {
  /** Send hazard probes (both targets must allow it). */
  hazards: boolean;
  /** Parts every target in the comparison has: a probe needing another is skipped. */
  parts?: ReadonlySet<PartName>;
  /** Called with each transcript line as it is made. */
  onProbe?: (probe: Probe, line: Transcript) => void;
}

const taintBit = async (t: Target) => (t.parts.taint ? ((await t.parts.taint.read()) & TAINT_FWCTL_MASK) !== 0 : undefined);

/** Why a probe does not run on this comparison, or undefined when it does. */
export function skipReason(probe: Probe, target: Target, opts: RunProbesOptions): string | undefined {
  if (probe.hazard && !opts.hazards) return 'hazard: needs --allow-hazards on a throw-away kernel';
  for (const part of probe.requires ?? []) {
    if (!target.parts[part] || (opts.parts && !opts.parts.has(part))) return `needs the '${part}' part on both targets`;
  }
  return undefined;
}

/**
 * Runs probes one at a time against one target. Before a probe of the phases
 * that expect a clean kernel, a target that is tainted and can reset is reset
 * (a simulator); a real kernel cannot, and its taint then shows in the line.
 */
export class ProbeRunner {
  private readonly shared: SharedProcesses = {};

  constructor(
    readonly target: Target,
    private readonly opts: RunProbesOptions,
  ) {}

  run(probe: Probe): Promise<Transcript> {
    return runProbe(this.target, probe, this.shared, this.opts);
  }

  /** Let the shared processes go (the target itself stays the caller's). */
  async dispose(): Promise<void> {
    const p = await this.shared.noRawio?.catch(() => undefined);
    await p?.dispose().catch(() => undefined);
  }
}

/** Run `probes` in order against `target`. */
export async function runProbes(target: Target, probes: readonly Probe[], opts: RunProbesOptions): Promise<Transcript[]> {
  const runner = new ProbeRunner(target, opts);
  const lines: Transcript[] = [];
  try {
    for (const probe of probes) {
      const line = await runner.run(probe);
      lines.push(line);
      opts.onProbe?.(probe, line);
    }
  } finally {
    await runner.dispose();
  }
  return lines;
}

async function runProbe(target: Target, probe: Probe, shared: SharedProcesses, opts: RunProbesOptions): Promise<Transcript> {
  const skipped = skipReason(probe, target, opts);
  if (skipped) return { probe: probe.name, ret: 0, steps: [], skipped };
  const wantsClean = probe.phase === 'clean' || probe.phase === 'pre-taint' || probe.phase === 'first-taint';
  if (wantsClean && target.parts.taint?.reset && (await taintBit(target))) await target.parts.taint.reset();
  const taintBefore = await taintBit(target);
  const ctx = new ProbeContext(target, shared);
  let steps: Step[] = [];
  let error: string | undefined;
  try {
    steps = await probe.run(ctx);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    await ctx.release().catch(() => undefined);
  }
  const taintAfter = await taintBit(target);
  const last = steps[steps.length - 1];
  return {
    probe: probe.name,
    ret: last?.ret ?? -1,
    ...(last?.errno && { errno: last.errno }),
    ...(last?.out_len !== undefined && { out_len: last.out_len }),
    ...(last?.bytes !== undefined && { bytes: last.bytes }),
    steps,
    ...(taintBefore !== undefined && { taintBefore }),
    ...(taintAfter !== undefined && { taintAfter }),
    ...(error && { error }),
  };
}
