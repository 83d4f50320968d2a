/**
 * Robustness: malformed requests (truncated, garbled, random) get an answer —
 * never a crash, a hang, or, when rejected, a change of device state
 * (fwctl.rst "Denied behavior"). Inputs come from every catalogued command:
 * each truncation, each of the first 64 bytes set to 0x00 and 0xff, then a
 * seeded fast-check pass. Replay a failure with FWCTL_CTS_SEED and FWCTL_CTS_PATH.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Command } from '../../harness/profiles/profile.js';
import { ProcessKilled, type TargetProcess } from '../../harness/targets/target.js';
import { FWCTL_RPC, encodeRpc, scopeName } from '../../uapi/fwctl.js';
import { check } from '../support/check.js';
import type { Fixture } from '../support/fixture.js';

type Mutation = { kind: 'none' } | { kind: 'truncate'; len: number } | { kind: 'set'; offset: number; value: number } | { kind: 'random'; edits: [number, number][]; cut: number | null };

interface Input {
  command: Command;
  scope: number;
  mutation: Mutation;
}

type Outcome = { kind: 'ok' | 'errno' | 'crash' | 'hang'; errno?: string; stateChanged: boolean; oops: string[] };

const OOPS = /\b(Oops|BUG:|WARNING:)/;

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
  hangs = 0;

  constructor(
    private readonly t: Fixture,
    private readonly hangMs: number,
  ) {}

  private async ready(): Promise<{ proc: TargetProcess; fd: number }> {
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
      this.fd = await this.proc.open();
    }
    return { proc: this.proc, fd: this.fd! };
  }

  /** Let every child go: their descriptors close as they exit. */
  async close(): Promise<void> {
    for (const c of this.children.splice(0)) await c.exit().catch(() => undefined);
    if (this.proc === this.t.target && this.fd !== undefined) await this.t.target.close(this.fd);
  }

  async send(input: Input, minLen: number): Promise<Outcome | undefined> {
    const { proc, fd } = await this.ready();
    let valid = this.valid.get(input.command.name);
    if (!valid) {
      valid = (await this.t.encode(input.command, {}, proc)).input;
      this.valid.set(input.command.name, valid);
    }
    const bytes = mutate(valid, input.mutation, minLen);
    if (!bytes || bytes.length < minLen) return undefined;
    const state = this.t.target.parts.deviceState;
    const log = this.t.target.parts.kernelLog;
    const before = await state?.digest();
    const logged = (await log?.read())?.length ?? 0;
    const inBuf = proc.alloc(bytes.length ? bytes : 1);
    const out = proc.alloc(Math.max(input.command.outLen, 1));
    const rpc = proc.alloc(encodeRpc({ scope: input.scope, in_len: bytes.length, out_len: input.command.outLen, in: inBuf.addr, out: out.addr }));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      proc.ioctl(fd, FWCTL_RPC, rpc.addr).then(
        (r) => ({ kind: r.ret === 0 ? 'ok' : 'errno', errno: r.errno }) as const,
        (e: unknown) => {
          if (e instanceof ProcessKilled) return { kind: 'crash', errno: e.reason } as const;
          throw e;
        },
      ),
      new Promise<{ kind: 'hang' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), this.hangMs))),
    ]);
    clearTimeout(timer);
    if (outcome.kind === 'crash' || outcome.kind === 'hang') {
      if (outcome.kind === 'hang') this.hangs++;
      this.proc = undefined; // that process is dead or stuck: the next input gets a new one
    } else {
      for (const b of [inBuf, out, rpc]) proc.free(b);
    }
    const oops = ((await log?.read()) ?? []).slice(logged).filter((l) => OOPS.test(l));
    return { ...outcome, stateChanged: state ? (await state.digest()) !== before : false, oops };
  }
}

