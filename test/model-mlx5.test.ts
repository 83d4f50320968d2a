/**
 * The mlx5 reference models (reference-driver/devices/mlx5: `mlx5` with the
 * 6.15 fwctl driver, `mlx5-7-3` with the 7.3 one), driven directly through
 * ReferenceSystem with the mlx5 codec and profiles/reference-<model>.json.
 *
 * Each rule the suites test on this device is restated here as a small check
 * returning a problem or undefined, the same way the suite does it. The clean
 * models pass every check on every firmware; each mlx5 defect, on the first
 * model it lists at the newest firmware, fails exactly the rules it declares.
 * The kernel profiles are checked against the driver versions they describe.
 */
import { expect } from 'chai';
import { mlx5Codec } from '../harness/codecs/mlx5.js';
import { EFFECTS_FLOOR, loadProfile, presentAt, scopeValue, type Command, type Probe, type Profile } from '../harness/profiles/profile.js';
import { DEFECTS, DriverHang, KernelErrno, KernelOops, ReferenceSystem, type FwctlFile, type Task } from '../reference-driver/index.js';
import { DeviceType, FWCTL_INFO, FWCTL_RPC, decodeInfo, decodeRpc, encodeInfo, encodeRpc } from '../uapi/fwctl.js';

const SCOPES = [0, 1, 2, 3];
const MODELS = ['mlx5', 'mlx5-7-3'] as const;
type Model = (typeof MODELS)[number];

interface Sent {
  errno?: string;
  hang?: boolean;
  oops?: boolean;
  outLen: number;
  out: Buffer;
  ok: boolean;
}

/** One simulated system running an mlx5 model, and the plumbing to send profile commands. */
class Mlx5 {
  readonly sys: ReferenceSystem;
  readonly task: Task;
  readonly profile: Profile;
  constructor(
    readonly model: Model,
    opts: { fw?: string; defects?: string[] } = {},
  ) {
    this.sys = new ReferenceSystem({ model, ...opts });
    this.task = this.sys.spawn();
    this.profile = loadProfile(`reference-${model}`);
  }
  get inst() {
    return this.sys.instance;
  }
  digest(): string {
    return this.inst.stateDigest();
  }
  open(task = this.task): FwctlFile {
    return this.sys.open(task);
  }
  close(f: FwctlFile, how: 'close' | 'exit' = 'close'): void {
    this.sys.core.close(f, how);
  }
  command(name: string): Command {
    return this.profile.commands.find((c) => c.name === name)!;
  }
  /** Catalogued commands present at the running firmware. */
  commands(): Command[] {
    return this.profile.commands.filter((c) => presentAt(c, this.sys.fw));
  }
  get benign(): Command {
    return this.commands().find((c) => c.safeProbe && c.minScope === 'CONFIGURATION')!;
  }
  /** FWCTL_RPC through the core; an errno, a hang or an oops is reported, not thrown. */
  rpc(file: FwctlFile, scope: number, input: Buffer, outLen: number, task = this.task): Sent {
    const mapped: bigint[] = [];
    const map = (b: Buffer) => (mapped.push(task.memory.map(b)), mapped[mapped.length - 1]!);
    const out = Buffer.alloc(Math.max(outLen, 1));
    const arg = Buffer.from(encodeRpc({ scope, in_len: input.length, out_len: outLen, in: map(input.length ? input : Buffer.alloc(1)), out: map(out) }));
    const base = { outLen: 0, out, ok: false };
    try {
      this.sys.core.ioctl(task, file, FWCTL_RPC, map(arg));
      return { outLen: decodeRpc(arg).out_len, out, ok: mlx5Codec.status(out).ok };
    } catch (e) {
      if (e instanceof KernelErrno) return { ...base, errno: e.errno };
      if (e instanceof DriverHang) return { ...base, hang: true };
      if (e instanceof KernelOops) return { ...base, oops: true };
      throw e;
    } finally {
      for (const a of mapped) task.memory.unmap(a);
    }
  }
  encode(item: Command | Probe, params: Record<string, unknown> = {}): Buffer {
    return mlx5Codec.encode(item.request, item.outLen ?? 64, { alloc: () => ({ addr: 0n, bytes: Buffer.alloc(0) }) }, params).input;
  }
  send(file: FwctlFile, item: Command | Probe, scope: number, params: Record<string, unknown> = {}, task = this.task): Sent {
    return this.rpc(file, scope, this.encode(item, params), item.outLen ?? 64, task);
  }
  /** FWCTL_INFO device data (8 bytes asked for). */
  info(file: FwctlFile): Buffer {
    const data = Buffer.alloc(8);
    const arg = Buffer.from(encodeInfo({ device_data_len: 8, out_device_data: this.task.memory.map(data) }));
    this.sys.core.ioctl(this.task, file, FWCTL_INFO, this.task.memory.map(arg));
    expect(decodeInfo(arg)).to.include({ out_device_type: DeviceType.MLX5, device_data_len: 8 });
    return data;
  }
}

