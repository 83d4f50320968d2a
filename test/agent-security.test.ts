/**
 * The agent as a security boundary (issue 11, serious findings 1-3; docs/wire-protocol.md
 * "Security"), through real agent processes speaking the wire protocol on stdin/stdout:
 * `fwctl-cts agent --target sim:…`, and the agent on a dev: target whose node is /dev/null
 * (nothing reaches a device). Every refusal is a wire error (`refused: true`), and the
 * agent is alive and answering afterwards.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codecFor } from '../harness/codecs/index.js';
import { ROOT } from '../harness/paths.js';
import { loadProfile } from '../harness/profiles/profile.js';
import { USER_MEMORY_BASE, UNMAPPED_ADDRESS } from '../harness/targets/target.js';
import { LIMITS } from '../harness/wire/guard.js';
import type { Reply } from '../harness/wire/protocol.js';
import { FWCTL_INFO, FWCTL_RPC, MAX_RPC_LEN, SCOPES, TAINT_FWCTL_MASK, encodeInfo, encodeRpc } from '../uapi/fwctl.js';
import { encodeRpcPds } from '../uapi/pds.js';

const DEV_AGENT = fileURLToPath(new URL('./fixtures/drivers/dev-agent.js', import.meta.url));
const hex = (n: bigint | number) => `0x${n.toString(16)}`;
const b64 = (b: Buffer) => b.toString('base64');
/** FIGETBSZ, _IO(0x00, 2): the VFS answers it for any file on a filesystem by writing an int to arg. */
const FIGETBSZ = 0x2;

/** One agent process and its wire. */
class Agent {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private nextId = 1;
  private rest = '';
  private helloed?: (h: Record<string, unknown>) => void;
  exit?: { code: number | null; signal: string | null };
  stderr = '';

