#!/usr/bin/env node
// npm run bench:kernel — what one FWCTL_INFO and one FWCTL_RPC (CXL Get
// Supported Features, CONFIGURATION) cost through fwctl-cts's kernel target
// (DevTarget over harness/kernel/libc.ts and koffi), against the floor: a
// plain C loop issuing the same ioctl (vm/ioctl-floor.c). Both run in the same
// guest boot of the cxl_test VM (vm/fwctl-vm), on the same device.
//
//   node vm/bench-kernel.mjs [--iterations N] [--out FILE.json]
//
// On the host it compiles vm/ioctl-floor.c with cc into the boot's share,
// boots once and prints per-call microseconds and the ratios. Inside the
// guest (`node vm/bench-kernel.mjs guest`) it does the measuring. Needs the
// build (npm run build) and the VM (vm/fwctl-vm setup).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    iterations: { type: 'string', default: '20000' },
    out: { type: 'string' },
    device: { type: 'string', default: '/dev/fwctl/fwctl0' },
  },
});
const iterations = Number(o.iterations);
if (!Number.isInteger(iterations) || iterations < 100) {
  process.stderr.write('bench-kernel: --iterations wants a whole number >= 100\n');
  process.exit(2);
}

if (positionals[0] === 'guest') await guest();
else await host();

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
    const boot = spawnSync(
      join(ROOT, 'vm/fwctl-vm'),
      ['boot', '--timeout', '900', '--share', share, '--', process.execPath, 'vm/bench-kernel.mjs', 'guest', '--iterations', String(iterations), '--device', o.device],
      { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
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

async function guest() {
  const share = process.env.FWCTL_VM_SHARE;
  const { createTarget } = await import(dist('harness/targets/registry.js'));
  const libc = await import(dist('harness/kernel/libc.js'));
  const { FWCTL_INFO, FWCTL_RPC, encodeInfo, encodeRpc } = await import(dist('uapi/fwctl.js'));
  const { encodeGetSupportedFeatures } = await import(dist('uapi/cxl.js'));

  const floor = () => {
    const r = spawnSync(join(share, 'ioctl-floor'), [o.device, String(iterations)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ioctl-floor failed: ${r.stderr || r.error?.message}`);
    return JSON.parse(r.stdout);
  };

  const target = await createTarget(`dev:${o.device}`, { allow: { taint: false, destructive: false, hazards: false } });
  const fd = await target.open();
  const info = target.alloc(encodeInfo({ size: 24 }));
  const input = target.alloc(encodeGetSupportedFeatures(48).subarray(0, 24));
  const out = target.alloc(72);
  const rpc = target.alloc(encodeRpc({ scope: 0, in_len: 24, out_len: 72, in: input.addr, out: out.addr }));

  /** ns per call of `call`, `n` times after a warm-up. */
  const measure = async (call, n) => {
    for (let i = 0; i < Math.min(1000, n); i++) await call();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await call();
    return Number(process.hrtime.bigint() - t0) / n;
  };
  const check = (r, what) => {
    if (r.ret !== 0) throw new Error(`${what}: ${r.errno}`);
  };
  check(await target.ioctl(fd, FWCTL_INFO, info.addr), 'FWCTL_INFO');
  check(await target.ioctl(fd, FWCTL_RPC, rpc.addr), 'FWCTL_RPC');

  const before = floor();
  const devInfo = await measure(() => target.ioctl(fd, FWCTL_INFO, info.addr), iterations);
  const devRpc = await measure(() => target.ioctl(fd, FWCTL_RPC, rpc.addr), iterations);
  // The same RPC through koffi's thread pool: what DevTarget does on devices that are not cxl_test mocks.
  const asyncRpc = await measure(() => libc.ioctlAsync(fd, FWCTL_RPC, rpc.addr), iterations);
  const after = floor();
  await target.dispose();

  // The floor: the better of the two C runs (one before, one after the node runs).
  const cInfo = Math.min(before.infoNs, after.infoNs);
  const cRpc = Math.min(before.rpcNs, after.rpcNs);
  const us = (ns) => Math.round(ns / 10) / 100;
  const result = {
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    device: o.device,
    iterations,
    note: 'emulated guest (QEMU TCG): absolute numbers are several times a real machine\'s; the ratios are what matters',
    floor: { infoUs: us(cInfo), rpcUs: us(cRpc), runs: [before, after] },
    devTarget: { infoUs: us(devInfo), rpcUs: us(devRpc), rpcAsyncUs: us(asyncRpc) },
    ratio: { info: Math.round((devInfo / cInfo) * 100) / 100, rpc: Math.round((devRpc / cRpc) * 100) / 100, rpcAsync: Math.round((asyncRpc / cRpc) * 100) / 100 },
  };
  writeFileSync(join(share, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  const line = (what, c, d, ratio) => `${what.padEnd(46)} ${String(us(c)).padStart(8)} µs ${String(us(d)).padStart(8)} µs ${String(ratio).padStart(7)}x\n`;
  process.stdout.write(`fwctl ioctl cost on Linux ${result.kernel}, ${o.device} (cxl_test), ${iterations} calls each; ${result.note}\n`);
  process.stdout.write(`${'call'.padEnd(46)} ${'C floor'.padStart(11)} ${'DevTarget'.padStart(11)} ${'ratio'.padStart(8)}\n`);
  process.stdout.write(line('FWCTL_INFO (sync koffi call)', cInfo, devInfo, result.ratio.info));
  process.stdout.write(line('FWCTL_RPC Get Supported Features (sync: a mock)', cRpc, devRpc, result.ratio.rpc));
  process.stdout.write(line('FWCTL_RPC, same call via koffi thread pool', cRpc, asyncRpc, result.ratio.rpcAsync));
}