const accepted = (s: Sent) => s.errno === undefined && !s.hang && !s.oops && s.ok;
const payload = (s: Sent) => mlx5Codec.payload(s.out);
const why = (s: Sent) => s.errno ?? (s.hang ? 'hang' : s.oops ? 'oops' : mlx5Codec.status(s.out).status);

// ---- one check per rule, as the suites run it: a problem, or undefined ------------

type Check = (model: Model, opts: { fw?: string; defects?: string[] }) => string | undefined;

function sendOk(m: Mlx5, f: FwctlFile, c: Command, scope: number, params: Record<string, unknown> = {}, task?: Task): Sent {
  const r = m.send(f, c, scope, params, task);
  if (!accepted(r)) throw new Error(`${c.name} at scope ${scope}: ${why(r)}`);
  return r;
}

/** Run a check body; a thrown error (an open failing, a sendOk refused) is a failed test. */
function run(body: () => string | undefined): string | undefined {
  try {
    return body();
  } catch (e) {
    return (e as Error).message;
  }
}

function ownObjects(m: Mlx5): [Command, Command, Command] {
  const own = m.profile.ownObjects!;
  return [m.command(own.alloc), m.command(own.query), m.command(own.free)];
}

/** Walk every consecutive firmware pair, collecting payloads of `pick`'s commands at their minimum scope. */
function walk(model: Model, opts: { defects?: string[] }, pick: (m: Mlx5) => Command[], pair: (v: string, next: string, a: Map<string, Buffer | undefined>, b: Map<string, Buffer | undefined>) => string | undefined): string | undefined {
  const m = new Mlx5(model, opts);
  const collect = (fw: string) => {
    m.sys.switchFirmware(fw);
    const f = m.open();
    const got = new Map<string, Buffer | undefined>();
    for (const c of pick(m)) {
      const r = m.send(f, c, scopeValue(c.minScope));
      const p = accepted(r) ? Buffer.from(payload(r)) : undefined;
      for (const [off, len] of c.volatile ?? []) p?.fill(0, off, off + len);
      got.set(c.name, p);
    }
    m.close(f);
    return got;
  };
  const versions = m.sys.model.fwVersions;
  let prev = collect(versions[0]!);
  for (let i = 1; i < versions.length; i++) {
    const next = collect(versions[i]!);
    const problem = pair(versions[i - 1]!, versions[i]!, prev, next);
    if (problem) return problem;
    prev = next;
  }
  return undefined;
}

function growth(prev: Buffer, next: Buffer): string | undefined {
  if (next.length < prev.length) return `shrank from ${prev.length} to ${next.length}`;
  const at = prev.findIndex((b, i) => next[i] !== b);
  return at >= 0 ? `byte ${at} changed` : undefined;
}

const stableAt = (m: Mlx5) => m.commands().filter((c) => c.stability === 'stable' && c.minScope !== 'DEBUG_WRITE_FULL');
const debugReads = (m: Mlx5) => m.commands().filter((c) => c.stability === 'debug' && (c.effects === 'read-only' || c.effects === 'debug-read'));

