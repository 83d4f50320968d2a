/**
 * What an agent lets its peer do (docs/wire-protocol.md "Security"). The peer
 * is a harness on another machine, reached over ssh: possibly buggy, possibly
 * hostile. Whatever it claims, the agent carries out only what its operator's
 * --allow-* flags unlock, only the fwctl ioctls, and only with pointers into
 * memory the peer mapped through it; everything else is refused with a wire
 * error (a Refused), before anything reaches the kernel or allocates memory.
 */
import { PAGE_SIZE, type Allows } from '../targets/target.js';
import {
  DeviceType,
  FWCTL_INFO,
  FWCTL_RPC,
  FWCTL_TYPE,
  INFO_OFF,
  INFO_SIZE,
  MAX_RPC_LEN,
  RPC_OFF,
  RPC_SIZE,
  Scope,
  scopeName,
} from '../../uapi/fwctl.js';
import { PDS_RPC_OFF, PDS_RPC_SIZE } from '../../uapi/pds.js';
import type { WriteGate } from '../profiles/writes.js';

/** The agent will not do this; the reply's `error` says why. */
export class Refused extends Error {
  constructor(message: string) {
    super(`refused by the agent: ${message}`);
    this.name = 'Refused';
  }
}

const PAGE = Number(PAGE_SIZE);

/** Bounds on what one agent holds for its peer. */
export const LIMITS = {
  /** The largest segment: MAX_RPC_LEN (R-1's 2 MiB + 1 byte probe fits) plus a page. */
  segmentBytes: MAX_RPC_LEN + PAGE,
  /** Segments per process, and bytes mapped per process. */
  segments: 4096,
  mappedBytes: 64 * 1024 * 1024,
  /** Processes started with `spawn` and alive at once. */
  processes: 32,
  /** Descriptors open at once, over all processes. */
  descriptors: 256,
} as const;

/** Below mmap_min_addr (64 KiB by default, never below one page): nobody maps here. */
const MIN_MAP_ADDRESS = 0x10000n;
/** The top of the 48-bit user address space (x86_64, arm64); the agent maps nothing above it. */
const USER_TOP = 0x7fff_ffff_f000n;
/** From here up is the kernel half on every 64-bit architecture: access_ok() fails for every byte. */
const KERNEL_HALF = 1n << 63n;

/**
 * The part methods that change the device or the machine, and the flag each
 * needs. Every other method a part has reads only. `taint.reset` reboots a
 * simulated kernel.
 */
export const GATED_METHODS: Record<string, keyof Allows> = {
  'hotplug.unregister': 'destructive',
  'hotplug.register': 'destructive',
  'functionReset.reset': 'destructive',
  'firmware.switch': 'destructive',
  'taint.reset': 'destructive',
};

/** The part methods an agent serves at all (harness/targets/target.ts TargetParts). */
const KNOWN_METHODS = new Set([
  'taint.read',
  'kernelLog.read',
  'hotplug.current',
  'resources.count',
  'kernelDriver.liveConfig',
  // The kernel's own driver issuing a command (the harness observes sharing): the device's own traffic.
  'kernelDriver.use',
  'kernelDriver.ownedObjects',
  'firmware.versions',
  'firmware.current',
  'deviceState.digest',
  ...Object.keys(GATED_METHODS),
]);

/** Whole parts that make no sense without their gated methods: hidden from the hello without the flag. */
const GATED_PARTS: Record<string, keyof Allows> = { hotplug: 'destructive', functionReset: 'destructive', firmware: 'destructive' };

/**
 * bnxt commands whose request carries DMA addresses of user memory
 * (drivers/fwctl/bnxt/main.c bnxtctl_dma_cmds, req_type values from
 * include/linux/bnxt/hsi.h). The agent does not decode their layouts, so it
 * refuses them: it cannot check pointers it cannot find.
 */
const BNXT_DMA_REQ_TYPES = new Set([
  0xfff2, 0xfff1, 0xfffd, 0xfffa, 0xfffe, 0xfff4, 0xffff, 0xfffc, 0xcb, 0xca, 0xbf, 0xff17, 0xff19, 0xff10, 0xff11, 0xff0e, 0xff30, 0x3c, 0x23,
  0xb4, 0xba, 0x204, 0x218, 0xe6, 0xe7, 0x67, 0xd5, 0xd9, 0x73, 0x74, 0x203, 0xff2d,
]);

/** One segment the peer mapped: its address, the bytes it asked for, and a view of them. */
export interface GuardSegment {
  addr: bigint;
  size: number;
  bytes: Buffer;
}

