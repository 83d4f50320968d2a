/**
 * The pds-like device's firmware as its clients see it through the adminq
 * (digest §3.2): IDENT, QUERY (ROOT: endpoint ids; ENDPOINT: operations with
 * attributes) and RPC to an endpoint operation. Clients are pds_core itself
 * ('kernel') and the fwctl auxiliary driver ('fwctl'); the firmware decides
 * per client what it lists and what it lets through.
 *
 * RPC responses of this firmware follow one convention: le32 length of the
 * data, then the data, zero-padded to the caller's resp_sz. A rejected RPC
 * (retval != 0) changes nothing and returns no data.
 */
import {
  PDS_OP_ENTRY_SIZE,
  PdsFwAttr,
  PdsQueryEntity,
  PdsRc,
  opCommand,
  opVersion,
  pdsOp,
} from '../../../uapi/pds.js';
import type { Defects } from '../../defects/defects.js';
import firmware from './firmware.json' with { type: 'json' };

export interface OpSpec {
  name: string;
  cmd: number;
  version: number;
  attr: number;
  handler: string;
}
export interface EndpointSpec {
  id: number;
  name: string;
  operations: OpSpec[];
}
interface ConfigItem {
  id: number;
  name: string;
  value: number;
  /** Writable items have a range; the others are read-only. */
  min?: number;
  max?: number;
}
interface VersionSpec {
  maxReqSz: number;
  maxRespSz: number;
  identity: { serial: string; asicType: number; asicRev: number };
  capabilities?: number;
  config: ConfigItem[];
  debugRegs: { initial: number[]; scratchFrom: number };
  rawWords: number;
  regDumpLayout: 'values' | 'pairs';
  kernelQueues: { id: number; name: string }[];
  endpoints: EndpointSpec[];
  dataPlane: EndpointSpec[];
}

export type Client = 'fwctl' | 'kernel';
export interface RpcResult {
  retval: number;
  /** Exactly resp_sz bytes. */
  resp: Buffer;
}
type Handled = { retval: number; data?: Buffer };

const VERSIONS = firmware.versions as Record<string, VersionSpec>;
export const PDS_FW_VERSIONS = Object.keys(VERSIONS);

/** Numeric compare of "major.minor" versions. */
function atLeast(fw: string, min: string): boolean {
  const [a, b] = [fw, min].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(a!.length, b!.length); i++) {
    if ((a![i] ?? 0) !== (b![i] ?? 0)) return (a![i] ?? 0) > (b![i] ?? 0);
  }
  return true;
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}

export class PdsFirmware {
  readonly spec: VersionSpec;
  /** Running configuration (what the port uses) and pending (applied at the next function reset). */
  private readonly running = new Map<number, number>();
  private readonly pending = new Map<number, number>();
  /** Successful configuration writes: persistent, so a repeated write of the same value is still a change. */
  private generation = 0;
  private readonly regs: number[];
  private readonly raw: number[];
  private readonly queueResets = new Map<number, number>();
  /** Audit records (only a defect writes them on a read). */
  private audit = 0;
  private dataPlaneOps = 0;
  /** fwctl descriptors holding pds_core's adminq lock (only a defect takes it). */
  adminqHolders = 0;
  /** Firmware pages held for fwctl descriptors: none, except with the pds-uctx-page-leak defect. */
  fwctlPages = 0;
  /** QUERY ENDPOINT pages served, to show the driver's lazy, cached discovery. */
  endpointQueries = 0;

  constructor(
    readonly fw: string,
    private readonly defects: Defects,
  ) {
    const spec = VERSIONS[fw];
    if (!spec) throw new Error(`unknown pds firmware version ${fw}`);
    this.spec = spec;
    for (const c of spec.config) {
      this.running.set(c.id, c.value);
      this.pending.set(c.id, c.value);
    }
    this.regs = [...spec.debugRegs.initial];
    this.raw = new Array<number>(spec.rawWords).fill(0);
  }

  // ---- adminq -----------------------------------------------------------------