  constructor(args: string[]) {
    this.child = spawn(process.execPath, args, { env: { ...process.env, FWCTL_CTS_NO_RELAUNCH: '1' } });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.rest + chunk).split('\n');
      this.rest = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.type === 'hello') this.helloed?.(msg);
        else if (msg.type === 'reply') this.waiting.get(msg.id as number)?.(msg as unknown as Reply);
      }
    });
    this.child.stdin.on('error', () => {}); // EPIPE once it died: reported through 'exit'
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.child.on('exit', (code, signal) => {
      this.exit = { code, signal };
      for (const done of this.waiting.values()) done({ type: 'reply', id: -1, error: `agent exited (${code ?? signal}): ${this.stderr.slice(-300)}` });
    });
  }

  static sim(spec: string, ...flags: string[]): Agent {
    return new Agent([join(ROOT, 'bin/fwctl-cts.js'), 'agent', '--target', spec, ...flags]);
  }

  get pid(): number {
    return this.child.pid!;
  }

  hello(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.helloed = resolve;
      this.child.stdin.write(`${JSON.stringify({ type: 'hello', protocol: 1, harness: 'agent-security test' })}\n`);
    });
  }

  call(msg: Record<string, unknown>): Promise<Reply> {
    if (this.exit) return Promise.resolve({ type: 'reply', id: -1, error: `agent exited (${this.exit.code ?? this.exit.signal})` });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ type: 'call', id, proc: 0, ...msg })}\n`);
    });
  }

  /** A segment of `bytes` at `addr`, with its content. */
  async map(addr: bigint, bytes: Buffer): Promise<Reply> {
    return this.call({ op: 'map', addr: hex(addr), size: bytes.length });
  }

  ioctl(fd: number, request: number, arg: bigint, mem: [bigint, Buffer][] = []): Promise<Reply> {
    return this.call({ op: 'ioctl', fd, request: hex(request), arg: hex(arg), mem: mem.map(([a, d]) => ({ addr: hex(a), data: b64(d) })) });
  }

  /** Where the agent's own malloc heap is: memory the kernel must never be pointed at. */
  heap(): bigint {
    const line = readFileSync(`/proc/${this.pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[heap]'));
    return BigInt(`0x${line!.split('-')[0]}`);
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    if (!this.exit) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

function expectRefused(r: Reply, why: RegExp): void {
  expect(r.error, JSON.stringify(r)).to.match(/^refused by the agent: /);
  expect(r.error).to.match(why);
  expect(r.refused, 'a refusal says so').to.equal(true);
  expect(r.ret, 'nothing reached the kernel').to.equal(undefined);
}

/** Still alive and answering: FWCTL_INFO on a fresh descriptor goes through. */
async function expectAlive(a: Agent, expectRet?: number): Promise<void> {
  const open = await a.call({ op: 'open' });
  expect(open.ret, JSON.stringify(open)).to.be.a('number');
  const info = await a.ioctl(open.ret!, FWCTL_INFO, UNMAPPED_ADDRESS);
  expect(info.error, 'the agent still answers').to.equal(undefined);
  if (expectRet !== undefined) expect(info.ret).to.equal(expectRet);
  await a.call({ op: 'close', fd: open.ret });
  expect(a.exit).to.equal(undefined);
}

const A = USER_MEMORY_BASE;
const PAGE = 4096n;

describe('agent security: sim:cxl without flags', function () {
  this.timeout(60_000);
  let a: Agent;
  let fd: number;
  before(async () => {
    a = Agent.sim('sim:cxl');
    await a.hello();
    fd = (await a.call({ op: 'open' })).ret!;
  });
  after(() => a.close());

  it('says every allows is false and offers no destructive part, naming the flag', async () => {
    const b = Agent.sim('sim:cxl');
    try {
      const hello = (await b.hello()) as { driver: { allows: unknown; unavailable: Record<string, string> }; parts: string[] };
      expect(hello.driver.allows).to.deep.equal({ taint: false, destructive: false, hazards: false });
      expect(hello.parts).to.not.include.members(['hotplug']).and.not.include('functionReset').and.not.include('firmware').and.not.include('taint.reset');
      expect(hello.driver.unavailable.hotplug).to.match(/--allow-destructive/);
    } finally {
      await b.close();
    }
  });

  it('refuses FWCTL_RPC at DEBUG_WRITE and DEBUG_WRITE_FULL: the kernel stays untainted', async () => {
    for (const scope of [2, 3]) {
      await a.map(A, Buffer.alloc(32));
      await a.map(A + 2n * PAGE, Buffer.alloc(64));
      await a.map(A + 4n * PAGE, Buffer.alloc(64));
      const rpc = encodeRpc({ scope, in_len: 48, out_len: 64, in: A + 2n * PAGE, out: A + 4n * PAGE });
      expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, rpc]]), /needs --allow-taint/);
      for (const at of [A, A + 2n * PAGE, A + 4n * PAGE]) await a.call({ op: 'unmap', addr: hex(at) });
    }
    expect(((await a.call({ op: 'part', part: 'taint', method: 'read', args: [] })).value as number) & TAINT_FWCTL_MASK).to.equal(0);
  });

  for (const [part, method, args] of [
    ['hotplug', 'unregister', []],
    ['hotplug', 'register', []],
    ['functionReset', 'reset', []],
    ['firmware', 'switch', ['1.0']],
    ['taint', 'reset', []],
  ] as const) {
    it(`refuses ${part}.${method} without --allow-destructive`, async () => {
      expectRefused(await a.call({ op: 'part', part, method, args }), /needs --allow-destructive/);
    });
  }

  it('refuses a part method it does not know', async () => {
    expectRefused(await a.call({ op: 'part', part: 'taint', method: 'constructor', args: [] }), /no part method taint\.constructor/);
  });

  it('the device is still registered and on its first firmware after those refusals', async () => {
    expect((await a.call({ op: 'part', part: 'hotplug', method: 'current', args: [] })).value).to.equal('fwctl0');
    await expectAlive(a, -1);
  });

  it('refuses hazards: a request shorter than the profile\'s minInLen', async () => {
    const b = Agent.sim('sim:cxl', '--allow-taint', '--allow-destructive');
    try {
      await b.hello();
      const f = (await b.call({ op: 'open' })).ret!;
      await b.map(A, Buffer.alloc(32));
      await b.map(A + 2n * PAGE, Buffer.alloc(8));
      await b.map(A + 4n * PAGE, Buffer.alloc(64));
      const rpc = encodeRpc({ scope: 0, in_len: 8, out_len: 64, in: A + 2n * PAGE, out: A + 4n * PAGE });
      expectRefused(await b.ioctl(f, FWCTL_RPC, A, [[A, rpc]]), /shorter than 48 bytes.*--allow-hazards/);
      // The flags are what decide: with --allow-taint, DEBUG_WRITE is carried out (and taints).
      await b.map(A + 6n * PAGE, Buffer.alloc(48));
      const write = encodeRpc({ scope: 2, in_len: 48, out_len: 64, in: A + 6n * PAGE, out: A + 4n * PAGE });
      expect((await b.ioctl(f, FWCTL_RPC, A, [[A, write]])).refused).to.equal(undefined);
      expect(((await b.call({ op: 'part', part: 'taint', method: 'read', args: [] })).value as number) & TAINT_FWCTL_MASK).to.equal(TAINT_FWCTL_MASK);
    } finally {
      await b.close();
    }
  });
});