/** Robustness inputs (the suite's deterministic part): each command as is, truncated, each of 64 bytes at 0x00/0xff. */
function robustness(model: Model, opts: { fw?: string; defects?: string[] }): { crash?: string; hang?: string; state?: string } {
  const m = new Mlx5(model, opts);
  const found: { crash?: string; hang?: string; state?: string } = {};
  let task = m.sys.spawn();
  let f = m.open(task);
  const probe = (c: Command, scope: number, input: Buffer, what: string) => {
    const before = m.digest();
    const r = m.rpc(f, scope, input, c.outLen, task);
    const label = `${c.name} ${what} at scope ${scope}`;
    if (r.oops) found.crash ??= label;
    if (r.hang) found.hang ??= label;
    if (r.errno && m.digest() !== before) found.state ??= `${label}: ${r.errno} after a state change`;
    if (r.oops || r.hang) {
      task = m.sys.spawn(); // that process is dead or stuck
      f = m.open(task);
    }
  };
  for (const c of m.commands()) {
    const valid = m.encode(c);
    for (const s of SCOPES) probe(c, s, valid, 'as is');
    for (const s of [0, 1]) {
      for (let len = 0; len < valid.length; len++) probe(c, s, valid.subarray(0, len), `cut to ${len}`);
      for (let off = 0; off < Math.min(64, valid.length); off++) {
        for (const v of [0x00, 0xff]) {
          if (valid[off] === v) continue;
          const b = Buffer.from(valid);
          b[off] = v;
          probe(c, s, b, `byte ${off} = 0x${v.toString(16)}`);
        }
      }
    }
  }
  return found;
}

