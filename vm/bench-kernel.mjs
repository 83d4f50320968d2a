#!/usr/bin/env node
// npm run bench:kernel — what one FWCTL_INFO and one FWCTL_RPC (CXL Get
// Supported Features, CONFIGURATION) cost through fwctl-cts's kernel target
// (DevTarget over harness/kernel/libc.ts and koffi), against the floor: a
// plain C loop issuing the same ioctl (vm/ioctl-floor.c); and how many inputs
// per second the robustness suite sends to the real kernel against that
// floor. Everything runs in one guest boot of the cxl_test VM (vm/fwctl-vm),
// on the same device.
//
//   node vm/bench-kernel.mjs [--iterations N] [--rounds R] [--no-robustness] [--out FILE.json]
//
// On the host it compiles vm/ioctl-floor.c with cc into the boot's share,
// boots once and prints per-call microseconds and the ratios. Inside the
// guest (`node vm/bench-kernel.mjs guest`) it does the measuring: R rounds,
// each a C run then the node runs, both timed in batches of 500 calls; a
// call's cost is the fastest batch (an emulated guest on a shared host is
// noisy, and a preempted batch only gets slower; interleaving keeps both
// sides under the same load), the median batch is printed too. The node side runs twice: as fwctl-cts runs
// it (V8's default tiers, --single-threaded) and with the flags vm/test-kernel.mjs runs the suites with
// (--no-opt --no-sparkplug as well).
// Needs the build (npm run build) and the VM (vm/fwctl-vm setup).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
/** What vm/test-kernel.mjs runs node with in the guest (GUEST_NODE_FLAGS there). */
const SUITE_NODE_FLAGS = ['--single-threaded', '--no-opt', '--no-sparkplug'];
/**
 * What `fwctl-cts` runs node with anywhere (bin/fwctl-cts.js relaunches with it): V8's default tiers, no
 * background threads. Without it, V8's concurrent compiler and GC threads were still busy while the C loop
 * ran and slowed it: 2.22 µs per FWCTL_INFO against 1.24 µs in the same boot (1 Dec 2026).
 */
const CLI_NODE_FLAGS = ['--single-threaded'];

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '9' },
    out: { type: 'string' },
    device: { type: 'string', default: '/dev/fwctl/fwctl0' },
    'no-robustness': { type: 'boolean', default: false },
    floor: { type: 'string' },
    compare: { type: 'string' },
    /** Where the build measured lives (the guest's measure step; --compare's checkout). */
    'build-root': { type: 'string' },
  },
});
/** The checkout whose build is measured: this one, or --compare's. */
const BUILD = o['build-root'] ?? ROOT;
const dist = (p) => pathToFileURL(join(BUILD, 'dist', p)).href;
const compare = o.compare && resolve(o.compare);
if (compare && !existsSync(join(compare, 'dist/harness/targets/dev.js'))) {
  process.stderr.write(`bench-kernel: --compare ${o.compare}: no build there (dist/harness/targets/dev.js): run npm run build in it\n`);
  process.exit(2);
}
const iterations = Number(o.iterations);
const rounds = Number(o.rounds);
if (!Number.isInteger(iterations) || iterations < 100) {
  process.stderr.write('bench-kernel: --iterations wants a whole number >= 100\n');
  process.exit(2);
}
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) {
  process.stderr.write('bench-kernel: --rounds wants a whole number from 1 to 99\n');
  process.exit(2);
}