// A write at CONFIGURATION scope taints nothing, so the taint gate does not stop it: the write gate
// (harness/profiles/writes.ts) does. A mutated read is one byte from a write (bnxt's HWRM_VER_GET and
// HWRM_FUNC_RESET differ in req_type only).
for (const model of ['bnxt', 'mlx5']) {
  describe(`agent security: writes that taint nothing or need more than --allow-taint, on sim:${model}`, function () {
    this.timeout(60_000);
    const profile = loadProfile(`reference-${model}`);
    const codec = codecFor(profile.codec)!;
    const write = profile.commands.find((c) => !c.safeProbe && c.effects !== 'debug-read' && !('dma' in c.request))!; // DMA ones are refused anyway
    const read = profile.commands.find((c) => c.safeProbe && c.minScope === 'CONFIGURATION') ?? profile.commands.find((c) => c.safeProbe)!;
    const noMem = { alloc: () => { throw new Error('no nested buffers here'); } };
    const rpcOf = (c: typeof write) => {
      const { input } = codec.encode(c.request, c.outLen, noMem);
      const scope = SCOPES.indexOf(c.minScope);
      return { input, rpc: encodeRpc({ scope, in_len: input.length, out_len: c.outLen, in: A + 2n * PAGE, out: A + 8n * PAGE }), outLen: c.outLen };
    };
    async function send(a: Agent, fd: number, c: typeof write): Promise<Reply> {
      const { input, rpc, outLen } = rpcOf(c);
      for (const [at, size] of [[A, 64], [A + 2n * PAGE, input.length], [A + 8n * PAGE, outLen]] as const) await a.map(at, Buffer.alloc(size));
      const r = await a.ioctl(fd, FWCTL_RPC, A, [[A, rpc], [A + 2n * PAGE, input]]);
      for (const at of [A, A + 2n * PAGE, A + 8n * PAGE]) await a.call({ op: 'unmap', addr: hex(at) });
      return r;
    }
    const digest = async (a: Agent) => (await a.call({ op: 'part', part: 'deviceState', method: 'digest', args: [] })).value;

    it(`refuses ${write.name} (${write.effects}, at ${write.minScope}) without --allow-destructive, even with --allow-taint; the device is unchanged`, async () => {
      const a = Agent.sim(`sim:${model}`, '--allow-taint');
      try {
        await a.hello();
        const fd = (await a.call({ op: 'open' })).ret!;
        const before = await digest(a);
        expectRefused(await send(a, fd, write), new RegExp(`may change the device .*${write.name}.*--allow-destructive`));
        expect(await digest(a), 'device state').to.equal(before);
        expect((await send(a, fd, read)).refused, `${read.name}, a safe probe`).to.equal(undefined);
      } finally {
        await a.close();
      }
    });

    it(`carries out ${write.name} with --allow-destructive`, async () => {
      const a = Agent.sim(`sim:${model}`, '--allow-destructive', '--allow-taint');
      try {
        await a.hello();
        const fd = (await a.call({ op: 'open' })).ret!;
        const r = await send(a, fd, write);
        expect(r.refused, JSON.stringify(r)).to.equal(undefined);
        expect(r.ret).to.equal(0);
      } finally {
        await a.close();
      }
    });
  });
}