const CHECKS: Record<string, Check> = {
  'scope.rejected-below-minimum': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const c of m.commands()) for (const s of SCOPES.filter((x) => x < scopeValue(c.minScope))) {
      const before = m.digest();
      const r = m.send(f, c, s);
      if (r.errno !== m.profile.rejections.belowScope) return `${c.name} at ${s}: ${why(r)}`;
      if (m.digest() !== before) return `${c.name} at ${s}: refused after it changed the device`;
    }
  }),
  'scope.accepted-at-and-above': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    for (const c of m.commands()) {
      const f = m.open();
      for (const s of SCOPES.filter((x) => x >= scopeValue(c.minScope))) sendOk(m, f, c, s);
    }
  }),
  'scope.uncatalogued-denied': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const p of m.profile.uncatalogued) for (const s of SCOPES) {
      const r = m.send(f, p, s);
      if (r.errno !== m.profile.rejections.uncatalogued) return `${p.name} at ${s}: ${why(r)}`;
    }
  }),
  'scope.effects-floor': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const c of m.commands()) for (const s of SCOPES.filter((x) => x < scopeValue(EFFECTS_FLOOR[c.effects]))) {
      if (accepted(m.send(f, c, s))) return `${c.name} (${c.effects}) accepted at ${s}`;
    }
  }),
  'scope.read-only-honest': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    for (const c of m.commands().filter((x) => x.effects === 'read-only' || x.effects === 'debug-read')) {
      const f = m.open();
      const before = m.digest();
      sendOk(m, f, c, scopeValue(c.minScope));
      sendOk(m, f, c, scopeValue(c.minScope));
      if (m.digest() !== before) return `${c.name} changed the device state`;
    }
  }),
  'lifecycle.release-on-close': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const base = m.inst.fwResources();
    const f = m.open();
    const [alloc] = ownObjects(m);
    sendOk(m, f, alloc, scopeValue(alloc.minScope));
    if (m.inst.fwResources() <= base) return 'nothing held while open';
    m.close(f);
    if (m.inst.fwResources() !== base) return `${m.inst.fwResources()} resources after close, baseline ${base}`;
  }),
  'lifecycle.release-on-exit': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const base = m.inst.fwResources();
    const child = m.sys.spawn();
    const f = m.open(child);
    const [alloc] = ownObjects(m);
    sendOk(m, f, alloc, scopeValue(alloc.minScope), {}, child);
    m.close(f, 'exit');
    if (m.inst.fwResources() !== base) return `${m.inst.fwResources()} resources after exit, baseline ${base}`;
  }),
  'lifecycle.churn': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    for (let i = 0; i < 300; i++) {
      const f = m.open();
      sendOk(m, f, m.benign, 0);
      m.close(f);
    }
  }),
  'lifecycle.unregister-releases': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const base = m.inst.fwResources();
    const f = m.open();
    const [alloc] = ownObjects(m);
    sendOk(m, f, alloc, scopeValue(alloc.minScope));
    m.sys.unregister();
    const after = m.inst.fwResources();
    m.sys.register();
    if (after !== base) return `${after} resources after unregister, baseline ${base}`;
  }),
  'coupling.config-after-reset': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    for (const c of m.commands().filter((x) => x.config)) {
      const key = c.config!.key;
      const before = m.inst.kernelDriver.liveConfig()[key];
      const value = c.config!.values.find((v) => v !== before)!;
      sendOk(m, m.open(), c, scopeValue(c.minScope), { value });
      if (m.inst.kernelDriver.liveConfig()[key] !== before) return `${key} live before the reset`;
      m.inst.functionReset();
      if (m.inst.kernelDriver.liveConfig()[key] !== value) return `${key} not live after the reset`;
    }
  }),
  'coupling.kernel-objects-unreachable': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const p of m.profile.kernelObjects!.probes) for (const objectId of m.inst.kernelDriver.ownedObjects()) for (const s of SCOPES) {
      const before = m.digest();
      const r = m.send(f, p, s, { objectId });
      if (accepted(r)) return `${p.name} on ${objectId} at ${s} was carried out`;
      if (m.digest() !== before) return `${p.name} on ${objectId} at ${s} changed the device`;
    }
  }),
  'sharing.many-descriptors': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const fds = Array.from({ length: 32 }, () => m.open());
    for (const f of fds) sendOk(m, f, m.benign, 0);
  }),
  'sharing.no-cross-talk': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const [alloc, query] = ownObjects(m);
    const fds = [m.open(), m.open()];
    const ids = fds.map((f) => mlx5Codec.objectId!(payload(sendOk(m, f, alloc, scopeValue(alloc.minScope)))));
    for (let i = 0; i < 6; i++) {
      const r = m.send(fds[i % 2]!, query, scopeValue(query.minScope), { objectId: ids[i % 2] });
      if (!accepted(r)) return `query ${i + 1} of its own object: ${why(r)}`;
    }
  }),
  'sharing.isolated-resources': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const [alloc, query, free] = ownObjects(m);
    const [a, b] = [m.open(), m.open()];
    const id = mlx5Codec.objectId!(payload(sendOk(m, a, alloc, scopeValue(alloc.minScope))));
    for (const c of [query, free]) if (accepted(m.send(b, c, scopeValue(c.minScope), { objectId: id }))) return `${c.name} of A's object from B`;
    sendOk(m, a, query, scopeValue(query.minScope), { objectId: id });
  }),
  'sharing.context-enforced': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const [alloc, query] = ownObjects(m);
    const [a, b] = [m.open(), m.open()];
    const uidA = mlx5Codec.context!.fromInfo(m.info(a));
    const claimed = mlx5Codec.context!.claim(m.encode(alloc), uidA);
    const made = m.rpc(b, scopeValue(alloc.minScope), claimed, alloc.outLen);
    if (!accepted(made)) return `alloc naming A's uid from B: ${why(made)}`;
    const id = mlx5Codec.objectId!(payload(made));
    if (accepted(m.send(a, query, scopeValue(query.minScope), { objectId: id }))) return `A reads the object B made naming A's uid ${uidA}`;
    sendOk(m, b, query, scopeValue(query.minScope), { objectId: id });
  }),
  'uapi.info.bounds': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const len of [1, 7, 64]) {
      const data = Buffer.alloc(len + 16, 0xee);
      const arg = Buffer.from(encodeInfo({ device_data_len: len, out_device_data: m.task.memory.map(data) }));
      m.sys.core.ioctl(m.task, f, FWCTL_INFO, m.task.memory.map(arg));
      if (decodeInfo(arg).device_data_len !== 8) return `device_data_len ${decodeInfo(arg).device_data_len} for a ${len}-byte buffer`;
      if (!data.subarray(len).every((x) => x === 0xee)) return `bytes past the caller's ${len} written`;
      if (!data.subarray(Math.min(8, len), len).every((x) => x === 0)) return `bytes 8..${len} not zero-filled`;
    }
  }),
  'sharing.kernel-not-blocked': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    m.open();
    sendOk(m, f, m.benign, 0);
    const use = m.inst.kernelDriver.use(m.benign.name);
    return use.ok ? undefined : use.detail;
  }),
  'abi.stable-commands-kept': (model, o) => run(() =>
    walk(model, o, stableAt, (v, next, a, b) => {
      for (const [name, resp] of a) if (resp && !b.get(name)) return `${name} works on ${v} but not on ${next}`;
    })),
  'abi.stable-responses-grow': (model, o) => run(() =>
    walk(model, o, stableAt, (v, next, a, b) => {
      for (const [name, resp] of a) {
        const after = b.get(name);
        const problem = resp && after && growth(resp, after);
        if (problem) return `${name} from ${v} to ${next}: ${problem}`;
      }
    })),
  'abi.info-grows': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    let prev: Buffer | undefined;
    for (const fw of m.sys.model.fwVersions) {
      m.sys.switchFirmware(fw);
      const f = m.open();
      const info = m.info(f).fill(0, 0, 4); // bytes 0..3: the per-descriptor uid
      m.close(f);
      const problem = prev && growth(prev, info);
      if (problem) return `FWCTL_INFO on ${fw}: ${problem}`;
      prev = info;
    }
  }),
  'denied.data-plane': (model, o) => run(() => {
    const m = new Mlx5(model, o);
    const f = m.open();
    for (const p of m.profile.denied) for (const s of SCOPES) {
      const r = m.send(f, p, s);
      if (!r.errno) return `${p.name} at ${s} reached the device (${why(r)})`;
    }
  }),
  'robustness.no-crash': (model, o) => robustness(model, o).crash,
  'robustness.no-hang': (model, o) => robustness(model, o).hang,
  'robustness.rejected-no-state-change': (model, o) => robustness(model, o).state,
};

