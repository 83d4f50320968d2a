/**
 * Robustness probing, shared by suites/robustness: malformed requests built
 * from every catalogued command — each truncation, each of the first 64
 * bytes set to 0x00 and 0xff, then a seeded fast-check pass — sent from a
 * child process so a kill or a hang costs only that child. It lives here, not
 * in the spec, so its hot code stays compiled across the runner's reloads.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ROBUSTNESS_RUNS_DEFAULT, robustnessEnv } from '../../harness/env.js';
import type { Command } from '../../harness/profiles/profile.js';
import { writeGate, type WriteGate } from '../../harness/profiles/writes.js';
import { CallRefused, ProcessKilled, type TargetProcess, type UserBuffer } from '../../harness/targets/target.js';
import { FWCTL_RPC, RPC_SIZE, encodeRpc, scopeName } from '../../uapi/fwctl.js';
import type { Fixture } from './fixture.js';

type Mutation = { kind: 'none' } | { kind: 'truncate'; len: number } | { kind: 'set'; offset: number; value: number } | { kind: 'random'; edits: [number, number][]; cut: number | null };

interface Input {
  command: Command;
  scope: number;
  mutation: Mutation;
}

type Outcome = { kind: 'ok' | 'errno' | 'crash' | 'hang'; errno?: string; stateChanged: boolean; oops: string[] };

const OOPS = /\b(Oops|BUG:|WARNING:)/;

/** The most room a probe's request or response buffer gets (a longer request is not sent, a longer response is cut). */
const SCRATCH = 8192;

/** Buffer sizes for a set of commands: what their longest valid request and response need, within SCRATCH. */
interface Room {
  input: number;
  out: number;
}

/** Each command's valid request, encoded on the test's own target, in order. */
async function validRequests(t: Fixture, commands: readonly Command[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const c of commands) out.push((await t.encode(c)).input);
  return out;
}

/**
 * Just the room the commands need, not SCRATCH for every probe: on a target across a wire (agent
 * children, exec:) a changed segment travels whole, in base64, both ways (docs/wire-protocol.md
 * "User memory"), and every probe rewrites its request buffer. 8 KiB each way per input cost a
 * quarter of the robustness time on the VM's kernel (issue 15). Mutations never lengthen a request.
 */
function roomFor(commands: readonly Command[], requests: readonly Buffer[]): Room {
  const input = Math.max(1, ...requests.map((r) => r.length));
  const out = Math.max(1, ...commands.map((c) => c.outLen));
  return { input: Math.min(input, SCRATCH), out: Math.min(out, SCRATCH) };
}

function describeInput(i: Input): string {
  const m = i.mutation;
  const how = m.kind === 'none' ? 'as is' : m.kind === 'truncate' ? `truncated to ${m.len} bytes` : m.kind === 'set' ? `byte ${m.offset} set to 0x${m.value.toString(16)}` : `random edits ${JSON.stringify(m.edits)}${m.cut === null ? '' : `, cut to ${m.cut}`}`;
  return `${i.command.name} ${how} at ${scopeName(i.scope)}`;
}

function mutate(valid: Buffer, m: Mutation, minLen: number): Buffer | undefined {
  switch (m.kind) {
    case 'none':
      return valid;
    case 'truncate':
      return valid.subarray(0, m.len);
    case 'set': {
      if (valid[m.offset] === m.value) return undefined;
      const b = Buffer.from(valid);
      b[m.offset] = m.value;
      return b;
    }
    case 'random': {
      const b = Buffer.from(valid);
      for (const [off, v] of m.edits) if (off < b.length) b[off] = v;
      return m.cut === null ? b : b.subarray(0, Math.max(minLen, Math.min(m.cut, b.length)));
    }
  }
}