describe('agent security: ioctls, pointers and bounds (sim:cxl with every flag)', function () {
  this.timeout(120_000);
  let a: Agent;
  let fd: number;
  before(async () => {
    a = Agent.sim('sim:cxl', '--allow-taint', '--allow-destructive', '--allow-hazards');
    await a.hello();
    fd = (await a.call({ op: 'open' })).ret!;
    await a.map(A, Buffer.alloc(64)); // the struct
    await a.map(A + 2n * PAGE, Buffer.alloc(48)); // in
    await a.map(A + 4n * PAGE, Buffer.alloc(64)); // out
  });
  after(() => a.close());

  it('refuses ioctl request numbers other than fwctl\'s (0x80045200 into the agent\'s heap, FIGETBSZ)', async () => {
    expectRefused(await a.ioctl(fd, 0x80045200, a.heap()), /0x80045200 is not a fwctl ioctl/);
    expectRefused(await a.ioctl(fd, FIGETBSZ, A), /0x2 is not a fwctl ioctl/);
    expectRefused(await a.ioctl(fd, 0x1_00009a00, A), /is not a fwctl ioctl/);
    // fwctl's own type byte with another nr still reaches the driver (D-1: ENOTTY), on mapped memory only.
    expect((await a.ioctl(fd, 0x9a02, A)).errno).to.equal('ENOTTY');
    expectRefused(await a.ioctl(fd, 0x9a02, a.heap()), /not inside a segment/);
  });

  it('refuses a struct, out_device_data, in or out outside the peer\'s segments (the agent\'s heap)', async () => {
    const heap = a.heap();
    expectRefused(await a.ioctl(fd, FWCTL_INFO, heap), /struct fwctl_info .* not inside a segment/);
    const info = encodeInfo({ device_data_len: 16, out_device_data: heap }, 64);
    expectRefused(await a.ioctl(fd, FWCTL_INFO, A, [[A, info]]), /out_device_data .* not inside a segment/);
    const badIn = encodeRpc({ in_len: 48, out_len: 64, in: heap, out: A + 4n * PAGE }, 64);
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, badIn]]), /in \(in_len bytes\) .* not inside a segment/);
    const badOut = encodeRpc({ in_len: 48, out_len: 64, in: A + 2n * PAGE, out: heap }, 64);
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, badOut]]), /out \(out_len bytes\) .* not inside a segment/);
  });

  it('refuses a range that runs past its segment\'s guard page, and a struct whose size does', async () => {
    const long = encodeRpc({ in_len: 48, out_len: 3 * 4096, in: A + 2n * PAGE, out: A + 4n * PAGE }, 64);
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, long]]), /runs past segment/);
    const huge = encodeInfo({ size: 3 * 4096 }, 64);
    expectRefused(await a.ioctl(fd, FWCTL_INFO, A, [[A, huge]]), /size 12288.*runs past segment/);
    // The fields the kernel copies must be the peer's bytes, not what lies past them in the page.
    await a.map(A + 8n * PAGE, Buffer.alloc(8));
    expectRefused(await a.ioctl(fd, FWCTL_INFO, A + 8n * PAGE, [[A + 8n * PAGE, encodeInfo({}, 8)]]), /first 24 bytes .* runs past the 8 bytes/);
  });

  it('passes deliberately bad pointers on to the kernel: the first page, the kernel half, a guard page (EFAULT)', async () => {
    expect((await a.ioctl(fd, FWCTL_INFO, UNMAPPED_ADDRESS)).errno).to.equal('EFAULT');
    const data = encodeInfo({ device_data_len: 16, out_device_data: UNMAPPED_ADDRESS }, 64);
    expect((await a.ioctl(fd, FWCTL_INFO, A, [[A, data]])).errno).to.equal('EFAULT');
    const kernel = encodeRpc({ in_len: 48, out_len: 64, in: 0xffff_8000_0000_0000n, out: A + 4n * PAGE }, 64);
    expect((await a.ioctl(fd, FWCTL_RPC, A, [[A, kernel]])).errno).to.equal('EFAULT');
    const offEnd = encodeRpc({ in_len: 4096 + 48, out_len: 64, in: A + 2n * PAGE, out: A + 4n * PAGE }, 64);
    expect((await a.ioctl(fd, FWCTL_RPC, A, [[A, offEnd]])).errno).to.equal('EFAULT');
    // Above MAX_RPC_LEN the kernel answers EMSGSIZE before any copy: no range to check.
    const big = encodeRpc({ in_len: 48, out_len: MAX_RPC_LEN + 1, in: A + 2n * PAGE, out: A + 4n * PAGE }, 64);
    expect((await a.ioctl(fd, FWCTL_RPC, A, [[A, big]])).errno).to.equal('EMSGSIZE');
  });

  it('refuses a map of 4294971392 bytes (it killed the dev agent), and maps above the bound, misaligned, low or overlapping', async () => {
    expectRefused(await a.call({ op: 'map', addr: hex(A + 64n * PAGE), size: 4294971392 }), /4294971392 bytes is more than/);
    expectRefused(await a.call({ op: 'map', addr: hex(A + 64n * PAGE), size: LIMITS.segmentBytes + 1 }), /is more than/);
    expectRefused(await a.call({ op: 'map', addr: hex(A + 64n * PAGE + 1n), size: 8 }), /not page-aligned/);
    expectRefused(await a.call({ op: 'map', addr: hex(PAGE), size: 8 }), /outside/);
    expectRefused(await a.call({ op: 'map', addr: hex(A), size: 8 }), /overlaps segment/);
    await expectAlive(a, -1);
  });

  it(`refuses segment ${LIMITS.segments + 1} of a process, and memory beyond ${LIMITS.mappedBytes} bytes`, async () => {
    const b = Agent.sim('sim:cxl');
    try {
      await b.hello();
      const base = A + (1n << 32n);
      const maps = Array.from({ length: LIMITS.segments }, (_, i) => b.call({ op: 'map', addr: hex(base + BigInt(i) * 2n * PAGE), size: 1 }));
      expect((await Promise.all(maps)).every((r) => r.ret === 0)).to.equal(true);
      expectRefused(await b.call({ op: 'map', addr: hex(base - 2n * PAGE), size: 1 }), new RegExp(`at most ${LIMITS.segments} segments`));
      for (let i = 0; i < 64; i++) await b.call({ op: 'unmap', addr: hex(base + BigInt(i) * 2n * PAGE) });
      const big = (i: number) => b.call({ op: 'map', addr: hex(A + BigInt(i) * 1024n * PAGE), size: MAX_RPC_LEN });
      const n = LIMITS.mappedBytes / MAX_RPC_LEN;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => big(i)));
      expect(results.filter((r) => r.ret === 0).length).to.be.lessThan(n);
      expectRefused(results.at(-1)!, new RegExp(`at most ${LIMITS.mappedBytes} bytes`));
      await expectAlive(b, -1);
    } finally {
      await b.close();
    }
  });

  it(`refuses spawn ${LIMITS.processes + 1} and descriptor ${LIMITS.descriptors + 1}; an exit or close gives one back`, async () => {
    const b = Agent.sim('sim:cxl');
    try {
      await b.hello();
      const spawns = await Promise.all(Array.from({ length: LIMITS.processes }, () => b.call({ op: 'spawn', rawio: true })));
      expect(spawns.every((r) => typeof r.value === 'number')).to.equal(true);
      expectRefused(await b.call({ op: 'spawn', rawio: true }), new RegExp(`at most ${LIMITS.processes} processes`));
      await b.call({ op: 'exit', proc: spawns[0]!.value });
      expect((await b.call({ op: 'spawn', rawio: false })).value).to.be.a('number');
      const opens = await Promise.all(Array.from({ length: LIMITS.descriptors }, () => b.call({ op: 'open' })));
      expect(opens.every((r) => typeof r.ret === 'number' && r.ret >= 0)).to.equal(true);
      expectRefused(await b.call({ op: 'open' }), new RegExp(`at most ${LIMITS.descriptors} descriptors`));
      await b.call({ op: 'close', fd: opens[0]!.ret });
      const again = await b.call({ op: 'open' });
      expect(again.ret).to.be.a('number');
      await b.call({ op: 'close', fd: again.ret });
      await b.call({ op: 'close', fd: opens[1]!.ret });
      await expectAlive(b, -1);
    } finally {
      await b.close();
    }
  });
});

