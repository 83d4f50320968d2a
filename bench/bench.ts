/**
 * `npm run bench`: measurements taken side by side in one run, interleaved so
 * that a noisy shared machine hurts both sides alike. Prints numbers and
 * ratios; asserts nothing (timing thresholds do not belong in tests).
 */
import { availableParallelism } from 'node:os';
import { codecFor } from '../harness/codecs/index.js';
import { loadProfile } from '../harness/profiles/profile.js';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../harness/plan/plan.js';
import { discoverSuites } from '../harness/plan/suites.js';
import { executePlan } from '../harness/runner/execute.js';
import { WorkerPool } from '../harness/runner/pool.js';
import { createTarget } from '../harness/targets/registry.js';
import { runConformance, type RunOptions } from '../harness/run.js';
import { SimTarget } from '../harness/targets/sim.js';
import { parseTarget } from '../harness/targets/spec.js';
import { DEFECTS, MODELS } from '../reference-driver/index.js';
import { FWCTL_INFO, FWCTL_RPC, Scope, encodeInfo, encodeRpc } from '../uapi/fwctl.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

interface Sample {
  tests: number;
  seconds: number;
}

/** One run on a warm pool of `workers` threads. */
async function timed(workers: number, opts: Omit<RunOptions, 'pool'>): Promise<Sample> {
  const pool = new WorkerPool({ workers, timeoutMs: 30_000 });
  try {
    await runConformance({ targets: ['sim:cxl'], suites: ['uapi'], pool }); // warm the workers
    const t0 = performance.now();
    const report = await runConformance({ ...opts, pool });
    return { tests: report.summary.tests, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await pool.close();
  }
}

/** 1 and 2 workers, interleaved round by round. */
async function scaling(name: string, opts: Omit<RunOptions, 'pool'>): Promise<string[]> {
  const one: Sample[] = [];
  const two: Sample[] = [];
  for (let i = 0; i < rounds; i++) {
    one.push(await timed(1, opts));
    two.push(await timed(2, opts));
    console.error(`${name} round ${i + 1}/${rounds}: 1 worker ${one[i]!.seconds.toFixed(2)} s, 2 workers ${two[i]!.seconds.toFixed(2)} s`);
  }
  const s1 = median(one.map((s) => s.seconds));
  const s2 = median(two.map((s) => s.seconds));
  const n = one[0]!.tests;
  return [
    `  ${name}: ${n} tests`,
    `    1 worker : ${s1.toFixed(2)} s wall, ${(n / s1).toFixed(0)} tests/s`,
    `    2 workers: ${s2.toFixed(2)} s wall, ${(n / s2).toFixed(0)} tests/s`,
    `    ratio 2/1: ${(s1 / s2).toFixed(2)}x`,
  ];
}

async function rpcCost(n: number): Promise<{ rpcUs: number; infoUs: number }> {
  const target = new SimTarget(parseTarget('sim:cxl') as Extract<ReturnType<typeof parseTarget>, { kind: 'sim' }>);
  const fd = await target.open();
  const benign = loadProfile('reference-cxl').commands[0]!;
  const { input, outLen } = codecFor('cxl')!.encode(benign.request, benign.outLen, target);
  const inBuf = target.alloc(input);
  const out = target.alloc(outLen);
  const rpc = target.alloc(encodeRpc({ scope: Scope.CONFIGURATION, in_len: input.length, out_len: outLen, in: inBuf.addr, out: out.addr }));
  const info = target.alloc(encodeInfo({}));
  const time = async (request: number, arg: bigint) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await target.ioctl(fd, request, arg);
    return ((performance.now() - t0) * 1000) / n;
  };
  const result = { rpcUs: await time(FWCTL_RPC, rpc.addr), infoUs: await time(FWCTL_INFO, info.addr) };
  await target.dispose();
  return result;
}

