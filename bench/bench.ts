/**
 * `npm run bench`: measurements taken side by side in one run, interleaved so
 * that a noisy shared machine hurts both sides alike. Prints numbers and
 * ratios; asserts nothing (timing thresholds do not belong in tests).
 */
import { WorkerPool } from '../harness/runner/pool.js';
import { runConformance } from '../harness/run.js';
import { SimTarget } from '../harness/targets/sim.js';
import { parseTarget } from '../harness/targets/spec.js';
import { encodeRpc, encodeInfo, FWCTL_INFO, FWCTL_RPC, Scope } from '../uapi/fwctl.js';
import { codecFor } from '../harness/codecs/index.js';
import { loadProfile } from '../harness/profiles/profile.js';
import { DEFECTS } from '../reference-driver/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** uapi + taint suites over every defect target: enough tests to keep two workers busy. */
async function suiteThroughput(workers: number): Promise<{ tests: number; seconds: number }> {
  const pool = new WorkerPool({ workers, timeoutMs: 10_000 });
  try {
    await runConformance({ targets: ['sim:cxl'], pool }); // warm the workers
    const t0 = performance.now();
    const report = await runConformance({ targets: ['sim:cxl@*', ...DEFECTS.map((d) => `sim:cxl+${d.id}`)], pool });
    return { tests: report.summary.tests, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await pool.close();
  }
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
    for (let i = 0; i < n; i++) {
      rpc.bytes.writeUInt32LE(outLen, 12); // the kernel rewrites out_len; reset it
      await target.ioctl(fd, request, arg);
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const result = { rpcUs: await time(FWCTL_RPC, rpc.addr), infoUs: await time(FWCTL_INFO, info.addr) };
  await target.dispose();
  return result;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const one: number[] = [];
const two: number[] = [];
let tests = 0;
for (let i = 0; i < rounds; i++) {
  const a = await suiteThroughput(1);
  const b = await suiteThroughput(2);
  tests = a.tests;
  one.push(a.tests / a.seconds);
  two.push(b.tests / b.seconds);
  console.error(`round ${i + 1}/${rounds}: 1 worker ${(a.tests / a.seconds).toFixed(0)} tests/s, 2 workers ${(b.tests / b.seconds).toFixed(0)} tests/s`);
}
const costs = [];
for (let i = 0; i < rounds; i++) costs.push(await rpcCost(20_000));

console.log(`\nfwctl-cts bench (median of ${rounds} interleaved rounds)`);
console.log(`  uapi+taint suites, ${tests} tests over ${DEFECTS.length + 2} sim targets:`);
console.log(`    1 worker : ${median(one).toFixed(0)} tests/s`);
console.log(`    2 workers: ${median(two).toFixed(0)} tests/s`);
console.log(`    ratio 2/1: ${(median(two) / median(one)).toFixed(2)}x`);
console.log(`  one FWCTL_RPC through sim:cxl (Get Supported Features): ${median(costs.map((c) => c.rpcUs)).toFixed(2)} µs`);
console.log(`  one FWCTL_INFO through sim:cxl: ${median(costs.map((c) => c.infoUs)).toFixed(2)} µs`);