/** Sends inputs from a child process, replacing it when a request kills or hangs it. */
class Prober {
  private proc?: TargetProcess;
  private fd?: number;
  private readonly children: { exit(): Promise<void> }[] = [];
  /** Each command's valid request, encoded once per process (its nested buffers live there). */
  private readonly valid = new Map<string, Buffer>();
  /** Reused request/response/struct buffers of the current process: probes allocate nothing. */
  private scratch?: { input: UserBuffer; out: UserBuffer; rpc: UserBuffer };
  /** Kernel log lines already seen. */
  private logged = 0;
  /**
   * The device state after the last probe: the next one's "before" (a digest costs several RPCs, and the
   * test runs alone on its device). Forgotten after a hang, whose request may still land.
   */
  private lastDigest?: string;
  hangs = 0;
  /** Inputs sent, by outcome: the report's evidence of how much was tried. */
  readonly sent = { ok: 0, errno: 0, crash: 0, hang: 0 };
  /** Mutations not sent because they may have become a write (harness/profiles/writes.ts), and the first why. */
  withheld = 0;
  firstWithheld?: string;
  /** The last request's bytes, for the evidence sample. */
  lastBytes?: Buffer;

  constructor(
    private readonly t: Fixture,
    private readonly hangMs: number,
    /** What the property looks at: only that is observed (a digest or a log read per probe costs). */
    private readonly watch: { state: boolean; log: boolean },
    /** The request and response buffers' sizes (roomFor). */
    private readonly room: Room,
    /** Without --allow-destructive: which mutated requests may change the device. */
    private readonly gate?: WriteGate,
  ) {}

  private async ready(): Promise<{ proc: TargetProcess; fd: number; scratch: NonNullable<Prober['scratch']> }> {
    if (!this.proc) {
      const processes = this.t.target.parts.processes;
      if (processes) {
        const child = await processes.spawn();
        this.children.push(child);
        this.proc = child;
      } else {
        this.proc = this.t.target;
      }
      this.valid.clear();
      this.scratch = { input: this.proc.alloc(this.room.input), out: this.proc.alloc(this.room.out), rpc: this.proc.alloc(RPC_SIZE) };
      this.fd = await this.proc.open();
    }
    return { proc: this.proc, fd: this.fd!, scratch: this.scratch! };
  }

  /** Skip what the kernel logged before this test. */
  async start(): Promise<void> {
    const log = this.t.target.parts.kernelLog;
    if (this.watch.log && log) this.logged = (await log.read()).length;
  }

  /** Let every child go: their descriptors close as they exit. */
  async close(): Promise<void> {
    for (const c of this.children.splice(0)) await c.exit().catch(() => undefined);
    if (this.proc === this.t.target && this.fd !== undefined) await this.t.target.close(this.fd);
  }

  async send(input: Input, minLen: number): Promise<Outcome | undefined> {
    const { proc, fd, scratch } = await this.ready();
    let valid = this.valid.get(input.command.name);
    if (!valid) {
      valid = (await this.t.encode(input.command, {}, proc)).input;
      this.valid.set(input.command.name, valid);
    }
    const bytes = mutate(valid, input.mutation, minLen);
    if (!bytes || bytes.length < minLen || bytes.length > this.room.input) return undefined;
    if (this.gate && input.mutation.kind !== 'none') {
      const g = this.gate(bytes);
      if (g.unsafe) {
        this.withheld++;
        this.firstWithheld ??= `${describeInput(input)}: ${g.why}`;
        return undefined;
      }
    }
    const state = this.watch.state ? this.t.target.parts.deviceState : undefined;
    const log = this.watch.log ? this.t.target.parts.kernelLog : undefined;
    const before = state && (this.lastDigest ?? (await state.digest()));
    scratch.input.bytes.fill(0);
    bytes.copy(scratch.input.bytes);
    const outLen = Math.min(input.command.outLen, this.room.out);
    encodeRpc({ scope: input.scope, in_len: bytes.length, out_len: outLen, in: scratch.input.addr, out: scratch.out.addr }).copy(scratch.rpc.bytes);
    const rpc = scratch.rpc;
    const call = proc.ioctl(fd, FWCTL_RPC, rpc.addr).then(
      (r) => ({ kind: r.ret === 0 ? 'ok' : 'errno', errno: r.errno }) as const,
      (e: unknown) => {
        if (e instanceof ProcessKilled) return { kind: 'crash', errno: e.reason } as const;
        // An agent refused a pointer it cannot check (a mutated inner length or address): not sent.
        if (e instanceof CallRefused) return { kind: 'refused' } as const;
        throw e;
      },
    );
    const outcome = (await settledNow(call)) ?? (await withHangTimeout(call, this.hangMs));
    // A refused input never reached the device: not sent, not counted.
    if (outcome.kind === 'refused') return undefined;
    this.sent[outcome.kind]++;
    this.lastBytes = bytes;
    if (outcome.kind === 'crash' || outcome.kind === 'hang') {
      if (outcome.kind === 'hang') this.hangs++;
      this.proc = undefined; // that process is dead or stuck: the next input gets a new one
    }
    const after = await state?.digest();
    this.lastDigest = outcome.kind === 'hang' ? undefined : after;
    const fresh = (await log?.read(this.logged)) ?? [];
    this.logged += fresh.length;
    const oops = fresh.filter((l) => OOPS.test(l));
    return { ...outcome, stateChanged: state ? after !== before : false, oops };
  }
}