/** RPCs per second through a target, `depth` calls in flight, each with its own buffers. */
async function rpcRate(targetText: string, total: number, depth: number): Promise<number> {
  const target = await createTarget(targetText, { allow: { taint: false, destructive: false, hazards: false }, callTimeoutMs: 30_000 });
  const fd = await target.open();
  const benign = loadProfile('reference-cxl').commands[0]!;
  const slots = Array.from({ length: depth }, () => {
    const { input, outLen } = codecFor('cxl')!.encode(benign.request, benign.outLen, target);
    const inBuf = target.alloc(input);
    const out = target.alloc(outLen);
    return target.alloc(encodeRpc({ scope: Scope.CONFIGURATION, in_len: input.length, out_len: outLen, in: inBuf.addr, out: out.addr }));
  });
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    slots.map(async (rpc) => {
      while (sent < total) {
        sent++;
        const r = await target.ioctl(fd, FWCTL_RPC, rpc.addr);
        if (r.ret !== 0) throw new Error(`RPC failed: ${r.errno}`);
      }
    }),
  );
  const rate = total / ((performance.now() - t0) / 1000);
  await target.close(fd);
  // An exec: driver is kept for the worker's next task; here it must end, or the bench never exits.
  await ('shutdown' in target ? (target as { shutdown(): Promise<void> }).shutdown() : target.dispose());
  return rate;
}

/** Wall time per no-op test in a warm pool: what the runner itself costs a test. */
async function perTestOverhead(): Promise<number> {
  const suites = discoverSuites(fileURLToPath(new URL('../test/fixtures/suites/', import.meta.url))).filter((s) => s.name === 'counter');
  const targets = Object.keys(MODELS).flatMap((m) => MODELS[m]!.fwVersions.map((fw) => `sim:${m}@${fw}`));
  const pool = new WorkerPool({ workers: 2, timeoutMs: 10_000 });
  try {
    await executePlan(pool, await buildPlan(pool, { targets, suites })); // warm
    const t0 = performance.now();
    const results = await executePlan(pool, await buildPlan(pool, { targets, suites }));
    const body = results.reduce((n, r) => n + r.durationMs, 0);
    return (performance.now() - t0 - body / 2) / results.length;
  } finally {
    await pool.close();
  }
}

const every = Object.keys(MODELS).map((m) => `sim:${m}@*`);
const lines = [
  `fwctl-cts bench (median of ${rounds} interleaved rounds; machine: ${availableParallelism()} cores)`,
  ...(await scaling(`full upstream run over ${every.join(' ')}`, { targets: every })),
  ...(await scaling(`uapi+taint suites over ${DEFECTS.filter((d) => !d.models).length} core-defect targets`, {
    targets: DEFECTS.filter((d) => !d.models).map((d) => `sim:cxl+${d.id}`),
    suites: ['uapi', 'taint'],
  })),
];
const costs = [];
for (let i = 0; i < rounds; i++) costs.push(await rpcCost(20_000));
lines.push(`  one FWCTL_RPC through sim:cxl (Get Supported Features): ${median(costs.map((c) => c.rpcUs)).toFixed(2)} µs`);
lines.push(`  one FWCTL_INFO through sim:cxl: ${median(costs.map((c) => c.infoUs)).toFixed(2)} µs`);
const serve = `exec:node ${fileURLToPath(new URL('../../bin/fwctl-cts.js', import.meta.url))} serve-reference cxl`;
const simRates: number[] = [];
const execRates: number[] = [];
for (let i = 0; i < rounds; i++) {
  simRates.push(await rpcRate('sim:cxl', 50_000, 16));
  execRates.push(await rpcRate(serve, 50_000, 16));
}
lines.push(`  RPCs per second, 16 in flight: sim:cxl ${median(simRates).toFixed(0)}/s, exec (serve-reference over the wire protocol) ${median(execRates).toFixed(0)}/s, ratio ${(median(simRates) / median(execRates)).toFixed(1)}x`);
const overheads: number[] = [];
for (let i = 0; i < rounds; i++) overheads.push(await perTestOverhead());
lines.push(`  runner overhead per test (no-op tests, 2 warm workers): ${(median(overheads) * 1000).toFixed(0)} µs`);
console.log(`\n${lines.join('\n')}`);