/** Every rule's verdict on one configuration: rule → problem (failed rules only). */
function failures(model: Model, opts: { fw?: string; defects?: string[] }): Map<string, string> {
  const rob = robustness(model, opts);
  const out = new Map<string, string>();
  for (const [rule, check] of Object.entries(CHECKS)) {
    const problem = rule === 'robustness.no-crash' ? rob.crash : rule === 'robustness.no-hang' ? rob.hang : rule === 'robustness.rejected-no-state-change' ? rob.state : check(model, opts);
    if (problem) out.set(rule, problem);
  }
  return out;
}

// ---- the tests ---------------------------------------------------------------

for (const model of MODELS) {
  describe(`model ${model} (clean)`, () => {
    it('three firmware versions; FWCTL_INFO is {uid, uctx_caps = TOOLS_RESOURCES}, uid per descriptor', () => {
      const m = new Mlx5(model);
      expect(m.sys.model.fwVersions).to.deep.equal(['1.0', '2.0', '3.0']);
      const [a, b] = [m.info(m.open()), m.info(m.open())];
      expect(a.readUInt32LE(4)).to.equal(0x4);
      expect(b.readUInt32LE(4)).to.equal(0x4);
      expect(a.readUInt32LE(0)).to.not.equal(b.readUInt32LE(0));
      expect(m.inst.fwResources(), 'two user contexts').to.equal(2);
    });

    it('fw_rpc: in_len or out_len below 16 is EMSGSIZE; out_len is the caller\'s; status errors ride in the response', () => {
      const m = new Mlx5(model);
      const f = m.open();
      const input = m.encode(m.benign);
      expect(m.rpc(f, 0, input.subarray(0, 15), 64).errno).to.equal('EMSGSIZE');
      expect(m.rpc(f, 0, input, 15).errno).to.equal('EMSGSIZE');
      for (const outLen of [16, 20, 256, 4096]) expect(m.rpc(f, 0, input, outLen).outLen).to.equal(outLen);
      const badCap = Buffer.from(input);
      badCap.writeUInt16BE(0x7e, 6); // capability type 0x3f: unknown
      const r = m.rpc(f, 0, badCap, 64);
      expect(r.errno).to.equal(undefined);
      expect(mlx5Codec.status(r.out)).to.include({ ok: false });
      expect(r.out[0]).to.equal(0x3); // BAD_PARAM
    });

    it('the driver overwrites the uid field: a request naming another uid still runs as its own', () => {
      const m = new Mlx5(model);
      const [a, b] = [m.open(), m.open()];
      const [alloc, query] = ownObjects(m);
      const id = mlx5Codec.objectId!(payload(sendOk(m, a, alloc, 1)));
      const forged = m.encode(query, { objectId: id });
      forged.writeUInt16BE(m.info(a).readUInt32LE(0), 2); // A's uid, sent on B
      expect(accepted(m.rpc(b, 1, forged, 32))).to.equal(false);
    });

    it('open fails with the firmware\'s errno: out of user contexts (LIM_ERR) is ENOMEM', () => {
      const m = new Mlx5(model);
      let errno: string | undefined;
      for (let i = 0; i < 5000 && !errno; i++) {
        try {
          m.open();
        } catch (e) {
          errno = (e as KernelErrno).errno;
        }
      }
      expect(errno).to.equal('ENOMEM');
      expect(m.inst.fwResources()).to.equal(4096);
    });

    it('firmware 3.0 changes QUERY_DIAGNOSTIC_COUNTERS (debug stability): a notice, not a stable-ABI failure', () => {
      const m = new Mlx5(model, { fw: '2.0' });
      const c = m.command('QUERY_DIAGNOSTIC_COUNTERS');
      expect(c.stability).to.equal('debug');
      const before = payload(sendOk(m, m.open(), c, 1));
      m.sys.switchFirmware('3.0');
      const after = payload(sendOk(m, m.open(), c, 1));
      expect(growth(before, after)).to.be.a('string');
    });

    for (const rule of Object.keys(CHECKS)) {
      it(`${rule}: passes on every firmware`, () => {
        for (const fw of rule.startsWith('abi.') ? [undefined] : ['1.0', '2.0', '3.0']) expect(CHECKS[rule]!(model, { fw }), `${rule} on ${fw ?? 'all'}`).to.equal(undefined);
      });
    }
  });
}