/**
 * The call's result if it settles within a few microtask turns (an
 * in-process target), else undefined: then a timer is worth arming.
 */
async function settledNow<T>(p: Promise<T>): Promise<T | undefined> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 4 && !done; i++) await undefined;
  return done ? p : undefined;
}

/** Wait for the call, or call it a hang after `ms`. */
async function withHangTimeout<T>(p: Promise<T>, ms: number): Promise<T | { kind: 'hang' }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Seeded per test, so a run is reproducible; FWCTL_CTS_SEED overrides. */
function seedFor(title: string, env: ReturnType<typeof robustnessEnv>): number {
  if (env.seed !== undefined) return env.seed;
  let h = 7;
  for (const ch of title) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

/**
 * Run every input and fail on the first that breaks `property`
 * (which returns a problem description, or undefined).
 */
export async function robustness(t: Fixture, title: string, property: (o: Outcome) => string | undefined): Promise<void> {
  const dev = await t.device();
  const d = t.target.description;
  const minLen = d.allows.hazards ? 0 : dev.minInLen;
  const commands = dev.commands.filter((c) => c.safeProbe || d.allows.destructive);
  const scopes = [0, 1, ...(d.allows.taint ? [2, 3] : [])];
  // Checked by the CLI before any work; here for runs that do not go through it.
  const env = robustnessEnv();
  const seed = seedFor(title, env);
  // A mutated read may become a write (bnxt's HWRM_VER_GET one byte away from HWRM_FUNC_RESET): only the
  // operator's --allow-destructive lets such a request reach the device.
  const gate = d.allows.destructive ? undefined : writeGate(dev.profile, dev.codec);
  const requests = await validRequests(t, commands);
  const prober = new Prober(t, d.kind === 'sim' ? 100 : 2000, { state: property === noStateChange, log: property === noCrash }, roomFor(commands, requests), gate);
  let sent = 0;
  const probe = async (input: Input): Promise<void> => {
    if (property === noHang || prober.hangs < 3) {
      const o = await prober.send(input, minLen);
      if (o) sent++;
      const problem = o && property(o);
      // A sample as evidence: inputs 1, 2, 4, 8 … (a dozen or so over a run), and the one that broke the property.
      if (o && (problem || (sent & (sent - 1)) === 0)) t.evidence(sample(sent, input, o, prober.lastBytes!));
      if (problem) expect.fail(`${describeInput(input)}: ${problem}`);
    }
  };

  await prober.start();
  try {
    await inputs();
  } finally {
    await prober.close();
    const n = prober.sent;
    t.evidence({
      call: 'robustness',
      detail: `${sent} malformed FWCTL_RPC inputs sent (fast-check seed ${seed}, ${env.runs} random runs): ${n.ok} succeeded, ${n.errno} rejected, ${n.crash} killed the caller, ${n.hang} hung`,
      ret: 0,
    });
    if (prober.withheld) {
      t.evidence({
        call: 'robustness',
        detail: `${prober.withheld} mutated inputs not sent: they may change the device and the run has no --allow-destructive (first: ${prober.firstWithheld})`,
        ret: 0,
      });
    }
  }
  if (prober.hangs && property !== noHang) t.notice(`${prober.hangs} input(s) hung; probing stopped early (robustness.no-hang reports them)`);

  async function inputs(): Promise<void> {
  // Deterministic: the request as is at every scope; each truncation and each
  // single-byte extreme at CONFIGURATION (the random pass covers the other scopes).
  for (const [i, command] of commands.entries()) {
    const len = requests[i]!.length;
    for (const scope of scopes) await probe({ command, scope, mutation: { kind: 'none' } });
    for (let cut = minLen; cut < len; cut++) await probe({ command, scope: 0, mutation: { kind: 'truncate', len: cut } });
    for (let offset = 0; offset < Math.min(64, len); offset++) {
      for (const value of [0x00, 0xff]) await probe({ command, scope: 0, mutation: { kind: 'set', offset, value } });
    }
  }

  // Random: a seeded fast-check pass over every command and scope.
  const arb = fc.record({
    cmd: fc.nat(commands.length - 1),
    scope: fc.constantFrom(...scopes),
    edits: fc.array(fc.tuple(fc.nat(127), fc.nat(255)), { minLength: 1, maxLength: 4 }),
    cut: fc.option(fc.nat(160), { nil: null }),
  });
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (m) => probe({ command: commands[m.cmd]!, scope: m.scope, mutation: { kind: 'random', edits: m.edits as [number, number][], cut: m.cut } })),
      { seed, numRuns: env.runs, path: env.path, endOnFailure: true },
    );
  } catch (e) {
    const path = /path: "([^"]*)"/.exec((e as Error).message)?.[1];
    throw new Error(`${(e as Error).message.split('\n')[0]}\n  replay: FWCTL_CTS_SEED=${seed}${path ? ` FWCTL_CTS_PATH=${path}` : ''}`, { cause: e });
  }
  }
}

