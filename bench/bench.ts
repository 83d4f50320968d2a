/**
 * `npm run bench`: measurements taken side by side in one run, interleaved so
 * that a noisy shared machine hurts both sides alike. Prints numbers and
 * ratios; asserts nothing (timing thresholds do not belong in tests).
 */
import { availableParallelism } from 'node:os';
import { codecFor } from '../harness/codecs/index.js';
import { loadProfile } from '../harness/profiles/profile.js';
import { WorkerPool } from '../harness/runner/pool.js';
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
console.log(`\n${lines.join('\n')}`);