  /** IDENT: {le32 max_req_sz, le32 max_resp_sz}. */
  ident(): Buffer {
    return u32s(this.spec.maxReqSz, this.spec.maxRespSz);
  }

  /** The endpoints a client may reach. The data plane belongs to the in-kernel clients. */
  private endpointsFor(client: Client): EndpointSpec[] {
    const exposeDataPlane = client === 'kernel' || this.defects.has('pds-datapath-exposed');
    return exposeDataPlane ? [...this.spec.endpoints, ...this.spec.dataPlane] : this.spec.endpoints;
  }

  /** The attribute a client sees for an operation. */
  private attrOf(op: OpSpec): number {
    // A 2.0 build tagged the identity read DEBUG_READ (fixed again in 3.0).
    if (op.name === 'config:identity' && this.fw === '2.0' && this.defects.has('pds-fw2-identity-rescoped')) return PdsFwAttr.DEBUG_READ;
    return op.attr;
  }

  /**
   * QUERY. ROOT: {le32 n, le32 ids[n]}. ENDPOINT: {le32 n, {le32 id, u8 attr, u8 rsvd[3]}[n]}
   * where id = cmd | version << 16. Undefined for an endpoint the client cannot see.
   */
  query(client: Client, entity: number, ep = 0): Buffer | undefined {
    const eps = this.endpointsFor(client);
    if (entity === PdsQueryEntity.ROOT) return u32s(eps.length, ...eps.map((e) => e.id));
    if (entity !== PdsQueryEntity.ENDPOINT) return undefined;
    const e = eps.find((x) => x.id === ep);
    if (!e) return undefined;
    this.endpointQueries++;
    const page = Buffer.alloc(4 + PDS_OP_ENTRY_SIZE * e.operations.length);
    page.writeUInt32LE(e.operations.length, 0);
    e.operations.forEach((op, i) => {
      page.writeUInt32LE(pdsOp(op.cmd, op.version), 4 + PDS_OP_ENTRY_SIZE * i);
      page.writeUInt8(this.attrOf(op), 8 + PDS_OP_ENTRY_SIZE * i);
    });
    return page;
  }

  /** An operation by its catalogue name (pds_core uses its own commands by name). */
  findOp(name: string): { ep: number; op: OpSpec } | undefined {
    for (const e of this.endpointsFor('kernel')) {
      const op = e.operations.find((o) => o.name === name);
      if (op) return { ep: e.id, op };
    }
    return undefined;
  }

  /** RPC to an endpoint operation: the same command-equal, version-<= match the driver uses. */
  rpc(client: Client, ep: number, opId: number, req: Buffer, respSz: number): RpcResult {
    const e = this.endpointsFor(client).find((x) => x.id === ep);
    const op = e?.operations.find((o) => o.cmd === opCommand(opId) && opVersion(opId) <= o.version);
    const r: Handled = op ? this.handle(client, op, req) : { retval: PdsRc.EOPCODE };
    const resp = Buffer.alloc(respSz);
    if (r.retval === PdsRc.SUCCESS) {
      const data = r.data ?? Buffer.alloc(0);
      Buffer.concat([u32s(data.length), data]).copy(resp);
    }
    return { retval: r.retval, resp };
  }