describe('model mlx5 defects (each breaks exactly its declared rules, newest firmware)', () => {
  const relevant = DEFECTS.filter((d) => d.models?.some((x) => x.startsWith('mlx5')));
  it('every mlx5 defect is in the catalog with a layer and a summary', () => {
    expect(relevant.filter((d) => d.layer === 'mlx5').length).to.be.at.least(18);
  });
  for (const d of relevant) {
    const model = d.models!.find((x) => x.startsWith('mlx5')) as Model;
    it(`${d.id} on ${model}: ${d.breaks.join(', ')}`, () => {
      const failed = failures(model, { defects: [d.id] });
      expect([...failed.keys()].sort(), [...failed].map(([r, p]) => `${r}: ${p}`).join('\n')).to.deep.equal([...d.breaks].sort());
    });
  }
});

describe('model mlx5 kernel profiles agree with the driver versions they describe', () => {
  for (const [profileId, model] of [['kernel-mlx5', 'mlx5'], ['kernel-mlx5-7-3', 'mlx5-7-3']] as const) {
    it(`${profileId}: EBADMSG below each minimum scope, delivered at and above; probes refused`, () => {
      const kp = loadProfile(profileId);
      const m = new Mlx5(model);
      const f = m.open();
      for (const c of kp.commands) for (const s of SCOPES) {
        const r = m.send(f, c, s);
        if (s < scopeValue(c.minScope)) expect(r.errno, `${c.name} at ${s}`).to.equal('EBADMSG');
        else expect(r.errno, `${c.name} at ${s}`).to.equal(undefined); // the sim firmware may not implement it: status only
      }
      for (const p of [...kp.uncatalogued, ...kp.denied, ...kp.kernelObjects!.probes]) for (const s of SCOPES) {
        expect(m.send(f, p, s).errno, `${p.name} at ${s}`).to.equal('EBADMSG');
      }
    });
  }
});
