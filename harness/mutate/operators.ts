/**
 * The mutation operators of `fwctl-cts mutate`: each alters one kind of answer
 * a target gives (an errno, a refusal, a struct written back, an observer's
 * reading) the way a driver or kernel bug would, and is named for the policy
 * rule it should trip (rule ids: policies/upstream.json, digest rule ids in the
 * comments). The proxy (proxy.ts) applies one at a time.
 *
 * An operator only changes an answer when the call it targets happens; one that
 * never did in a run says so (`fired`), and the run counts it not applicable.
 */
import { FWCTL_INFO, FWCTL_RPC, INFO_OFF, INFO_SIZE, MAX_RPC_LEN, RPC_OFF, RPC_SIZE, Scope, TAINT_FWCTL_MASK, decodeInfo, decodeRpc } from '../../uapi/fwctl.js';
import { ProcessKilled, SyscallError, type PartName, type SyscallResult, type TargetDescription, type TargetParts } from '../targets/target.js';
import type { Memory } from './proxy.js';

/** Which process issued a call: the harness's own, the one without CAP_SYS_RAWIO, or a spawned child. */
export type ProcessRole = 'main' | 'norawio' | 'child';

export interface IoctlCall {
  role: ProcessRole;
  fd: number;
  request: number;
  arg: bigint;
  /** A copy of the caller's struct (up to 32 bytes) before the call, when the argument is mapped. */
  before?: Buffer;
  mem: Memory;
  /** Issue the call to the target as the caller's memory now holds it (an operator may call it again). */
  next(): Promise<SyscallResult>;
}

/** What one proxy keeps for its operator (a new proxy, a new state: see proxy.ts). */
export interface MutantState {
  operator: Operator;
  description: TargetDescription;
  /** Descriptors open through the proxy, in every process. */
  openFds: number;
  /** Descriptors closed (or released by an exiting process) through the proxy. */
  closes: number;
  /** Whatever the operator remembers between calls. */
  scratch: Record<string, unknown>;
  /** The operator changed an answer. */
  fired(): void;
}

export interface Operator {
  id: string;
  /** The policy rule the mutant should trip. */
  rule: string;
  description: string;
  /** Target parts the operator alters: without them it does not apply. */
  needs?: PartName[];
  ioctl?(call: IoctlCall, s: MutantState): Promise<SyscallResult>;
  open?(next: () => Promise<number>, s: MutantState): Promise<number>;
  /** Replacements for some of the target's parts. */
  parts?(inner: TargetParts, s: MutantState): Partial<TargetParts>;
}

// ---- what a call is ---------------------------------------------------------

const rpcOf = (c: IoctlCall) => (c.request === FWCTL_RPC && c.before && c.before.length >= RPC_SIZE ? decodeRpc(c.before) : undefined);
const infoOf = (c: IoctlCall) => (c.request === FWCTL_INFO && c.before && c.before.length >= INFO_SIZE ? decodeInfo(c.before) : undefined);

/**
 * Errnos the fwctl core itself gives (drivers/fwctl/main.c): anything else from a well-formed RPC is the
 * driver's. EMSGSIZE is the core's only above 2 MiB, which driverRefusal rules out; below, it is
 * the driver's (mlx5 and pds refuse short inputs with it).
 */
const CORE_ERRNOS = new Set(['EFAULT', 'ENODEV', 'E2BIG', 'ENOMEM', 'ENOTTY', 'EBADF']);

/** A well-formed RPC the driver refused (not the core: the struct passed every core check, R-1, R-2, D-4). */
function driverRefusal(c: IoctlCall, res: SyscallResult) {
  const r = rpcOf(c);
  if (!r || res.ret === 0 || !res.errno || CORE_ERRNOS.has(res.errno)) return undefined;
  if (r.size < RPC_SIZE || r.scope > Scope.DEBUG_WRITE_FULL || r.in_len > MAX_RPC_LEN || r.out_len > MAX_RPC_LEN) return undefined;
  // EPERM at DEBUG_WRITE_FULL may be the core's CAP_SYS_RAWIO check.
  if (res.errno === 'EPERM' && r.scope === Scope.DEBUG_WRITE_FULL) return undefined;
  return r;
}

const u32 = (b: Buffer, off: number) => b.readUInt32LE(off);
const setU32 = (b: Buffer, off: number, v: number) => b.writeUInt32LE(v >>> 0, off);

/** Replace one errno by another on every call that gets it. */
function errnoSwap(id: string, rule: string, from: string, to: string, description: string): Operator {
  return {
    id,
    rule,
    description,
    async ioctl(c, s) {
      const res = await c.next();
      if (res.ret !== -1 || res.errno !== from) return res;
      s.fired();
      return { ret: -1, errno: to };
    },
  };
}