export interface GuardOptions {
  /** What the operator unlocked (already intersected with what the target allows). */
  allows: Allows;
  /** Requests shorter than this are hazards (the profile's hazards.minInLen). */
  minInLen?: number;
  /**
   * Without --allow-destructive: which requests may change a device of this
   * type (harness/profiles/writes.ts). CONFIGURATION-scope writes taint
   * nothing, so the taint gate alone would let them through.
   */
  writes?: (deviceType: number | undefined) => WriteGate;
  /**
   * Device types outside the uAPI whose requests carry no user pointers: a
   * plugin's data codec without request buffers (harness/codecs/data.ts), so
   * the bytes are the whole request.
   */
  plainBytes?: (deviceType: number | undefined) => boolean;
}

/** Bytes a segment of `size` occupies: whole pages, one even when empty (memory.ts maps a PROT_NONE page). */
export const mappedBytes = (size: number) => Math.max(1, Math.ceil(size / PAGE)) * PAGE;

export class Guard {
  private descriptors = 0;
  private processes = 0;

  constructor(private readonly opts: GuardOptions) {}

  /** Check a `map` before anything is allocated. */
  map(addr: bigint, size: number, segments: Iterable<GuardSegment>): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > LIMITS.segmentBytes) {
      throw new Refused(`a segment of ${size} bytes is more than ${LIMITS.segmentBytes} (MAX_RPC_LEN + a page)`);
    }
    if (addr % PAGE_SIZE !== 0n) throw new Refused(`segment address 0x${addr.toString(16)} is not page-aligned`);
    const end = addr + BigInt(mappedBytes(size));
    if (addr < MIN_MAP_ADDRESS || end > USER_TOP) throw new Refused(`segment address 0x${addr.toString(16)} is outside 0x${MIN_MAP_ADDRESS.toString(16)}..0x${USER_TOP.toString(16)}`);
    let count = 0;
    let total = mappedBytes(size);
    for (const s of segments) {
      count++;
      total += mappedBytes(s.size);
      if (addr < s.addr + BigInt(mappedBytes(s.size)) && s.addr < end) throw new Refused(`segment 0x${addr.toString(16)} overlaps segment 0x${s.addr.toString(16)}`);
    }
    if (count >= LIMITS.segments) throw new Refused(`a process may have at most ${LIMITS.segments} segments`);
    if (total > LIMITS.mappedBytes) throw new Refused(`a process may map at most ${LIMITS.mappedBytes} bytes`);
  }

  /** Reserve a descriptor before `open`; give it back with closed() when the open fails or the descriptor closes. */
  opening(): void {
    if (this.descriptors >= LIMITS.descriptors) throw new Refused(`at most ${LIMITS.descriptors} descriptors may be open at once`);
    this.descriptors++;
  }

  closed(n = 1): void {
    this.descriptors = Math.max(0, this.descriptors - n);
  }

  /** A `reset`: every process and descriptor is gone. */
  forget(): void {
    this.descriptors = 0;
    this.processes = 0;
  }

  /** Reserve a process before `spawn`; give it back with exited(). */
  spawning(): void {
    if (this.processes >= LIMITS.processes) throw new Refused(`at most ${LIMITS.processes} processes may be spawned at once`);
    this.processes++;
  }

  exited(): void {
    this.processes = Math.max(0, this.processes - 1);
  }

  /** A part method: known, and unlocked when it changes the device. */
  part(part: string, method: string): void {
    const name = `${part}.${method}`;
    if (!KNOWN_METHODS.has(name)) throw new Refused(`no part method ${name}`);
    const flag = GATED_METHODS[name];
    if (flag && !this.opts.allows[flag]) throw new Refused(`${name} needs --allow-${flag} on the agent`);
  }

  /** The parts (and '<part>.<method>' entries) the hello may list, and why the others are missing. */
  offered(parts: string[]): { parts: string[]; unavailable: Record<string, string> } {
    const unavailable: Record<string, string> = {};
    const kept = parts.filter((p) => {
      const flag = GATED_PARTS[p] ?? GATED_METHODS[p];
      if (!flag || this.opts.allows[flag]) return true;
      if (GATED_PARTS[p]) unavailable[p] = `the agent was started without --allow-${flag}`;
      return false;
    });
    return { parts: kept, unavailable };
  }

  /**
   * An ioctl: only fwctl's, and only with pointers the kernel may use. `find`
   * gives the segment holding an address. Memory must already hold what the
   * peer sent with the call: the structs are read from it.
   */
  ioctl(request: bigint, arg: bigint, find: (addr: bigint) => GuardSegment | undefined, on: { rawio: boolean; deviceType: number | undefined }): void {
    if (request === BigInt(FWCTL_INFO)) return this.info(arg, find);
    if (request === BigInt(FWCTL_RPC)) return this.rpc(arg, find, on.rawio, on.deviceType);
    // Other numbers of fwctl's type (and of 0x9B, the D-2 probe): fwctl_fops_ioctl() answers ENOTTY before
    // it reads `arg` (drivers/fwctl/main.c), and no generic ioctl of do_vfs_ioctl() uses these type bytes.
    const type = Number((request >> 8n) & 0xffn);
    if (request > 0xffff_ffffn || (type !== FWCTL_TYPE && type !== FWCTL_TYPE + 1)) {
      throw new Refused(`ioctl request 0x${request.toString(16)} is not a fwctl ioctl (only FWCTL_INFO 0x9a00 and FWCTL_RPC 0x9a01 are carried out)`);
    }
    this.range(arg, 4, 'the ioctl argument', find);
  }

  /** struct fwctl_info: the struct, then out_device_data with device_data_len (I-2, I-4). */
  private info(arg: bigint, find: (addr: bigint) => GuardSegment | undefined): void {
    const b = this.struct(arg, 'struct fwctl_info', find);
    if (!b || b.length < INFO_SIZE) return; // below min_size: EINVAL before any other access (D-4)
    this.range(b.readBigUInt64LE(INFO_OFF.out_device_data), b.readUInt32LE(INFO_OFF.device_data_len), 'out_device_data (device_data_len bytes)', find);
  }

  /** struct fwctl_rpc: the struct, in with in_len, out with out_len, the scope, hazards, inner pointers. */
  private rpc(arg: bigint, find: (addr: bigint) => GuardSegment | undefined, rawio: boolean, deviceType: number | undefined): void {
    const b = this.struct(arg, 'struct fwctl_rpc', find);
    if (!b || b.length < RPC_SIZE) return;
    const scope = b.readUInt32LE(RPC_OFF.scope);
    const inLen = b.readUInt32LE(RPC_OFF.in_len);
    const outLen = b.readUInt32LE(RPC_OFF.out_len);
    const inPtr = b.readBigUInt64LE(RPC_OFF.in);
    // Above MAX_RPC_LEN the kernel answers EMSGSIZE before the scope check or any copy (R-1, fwctl_cmd_rpc()).
    if (inLen > MAX_RPC_LEN || outLen > MAX_RPC_LEN) return;
    if ((scope === Scope.DEBUG_WRITE || scope === Scope.DEBUG_WRITE_FULL) && !this.opts.allows.taint) {
      throw new Refused(`FWCTL_RPC at ${scopeName(scope)} taints the kernel and needs --allow-taint on the agent`);
    }
    // Without CAP_SYS_RAWIO, DEBUG_WRITE_FULL is EPERM before `in` is read (R-2, fwctl_cmd_rpc()).
    if (scope === Scope.DEBUG_WRITE_FULL && !rawio) return;
    const input = this.range(inPtr, inLen, 'in (in_len bytes)', find);
    this.range(b.readBigUInt64LE(RPC_OFF.out), outLen, 'out (out_len bytes)', find);
    if (!input) return; // in_len 0, or an address the copy faults on: no request reaches the driver
    const minInLen = this.opts.minInLen ?? 0;
    if (inLen < minInLen && !this.opts.allows.hazards) {
      throw new Refused(`a ${inLen}-byte request is shorter than ${minInLen} bytes, a hazard for this device's kernel driver; needs --allow-hazards on the agent`);
    }
    this.inner(input, find, deviceType);
    const write = this.opts.writes?.(deviceType)(input);
    if (write?.unsafe) throw new Refused(`FWCTL_RPC request may change the device (${write.why}); needs --allow-destructive on the agent`);
  }

  /** Pointers inside the request, by device type (include/uapi/fwctl/*.h). */
  private inner(input: Buffer, find: (addr: bigint) => GuardSegment | undefined, deviceType: number | undefined): void {
    switch (deviceType) {
      case DeviceType.MLX5:
      case DeviceType.CXL:
        return; // plain mailbox bytes: drivers/fwctl/mlx5/main.c and drivers/cxl/core/features.c copy no user pointers
      case DeviceType.PDS: {
        // struct fwctl_rpc_pds: pdsfc_fw_rpc() memdup_user()s in.payload and copy_to_user()s out.payload.
        // A shorter request (or one past the peer's bytes) would have the driver take pointers from bytes
        // nobody checked (digest §3 hazard: read past the request).
        if (input.length < PDS_RPC_SIZE) throw new Refused(`a pds request needs ${PDS_RPC_SIZE} bytes of the peer's own (struct fwctl_rpc_pds), not ${input.length}`);
        this.range(input.readBigUInt64LE(PDS_RPC_OFF.in_payload), input.readUInt32LE(PDS_RPC_OFF.in_len), 'pds in.payload (in.len bytes)', find);
        this.range(input.readBigUInt64LE(PDS_RPC_OFF.out_payload), input.readUInt32LE(PDS_RPC_OFF.out_len), 'pds out.payload (out.len bytes)', find);
        return;
      }
      case DeviceType.BNXT: {
        if (input.length < 2) throw new Refused(`a bnxt request needs its 2-byte req_type in the peer's own bytes`);
        const reqType = input.readUInt16LE(0);
        if (BNXT_DMA_REQ_TYPES.has(reqType)) {
          throw new Refused(`bnxt req_type 0x${reqType.toString(16)} carries DMA addresses of user memory, which the agent does not check`);
        }
        return;
      }
      default:
        if (this.opts.plainBytes?.(deviceType)) return;
        throw new Refused(`device type ${deviceType ?? 'unknown'}: the agent does not know which pointers its requests carry (a plugin with a data codec describes them: fwctl-cts --plugin DIR agent …)`);
    }
  }

  /**
   * The struct at `arg`: its `size` field first, then the whole struct must
   * lie in one segment. An address in the first page or the kernel half is
   * passed on (the kernel faults: EFAULT); the struct is then not read.
   */
  private struct(arg: bigint, what: string, find: (addr: bigint) => GuardSegment | undefined): Buffer | undefined {
    if (!this.range(arg, 4, `${what} (its size field)`, find)) return undefined;
    const seg = find(arg)!;
    const at = Number(arg - seg.addr);
    const peerBytes = (n: number, field: string) => {
      if (at + n > seg.bytes.length) throw new Refused(`${what}: ${field} at 0x${arg.toString(16)} runs past the ${seg.size} bytes of segment 0x${seg.addr.toString(16)}`);
    };
    peerBytes(4, 'its size field');
    const size = seg.bytes.readUInt32LE(at);
    // The tail past the kernel's struct is only read (check_zeroed_user()): it may run into the guard page.
    this.range(arg, Math.max(4, size), `${what} (size ${size})`, find);
    // The fields the kernel copies must be the peer's own bytes: those are the ones checked here.
    const fields = Math.min(size, Math.max(INFO_SIZE, RPC_SIZE));
    peerBytes(fields, `its first ${fields} bytes`);
    return seg.bytes.subarray(at, at + fields);
  }

  /**
   * The rule for every pointer with its length: nothing when the length is 0;
   * an address range in the first page (never mapped: mmap_min_addr) or in the
   * kernel half is passed on, since the kernel faults on it (EFAULT, the
   * bad-pointer tests); else the whole range must lie in one segment the peer
   * mapped. Returns the segment's bytes over the range when it is one.
   */
  private range(ptr: bigint, len: number, what: string, find: (addr: bigint) => GuardSegment | undefined): Buffer | undefined {
    if (len === 0) return undefined;
    const end = ptr + BigInt(len);
    if (end <= PAGE_SIZE || ptr >= KERNEL_HALF) return undefined;
    const seg = find(ptr);
    if (!seg || ptr >= seg.addr + BigInt(mappedBytes(seg.size))) {
      throw new Refused(`${what} at 0x${ptr.toString(16)}+${len} is not inside a segment mapped through the agent`);
    }
    // A range may run off its segment into the guard page after it, which the agent holds unmapped
    // (PROT_NONE, harness/kernel/memory.ts): the kernel faults there (EFAULT), as the tests of R-7 and
    // robustness expect. An empty segment is one PROT_NONE page, and no guard of its own.
    const limit = seg.addr + BigInt(mappedBytes(seg.size) + (seg.size > 0 ? PAGE : 0));
    if (end > limit) {
      throw new Refused(`${what} at 0x${ptr.toString(16)}+${len} runs past segment 0x${seg.addr.toString(16)} (${seg.size} bytes) and its guard page`);
    }
    const at = Number(ptr - seg.addr);
    return seg.bytes.subarray(Math.min(at, seg.bytes.length), Math.min(at + len, seg.bytes.length));
  }
}
