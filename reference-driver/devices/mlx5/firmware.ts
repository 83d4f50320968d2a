/**
 * The mlx5-like device's firmware, seen through its command interface: one
 * 16-byte big-endian header in, a status and a response out (digest §3.1).
 *
 * What the model keeps, and why:
 * - user contexts (CREATE_UCTX/DESTROY_UCTX), one per fwctl descriptor: the
 *   header's uid names the context a command runs in; uid 0 is the kernel's
 *   own command interface (mlx5_core);
 * - an object table tagged with the creating uid. Every command that names an
 *   object checks the tag: that is how the netdev's objects (uid 0) and other
 *   descriptors' objects stay out of reach. DESTROY_UCTX frees its objects;
 * - device state a command can change (NV configuration current/next-boot,
 *   diagnostic parameters and counters, the PAOS and MLCR registers, the VF's
 *   pre-configured capabilities) — what snapshot() reports.
 *
 * A command the firmware does not implement answers BAD_OP; a short input
 * BAD_INP_LEN; anything else it refuses, a status with an opaque syndrome.
 * Nothing here throws but a DriverHang, and only under a defect.
 */
import type { Defects } from '../../defects/defects.js';
import { DriverHang } from '../../kernel/errno.js';
import firmware from './firmware.json' with { type: 'json' };
import { CapType, HDR_LEN, IN, NvItem, Op, OP_NAMES, Reg, RegOp, Status } from './ifc.js';

type Field = { name: string; u32?: number; ascii?: string; len?: number };
interface VersionSpec {
  commands: string[];
  diagCounterLayout: number;
  hcaCap: Field[];
  adapter: Field[];
  vuid?: string;
}

const VERSIONS = firmware.versions as Record<string, VersionSpec>;
export const MLX5_FW_VERSIONS = Object.keys(VERSIONS);

/** Commands only some firmware versions implement (listed in firmware.json `commands`). */
const OPTIONAL = new Set<number>([Op.QUERY_VUID]);

/** The model's diagnostic-parameters context: 16 bytes after the header (QUERY/SET_DIAGNOSTIC_PARAMS). */
const DIAG_PARAMS_LEN = 16;
const DIAG = { numCounters: 0, logSamples: 2, flags: 3, period: 4, ids: 8, maxCounters: 4 } as const;
/** Register data the model's registers carry (PAOS, MLCR). */
const REG_LEN = 8;
/** The one other function (a VF) the device has, for SET_HCA_CAP other-function / QUERY_OTHER_HCA_CAP. */
const VF_FUNCTION_ID = 1;
const VF_CAP_LEN = 16;
/** Ids start here so 0 can mean "no object" and ids are never reused. */
const FIRST_OBJECT_ID = 0x100;
const PER_UID_COUNTER_BASE = 0x100000;

export type ObjectType = 'cq' | 'qp' | 'diag-counter';
interface FwObject {
  readonly id: number;
  readonly type: ObjectType;
  readonly uid: number;
}

interface Reply {
  status: number;
  syndrome?: number;
  /** Dword 2 of the output header (ids and small values real commands return there). */
  dw2?: number;
  data?: Buffer;
}

interface Ctx {
  input: Buffer;
  uid: number;
  opMod: number;
}

interface Command {
  /** Shortest input the command takes; shorter is BAD_INP_LEN. */
  inLen: number;
  run(c: Ctx): Reply;
}