/** Run `fn` on the live struct field at `off` set to `value`, then put the caller's value back (the caller never sees the change). */
async function withField(c: IoctlCall, off: number, value: number, width: number): Promise<SyscallResult | undefined> {
  const live = c.mem.view(c.arg + BigInt(off), width);
  if (!live) return undefined;
  const saved = Buffer.from(live);
  live.fill(0);
  if (width === 4) setU32(live, 0, value);
  const res = await c.next();
  saved.copy(live);
  return res;
}

// ---- the catalog ------------------------------------------------------------

export const OPERATORS: readonly Operator[] = [
  errnoSwap('enotty-einval', 'uapi.ioctl.unknown-nr', 'ENOTTY', 'EINVAL', 'an unknown ioctl gets EINVAL instead of ENOTTY (D-1)'),
  errnoSwap('efault-einval', 'uapi.struct.size-fault', 'EFAULT', 'EINVAL', 'a fault on a user pointer gets EINVAL instead of EFAULT (D-3, R-4, R-6)'),
  errnoSwap('emsgsize-einval', 'uapi.rpc.max-len', 'EMSGSIZE', 'EINVAL', 'an RPC longer than 2 MiB gets EINVAL instead of EMSGSIZE (R-1)'),
  errnoSwap('enodev-eio', 'uapi.unregister.enodev', 'ENODEV', 'EIO', 'an ioctl on an unregistered device gets EIO instead of ENODEV (O-4, D-6)'),
  {
    id: 'driver-errno-eio',
    rule: 'uapi.rpc.driver-errno',
    description: "a request the driver refuses fails with EIO, not the driver's own errno (R-5)",
    async ioctl(c, s) {
      const res = await c.next();
      if (!driverRefusal(c, res)) return res;
      s.fired();
      return { ret: -1, errno: res.errno === 'EIO' ? 'EINVAL' : 'EIO' };
    },
  },
  {
    id: 'refusal-success',
    rule: 'scope.rejected-below-minimum',
    description: "a request the driver refuses returns success, with the caller's struct and response buffer untouched",
    async ioctl(c, s) {
      const res = await c.next();
      if (!driverRefusal(c, res)) return res;
      s.fired();
      return { ret: 0 };
    },
  },
  {
    id: 'scope-check-skipped',
    rule: 'scope.rejected-below-minimum',
    description: "a request refused below DEBUG_WRITE_FULL runs as if sent at DEBUG_WRITE_FULL (the scope check skipped); the caller's scope field is kept",
    async ioctl(c, s) {
      const res = await c.next();
      const r = driverRefusal(c, res);
      // Sent at the full scope it taints a real kernel and may write: only where the user allowed both.
      const allows = s.description.allows;
      if (!r || r.scope === Scope.DEBUG_WRITE_FULL || c.role === 'norawio' || !allows.taint || !allows.destructive) return res;
      const again = await withField(c, RPC_OFF.scope, Scope.DEBUG_WRITE_FULL, 4);
      if (!again || again.ret !== 0) return res;
      s.fired();
      return again;
    },
  },
  {
    id: 'unknown-scope-accepted',
    rule: 'uapi.rpc.unknown-scope',
    description: 'an RPC with a scope beyond DEBUG_WRITE_FULL returns success instead of EOPNOTSUPP (R-2)',
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      if (!r || r.scope <= Scope.DEBUG_WRITE_FULL || res.errno !== 'EOPNOTSUPP') return res;
      s.fired();
      return { ret: 0 };
    },
  },
  {
    id: 'rawio-ignored',
    rule: 'taint.rawio-required',
    description: 'DEBUG_WRITE_FULL without CAP_SYS_RAWIO returns success instead of EPERM (R-2)',
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      if (c.role !== 'norawio' || !r || r.scope !== Scope.DEBUG_WRITE_FULL || res.errno !== 'EPERM') return res;
      s.fired();
      return { ret: 0 };
    },
  },
  {
    id: 'tail-e2big-ignored',
    rule: 'uapi.struct.nonzero-tail',
    description: 'a struct with a non-zero tail is served as if the tail were zero, instead of E2BIG (D-5)',
    async ioctl(c, s) {
      const res = await c.next();
      const known = c.request === FWCTL_RPC ? RPC_SIZE : INFO_SIZE;
      if (res.errno !== 'E2BIG' || !c.before || (c.request !== FWCTL_RPC && c.request !== FWCTL_INFO)) return res;
      const size = u32(c.before, 0);
      const tail = c.mem.view(c.arg + BigInt(known), size - known);
      if (!tail) return res;
      const saved = Buffer.from(tail);
      tail.fill(0);
      const again = await c.next();
      saved.copy(tail);
      s.fired();
      return again;
    },
  },
  {
    id: 'info-flags-ignored',
    rule: 'uapi.info.flags',
    description: 'FWCTL_INFO with non-zero flags is served as if they were zero, instead of EOPNOTSUPP (I-1)',
    async ioctl(c, s) {
      const res = await c.next();
      const i = infoOf(c);
      if (!i || i.flags === 0 || res.errno !== 'EOPNOTSUPP') return res;
      const again = await withField(c, INFO_OFF.flags, 0, 4);
      if (!again) return res;
      // The kernel writes the flags back as it got them (I-6).
      setU32(c.mem.view(c.arg, INFO_SIZE)!, INFO_OFF.flags, i.flags);
      s.fired();
      return again;
    },
  },
  {
    id: 'out-len-clamped',
    rule: 'uapi.rpc.out-len',
    description: "out_len reports at most the caller's buffer, not the driver's whole response length (R-7)",
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      const live = c.mem.view(c.arg, RPC_SIZE);
      if (!r || res.ret !== 0 || !live || u32(live, RPC_OFF.out_len) <= r.out_len) return res;
      setU32(live, RPC_OFF.out_len, r.out_len);
      s.fired();
      return res;
    },
  },
  {
    id: 'out-overrun',
    rule: 'uapi.rpc.out-copy',
    description: "a successful RPC writes 8 bytes past the caller's out_len in the response buffer (R-6)",
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      const past = r && res.ret === 0 ? c.mem.view(r.out + BigInt(r.out_len), 1) : undefined;
      if (!r || !past) return res;
      for (let n = 8; n > 0; n--) {
        const bytes = c.mem.view(r.out + BigInt(r.out_len), n);
        if (bytes) {
          for (let i = 0; i < n; i++) bytes[i] = bytes[i]! ^ 0xff;
          break;
        }
      }
      s.fired();
      return res;
    },
  },
  {
    id: 'rpc-writeback-on-error',
    rule: 'uapi.rpc.no-writeback-on-error',
    description: 'a failed FWCTL_RPC writes out_len back as 0 (R-8)',
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      const live = c.mem.view(c.arg, RPC_SIZE);
      if (!r || res.ret === 0 || !live || r.out_len === 0) return res;
      setU32(live, RPC_OFF.out_len, 0);
      s.fired();
      return res;
    },
  },
  {
    id: 'info-writeback-on-error',
    rule: 'uapi.info.no-writeback-on-error',
    description: "a failed FWCTL_INFO writes the device type into the caller's struct (I-7)",
    async ioctl(c, s) {
      const res = await c.next();
      const i = infoOf(c);
      const live = c.mem.view(c.arg, INFO_SIZE);
      if (!i || res.ret === 0 || !live) return res;
      const type = s.description.expectedDeviceType ?? 1;
      setU32(live, INFO_OFF.out_device_type, i.out_device_type === type ? type ^ 1 : type);
      s.fired();
      return res;
    },
  },
  {
    id: 'info-overrun',
    rule: 'uapi.info.bounds',
    description: "a successful FWCTL_INFO writes a byte past the caller's device_data_len (I-3)",
    async ioctl(c, s) {
      const res = await c.next();
      const i = infoOf(c);
      const past = i && res.ret === 0 && i.device_data_len > 0 ? c.mem.view(i.out_device_data + BigInt(i.device_data_len), 1) : undefined;
      if (!past) return res;
      past[0] = past[0]! ^ 0xff;
      s.fired();
      return res;
    },
  },
  {
    id: 'info-tail-not-zeroed',
    rule: 'uapi.info.bounds',
    description: "FWCTL_INFO leaves the caller's device-data bytes past the driver's data as they were, instead of zero-filling them (I-3)",
    async ioctl(c, s) {
      const i = infoOf(c);
      const data = i && i.device_data_len > 0 ? c.mem.view(i.out_device_data, i.device_data_len) : undefined;
      const saved = data && Buffer.from(data);
      const res = await c.next();
      const live = c.mem.view(c.arg, INFO_SIZE);
      if (!data || !saved || res.ret !== 0 || !live) return res;
      const reported = Math.min(u32(live, INFO_OFF.device_data_len), data.length);
      if (saved.subarray(reported).equals(data.subarray(reported))) return res;
      saved.copy(data, reported, reported);
      s.fired();
      return res;
    },
  },
  {
    id: 'info-device-type-error',
    rule: 'uapi.info.device-type',
    description: 'FWCTL_INFO reports device type 0 (FWCTL_DEVICE_TYPE_ERROR) instead of the driver\'s (I-5)',
    async ioctl(c, s) {
      const res = await c.next();
      const live = c.mem.view(c.arg, INFO_SIZE);
      if (!infoOf(c) || res.ret !== 0 || !live || u32(live, INFO_OFF.out_device_type) === 0) return res;
      setU32(live, INFO_OFF.out_device_type, 0);
      s.fired();
      return res;
    },
  },
  {
    id: 'oops-on-short-input',
    rule: 'robustness.no-crash',
    description: 'a well-formed RPC with fewer than 8 input bytes kills the caller, like the short-input reads fixed in features.c (7.3) and pds (e7537735)',
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      if (!r || r.in_len >= 8 || r.scope > Scope.DEBUG_WRITE_FULL || r.size < RPC_SIZE || res.errno === 'EFAULT' || res.errno === 'ENODEV') return res;
      s.fired();
      throw new ProcessKilled('mutant: oops on a short RPC input');
    },
  },
  {
    id: 'taint-masked',
    rule: 'taint.debug-write',
    description: 'taint reads never show TAINT_FWCTL (bit 19) (R-3)',
    needs: ['taint'],
    parts: (inner, s) => ({
      taint: {
        ...inner.taint!,
        read: async () => {
          const v = await inner.taint!.read();
          if (v & TAINT_FWCTL_MASK) s.fired();
          return v & ~TAINT_FWCTL_MASK;
        },
      },
    }),
  },
  {
    id: 'taint-on-low-scope',
    rule: 'taint.low-scopes-clean',
    description: 'a successful CONFIGURATION or DEBUG_READ_ONLY RPC sets TAINT_FWCTL (R-2)',
    needs: ['taint'],
    async ioctl(c, s) {
      const res = await c.next();
      const r = rpcOf(c);
      if (r && res.ret === 0 && r.scope <= Scope.DEBUG_READ_ONLY) s.scratch.tainted = true;
      return res;
    },
    parts: (inner, s) => ({
      taint: {
        ...inner.taint!,
        read: async () => {
          const v = await inner.taint!.read();
          if (!s.scratch.tainted || v & TAINT_FWCTL_MASK) return v;
          s.fired();
          return v | TAINT_FWCTL_MASK;
        },
      },
    }),
  },
  {
    id: 'warning-duplicated',
    rule: 'taint.warn-once',
    description: 'every "has requested full access" warning appears twice in the kernel log (R-3)',
    needs: ['kernelLog'],
    parts: (inner, s) => ({
      kernelLog: {
        read: async (from = 0) => {
          const lines = (await inner.kernelLog!.read()).flatMap((l) => (FULL_ACCESS.test(l) ? [l, l] : [l]));
          if (lines.some((l) => FULL_ACCESS.test(l))) s.fired();
          return lines.slice(from);
        },
      },
    }),
  },
  {
    id: 'resources-drift',
    rule: 'lifecycle.release-on-close',
    description: 'the firmware resource count grows by one with every descriptor closed (O-3)',
    needs: ['resources'],
    parts: (inner, s) => ({
      resources: {
        count: async () => {
          const n = await inner.resources!.count();
          if (s.closes > 0) s.fired();
          return n + s.closes;
        },
      },
    }),
  },
  {
    id: 'state-digest-frozen',
    rule: 'scope.read-only-honest',
    description: 'the device-state digest never changes: it always reads as the first one taken',
    needs: ['deviceState'],
    parts: (inner, s) => ({
      deviceState: {
        digest: async () => {
          const d = await inner.deviceState!.digest();
          const first = (s.scratch.digest ??= d) as string;
          if (d !== first) s.fired();
          return first;
        },
      },
    }),
  },
  {
    id: 'exclusive-open',
    rule: 'sharing.many-descriptors',
    description: 'open() gets EBUSY while another descriptor is open (exclusive open; O-2)',
    async open(next, s) {
      if (s.openFds > 0) {
        s.fired();
        throw new SyscallError('open', 'EBUSY');
      }
      return next();
    },
  },
  {
    id: 'fops-read-ok',
    rule: 'uapi.fops.unsupported',
    description: 'read(2) on a descriptor returns 0 instead of EINVAL (D-8)',
    needs: ['fileOps'],
    parts: (inner, s) => ({
      fileOps: {
        call: async (fd, op) => {
          const res = await inner.fileOps!.call(fd, op);
          if (op !== 'read' || res.ret === 0) return res;
          s.fired();
          return { ret: 0 };
        },
      },
    }),
  },
];

/** drivers/fwctl/main.c fwctl_rpc: "%s(%d): has requested full access to the physical device". */
const FULL_ACCESS = /has requested full access to the physical device/;

const BY_ID = new Map(OPERATORS.map((o) => [o.id, o]));

export function operatorById(id: string): Operator {
  const op = BY_ID.get(id);
  if (!op) throw new Error(`unknown mutation operator: ${id} (operators: ${OPERATORS.map((o) => o.id).join(', ')})`);
  return op;
}