describe('agent security: pds inner pointers (sim:pds)', function () {
  this.timeout(60_000);
  it('refuses in.payload and out.payload outside the peer\'s segments; in segments they reach the driver', async () => {
    const a = Agent.sim('sim:pds');
    try {
      await a.hello();
      const fd = (await a.call({ op: 'open' })).ret!;
      const heap = a.heap();
      await a.map(A, Buffer.alloc(32));
      await a.map(A + 2n * PAGE, Buffer.alloc(48));
      await a.map(A + 4n * PAGE, Buffer.alloc(64));
      await a.map(A + 6n * PAGE, Buffer.alloc(64));
      const rpc = encodeRpc({ scope: 0, in_len: 48, out_len: 64, in: A + 2n * PAGE, out: A + 4n * PAGE });
      const send = (inner: Buffer) => a.ioctl(fd, FWCTL_RPC, A, [[A, rpc], [A + 2n * PAGE, inner]]);
      expectRefused(await send(encodeRpcPds({ inLen: 16, inPayload: heap, outLen: 16, outPayload: A + 6n * PAGE })), /pds in\.payload .* not inside a segment/);
      expectRefused(await send(encodeRpcPds({ inLen: 16, inPayload: A + 6n * PAGE, outLen: 16, outPayload: heap })), /pds out\.payload .* not inside a segment/);
      expectRefused(await send(encodeRpcPds({ inLen: 3 * 4096, inPayload: A + 6n * PAGE })), /pds in\.payload .* runs past segment/);
      const ok = await send(encodeRpcPds({ inLen: 16, inPayload: A + 6n * PAGE, outLen: 16, outPayload: A + 6n * PAGE }));
      expect([ok.refused, ok.error, typeof ok.ret]).to.deep.equal([undefined, undefined, 'number']);
      await expectAlive(a, -1);
    } finally {
      await a.close();
    }
  });

  it('refuses a pds request shorter than struct fwctl_rpc_pds even with --allow-hazards (the driver would take pointers from past it)', async () => {
    const a = Agent.sim('sim:pds', '--allow-hazards');
    try {
      await a.hello();
      const fd = (await a.call({ op: 'open' })).ret!;
      await a.map(A, Buffer.alloc(32));
      await a.map(A + 2n * PAGE, Buffer.alloc(40));
      const rpc = encodeRpc({ scope: 0, in_len: 40, out_len: 0, in: A + 2n * PAGE });
      expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, rpc]]), /pds request needs 48 bytes/);
      await expectAlive(a, -1);
    } finally {
      await a.close();
    }
  });
});