/** An opaque, stable syndrome per refusal reason (real syndromes are opaque too). */
function syndromeOf(reason: string): number {
  let h = 0x811c9dc5;
  for (const ch of reason) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function encodeFields(fields: readonly Field[]): Buffer {
  return Buffer.concat(
    fields.map((f) => {
      if (f.ascii !== undefined) {
        const b = Buffer.alloc(f.len ?? f.ascii.length);
        b.write(f.ascii, 'ascii');
        return b;
      }
      const b = Buffer.alloc(4);
      b.writeUInt32BE((f.u32 ?? 0) >>> 0);
      return b;
    }),
  );
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

const ok = (data?: Buffer, dw2?: number): Reply => ({ status: Status.OK, data, dw2 });

export class Mlx5Firmware {
  readonly spec: VersionSpec;
  private readonly commands = new Map<number, Command>();
  private readonly uctxs = new Map<number, { cap: number }>();
  private readonly objects = new Map<number, FwObject>();
  private nextObjectId = FIRST_OBJECT_ID;
  /** Only for the per-uid counter numbering defect. */
  private readonly perUidCounters = new Map<number, number>();

  // ---- device state (snapshot()) ----
  private readonly nv = new Map<number, { current: number; next: number }>([[NvItem.ROCE_ENABLED, { current: 1, next: 1 }]]);
  private diagParams = Buffer.alloc(DIAG_PARAMS_LEN);
  private readonly counterValues: number[] = [...firmware.diagCounterValues];
  /** How many times the counters were cleared (the device keeps count): a clear is always visible. */
  private counterClears = 0;
  private paosAdmin = 1; // 1 = up, 2 = down
  private mlcrDuration = 0;
  private vfCapPending = Buffer.alloc(VF_CAP_LEN);

  /** Called when next-boot configuration is pushed live outside a reset (only a defect does). */
  onConfigLive: () => void = () => {};

  constructor(
    readonly version: string,
    private readonly defects: Defects,
  ) {
    const spec = VERSIONS[version];
    if (!spec) throw new Error(`unknown mlx5 firmware version ${version}`);
    this.spec = spec;
    this.define();
  }

  /** The general capability field mlx5_core caches at init (MLX5_CAP_GEN), or undefined. */
  capField(name: string): number | undefined {
    return this.spec.hcaCap.find((f) => f.name === name)?.u32;
  }

  // ---- the command interface ----------------------------------------------

  /** Run one command; the response is exactly `outLen` bytes (truncated or zero-filled). */
  exec(input: Buffer, outLen: number): Buffer {
    const r = this.run(input);
    const resp = Buffer.alloc(HDR_LEN + (r.data?.length ?? 0));
    resp.writeUInt8(r.status, 0);
    resp.writeUInt32BE(r.syndrome ?? 0, 4);
    if (r.dw2 !== undefined) resp.writeUInt32BE(r.dw2 >>> 0, 8);
    r.data?.copy(resp, HDR_LEN);
    const out = Buffer.alloc(outLen);
    resp.copy(out, 0, 0, Math.min(outLen, resp.length));
    return out;
  }

  private run(input: Buffer): Reply {
    if (input.length < HDR_LEN) return this.refuse(Status.BAD_INP_LEN, 'input shorter than the command header');
    const opcode = input.readUInt16BE(IN.opcode);
    const uid = input.readUInt16BE(IN.uid);
    const opMod = input.readUInt16BE(IN.opMod);
    if (uid !== 0 && !this.uctxs.has(uid)) return this.refuse(Status.BAD_PARAM, `uid ${uid} is not a user context`);
    const cmd = this.commands.get(opcode);
    const name = OP_NAMES.get(opcode) ?? '';
    if (!cmd || (OPTIONAL.has(opcode) && !this.spec.commands.includes(name))) return this.refuse(Status.BAD_OP, `opcode 0x${opcode.toString(16)}`);
    // Defect: firmware 2.0 (only; 3.0 restored it) lost a stable query.
    if (opcode === Op.QUERY_HCA_VPORT_CONTEXT && this.version === '2.0' && this.defects.has('mlx5-fw2-drops-vport-context')) {
      return this.refuse(Status.BAD_OP, 'QUERY_HCA_VPORT_CONTEXT');
    }
    if (input.length < cmd.inLen) return this.refuse(Status.BAD_INP_LEN, `${name} needs ${cmd.inLen} bytes`);
    return cmd.run({ input, uid, opMod });
  }

  private refuse(status: number, reason: string): Reply {
    return { status, syndrome: syndromeOf(reason) };
  }

  private define(): void {
    const def = (opcode: number, inLen: number, run: (c: Ctx) => Reply) => this.commands.set(opcode, { inLen, run });
    const H = HDR_LEN;

    // -- user contexts: only the kernel's command interface (uid 0) creates them.
    def(Op.CREATE_UCTX, H + 4, ({ input, uid }) => {
      if (uid !== 0) return this.refuse(Status.BAD_PARAM, 'a user context cannot create user contexts');
      const cap = input.readUInt32BE(H);
      if (cap & ~(this.capField('uctx_cap') ?? 0)) return this.refuse(Status.BAD_PARAM, 'uctx cap not supported');
      if (this.uctxs.size >= firmware.limits.maxUctx) return this.refuse(Status.LIM_ERR, 'out of user contexts');
      let id = 1;
      while (this.uctxs.has(id)) id++;
      this.uctxs.set(id, { cap });
      return ok(undefined, id); // uid in the low 16 bits of dword 2
    });
    def(Op.DESTROY_UCTX, H, ({ uid }) => {
      if (uid === 0) return this.refuse(Status.BAD_PARAM, 'uid 0 is the kernel');
      this.uctxs.delete(uid);
      this.perUidCounters.delete(uid);
      // A user context's objects die with it (the defect forgets them: they leak).
      if (!this.defects.has('mlx5-destroy-keeps-objects')) for (const o of [...this.objects.values()]) if (o.uid === uid) this.objects.delete(o.id);
      return ok();
    });

    // -- identity and capabilities (stable queries).
    def(Op.QUERY_HCA_CAP, H, ({ opMod }) => {
      const type = opMod >> 1;
      if (type !== CapType.GENERAL) {
        // Defect: an out-of-table capability type walks off the end of the table forever.
        if (type >= 0x40 && this.defects.has('mlx5-hang-on-bad-cap-type')) throw new DriverHang(`QUERY_HCA_CAP cap type 0x${type.toString(16)}`);
        return this.refuse(Status.BAD_PARAM, `capability type 0x${type.toString(16)}`);
      }
      return ok(encodeFields(this.spec.hcaCap));
    });
    def(Op.QUERY_ADAPTER, H, () => {
      const fields = [...this.spec.adapter];
      // Defect: from 2.0 the first two fields trade places (a stable layout moved).
      if (this.version !== '1.0' && this.defects.has('mlx5-fw2-moves-field')) [fields[0], fields[1]] = [fields[1]!, fields[0]!];
      return ok(encodeFields(fields));
    });
    def(Op.QUERY_ISSI, H, () => {
      // Defect: from 2.0 current_issi moves out of dword 2 (response bytes 8-11) into the data.
      if (this.version !== '1.0' && this.defects.has('mlx5-fw2-issi-moved')) return ok(u32s(0x3, 1), 0);
      return ok(u32s(0x3), 1); // supported ISSIs 0 and 1; current_issi 1
    });
    def(Op.QUERY_VUID, H, () => {
      const vuid = Buffer.alloc(40);
      vuid.write(this.spec.vuid ?? '', 'ascii');
      return ok(Buffer.concat([u32s(1), vuid]));
    });
    def(Op.NOP, H, () => ok());
    def(Op.QUERY_OTHER_HCA_CAP, H, ({ input }) => {
      if (input.readUInt16BE(IN.index) !== VF_FUNCTION_ID) return this.refuse(Status.BAD_PARAM, 'no such function');
      return ok(encodeFields(this.spec.hcaCap));
    });
    // Tools uids may only pre-configure another function (the kernel comment in
    // mlx5ctl_validate_rpc); the function sees it when it next loads.
    def(Op.SET_HCA_CAP, H + VF_CAP_LEN, ({ input, uid }) => {
      const otherFunction = (input[IN.objectId]! & 0x80) !== 0;
      if (!otherFunction) {
        if (uid === 0) return ok(); // mlx5_core setting its own caps at init: nothing the model keeps
        return this.refuse(Status.BAD_PARAM, 'tools uid: SET_HCA_CAP is allowed in other-function mode only');
      }
      if (input.readUInt16BE(IN.index) !== VF_FUNCTION_ID) return this.refuse(Status.BAD_PARAM, 'no such function');
      this.vfCapPending = Buffer.from(input.subarray(H, H + VF_CAP_LEN));
      return ok();
    });

    // -- vport state, as the netdev runs it.
    def(Op.QUERY_HCA_VPORT_CONTEXT, H, ({ input }) => {
      const otherVport = (input[IN.objectId]! & 0x80) !== 0;
      if (otherVport && input.readUInt16BE(IN.index) !== 0) return this.refuse(Status.BAD_PARAM, 'no such vport');
      // port_physical_state 5 (LinkUp), vport_state, port MTU code 5 (4096), roce_en (live)
      return ok(u32s(5, this.paosAdmin === 1 ? 1 : 0, 5, this.nvValue(NvItem.ROCE_ENABLED).current));
    });
    def(Op.QUERY_NIC_VPORT_CONTEXT, H, () => ok(u32s(1500, this.nvValue(NvItem.ROCE_ENABLED).current, 0xb8ce, 0xf6001122)));

    // -- model NV configuration: writes land in next-boot, live after a function reset.
    def(Op.QUERY_NV_CONFIG, H, ({ input }) => {
      const item = this.nv.get(input.readUInt16BE(IN.index));
      if (!item) return this.refuse(Status.BAD_PARAM, 'no such configuration item');
      return ok(u32s(item.current, item.next));
    });
    def(Op.SET_NV_CONFIG, H, ({ input }) => {
      const item = this.nv.get(input.readUInt16BE(IN.index));
      const value = input.readUInt32BE(IN.value);
      if (!item) return this.refuse(Status.BAD_PARAM, 'no such configuration item');
      if (value > 1) return this.refuse(Status.BAD_PARAM, 'value out of range');
      item.next = value;
      // Defect: the value goes live now and the netdev is told, instead of at the next reset.
      if (this.defects.has('mlx5-nv-config-applied-live')) {
        item.current = value;
        this.onConfigLive();
      }
      return ok();
    });

    // -- diagnostics.
    def(Op.QUERY_DIAGNOSTIC_PARAMS, H, () => ok(Buffer.from(this.diagParams)));
    def(Op.SET_DIAGNOSTIC_PARAMS, H + DIAG_PARAMS_LEN, ({ input }) => {
      const ctx = input.subarray(H, H + DIAG_PARAMS_LEN);
      const problem = this.checkDiagParams(ctx);
      if (problem) return this.refuse(Status.BAD_PARAM, problem);
      this.diagParams = Buffer.from(ctx);
      return ok();
    });
    def(Op.QUERY_DIAGNOSTIC_COUNTERS, H, () => {
      const data = this.diagCounters();
      // Defect: reading clears the counters (a read that writes).
      if (this.defects.has('mlx5-diag-counters-clear-on-read')) {
        this.counterValues.fill(0);
        this.counterClears++;
      }
      return ok(data);
    });

    // -- registers.
    def(Op.ACCESS_REG, H + REG_LEN, ({ input, uid, opMod }) => this.accessReg(input, uid, opMod));

    // -- objects: CQs and QPs (the netdev's), model diagnostic counters (anyone's).
    for (const [create, destroy, query, type] of [
      [Op.CREATE_CQ, Op.DESTROY_CQ, Op.QUERY_CQ, 'cq'],
      [Op.CREATE_QP, Op.DESTROY_QP, Op.QUERY_QP, 'qp'],
    ] as const) {
      def(create, H, ({ uid }) => ok(undefined, this.create(type, uid)));
      def(destroy, H, ({ input, uid }) => this.withObject(input, uid, type, (o) => (this.objects.delete(o.id), ok())));
      def(query, H, ({ input, uid }) => this.withObject(input, uid, type, (o) => ok(u32s(o.id, 1))));
    }
    def(Op.ALLOC_DIAG_COUNTER, H, ({ uid }) => {
      if (this.countersOf(uid) >= firmware.limits.countersPerUid) return this.refuse(Status.LIM_ERR, 'out of diagnostic counters');
      return ok(u32s(this.create('diag-counter', uid)));
    });
    def(Op.QUERY_DIAG_COUNTER, H, ({ input, uid }) => {
      if (this.objectIdOf(input) === 0) return ok(u32s(this.countersOf(uid), firmware.limits.countersPerUid));
      return this.withObject(input, uid, 'diag-counter', (o) => ok(u32s(o.id, this.counterValues[0] ?? 0)));
    });
    def(Op.DEALLOC_DIAG_COUNTER, H, ({ input, uid }) => {
      if (this.objectIdOf(input) === 0) return ok(); // free(NULL)
      return this.withObject(input, uid, 'diag-counter', (o) => (this.objects.delete(o.id), ok()));
    });
  }

  // ---- objects ------------------------------------------------------------

  private create(type: ObjectType, uid: number): number {
    let id = this.nextObjectId++;
    // Defect: counters are numbered per user context but kept in one device-wide
    // table, so a second context's counter replaces the first's under the same id.
    if (type === 'diag-counter' && uid !== 0 && this.defects.has('mlx5-counter-ids-per-uid')) {
      const n = (this.perUidCounters.get(uid) ?? 0) + 1;
      this.perUidCounters.set(uid, n);
      id = PER_UID_COUNTER_BASE + n;
    }
    this.objects.set(id, { id, type, uid });
    return id;
  }

  private objectIdOf(input: Buffer): number {
    return input.readUInt32BE(IN.objectId) & 0xffffff;
  }

  private countersOf(uid: number): number {
    let n = 0;
    for (const o of this.objects.values()) if (o.uid === uid && o.type === 'diag-counter') n++;
    return n;
  }

  /** Does the command's uid own the object? The uid tag is the only isolation there is. */
  private owns(uid: number, o: FwObject): boolean {
    if (o.uid === uid) return true;
    // Defect: the kernel's objects (uid 0) are treated as unowned.
    if (o.uid === 0 && this.defects.has('mlx5-kernel-uid-unchecked')) return true;
    // Defect: only the kernel's objects are protected; any user context may use another's.
    if (o.uid !== 0 && uid !== 0 && this.defects.has('mlx5-uid-check-kernel-only')) return true;
    return false;
  }

  private withObject(input: Buffer, uid: number, type: ObjectType, fn: (o: FwObject) => Reply): Reply {
    const o = this.objects.get(this.objectIdOf(input));
    if (!o || o.type !== type) return this.refuse(Status.BAD_PARAM, `no such ${type}`);
    if (!this.owns(uid, o)) return this.refuse(Status.BAD_RES_STATE, `${type} belongs to another uid`);
    return fn(o);
  }

  // ---- registers and diagnostics ----------------------------------------------

  private accessReg(input: Buffer, uid: number, opMod: number): Reply {
    const reg = input.readUInt16BE(IN.index);
    const data = input.subarray(IN.data, IN.data + REG_LEN);
    if (opMod !== RegOp.READ && opMod !== RegOp.WRITE) return this.refuse(Status.BAD_PARAM, 'register access method');
    const write = opMod === RegOp.WRITE;
    switch (reg) {
      case Reg.PAOS: {
        if (!write) return ok(Buffer.from([1, this.paosAdmin, this.paosAdmin, 0, 0, 0, 0, 0]));
        // Port admin state belongs to the netdev (ip link set up/down): tools uids may only read it.
        if (uid !== 0) return this.refuse(Status.BAD_PARAM, 'PAOS is owned by the kernel driver');
        if (data[1] !== 1 && data[1] !== 2) return this.refuse(Status.BAD_PARAM, 'PAOS admin_status');
        this.paosAdmin = data[1]!;
        return ok();
      }
      case Reg.MLCR: {
        if (!write) return ok(u32s(this.mlcrDuration, this.mlcrDuration));
        const duration = data.readUInt32BE(0);
        if (duration > 0xffff) return this.refuse(Status.BAD_PARAM, 'MLCR beacon_duration');
        this.mlcrDuration = duration;
        return ok();
      }
      default:
        return this.refuse(Status.BAD_PARAM, `register 0x${reg.toString(16)}`);
    }
  }

  private checkDiagParams(ctx: Buffer): string | undefined {
    const n = ctx.readUInt16BE(DIAG.numCounters);
    const flags = ctx[DIAG.flags]!;
    if (n > DIAG.maxCounters) return 'num_of_counters';
    if (ctx[DIAG.logSamples]! > 10) return 'log_num_of_samples';
    if (flags & ~1) return 'reserved flags';
    const period = ctx.readUInt32BE(DIAG.period);
    if (flags & 1 && (period === 0 || period > 1_000_000)) return 'sample_period';
    for (let i = 0; i < DIAG.maxCounters; i++) {
      const id = ctx.readUInt16BE(DIAG.ids + 2 * i);
      if (i < n ? !firmware.diagCounterIds.includes(id) : id !== 0) return `counter_id[${i}]`;
    }
    return undefined;
  }

  /** Every supported counter with its sampled value; layout 2 (firmware 3.0) moved the fields. */
  private diagCounters(): Buffer {
    const n = this.diagParams.readUInt16BE(DIAG.numCounters);
    const on = (this.diagParams[DIAG.flags]! & 1) !== 0;
    const selected = new Set<number>();
    for (let i = 0; i < n; i++) selected.add(this.diagParams.readUInt16BE(DIAG.ids + 2 * i));
    return Buffer.concat(
      firmware.diagCounterIds.map((id, i) => {
        const flags = on && selected.has(id) ? 1 : 0;
        const value = this.counterValues[i] ?? 0;
        if (this.spec.diagCounterLayout === 1) return Buffer.concat([Buffer.from([id >> 8, id & 0xff, 0, flags]), u32s(value)]);
        return Buffer.concat([u32s(0, value), Buffer.from([id >> 8, id & 0xff, 0, flags]), u32s(0)]);
      }),
    );
  }

  private nvValue(item: number): { current: number; next: number } {
    return this.nv.get(item)!;
  }

  // ---- what the device model reports --------------------------------------------

  /** Function-level reset: next-boot configuration becomes current. */
  reset(): void {
    for (const item of this.nv.values()) item.current = item.next;
  }

  /** User contexts plus the objects they own: what fwctl descriptors hold (fwResources). */
  fwctlResources(): number {
    let n = this.uctxs.size;
    for (const o of this.objects.values()) if (o.uid !== 0) n++;
    return n;
  }

  /**
   * Device state a command can change. Descriptor-private objects are left
   * out: they change no device behaviour and fwResources() counts them.
   */
  snapshot(): string {
    const nv = [...this.nv].map(([k, v]) => `${k}=${v.current}/${v.next}`).join(',');
    const kernel = [...this.objects.values()].filter((o) => o.uid === 0).map((o) => `${o.type}#${o.id}`).join(',');
    return [
      `nv:${nv}`,
      `diag:${this.diagParams.toString('hex')}`,
      `counters:${this.counterValues.join(',')}/cleared ${this.counterClears}`,
      `paos:${this.paosAdmin}`,
      `mlcr:${this.mlcrDuration}`,
      `vfcap:${this.vfCapPending.toString('hex')}`,
      `kernel:${kernel}`,
    ].join(';');
  }

  /** NV configuration as the device runs it now (what a driver reads at probe/reset). */
  liveNv(item: number): number {
    return this.nvValue(item).current;
  }
}

/**
 * The host side of the command interface (mlx5_core cmd.c): the netdev and
 * the fwctl driver both submit through it. `heldBy` is set only by a defect
 * that keeps it locked while a fwctl descriptor is open.
 */
export class CommandInterface {
  heldBy: string | undefined;
  constructor(readonly fw: Mlx5Firmware) {}
  exec(input: Buffer, outLen: number): Buffer {
    return this.fw.exec(input, outLen);
  }
}