/** Seeded per test, so a run is reproducible; FWCTL_CTS_SEED overrides. */
function seedFor(title: string): number {
  if (process.env.FWCTL_CTS_SEED) return Number(process.env.FWCTL_CTS_SEED);
  let h = 7;
  for (const ch of title) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

/**
 * Run every input and fail on the first that breaks `property`
 * (which returns a problem description, or undefined).
 */
async function robustness(t: Fixture, title: string, property: (o: Outcome) => string | undefined): Promise<void> {
  const dev = await t.device();
  const d = t.target.description;
  const minLen = d.allows.hazards ? 0 : dev.minInLen;
  const commands = dev.commands.filter((c) => c.safeProbe || d.allows.destructive);
  const scopes = [0, 1, ...(d.allows.taint ? [2, 3] : [])];
  const prober = new Prober(t, d.kind === 'sim' ? 100 : 2000);
  const probe = async (input: Input): Promise<void> => {
    if (property === noHang || prober.hangs < 3) {
      const o = await prober.send(input, minLen);
      const problem = o && property(o);
      if (problem) expect.fail(`${describeInput(input)}: ${problem}`);
    }
  };

  try {
    await inputs();
  } finally {
    await prober.close();
  }
  if (prober.hangs && property !== noHang) t.notice(`${prober.hangs} input(s) hung; probing stopped early (robustness.no-hang reports them)`);

  async function inputs(): Promise<void> {
  // Deterministic: each truncation and each single-byte extreme, at the low scopes.
  for (const command of commands) {
    const len = (await t.encode(command)).input.length;
    for (const scope of scopes) await probe({ command, scope, mutation: { kind: 'none' } });
    for (const scope of [0, 1]) {
      for (let cut = minLen; cut < len; cut++) await probe({ command, scope, mutation: { kind: 'truncate', len: cut } });
      for (let offset = 0; offset < Math.min(64, len); offset++) {
        for (const value of [0x00, 0xff]) await probe({ command, scope, mutation: { kind: 'set', offset, value } });
      }
    }
  }

  // Random: a seeded fast-check pass over every command and scope.
  const seed = seedFor(title);
  const arb = fc.record({
    cmd: fc.nat(commands.length - 1),
    scope: fc.constantFrom(...scopes),
    edits: fc.array(fc.tuple(fc.nat(127), fc.nat(255)), { minLength: 1, maxLength: 4 }),
    cut: fc.option(fc.nat(160), { nil: null }),
  });
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (m) => probe({ command: commands[m.cmd]!, scope: m.scope, mutation: { kind: 'random', edits: m.edits as [number, number][], cut: m.cut } })),
      { seed, numRuns: 100, path: process.env.FWCTL_CTS_PATH, endOnFailure: true },
    );
  } catch (e) {
    const path = /path: "([^"]*)"/.exec((e as Error).message)?.[1];
    throw new Error(`${(e as Error).message.split('\n')[0]}\n  replay: FWCTL_CTS_SEED=${seed}${path ? ` FWCTL_CTS_PATH=${path}` : ''}`, { cause: e });
  }
  }
}

const noCrash = (o: Outcome) => (o.kind === 'crash' ? `the caller was killed (${o.errno})` : o.oops.length ? `the kernel logged: ${o.oops.join(' | ')}` : undefined);
const noHang = (o: Outcome) => (o.kind === 'hang' ? 'the request never completed' : undefined);
const noStateChange = (o: Outcome) => (o.kind === 'errno' && o.stateChanged ? `rejected with ${o.errno} but the device state changed` : undefined);

describe('robustness', () => {
  check('robustness.no-crash', 'no malformed request crashes the kernel or kills the caller', { timeoutMs: 120_000 }, async (t) => robustness(t, 'no-crash', noCrash));
  check('robustness.no-hang', 'every malformed request completes', { timeoutMs: 120_000 }, async (t) => robustness(t, 'no-hang', noHang));
  check('robustness.rejected-no-state-change', 'a rejected malformed request changes no device state', { requires: ['deviceState'], timeoutMs: 120_000 }, async (t) => robustness(t, 'no-state-change', noStateChange));
});