  private handle(client: Client, op: OpSpec, req: Buffer): Handled {
    const need = (n: number) => req.length >= n;
    const arg = (i: number) => req.readUInt32LE(4 * i);
    switch (op.handler) {
      case 'config-read': {
        if (!need(4) || arg(0) > 1) return { retval: PdsRc.EINVAL };
        const values = arg(0) === 0 ? this.running : this.pending;
        let items = this.spec.config;
        if (this.defects.has('pds-fw2-config-reordered') && atLeast(this.fw, '2.0')) items = [...items].reverse();
        return { retval: PdsRc.SUCCESS, data: u32s(...items.flatMap((c) => [c.id, values.get(c.id)!])) };
      }
      case 'config-write': {
        if (!need(8)) return { retval: PdsRc.EINVAL };
        const item = this.spec.config.find((c) => c.id === arg(0));
        if (!item) return { retval: PdsRc.ENOENT };
        if (item.min === undefined || item.max === undefined) return { retval: PdsRc.EPERM };
        const value = arg(1);
        if (value < item.min || value > item.max) return { retval: PdsRc.ERANGE };
        // Lands in the pending configuration: live only after a function reset.
        this.pending.set(item.id, value);
        this.generation++;
        return { retval: PdsRc.SUCCESS, data: u32s(item.id, value) };
      }
      case 'identity': {
        if (this.defects.has('pds-identity-read-audited')) this.audit++;
        const { serial, asicType, asicRev } = this.spec.identity;
        const data = Buffer.alloc(20);
        data.write(serial, 0, 16, 'latin1');
        data.writeUInt16LE(asicType, 16);
        data.writeUInt16LE(asicRev, 18);
        return { retval: PdsRc.SUCCESS, data };
      }
      case 'capabilities':
        return { retval: PdsRc.SUCCESS, data: u32s(this.spec.capabilities ?? 0) };
      case 'reg-dump': {
        if (!need(8)) return { retval: PdsRc.EINVAL };
        const [first, count] = [arg(0), arg(1)];
        if (first + count > this.regs.length) return { retval: PdsRc.ERANGE };
        const idx = Array.from({ length: count }, (_, i) => first + i);
        const words = this.spec.regDumpLayout === 'pairs' ? idx.flatMap((i) => [i, this.regs[i]!]) : idx.map((i) => this.regs[i]!);
        return { retval: PdsRc.SUCCESS, data: u32s(...words) };
      }
      case 'reg-poke': {
        if (!need(8)) return { retval: PdsRc.EINVAL };
        const [reg, value] = [arg(0), arg(1)];
        if (reg >= this.regs.length) return { retval: PdsRc.ERANGE };
        if (reg < this.spec.debugRegs.scratchFrom) return { retval: PdsRc.EPERM }; // status registers are read-only
        const old = this.regs[reg]!;
        this.regs[reg] = value;
        return { retval: PdsRc.SUCCESS, data: u32s(old) };
      }
      case 'raw-write': {
        if (!need(8)) return { retval: PdsRc.EINVAL };
        const [word, value] = [arg(0), arg(1)];
        if (word >= this.raw.length) return { retval: PdsRc.ERANGE };
        const old = this.raw[word]!;
        this.raw[word] = value;
        return { retval: PdsRc.SUCCESS, data: u32s(old) };
      }
      case 'queue-reset': {
        if (!need(4)) return { retval: PdsRc.EINVAL };
        const q = this.spec.kernelQueues.find((x) => x.id === arg(0));
        if (!q) return { retval: PdsRc.ENOENT };
        // Queues belong to the client that created them: pds_core's are not fwctl's to touch.
        if (client !== 'kernel' && !this.defects.has('pds-kernel-queue-reachable')) return { retval: PdsRc.EPERM };
        this.queueResets.set(q.id, (this.queueResets.get(q.id) ?? 0) + 1);
        return { retval: PdsRc.SUCCESS, data: u32s(q.id) };
      }
      case 'eth-send':
      case 'vdpa-kick':
        this.dataPlaneOps++;
        return { retval: PdsRc.SUCCESS };
      default:
        return { retval: PdsRc.EOPCODE };
    }
  }

  // ---- device-level -------------------------------------------------------------

  /** Function-level reset: the pending configuration goes live. */
  applyPending(): void {
    for (const [id, v] of this.pending) this.running.set(id, v);
  }

  runningConfig(): Record<string, number> {
    return Object.fromEntries(this.spec.config.map((c) => [c.name, this.running.get(c.id)!]));
  }

  kernelQueueIds(): number[] {
    return this.spec.kernelQueues.map((q) => q.id);
  }

  /** Every piece of state an RPC could change. */
  snapshot(): string {
    return JSON.stringify({
      running: [...this.running],
      pending: [...this.pending],
      generation: this.generation,
      regs: this.regs,
      raw: this.raw,
      queueResets: [...this.queueResets],
      audit: this.audit,
      dataPlaneOps: this.dataPlaneOps,
    });
  }
}