/**
 * robustness.short-request-refused: on a kernel where the profile's short-request hazard is fixed
 * (hazards.before: cxl features.c 7.3 `in_len < 16 || op_size > in_len - 16`, pds e7537735
 * `in_len < sizeof(*rpc)`), every catalogued request cut below the length it declares for itself
 * (the codec's declaredLength) is refused with an errno (hazards.refusal), never carried out with the
 * missing bytes made up (R-4: the kernel allocates only in_len bytes). Each cut is sent at the
 * command's own minimum scope, so only the length can make it fail. A crash or a hang is left to
 * robustness.no-crash and robustness.no-hang.
 */
export async function shortRequestsRefused(t: Fixture): Promise<void> {
  const dev = await t.device();
  const d = t.target.description;
  const { profile, codec } = dev;
  const h = profile.hazards;
  if (!h?.before) t.skip(`not applicable: profile ${profile.id} names no kernel release that refuses short requests (hazards.before)`);
  if (!codec.declaredLength) t.skip(`not applicable: codec ${codec.name} declares no request length (declaredLength, docs/codecs.md)`);
  if (!dev.hazardFixed) t.skip(dev.kernel ? `not applicable: Linux ${dev.kernel} predates ${h.before}, where short ${profile.deviceType} requests are first refused (hazards.before)` : `the kernel release is unknown: short requests are refused only from Linux ${h.before} (hazards.before)`);
  // Past the skips the hazard is fixed, so no length is a hazard to send (Device.minInLen is 0).
  const minLen = 0;
  const gate = d.allows.destructive ? undefined : writeGate(profile, codec);
  const commands = dev.commands.filter((c) => c.safeProbe || d.allows.destructive);
  const requests = await validRequests(t, commands);
  const prober = new Prober(t, d.kind === 'sim' ? 100 : 2000, { state: false, log: false }, roomFor(commands, requests), gate);
  const skipped: string[] = [];
  let sent = 0;
  let crashed = 0;
  try {
    for (const [i, command] of commands.entries()) {
      const scope = dev.minScope(command);
      if (scope >= 2 && !d.allows.taint) {
        skipped.push(`${command.name} (${command.minScope} taints the kernel; needs --allow-taint)`);
        continue;
      }
      const valid = requests[i]!;
      const declared = Math.min(codec.declaredLength(valid) ?? 0, valid.length);
      for (let cut = minLen; cut < declared; cut++) {
        const input: Input = { command, scope, mutation: { kind: 'truncate', len: cut } };
        if (prober.hangs >= 3) break;
        const o = await prober.send(input, minLen);
        if (!o) continue;
        sent++;
        if ((sent & (sent - 1)) === 0 || o.kind === 'ok') t.evidence(sample(sent, input, o, prober.lastBytes!));
        if (o.kind === 'ok') expect.fail(`${describeInput(input)} (it declares ${declared} bytes): carried out, not refused`);
        if (o.kind === 'errno' && h.refusal && o.errno !== h.refusal) expect.fail(`${describeInput(input)} (it declares ${declared} bytes): ${o.errno}, expected ${h.refusal} (hazards.refusal)`);
        if (o.kind === 'crash') crashed++;
      }
    }
  } finally {
    await prober.close();
    t.evidence({ call: 'robustness', detail: `${sent} requests cut short of their declared length sent: ${prober.sent.errno} refused, ${prober.sent.ok} carried out, ${prober.sent.crash} killed the caller, ${prober.sent.hang} hung`, ret: 0 });
  }
  if (skipped.length) t.notice(`not probed: ${skipped.join('; ')}`);
  if (crashed || prober.hangs) t.notice(`${crashed} cut(s) killed the caller and ${prober.hangs} hung: robustness.no-crash and robustness.no-hang report them`);
  if (!sent) t.skip(`no catalogued request of ${profile.id} could be sent cut below its declared length${prober.withheld ? `; ${prober.withheld} withheld: they may change the device (needs --allow-destructive)` : ''}`);
}