// ---- the dev: agent on a node that is /dev/null ---------------------------------

describe('agent security: dev: agent where no fwctl device exists', function () {
  this.timeout(60_000);
  const root = mkdtempSync(join(tmpdir(), 'fwctl-cts-agent-'));
  const sysfs = join(root, 'sys');
  const dev = join(root, 'dev');
  let a: Agent;
  before(async () => {
    // fwctl0 on a memdev; its node is /dev/null (1:3): every ioctl the kernel sees gives ENOTTY.
    const dir = join(sysfs, 'devices', 'platform/cxl_mem.0/mem2', 'fwctl', 'fwctl0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dev'), '1:3\n');
    symlinkSync('../..', join(dir, 'device'));
    mkdirSync(join(sysfs, 'class', 'fwctl'), { recursive: true });
    symlinkSync(dir, join(sysfs, 'class', 'fwctl', 'fwctl0'));
    mkdirSync(dirname(join(dev, 'fwctl', 'fwctl0')), { recursive: true });
    symlinkSync('/dev/null', join(dev, 'fwctl', 'fwctl0'));
    a = new Agent([DEV_AGENT, sysfs, dev]);
    await a.hello();
  });
  after(async () => {
    await a.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a map of 4294971392 bytes is a wire error, not a fatal error (exit 134)', async () => {
    expectRefused(await a.call({ op: 'map', addr: hex(A), size: 4294971392 }), /is more than/);
    await expectAlive(a, -1);
  });

  it('refuses FIGETBSZ into the agent\'s heap (the VFS would write the block size there) and 0x80045200', async () => {
    const fd = (await a.call({ op: 'open' })).ret!;
    expectRefused(await a.ioctl(fd, FIGETBSZ, a.heap()), /not a fwctl ioctl/);
    expectRefused(await a.ioctl(fd, 0x80045200, a.heap()), /not a fwctl ioctl/);
    await a.call({ op: 'close', fd });
  });

  it('refuses pointers outside its segments; passes the first page on to the kernel', async () => {
    const fd = (await a.call({ op: 'open' })).ret!;
    expect((await a.call({ op: 'map', addr: hex(A), size: 64 })).ret).to.equal(0);
    const heap = a.heap();
    expectRefused(await a.ioctl(fd, FWCTL_INFO, heap), /not inside a segment/);
    expectRefused(await a.ioctl(fd, FWCTL_INFO, A, [[A, encodeInfo({ device_data_len: 16, out_device_data: heap }, 64)]]), /out_device_data/);
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, encodeRpc({ in_len: 8, out_len: 64, in: UNMAPPED_ADDRESS, out: heap }, 64)]]), /out \(out_len bytes\)/);
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, encodeRpc({ scope: 2, in_len: 8, out_len: 0, in: UNMAPPED_ADDRESS }, 64)]]), /needs --allow-taint/);
    // An unknown device type: the agent cannot know which pointers a request carries.
    expectRefused(await a.ioctl(fd, FWCTL_RPC, A, [[A, encodeRpc({ in_len: 8, out_len: 0, in: A + 32n }, 64)]]), /device type unknown/);
    // What the kernel faults on goes through: /dev/null answers ENOTTY.
    expect((await a.ioctl(fd, FWCTL_INFO, UNMAPPED_ADDRESS)).errno).to.equal('ENOTTY');
    expect((await a.ioctl(fd, FWCTL_RPC, A, [[A, encodeRpc({ in_len: 8, out_len: 16, in: UNMAPPED_ADDRESS, out: UNMAPPED_ADDRESS }, 64)]])).errno).to.equal('ENOTTY');
    await a.call({ op: 'close', fd });
    await expectAlive(a, -1);
  });

  it('holds the guard page after a segment, so a neighbour cannot be mapped into it', async () => {
    expect((await a.call({ op: 'map', addr: hex(A + 16n * PAGE), size: 4096 })).ret).to.equal(0);
    const r = await a.call({ op: 'map', addr: hex(A + 17n * PAGE), size: 4096 });
    expect(r.error).to.match(/already mapped/);
    await expectAlive(a, -1);
  });
});