async function host() {
  if (!existsSync(join(ROOT, 'dist/harness/targets/dev.js'))) {
    process.stderr.write('bench-kernel: no build: run npm run build first\n');
    process.exit(2);
  }
  const share = mkdtempSync(join(tmpdir(), 'fwctl-bench-'));
  try {
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', join(share, 'ioctl-floor'), join(ROOT, 'vm/ioctl-floor.c')], { stdio: 'inherit' });
    if (cc.status !== 0) {
      process.stderr.write('bench-kernel: cc failed on vm/ioctl-floor.c (build-essential is installed by vm/fwctl-vm setup)\n');
      process.exit(1);
    }
    const t0 = performance.now();
    const args = ['guest', '--iterations', String(iterations), '--rounds', String(rounds), '--device', o.device, ...(o['no-robustness'] ? ['--no-robustness'] : []), ...(compare ? ['--compare', compare] : [])];
    const boot = spawnSync(join(ROOT, 'vm/fwctl-vm'), ['boot', '--timeout', '1800', '--share', share, '--', process.execPath, 'vm/bench-kernel.mjs', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const wall = (performance.now() - t0) / 1000;
    const result = JSON.parse(readFileSync(join(share, 'bench.json'), 'utf8'));
    result.bootWallS = Math.round(wall * 10) / 10;
    if (o.out) writeFileSync(o.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`(one boot, ${result.bootWallS} s in all)\n`);
    process.exitCode = boot.status ?? 1;
  } catch (e) {
    process.stderr.write(`bench-kernel: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    rmSync(share, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const us = (ns) => Math.round(ns / 10) / 100;
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

/** One run of the C loop: ns per FWCTL_INFO and per FWCTL_RPC. */
function floorRun(bin, n) {
  const r = spawnSync(bin, [o.device, String(n)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ioctl-floor failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout);
}

/**
 * The node side, in a process of its own (so it runs under the flags given):
 * per round, one C run, then each call through the target `iterations` times.
 * Prints one JSON object of per-round ns.
 */
async function measureNode() {
  const n0 = iterations;
  const { createTarget } = await import(dist('harness/targets/registry.js'));
  const libc = await import(dist('harness/kernel/libc.js'));
  const { FWCTL_INFO, FWCTL_RPC, encodeInfo, encodeRpc } = await import(dist('uapi/fwctl.js'));
  const { encodeGetSupportedFeatures } = await import(dist('uapi/cxl.js'));

  const target = await createTarget(`dev:${o.device}`, { allow: { taint: false, destructive: false, hazards: false } });
  const fd = await target.open();
  const info = target.alloc(encodeInfo({ size: 24 }));
  const input = target.alloc(encodeGetSupportedFeatures(48).subarray(0, 24));
  const out = target.alloc(72);
  const rpc = target.alloc(encodeRpc({ scope: 0, in_len: 24, out_len: 72, in: input.addr, out: out.addr }));

  // Timed in batches of BATCH calls, like the C loop: a preempted batch only gets slower, so the fastest
  // batch is the cost of a call (the host is shared and the guest emulated), the median how steady it was.
  // Each measurement is a loop of its own (`loop(n)` makes n calls), as the C loop is: one call site per
  // kind of call, so the JIT sees it as a caller in a hot loop would.
  const BATCH = 500;
  const batches = Math.max(1, Math.round(n0 / BATCH));
  /** ns per call, per batch, after a warm-up; `loop` may be async (awaited once per batch). */
  const measure = async (loop, n = batches, size = BATCH) => {
    await loop(Math.min(1000, size));
    const per = [];
    for (let b = 0; b < n; b++) {
      const t0 = process.hrtime.bigint();
      await loop(size);
      per.push(Number(process.hrtime.bigint() - t0) / size);
    }
    return per;
  };
  const check = (r, what) => {
    if (r.ret !== 0) throw new Error(`${what}: ${r.errno}`);
  };
  const infoAddr = info.addr;
  const rpcAddr = rpc.addr;
  // The kernel writes out_len back (drivers/fwctl/main.c fwctl_cmd_rpc); the C loop resets it before every
  // call, and so does every loop here that sends the RPC.
  const rpcWords = new Uint32Array(rpc.bytes.buffer, rpc.bytes.byteOffset, 6);
  check(await target.ioctl(fd, FWCTL_INFO, infoAddr), 'FWCTL_INFO');
  check(await target.ioctl(fd, FWCTL_RPC, rpcAddr), 'FWCTL_RPC');
  // A build from before issue 15 (--compare) has no ioctlSync: those lines are left out for it.
  const sync = typeof target.ioctlSync === 'function';
  if (sync) {
    check(target.ioctlSync(fd, FWCTL_INFO, infoAddr) ?? { ret: -1, errno: 'no sync path' }, 'FWCTL_INFO (sync)');
    check(target.ioctlSync(fd, FWCTL_RPC, rpcAddr) ?? { ret: -1, errno: 'no sync path' }, 'FWCTL_RPC (sync)');
  }

  // The koffi binding itself, as harness/kernel/libc.ts declares ioctl: the floor of anything through koffi.
  const koffi = createRequire(join(BUILD, 'package.json'))('koffi');
  const rawLibc = koffi.load('libc.so.6');
  const rawIoctl = rawLibc.func('int ioctl(int fd, unsigned long request, uintptr_t arg)');
  const infoAddrN = Number(infoAddr);
  // What koffi itself costs, by the arguments it converts: C functions that only compute (abs with one,
  // strncmp of 0 bytes with ioctl's three: an int and two 64-bit integers), and the cheapest syscall,
  // getppid, against the same syscall from C. Any call through koffi pays this on top of the C loop's.
  const rawAbs = rawLibc.func('int abs(int)');
  const rawCall3 = rawLibc.func('int strncmp(uintptr_t a, uintptr_t b, size_t n)');
  const rawGetppid = rawLibc.func('int getppid()');

  const loops = {
    infoSync: sync && ((n) => {
      for (let i = 0; i < n; i++) target.ioctlSync(fd, FWCTL_INFO, infoAddr);
    }),
    rpcSync: sync && ((n) => {
      for (let i = 0; i < n; i++) {
        rpcWords[3] = 72;
        target.ioctlSync(fd, FWCTL_RPC, rpcAddr);
      }
    }),
    info: async (n) => {
      for (let i = 0; i < n; i++) await target.ioctl(fd, FWCTL_INFO, infoAddr);
    },
    rpc: async (n) => {
      for (let i = 0; i < n; i++) {
        rpcWords[3] = 72;
        await target.ioctl(fd, FWCTL_RPC, rpcAddr);
      }
    },
    koffiInfo: (n) => {
      for (let i = 0; i < n; i++) rawIoctl(fd, FWCTL_INFO, infoAddr);
    },
    koffiInfoNumber: (n) => {
      for (let i = 0; i < n; i++) rawIoctl(fd, FWCTL_INFO, infoAddrN);
    },
    koffiAbs: (n) => {
      for (let i = 0; i < n; i++) rawAbs(-i);
    },
    koffiCall3: (n) => {
      for (let i = 0; i < n; i++) rawCall3(infoAddrN, infoAddrN, 0);
    },
    koffiGetppid: (n) => {
      for (let i = 0; i < n; i++) rawGetppid();
    },
    libcInfo: (n) => {
      for (let i = 0; i < n; i++) libc.ioctl(fd, FWCTL_INFO, infoAddr);
    },
    // The same RPC through koffi's thread pool: what DevTarget does on devices that are not cxl_test mocks
    // (and on mocks with --allow-hazards). Fewer calls: each costs hundreds of µs under emulation.
    rpcAsync: async (n) => {
      for (let i = 0; i < n; i++) {
        rpcWords[3] = 72;
        await libc.ioctlAsync(fd, FWCTL_RPC, rpcAddr);
      }
    },
  };

  // A robustness probe's path: an agent child (what processes.spawn() gives the suite), hazards allowed as in
  // test:kernel, so its FWCTL_RPC goes to koffi's thread pool; every call crosses the wire protocol.
  // Starting node under emulation on a busy host can take tens of seconds.
  const hazardous = await createTarget(`dev:${o.device}`, { allow: { taint: false, destructive: false, hazards: true }, callTimeoutMs: 120_000 });
  const agent = await hazardous.parts.processes.spawn();
  const afd = await agent.open();
  const ainfo = agent.alloc(encodeInfo({ size: 24 }));
  const ain = agent.alloc(encodeGetSupportedFeatures(48).subarray(0, 24));
  const aout = agent.alloc(72);
  const arpc = agent.alloc(encodeRpc({ scope: 0, in_len: 24, out_len: 72, in: ain.addr, out: aout.addr }));
  check(await agent.ioctl(afd, FWCTL_RPC, arpc.addr), 'FWCTL_RPC through the agent');
  loops.agentInfo = async (n) => {
    for (let i = 0; i < n; i++) await agent.ioctl(afd, FWCTL_INFO, ainfo.addr);
  };
  loops.agentRpc = async (n) => {
    for (let i = 0; i < n; i++) await agent.ioctl(afd, FWCTL_RPC, arpc.addr);
  };

  // Per round: the C loop's fastest batch, and each node measurement's batches.
  for (const k of Object.keys(loops)) if (!loops[k]) delete loops[k];
  const runs = { cInfo: [], cRpc: [], cGetppid: [], ...Object.fromEntries(Object.keys(loops).map((k) => [k, []])) };
  const slow = { rpcAsync: [2, 25], agentInfo: [2, 10], agentRpc: [2, 10] };
  for (let r = 0; r < rounds; r++) {
    const c = floorRun(o.floor, iterations);
    runs.cInfo.push(c.infoNs);
    runs.cRpc.push(c.rpcNs);
    runs.cGetppid.push(c.getppidNs);
    for (const [k, loop] of Object.entries(loops)) runs[k].push(await measure(loop, ...(slow[k] ?? [])));
  }
  await agent.exit();
  await hazardous.dispose();
  await target.dispose();
  process.stdout.write(`${JSON.stringify(runs)}\n`);
}

/** The robustness suite on the device, as vm/test-kernel.mjs runs it (hazards allowed): inputs sent per test and per second. */
function robustnessRun(share) {
  const dir = join(share, 'robustness');
  const t0 = performance.now();
  const cli = [...SUITE_NODE_FLAGS, join(ROOT, 'bin/fwctl-cts.js'), 'run', '--target', `dev:${o.device}`, '--suite', 'robustness', '--test', 'robustness.no-crash', '--test', 'robustness.no-hang', '--allow-taint', '--allow-destructive', '--allow-hazards', '-j', '1', '--timeout', '600000', '-o', dir];
  const r = spawnSync(process.execPath, cli, { encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (!existsSync(join(dir, 'report.json'))) throw new Error(`robustness run wrote no report (exit ${r.status}): ${r.stderr}`);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const tests = report.tests.map((t) => {
    const detail = t.evidence?.find((e) => e.call === 'robustness')?.detail ?? '';
    const inputs = Number(/^(\d+) malformed/.exec(detail)?.[1] ?? 0);
    return { id: t.id, outcome: t.outcome, inputs, durationMs: Math.round(t.durationMs), inputsPerS: Math.round((inputs / t.durationMs) * 1000) };
  });
  return { verdict: report.verdict, exit: r.status, wallMs: Math.round(wallMs), tests };
}

/** What each measurement is, in the order printed. */
const LINES = [
  ['infoSync', 'FWCTL_INFO, DevTarget.ioctlSync'],
  ['rpcSync', 'FWCTL_RPC Get Supported Features, ioctlSync (a mock)'],
  ['info', 'FWCTL_INFO, await DevTarget.ioctl'],
  ['rpc', 'FWCTL_RPC, await DevTarget.ioctl (a mock: sync)'],
  ['koffiInfo', 'FWCTL_INFO, the koffi binding alone'],
  ['koffiInfoNumber', 'FWCTL_INFO, koffi binding, address as a Number'],
  ['koffiAbs', 'abs(3) via koffi, 1 arg, no syscall (of C INFO)'],
  ['koffiCall3', 'strncmp(a,b,0) via koffi, 3 args (of C INFO)'],
  ['koffiGetppid', 'getppid(2) through koffi (C floor: getppid)'],
  ['libcInfo', 'FWCTL_INFO, libc.ioctl (a result object per call)'],
  ['rpcAsync', 'FWCTL_RPC, same call via koffi thread pool'],
  ['agentInfo', 'FWCTL_INFO via an agent child (wire protocol)'],
  ['agentRpc', 'FWCTL_RPC via an agent child, hazards (thread pool)'],
];

async function guest() {
  const share = process.env.FWCTL_VM_SHARE;
  const floor = join(share, 'ioctl-floor');
  const node = (flags, build = ROOT) => {
    const r = spawnSync(process.execPath, [...flags, SELF, 'measure', '--iterations', String(iterations), '--rounds', String(rounds), '--device', o.device, '--floor', floor, '--build-root', build], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench-kernel measure ${flags.join(' ')} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  /** The fastest batch is the cost of a call; the median batch says how steady the machine was. */
  const summarize = (runs) => {
    const all = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.flat()]));
    const m = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Math.min(...v)]));
    const med = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, median(v)]));
    // Each node measurement against the C loop's call of the same kind.
    const cOf = (k) => (/rpc/i.test(k) ? 'Rpc' : /getppid/i.test(k) ? 'Getppid' : 'Info');
    const node = Object.keys(runs).filter((k) => !/^c[A-Z]/.test(k));
    return {
      floor: { infoUs: us(m.cInfo), rpcUs: us(m.cRpc), getppidUs: us(m.cGetppid) },
      devTarget: Object.fromEntries(node.map((k) => [`${k}Us`, us(m[k])])),
      ratio: Object.fromEntries(node.map((k) => [k, ratio(m[k], m[`c${cOf(k)}`])])),
      medianRatio: Object.fromEntries(node.map((k) => [k, ratio(med[k], med[`c${cOf(k)}`])])),
      // Each round's fastest batch against the C loop's in the same round, the median over rounds: steadier
      // than the overall fastest when the host's load changes between rounds.
      roundRatio: Object.fromEntries(node.map((k) => [k, ratio(median(runs[k].map((b, r) => Math.min(...b) / runs[`c${cOf(k)}`][r])), 1)])),
      runsNs: runs,
    };
  };
  const jit = summarize(node(CLI_NODE_FLAGS));
  const interp = summarize(node(SUITE_NODE_FLAGS));
  const result = {
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    device: o.device,
    iterations,
    rounds,
    note: "emulated guest (QEMU TCG): absolute numbers are several times a real machine's; the ratios are what matters",
    ...jit,
    suiteFlags: { flags: SUITE_NODE_FLAGS.join(' '), ...interp },
  };
  // Another checkout's build (e.g. before a change), measured in this boot after this one's, C loop included.
  if (compare) result.compare = { build: compare, ...summarize(node(CLI_NODE_FLAGS, compare)), suiteFlags: summarize(node(SUITE_NODE_FLAGS, compare)) };
  if (!o['no-robustness']) {
    const rob = robustnessRun(share);
    // The floor for the same inputs: the C loop's RPC, as many times as the suite sent.
    const floorPerS = Math.round((1e6 / Math.min(...jit.runsNs.cRpc, ...interp.runsNs.cRpc)) * 1000);
    result.robustness = { ...rob, floorInputsPerS: floorPerS, tests: rob.tests.map((t) => ({ ...t, floorMs: Math.round((t.inputs / floorPerS) * 1000 * 10) / 10, ratio: ratio(floorPerS, t.inputsPerS) })) };
  }
  writeFileSync(join(share, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);

  const line = (what, c, d, x) => `${what.padEnd(52)} ${String(c).padStart(8)} µs ${String(d).padStart(8)} µs ${String(x).padStart(7)}x\n`;
  const w = (s) => process.stdout.write(s);
  w(`fwctl ioctl cost on Linux ${result.kernel}, ${o.device} (cxl_test), fastest batch of 500 calls over ${rounds} rounds of ${iterations} calls; ${result.note}\n`);
  for (const [name, s] of [[`node ${CLI_NODE_FLAGS.join(' ')} (V8's default tiers, as fwctl-cts runs)`, jit], [`node ${SUITE_NODE_FLAGS.join(' ')} (as test:kernel)`, interp]]) {
    w(`\n${name}\n${'call'.padEnd(52)} ${'C floor'.padStart(11)} ${'DevTarget'.padStart(11)} ${'ratio'.padStart(8)}\n`);
    for (const [k, what] of LINES) {
      if (s.ratio[k] !== undefined) w(line(what, /rpc/i.test(k) ? s.floor.rpcUs : /getppid/i.test(k) ? s.floor.getppidUs : s.floor.infoUs, s.devTarget[`${k}Us`], s.ratio[k]));
    }
    w(`(median over rounds of each round's ratio: INFO ${s.roundRatio.infoSync}x, RPC ${s.roundRatio.rpcSync}x through ioctlSync; ${s.roundRatio.info}x, ${s.roundRatio.rpc}x through ioctl)\n`);
    w(`(median batches: INFO ${s.medianRatio.infoSync}x, RPC ${s.medianRatio.rpcSync}x through ioctlSync; ${s.medianRatio.info}x, ${s.medianRatio.rpc}x through ioctl)\n`);
    if (s.devTarget.koffiCall3Us !== undefined) {
      // koffi's own cost with ioctl's three arguments, on top of the C loop's FWCTL_INFO: the lowest ratio any
      // FWCTL_INFO through koffi can reach in this guest, whatever the harness does around the call.
      const bound = Math.round(((s.floor.infoUs + s.devTarget.koffiCall3Us) / s.floor.infoUs) * 100) / 100;
      w(`(koffi's own cost: ${s.devTarget.koffiAbsUs} µs with 1 argument, ${s.devTarget.koffiCall3Us} µs with ioctl's 3, so no FWCTL_INFO through koffi comes below ${bound}x here; getppid through koffi ${s.ratio.koffiGetppid ?? '?'}x the same syscall from C)\n`);
    }
  }
  if (result.compare) {
    const b = result.compare;
    w(`\n--compare ${b.build} (measured in this boot, after the build above; ratios to the C loop, fastest batch)\n`);
    for (const [name, x, y] of [[CLI_NODE_FLAGS.join(' '), b, jit], [SUITE_NODE_FLAGS.join(' '), b.suiteFlags, interp]]) {
      const f = (s) => `INFO ${s.ratio.infoSync ?? s.ratio.info}x, RPC ${s.ratio.rpcSync ?? s.ratio.rpc}x`;
      w(`${name.padEnd(40)} compared build: ${f(x)}; this build: ${f(y)} (its fastest path: ioctlSync where it has one)\n`);
    }
  }
  if (result.robustness) {
    const r = result.robustness;
    w(`\nrobustness suite on ${o.device} (--allow-hazards, as test:kernel; ${SUITE_NODE_FLAGS.join(' ')}): ${r.verdict}, ${Math.round(r.wallMs / 100) / 10} s wall for the run\n`);
    w(`${'test'.padEnd(40)} ${'inputs'.padStart(7)} ${'ms'.padStart(8)} ${'inputs/s'.padStart(9)} ${'C floor/s'.padStart(10)} ${'ratio'.padStart(8)}\n`);
    for (const t of r.tests) w(`${`${t.id} (${t.outcome})`.padEnd(40)} ${String(t.inputs).padStart(7)} ${String(t.durationMs).padStart(8)} ${String(t.inputsPerS).padStart(9)} ${String(r.floorInputsPerS).padStart(10)} ${String(t.ratio).padStart(7)}x\n`);
    const perInputMs = Math.round((1000 / Math.max(...r.tests.map((t) => t.inputsPerS), 1)) * 10) / 10;
    w(
      `C floor/s: the C loop's FWCTL_RPC rate (the valid Get Supported Features above; the kernel rejects most malformed\n` +
        `inputs sooner, so the floor for the same inputs is at least this). Per input the suite spends ~${perInputMs} ms, of which an\n` +
        `agent round trip (the probe runs in a child so a crash costs only the child) is ${Math.round(interp.devTarget.agentRpcUs / 100) / 10} ms and the ioctl itself µs:\n` +
        `the rest is the harness's work around each call (its 8 KiB request buffers over the wire, the outcome; not timed apart).\n`,
    );
  }
}

if (positionals[0] === 'guest') await guest();
else if (positionals[0] === 'measure') await measureNode();
else await host();