/**
 * A robustness test's timeout: 120 s for the default budget, and 20 ms more
 * per extra random input (a real device answers in about a millisecond),
 * within the runner's bound of a day.
 */
export function robustnessTimeoutMs(): number {
  const runs = robustnessEnv().runs;
  return Math.min(24 * 3600_000, 120_000 + Math.max(0, runs - ROBUSTNESS_RUNS_DEFAULT) * 20);
}

/** One input as evidence: its number, what it was, its first bytes, and how it ended. */
function sample(n: number, input: Input, o: Outcome, bytes: Buffer): { call: string; detail: string; ret: number; errno?: string } {
  const head = bytes.subarray(0, 32).toString('hex');
  const scope = scopeName(input.scope);
  // The shape of suites/support/uapi.ts rawRpc's evidence, then which input it was and its first bytes.
  const detail = `${input.command.name} at ${scope}: size=${RPC_SIZE} scope=${scope} in_len=${bytes.length} out_len=${Math.min(input.command.outLen, SCRATCH)}; input ${n}, ${describeInput(input)}: ${head}${bytes.length > 32 ? '…' : ''}`;
  if (o.kind === 'ok') return { call: 'FWCTL_RPC', detail, ret: 0 };
  return { call: 'FWCTL_RPC', detail, ret: -1, errno: o.kind === 'errno' ? (o.errno ?? 'EIO') : o.kind === 'crash' ? `killed (${o.errno})` : 'hung' };
}

export const noCrash = (o: Outcome) => (o.kind === 'crash' ? `the caller was killed (${o.errno})` : o.oops.length ? `the kernel logged: ${o.oops.join(' | ')}` : undefined);
export const noHang = (o: Outcome) => (o.kind === 'hang' ? 'the request never completed' : undefined);
export const noStateChange = (o: Outcome) => (o.kind === 'errno' && o.stateChanged ? `rejected with ${o.errno} but the device state changed` : undefined);

