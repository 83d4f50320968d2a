#!/usr/bin/env node
// npm run test:kernel — certify fwctl-cts against the real kernel (issue #5).
//
// On the host: `vm/fwctl-vm setup` (reuses the cached kernel + cxl_test build,
// or builds it: ~13 min), then a few boots of the VM, each running this same
// file in the guest (`node vm/test-kernel.mjs guest …`) against the 11 real
// /dev/fwctl/fwctlN devices of cxl_test. The guest writes its reports into the
// boot's share; the host reads them, scans each boot's serial console for
// BUG:/WARNING:/Oops, names the test (or probe) that was running, prints a
// short summary and exits non-zero when anything failed.
//
// Why several boots: a kernel's TAINT_FWCTL is sticky until reboot, and each
// taint rule (and the differential's taint comparison) must watch a clean
// kernel become tainted. Five boots, two at a time (--jobs), each with one
// pool of workers for all its phases:
//   main (2 vCPUs, 2 workers): the differential check (sim:cxl@1.0 vs one
//        device, hazards allowed) while the kernel is clean, then conformance:
//        every suite but robustness and taint, with --allow-taint
//        --allow-destructive (the VM is thrown away), on one device of each
//        kind of cxl_test memdev (subsetDevices: why not all 11);
//   one boot per tainting taint rule (1 vCPU, 1 worker), its rule on the
//        clean kernel: taint.debug-write, then robustness.no-crash, no-hang
//        and short-request-refused with --allow-hazards (short CXL requests) on one device, after
//        the rule has its result, so an oops there spoils nothing else;
//        taint.full-with-rawio, then robustness.rejected-no-state-change the
//        same way; taint.before-validation, preceded by the rules
//        that need a clean kernel and do not taint (low scopes never taint,
//        DEBUG_WRITE_FULL without CAP_SYS_RAWIO, open without it, oversized
//        RPCs); taint.warn-once.
// The ABI round trip across two boots (the distribution's case: a firmware or
// kernel update that cannot be undone): taint.debug-write first records every
// device (`fwctl-cts snapshot` with the safe default), and taint.warn-once,
// booted after it, runs the abi rules on dev:all against that record
// (`run --abi-baseline`), then once more on one device against a copy of the
// record whose stable responses are one byte longer, which must fail
// abi.stable-responses-grow (the comparison can fail). Both only read at
// CONFIGURATION, so the kernel stays clean for the boot's taint rule.
// A boot whose kernel dies before init (an emulated-CPU flake at boot, before
// fwctl is loaded) is booted once more, and the summary says so.
//
// Each phase runs what `fwctl-cts run` runs (runConformance + the report
// writers) with one addition: every test's end goes to /dev/kmsg as a marker
// ("fwctl-cts: test :: target :: id :: outcome :: ms"), so a console problem
// at kernel time T is traced to the tests whose [end - duration, end] holds T.
//
// `node vm/test-kernel.mjs scan CONSOLE.log…` re-scans a saved console log;
// `node vm/test-kernel.mjs coverage RUN_DIR [OUT_DIR]` recomputes a --variant run's coverage.
//
// Options: --out DIR (default $FWCTL_KERNEL_OUT or out/kernel), --only
// main|taint (main, or the four others), --robustness one|all (devices for
// the robustness run; default one), --timeout S (per boot, default 1800),
// --jobs N (VMs at a time, default 2).
// Exit status: 0 all applicable rules pass, no console problem, no
// differential disagreement; 1 otherwise; 2 bad usage or no build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { kernelCoverage, renderCoverage } from './kernel-coverage.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;

/**
 * How the guest runs node. --single-threaded: V8's background threads would only compete with
 * the workers for the vCPUs (bin/fwctl-cts.js). --no-opt --no-sparkplug turn off V8's optimising
 * and baseline compilers (Node 20 has no other tier on): under TCG every page of machine code V8
 * generates must be translated again, which costs more than the compiled code saves in runs this
 * short. Measured on a taint boot with robustness, three pairs interleaved: 15.7 s of guest work
 * instead of 19.4 s. The agent children a dev: target starts inherit them.
 */
const GUEST_NODE_FLAGS = ['--single-threaded', '--no-opt', '--no-sparkplug'];

/** The taint rules that taint: each needs a clean kernel, so a boot of its own. */
const TAINTING_RULES = ['taint.debug-write', 'taint.before-validation', 'taint.full-with-rawio', 'taint.warn-once'];
/** Rules that need a clean kernel but do not taint: run before anything taints. */
const PRE_TAINT_RULES = ['taint.low-scopes-clean', 'taint.rawio-required', 'uapi.open.no-capability', 'uapi.rpc.max-len'];
/** The suites those rules' tests live in. */
const PRE_TAINT_SUITES = ['taint/taint', 'uapi/lifecycle', 'uapi/rpc'];
/** Paths the issue names that must really run on the kernel (pass), not skip. */
const MUST_RUN = [
  ['uapi.open.no-capability', 'open without CAP_SYS_RAWIO (setpriv agent)'],
  ['taint.rawio-required', 'DEBUG_WRITE_FULL without CAP_SYS_RAWIO'],
  ['uapi.open.independent-contexts', 'several descriptors at once'],
  ['sharing.many-descriptors', 'several descriptors at once'],
  ['uapi.unregister.enodev', 'unbind a cxl_mock_mem device with descriptors open'],
  ['uapi.unregister.check-order', 'unregister: check order'],
  ['uapi.devnum.no-reuse-while-open', 'unregister: device number'],
  ...TAINTING_RULES.map((r) => [r, 'taint on a clean kernel']),
  ['taint.low-scopes-clean', 'taint on a clean kernel'],
  ['robustness.no-crash', 'robustness with hazards'],
  ['robustness.no-hang', 'robustness with hazards'],
  // 7.3's features.c refuses every cut request (cxlctl_fw_rpc): the over-read of kernels before it.
  ['robustness.short-request-refused', 'requests cut short of their op_size refused'],
];
/**
 * Random inputs per robustness test on the kernel (the suite's default is 100). The deterministic
 * part stays whole: every catalogued command as is at each scope, each truncation (the short
 * inputs of the 7.3 features.c over-read, which KASAN sees) and each of the first 64 bytes at 0x00
 * and 0xff, 322 inputs on cxl_test; the random multi-byte edits and cuts at every scope add 25.
 * rejected-no-state-change reads the device's state after each input (about 0.1 s under TCG),
 * so every 100 random inputs cost ~15 s of the three tests. FWCTL_CTS_ROBUSTNESS_RUNS overrides.
 */
const KERNEL_ROBUSTNESS_RUNS = 25;
/**
 * The robustness rules, spread over two taint boots after their rules (hazards allowed there):
 * rejected-no-state-change alone costs about as much as the other two together.
 */
const ROBUSTNESS_SPLIT = [['robustness.no-crash', 'robustness.no-hang', 'robustness.short-request-refused'], ['robustness.rejected-no-state-change']];
/** The rules the ABI round trip runs (policies/upstream.json, area abi). */
const ABI_AREA = 'abi';
/** The snapshot taint.debug-write takes, and the copies the host gives taint.warn-once. */
const SNAPSHOT = 'snapshot.json';
const BASELINE = 'baseline.json';
const TAMPERED = 'baseline-tampered.json';
/** Per-test timeout inside the emulated guest (TCG is several times slower than the host). */
const GUEST_TEST_TIMEOUT_MS = 30_000;
/** The watchdog allows timeoutMs + grace of silence; a robustness test with hazards runs long under TCG. */
const ROBUSTNESS_TEST_TIMEOUT_MS = 60_000;
/**
 * The per-test timeouts on a variant kernel, times this: KASAN + gcov made the 7.3.4 run 1.5-3x slower
 * per phase (vm/README.md), and sharing.many-descriptors (32 agent processes) timed out at 30 s.
 */
const VARIANT_SLOWDOWN = 3;
/** The skip reason of a memdev that dev.ts will not unbind (harness/targets/dev.ts). */
const IN_REGION = /is part of CXL region\S*: unbinding it would tear the region down/;
// KASAN reports open with "BUG: KASAN: <kind> in <function>" (a wild or NULL access: "general protection
// fault ... KASAN: null-ptr-deref"); UBSAN's with "UBSAN: <check> in <file>" (only if a kernel enables it).
const PROBLEM = /\b(BUG:|WARNING:|Oops|Kernel panic|general protection fault|UBSAN:)/;

// Run as a script (not imported: vm/test-kernel-mutants.mjs uses the console scan and the guest below).
const IS_MAIN = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (!IS_MAIN) {
  // imported
} else if (process.argv[2] === 'guest') {
  await guest(process.argv.slice(3));
} else if (process.argv[2] === 'scan') {
  // Re-scan a console log (a debugging aid): its problems and what was running.
  for (const file of process.argv.slice(3)) {
    const { problems } = consoleProblems(file);
    process.stdout.write(`${file}: ${problems.length} problem(s)\n`);
    for (const p of problems) process.stdout.write(`${JSON.stringify({ at: p.at, line: p.line, during: p.during }, null, 2)}\n${p.excerpt.slice(0, 8).join('\n')}\n`);
    if (problems.length) process.exitCode = 1;
  }
} else if (process.argv[2] === 'coverage') {
  // Coverage of a finished --variant run again (no VM): its boots' counters, into OUT (default: the run's directory).
  const [run, to = run] = process.argv.slice(3);
  if (!run || !existsSync(run)) usage('coverage: usage: node vm/test-kernel.mjs coverage RUN_DIR [OUT_DIR] (a --variant run: its boots hold gcov/)');
  else {
    const dirs = readdirSync(run).map((d) => join(run, d)).filter((d) => existsSync(join(d, 'guest.json')));
    mkdirSync(to, { recursive: true });
    const cov = kernelCoverage({ vm: join(ROOT, 'vm/fwctl-vm'), variant: ['--variant', process.env.FWCTL_CTS_VM_VARIANT || 'kasan'], dirs, out: resolve(to) });
    process.stdout.write(`${renderCoverage(cov)}\n`);
    process.exitCode = cov.error ? 1 : 0;
  }
} else {
  await host(process.argv.slice(2));
}

// =============================================================================
// The guest: runs inside the VM as root, in the checkout (read-only).
// =============================================================================

async function guest(argv) {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      robustness: { type: 'string' },
      // Which robustness rules (comma-separated; default every rule of the area): the boot plan spreads them.
      'robustness-rules': { type: 'string' },
      device: { type: 'string' },
      'pre-taint': { type: 'boolean', default: false },
      snapshot: { type: 'boolean', default: false },
      'abi-baseline': { type: 'boolean', default: false },
      // kind "rules": only these rules (comma-separated), from these suites; --hazards allows hazards.
      rules: { type: 'string' },
      suites: { type: 'string' },
      hazards: { type: 'boolean', default: false },
      // A profile file in the share for every dev: target (a mutant's fixture device, vm/mutant-fixture.mjs).
      profile: { type: 'string' },
    },
  });
  const share = process.env.FWCTL_VM_SHARE;
  if (!share) throw new Error('guest: FWCTL_VM_SHARE is not set (run through vm/fwctl-vm boot)');
  // What `run --profile` sets; the pool's workers, made below, inherit it (harness/profiles/kernel.ts).
  if (o.profile) process.env.FWCTL_CTS_PROFILE = join(share, o.profile);
  const kind = positionals[0];
  const kmsg = openSync('/dev/kmsg', 'w');
  const mark = (text) => {
    try {
      writeSync(kmsg, `<5>fwctl-cts: ${text.slice(0, 900)}\n`);
    } catch {
      // a marker is a convenience
    }
  };
  // The random part of the robustness budget on the kernel (KERNEL_ROBUSTNESS_RUNS), unless the host
  // asks for another (FWCTL_CTS_ROBUSTNESS_RUNS reaches the guest): set before the pool's workers
  // start, which take their environment from here.
  if (kind === 'taint' && o.robustness) process.env.FWCTL_CTS_ROBUSTNESS_RUNS ??= String(KERNEL_ROBUSTNESS_RUNS);
  // One pool for the boot: its workers load the harness once (seconds under TCG), not once per phase.
  // Made before this thread's own imports, so that on two vCPUs the workers load while it does.
  const hazards = Boolean(o.robustness) || o.hazards;
  // A sanitizing kernel (--variant kasan) is slower at every syscall and fork: the host scales the timeouts.
  const timeoutMs = (hazards ? ROBUSTNESS_TEST_TIMEOUT_MS : GUEST_TEST_TIMEOUT_MS) * (Number(process.env.FWCTL_CTS_GUEST_SLOWDOWN) || 1);
  const allow = { taint: true, destructive: true, hazards };
  // The baseline (copied into the share by the host) goes to every target the pool makes: only the abi suite reads it.
  const baseline = o['abi-baseline'] && existsSync(join(share, BASELINE)) ? join(share, BASELINE) : undefined;
  const { WorkerPool } = await import(dist('harness/runner/pool.js'));
  const pool = new WorkerPool({ workers: kind === 'main' ? 2 : 1, timeoutMs, options: { allow, ...(baseline && { abiBaseline: baseline }) } });
  // (A failed import must not leave the pool's threads keeping this process, and the VM, alive.)
  const [{ runConformance }, { writeReports, renderSummary, prepareReportDir }, { discoverSuites }] = await Promise.all([
    import(dist('harness/run.js')),
    import(dist('reports/index.js')),
    import(dist('harness/plan/suites.js')),
  ]).catch(async (e) => {
    await pool.close();
    throw e;
  });

  const device = o.device ?? pickDevice();
  const state = {
    kind,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    devices: readdirSync('/sys/class/fwctl').length,
    device,
    uptimeAtStart: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]),
    // Of that, node's start and the imports above (performance.now() counts from the process's start).
    startupMs: Math.round(performance.now()),
    phases: [],
  };
  const save = () => writeFileSync(join(share, 'guest.json'), `${JSON.stringify(state, null, 2)}\n`);
  save();
  const started = performance.now();

  /** A subset of the upstream pack: the same rules, only these. */
  const policyWith = (rules, name) => {
    const pack = JSON.parse(readFileSync(join(ROOT, 'policies/upstream.json'), 'utf8'));
    pack.rules = pack.rules.filter((r) => (typeof rules === 'function' ? rules(r) : rules.includes(r.id)));
    pack.id = `upstream-${name}`;
    delete pack.$schema;
    const file = `/tmp/policy-${name}.json`;
    writeFileSync(file, JSON.stringify(pack));
    return file;
  };

  /** The guest's CPU time so far (/proc/stat, in clock ticks): busy and idle, over all vCPUs. */
  const cpu = () => {
    const [user, nice, system, idle, iowait, irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait };
  };
  const phase = async (name, fn) => {
    const t0 = performance.now();
    const c0 = cpu();
    mark(`phase ${name} begin`);
    process.stdout.write(`\n=== ${name} ===\n`);
    const entry = { name };
    try {
      Object.assign(entry, await fn());
    } catch (e) {
      entry.error = `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
      process.stdout.write(`phase ${name} failed: ${entry.error}\n`);
    }
    entry.durationMs = Math.round(performance.now() - t0);
    const c1 = cpu();
    // How much of the two vCPUs the phase kept busy: low means it waited (on the kernel, timers, children).
    entry.cpuBusy = Math.round((100 * (c1.busy - c0.busy)) / Math.max(1, c1.busy - c0.busy + c1.idle - c0.idle));
    mark(`phase ${name} end`);
    state.phases.push(entry);
    save();
  };


  /** `fwctl-cts run` with test-end markers; reports into <share>/<dir>. */
  const conformance = async ({ dir, targets, policy = 'upstream', suites, abiBaseline, ownPool }) => {
    const cli = `fwctl-cts run ${targets.map((t) => `--target ${t}`).join(' ')} --allow-taint --allow-destructive${hazards ? ' --allow-hazards' : ''} --timeout ${timeoutMs}${policy === 'upstream' ? '' : ` --policy ${policy}`}${suites ? suites.map((s) => ` --suite ${s}`).join('') : ''}${abiBaseline ? ` --abi-baseline ${abiBaseline}` : ''} --report-dir ${dir}`;
    process.stdout.write(`(${cli})\n`);
    const report = await runConformance({
      targets,
      policy,
      suites,
      ...(ownPool ? { workers: 1, timeoutMs, options: { allow, abiBaseline } } : { pool }),
      onResult: (r) => mark(`test :: ${r.target} :: ${r.id} :: ${r.outcome} :: ${Math.round(r.durationMs)}`),
    });
    const out = join(share, dir);
    prepareReportDir(out);
    const files = writeReports(out, report);
    process.stdout.write(`${renderSummary(report, files.map((f) => relative(share, f)))}\n`);
    return { dir, report: join(dir, 'report.json'), verdict: report.verdict, summary: report.summary };
  };
  // Only the suites that hold the phase's rules are loaded: a suite load costs a second or so under TCG.
  const taintRule = (rule) => phase(rule, () => conformance({ dir: rule, targets: [`dev:${device}`], policy: policyWith([rule], rule.replace(/\W/g, '-')), suites: ['taint/taint'] }));

  try {
    if (kind === 'main') {
      // First, while the kernel is clean: the differential compares taint after every probe, and
      // its first mutating probe is what taints this kernel.
      await phase('differential', async () => {
        const { runDifferential } = await import(dist('harness/cli/differential.js'));
        const exit = await runDifferential(
          { a: 'sim:cxl@1.0', b: `dev:${device}`, allow: { ...allow, hazards: true }, kmsg: true, json: join(share, 'differential.json') },
          process.stdout,
        );
        return { exit };
      });
      // Robustness runs with hazards in a boot of its own; the taint suite needs a clean kernel for
      // each rule, which this one no longer is (every test there would skip): their boots run them.
      const suites = discoverSuites()
        .map((s) => s.name)
        .filter((n) => !n.startsWith('robustness') && !n.startsWith('taint'));
      const devices = subsetDevices(device);
      state.conformanceDevices = devices.map((d) => `${d.dev} (${d.kind})`);
      await phase('conformance', () => conformance({ dir: 'conformance', targets: devices.map((d) => `dev:${d.dev}`), suites }));
    } else if (kind === 'taint') {
      const rule = positionals[1];
      if (!TAINTING_RULES.includes(rule)) throw new Error(`guest: not a tainting taint rule: ${rule}`);
      if (o.snapshot) {
        // What a distribution would run before an update: the safe default (no --allow-*), every device.
        await phase('snapshot', async () => {
          const { takeSnapshot, writeSnapshot } = await import(dist('harness/cli/snapshot.js'));
          process.stdout.write('(fwctl-cts snapshot --target dev:all -o snapshot.json)\n');
          const snap = await takeSnapshot(['dev:all'], { allow: { taint: false, destructive: false, hazards: false } });
          writeSnapshot(join(share, SNAPSHOT), snap);
          return { snapshot: SNAPSHOT, devices: snap.devices.length, responses: snap.devices.reduce((n, d) => n + d.responses.length, 0) };
        });
      }
      if (o['abi-baseline']) {
        const abi = policyWith((r) => r.area === ABI_AREA, 'abi');
        if (!baseline) {
          await phase('abi-baseline', async () => ({ error: `no ${BASELINE} in the share: the snapshot boot wrote none` }));
        } else {
          await phase('abi-baseline', () => conformance({ dir: 'abi-baseline', targets: ['dev:all'], policy: abi, suites: ['abi'], abiBaseline: BASELINE }));
          // The same comparison against a record it must reject: a pool of its own, since a pool's targets carry one baseline.
          await phase('abi-baseline-tampered', () => conformance({ dir: 'abi-baseline-tampered', targets: [`dev:${device}`], policy: abi, suites: ['abi'], abiBaseline: join(share, TAMPERED), ownPool: true }));
        }
      }
      if (o['pre-taint']) {
        await phase('pre-taint', () => conformance({ dir: 'pre-taint', targets: [`dev:${device}`], policy: policyWith(PRE_TAINT_RULES, 'pre-taint'), suites: PRE_TAINT_SUITES }));
      }
      await taintRule(rule);
      if (o.robustness) {
        // After the boot's own rule has its result: an oops here spoils nothing else.
        const targets = o.robustness === 'all' ? ['dev:all'] : [`dev:${device}`];
        const only = o['robustness-rules']?.split(',').filter(Boolean);
        const policy = policyWith((r) => r.area === 'robustness' && (!only || only.includes(r.id)), 'robustness');
        await phase('robustness', () => conformance({ dir: 'robustness', targets, policy, suites: ['robustness'] }));
      }
    } else if (kind === 'rules') {
      // A kernel mutant's boot (vm/test-kernel-mutants.mjs): the rules the mutant breaks, on one device.
      const rules = (o.rules ?? '').split(',').filter(Boolean);
      if (!rules.length) throw new Error('guest: kind rules needs --rules');
      await phase('rules', () => conformance({ dir: 'rules', targets: [`dev:${device}`], policy: policyWith(rules, 'rules'), suites: o.suites ? o.suites.split(',') : undefined }));
    } else {
      throw new Error(`guest: unknown boot kind '${kind}'`);
    }
  } finally {
    await pool.close();
    collectGcov(share);
  }
  state.durationMs = Math.round(performance.now() - started);
  state.taintAtEnd = Number(readFileSync('/proc/sys/kernel/tainted', 'utf8'));
  save();
}

/**
 * A gcov kernel (vm/fwctl-vm --variant kasan) keeps the counters of its profiled modules in
 * debugfs while they are loaded: copy every .gcda into <share>/gcov/, at its debugfs path
 * (the build tree's absolute path), for the host to merge over the boots (vm/kernel-coverage.mjs).
 */
function collectGcov(share) {
  const root = '/sys/kernel/debug/gcov';
  if (!existsSync(root)) return;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.gcda')) {
        const to = join(share, 'gcov', relative(root, p));
        mkdirSync(dirname(to), { recursive: true });
        // debugfs reports size 0: readFileSync reads on to the end.
        writeFileSync(to, readFileSync(p));
      }
    }
  };
  try {
    walk(root);
  } catch (e) {
    process.stdout.write(`gcov: cannot copy the counters: ${e.message}\n`);
  }
}

/**
 * The fwctl devices whose memdev takes part in no CXL region, in device-number
 * order, each with its kind (the name of the memdev's platform parent without
 * its number: cxl_test's `cxl_mem` or `cxl_rcd`). Unbinding a region member
 * (cxl_test's auto-assembled region0) can warn in the CXL region core, which is
 * not fwctl's doing; the single-device phases and the differential's hotplug
 * probes stay clear of it.
 */
function freeDevices() {
  const names = readdirSync('/sys/class/fwctl')
    .filter((n) => /^fwctl\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const inRegion = new Set();
  const cxl = '/sys/bus/cxl/devices';
  for (const ep of existsSync(cxl) ? readdirSync(cxl).filter((n) => n.startsWith('endpoint')) : []) {
    try {
      const mem = basename(readlinkSync(join(cxl, ep, 'uport')));
      for (const d of readdirSync(join(cxl, ep)).filter((n) => n.startsWith('decoder'))) {
        const region = existsSync(join(cxl, ep, d, 'region')) ? readFileSync(join(cxl, ep, d, 'region'), 'utf8').trim() : '';
        if (region) inRegion.add(mem);
      }
    } catch {
      // an endpoint going away while we look: ignore it
    }
  }
  const free = [];
  for (const n of names) {
    try {
      const path = realpathSync(join('/sys/class/fwctl', n, 'device'));
      if (!inRegion.has(basename(path))) free.push({ dev: `/dev/fwctl/${n}`, kind: basename(dirname(path)).replace(/\.\d+$/, '') });
    } catch {
      // not a memdev parent: keep looking
    }
  }
  return { names, free };
}

/** The device for single-device phases: the first one in no CXL region. */
function pickDevice() {
  const { names, free } = freeDevices();
  return free[0]?.dev ?? `/dev/fwctl/${names[0] ?? 'fwctl0'}`;
}

/**
 * The devices the main boot's conformance runs on: `first`, then the first device of each other
 * kind of mock memdev (cxl_mem and cxl_rcd: a CXL 2.0 and a restricted CXL device), and at least
 * two (a second device number, two devices' tests side by side). Not all 11: every cxl_test
 * device is the same mock (tools/testing/cxl/test/mem.c) behind the same fwctl and CXL core
 * code, and no rule of those suites compares one device with another, so ten more devices re-ran
 * the same kernel code (140-210 s of the boot: a worker task, a suite load and a target per suite
 * and device, the hot-plug tests' rebinds). What depends on telling devices apart, the ABI
 * baseline's matching of each device to its own record (by serial), still runs on every device
 * (taint.debug-write's snapshot, taint.warn-once's abi-baseline).
 */
function subsetDevices(first) {
  const { free } = freeDevices();
  const picked = [free.find((d) => d.dev === first) ?? { dev: first, kind: '?' }];
  for (const d of free) if (!picked.some((p) => p.kind === d.kind)) picked.push(d);
  if (picked.length < 2) picked.push(...free.filter((d) => d.dev !== first).slice(0, 1));
  return picked;
}

// =============================================================================
// The host.
// =============================================================================

async function host(argv) {
  let o;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        only: { type: 'string' },
        robustness: { type: 'string', default: 'one' },
        timeout: { type: 'string', default: '1800' },
        jobs: { type: 'string', default: '2' },
        variant: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    return usage(e.message);
  }
  if (o.help) {
    process.stdout.write('usage: node vm/test-kernel.mjs [--out DIR] [--only main|taint] [--robustness one|all] [--timeout S] [--jobs N] [--variant NAME]\n');
    return;
  }
  if (o.only && !['main', 'taint'].includes(o.only)) return usage(`--only wants main or taint, not '${o.only}'`);
  if (!['one', 'all'].includes(o.robustness)) return usage(`--robustness wants one or all, not '${o.robustness}'`);
  if (!/^[1-9]\d*$/.test(o.timeout)) return usage(`--timeout wants seconds, not '${o.timeout}'`);
  if (!/^[1-9]\d*$/.test(o.jobs)) return usage(`--jobs wants a number of VMs, not '${o.jobs}'`);
  for (const f of ['dist/harness/run.js', 'dist/harness/differential/compare.js', 'dist/reports/index.js']) {
    if (!existsSync(join(ROOT, f))) return usage(`${f} is missing: run npm run build first`);
  }
  const out = resolve(o.out ?? process.env.FWCTL_KERNEL_OUT ?? join(ROOT, 'out/kernel'));
  mkdirSync(out, { recursive: true });
  const vm = join(ROOT, 'vm/fwctl-vm');
  // --variant kasan: the KASAN + gcov kernel (vm/kernel-kasan.config), with coverage at the end.
  const variant = o.variant ? ['--variant', o.variant] : [];
  const wallStart = performance.now();

  // ---- setup (cached) ----
  say('vm/fwctl-vm setup (reuses the cached build; a new machine builds it, about 13 minutes)');
  const t0 = performance.now();
  const setup = spawnSync(vm, ['setup', ...variant], { cwd: ROOT, stdio: 'inherit' });
  const setupMs = performance.now() - t0;
  if (setup.status !== 0) {
    say(`setup failed (exit ${setup.status ?? setup.signal})`);
    process.exitCode = 1;
    return;
  }

  // ---- boots ----
  // Each boot is its own VM, so they can run side by side (--jobs): a boot
  // spends much of its time single-threaded (kernel start, node start-up), and
  // the taint boots are short. main goes first: it is the longest.
  const boots = [];
  if (o.only !== 'taint') boots.push({ name: 'main', args: ['main'] });
  if (o.only !== 'main') {
    // One boot per tainting rule, one vCPU each (one worker: a second emulated CPU would only
    // compete with main's). Each runs its rule first, on a clean kernel; what else it runs is
    // spread so that the two lanes (--jobs 2) end together: main (the longest) on one, the taint
    // boots in this order on whichever lane is free, which (measured) puts debug-write,
    // full-with-rawio and warn-once on the other and before-validation after main. debug-write
    // also takes the ABI snapshot and the first robustness half (hazards allowed, after its
    // rule: an oops there spoils nothing else); full-with-rawio the other half; warn-once, booted
    // once debug-write is done, compares against the snapshot; before-validation first runs the
    // rules that need a clean kernel but do not taint.
    const rob = (i) => ['--robustness', o.robustness, '--robustness-rules', ROBUSTNESS_SPLIT[i].join(',')];
    const plan = {
      'taint.debug-write': ['--snapshot', ...rob(0)],
      'taint.full-with-rawio': rob(1),
      'taint.warn-once': ['--abi-baseline'],
      'taint.before-validation': ['--pre-taint'],
    };
    for (const [rule, extra] of Object.entries(plan)) {
      boots.push({ name: rule, env: { FWCTL_CTS_VM_CPUS: '1' }, args: ['taint', rule, ...extra], ...(rule === 'taint.warn-once' && { needs: 'taint.debug-write' }) });
    }
  }
  // Only what this script writes is replaced: --out may name a directory with other things in it.
  rmSync(join(out, 'summary.json'), { force: true });
  const jobs = Number(o.jobs);
  say(`${boots.length} boot(s), ${jobs} at a time: ${boots.map((b) => b.name).join(', ')}`);
  const queue = [...boots];
  const finished = new Map(boots.map((b) => [b.name, deferred()]));
  const lane = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      // A boot that compares against another's snapshot waits for it (an earlier boot in the queue: no deadlock).
      if (b.needs) await finished.get(b.needs)?.promise;
      b.dir = join(out, b.name);
      rmSync(b.dir, { recursive: true, force: true });
      mkdirSync(b.dir, { recursive: true });
      if (b.needs) giveBaseline(join(out, b.needs, SNAPSHOT), b.dir);
      say(`boot ${b.name}: ${b.args.join(' ')}`);
      const t = performance.now();
      const boot = () => run(vm, ['boot', ...variant, '--timeout', o.timeout, '--share', b.dir, '--console-log', join(b.dir, 'console.log'), '--', process.execPath, ...GUEST_NODE_FLAGS, 'vm/test-kernel.mjs', 'guest', ...b.args], join(b.dir, 'guest.log'), b.name, { ...b.env, ...(o.variant && { FWCTL_CTS_GUEST_SLOWDOWN: String(VARIANT_SLOWDOWN) }) });
      let r = await boot();
      const early = r === 125 && !existsSync(join(b.dir, 'guest.json')) ? diedBeforeInit(join(b.dir, 'console.log')) : undefined;
      if (early) {
        // The kernel died before it ran init, so before fwctl or cxl_test was even
        // loaded (emulated CPUs on a busy host occasionally trip over the kernel
        // patching its own code at boot): that tested nothing, so boot once more,
        // and say so in the summary. A failure any later counts.
        b.retried = `the kernel died before init (${early}); booted again`;
        say(`boot ${b.name}: ${b.retried}`);
        renameSync(join(b.dir, 'console.log'), join(b.dir, 'console.first-boot.log'));
        renameSync(join(b.dir, 'guest.log'), join(b.dir, 'guest.first-boot.log'));
        r = await boot();
      }
      b.wallMs = performance.now() - t;
      b.exit = r;
      b.guest = readJson(join(b.dir, 'guest.json'));
      say(`boot ${b.name}: done in ${(b.wallMs / 1000).toFixed(1)} s, exit ${r}${r === 124 ? ' (timed out)' : r === 125 ? ' (the VM failed)' : ''}${r !== 0 ? `; see ${relative(ROOT, join(b.dir, 'guest.log'))}` : ''}`);
      finished.get(b.name).resolve();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, boots.length) }, lane));

  // ---- results ----
  const summary = analyse(boots, { out, setupMs, wallMs: performance.now() - wallStart });
  if (o.variant) {
    // Line and branch coverage of main.c and of features.c's fwctl part over every boot (lcov); render() shows it.
    const tc = performance.now();
    const cov = kernelCoverage({ vm, variant, dirs: boots.map((b) => b.dir), out });
    summary.coverage = cov;
    summary.timings.coverageMs = Math.round(performance.now() - tc);
    if (cov.error) summary.failures.push(`coverage: ${cov.error}`), (summary.ok = false);
    summary.timings.wallMs = Math.round(performance.now() - wallStart);
  }
  writeFileSync(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`\n${render(summary)}\n`);
  process.exitCode = summary.ok ? 0 : 1;
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Put another boot's snapshot into this boot's share: as it is (baseline.json),
 * and with every stable response one byte longer (baseline-tampered.json): the
 * device now looks as if a stable response shrank, which abi.stable-responses-grow
 * must report. No snapshot, no files: the guest says so and the summary fails.
 */
function giveBaseline(snapshot, dir) {
  const snap = readJson(snapshot);
  if (!snap) return;
  writeFileSync(join(dir, BASELINE), `${JSON.stringify(snap, null, 2)}\n`);
  for (const d of snap.devices) for (const r of d.responses) if (r.stability === 'stable' && r.payload !== undefined) r.payload += '00';
  writeFileSync(join(dir, TAMPERED), `${JSON.stringify(snap, null, 2)}\n`);
}

function usage(msg) {
  process.stderr.write(`test-kernel: ${msg}\n`);
  process.exitCode = 2;
}

function say(msg) {
  process.stderr.write(`test-kernel: ${msg}\n`);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Run a command; its output goes to `log`, and to our stdout in one block when
 * it ends (boots run side by side: their lines must not interleave).
 * Resolves with its exit status.
 */
function run(cmd, args, log, name, env = {}) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('close', (code, signal) => {
      const text = Buffer.concat(chunks);
      writeFileSync(log, text);
      process.stdout.write(`\n----- boot ${name} -----\n${text}`);
      res(code ?? (signal ? 128 : 1));
    });
  });
}

// ---- the console ----------------------------------------------------------------

/**
 * Kernel messages of a serial console log: each with its timestamp (seconds
 * since boot; lines without one inherit the previous one) and text.
 */
function parseConsole(text) {
  let ts = 0;
  return text
    .replace(/\r/g, '')
    .split('\n')
    .map((line, i) => {
      // The first line carries the terminal reset sequences SeaBIOS and the kernel print.
      const clean = line.includes('\x1b') ? line.replace(/^.*\x1b\[[0-9;?]*[A-Za-z]/, '') : line;
      const m = /^\[\s*(\d+\.\d+)\]\s?(.*)$/.exec(clean);
      if (m) ts = Number(m[1]);
      return { i, ts, stamped: Boolean(m), text: m ? m[2] : line };
    });
}

/** The console's first problem when the kernel never reached init (no "Run … as init process"); else undefined. */
function diedBeforeInit(file) {
  if (!existsSync(file)) return undefined;
  const lines = parseConsole(readFileSync(file, 'utf8'));
  if (lines.some((l) => /Run .* as init process/.test(l.text))) return undefined;
  return lines.find((l) => PROBLEM.test(l.text))?.text ?? 'no init, no problem line';
}

/** Markers the guest wrote (phases, test ends, differential probes), with kernel times. */
function markers(lines) {
  const phases = [];
  const tests = [];
  const probes = [];
  for (const l of lines) {
    const m = /fwctl-cts: (.*)$/.exec(l.text);
    if (!m) continue;
    const body = m[1];
    let p;
    if ((p = /^phase (\S+) (begin|end)$/.exec(body))) {
      if (p[2] === 'begin') phases.push({ name: p[1], begin: l.ts, end: Infinity });
      else {
        const open = phases.findLast((x) => x.name === p[1]);
        if (open) open.end = l.ts;
      }
    } else if ((p = /^test :: (.*?) :: (.*) :: (\w+) :: (\d+)$/.exec(body))) {
      tests.push({ target: p[1], id: p[2], outcome: p[3], end: l.ts, begin: l.ts - Number(p[4]) / 1000 });
    } else if ((p = /^differential: probe (\d+): (.*)$/.exec(body))) {
      probes.push({ n: Number(p[1]), name: p[2], begin: l.ts });
    }
  }
  probes.forEach((p, i) => (p.end = probes[i + 1]?.begin ?? phases.find((ph) => ph.name === 'differential')?.end ?? Infinity));
  return { phases, tests, probes };
}

/** Kernel problems in the console, each with an excerpt and what was running. */
function consoleProblems(file) {
  if (!existsSync(file)) return { problems: [], missing: true };
  const lines = parseConsole(readFileSync(file, 'utf8'));
  const m = markers(lines);
  const problems = [];
  let coveredTo = -1;
  for (const l of lines) {
    if (l.i <= coveredTo || !PROBLEM.test(l.text) || /fwctl-cts: /.test(l.text)) continue;
    // The excerpt: from a "cut here" just before, to the trace's end (or 60 lines).
    let from = l.i;
    for (let k = l.i - 1; k >= Math.max(0, l.i - 3); k--) if (/cut here/.test(lines[k].text)) from = k;
    let to = l.i;
    while (to < lines.length - 1 && to - l.i < 60 && !/end trace|^---\[ end/.test(lines[to].text)) to++;
    if (to - l.i >= 60) to = Math.min(lines.length - 1, l.i + 25);
    coveredTo = to;
    problems.push({
      at: l.ts,
      line: l.text,
      during: attribute(l.ts, m),
      excerpt: lines.slice(from, to + 1).map((x) => (x.stamped ? `[${x.ts.toFixed(6)}] ${x.text}` : x.text)),
    });
  }
  return { problems, markers: m };
}

/** What was running at kernel time `t`: the tests (or the probe) whose interval holds it. */
function attribute(t, m) {
  const slack = 0.25;
  const phase = m.phases.find((p) => p.begin <= t && t <= p.end);
  const tests = m.tests.filter((x) => x.begin - slack <= t && t <= x.end + slack);
  if (tests.length) return { phase: phase?.name, tests: tests.map((x) => `${x.id} on ${x.target} (${x.outcome})`) };
  const probe = m.probes.find((p) => p.begin <= t && t < p.end);
  if (probe) return { phase: phase?.name, probe: `differential probe ${probe.n}: ${probe.name}` };
  if (phase) {
    const before = m.tests.filter((x) => x.end <= t && x.end >= phase.begin).sort((a, b) => b.end - a.end)[0];
    return { phase: phase.name, between: before ? `after ${before.id} on ${before.target} ended (no test was running: teardown, or a test still in progress)` : 'before the first test ended (loading suites, making targets)' };
  }
  return { outside: m.phases.length && t > m.phases[m.phases.length - 1].end ? 'after the last phase (power-off)' : 'before the first phase (boot, module loading, node start-up)' };
}

// ---- results ----------------------------------------------------------------------

function analyse(boots, { out, setupMs, wallMs }) {
  const reports = [];
  const failures = [];
  const boot = boots.map((b) => {
    const g = b.guest;
    const scan = consoleProblems(join(b.dir, 'console.log'));
    for (const ph of g?.phases ?? []) {
      if (ph.error) failures.push(`boot ${b.name}: phase ${ph.name} failed: ${ph.error}`);
      if (ph.report) {
        const r = readJson(join(b.dir, ph.report));
        if (r) reports.push({ boot: b.name, phase: ph.name, report: r, file: relative(ROOT, join(b.dir, ph.report)) });
        else failures.push(`boot ${b.name}: phase ${ph.name}: no report`);
      }
    }
    if (b.exit !== 0) failures.push(`boot ${b.name}: exit ${b.exit}${b.exit === 124 ? ' (timed out)' : b.exit === 125 ? ' (the VM failed)' : ''}`);
    if (!g) failures.push(`boot ${b.name}: the guest wrote no guest.json`);
    for (const p of scan.problems) failures.push(`boot ${b.name}: console: ${p.line}`);
    const guestMs = g?.durationMs;
    return {
      name: b.name,
      exit: b.exit,
      ...(b.retried && { retried: b.retried }),
      wallMs: Math.round(b.wallMs),
      kernel: g?.kernel,
      devices: g?.devices,
      device: g?.device,
      ...(g?.conformanceDevices && { conformanceDevices: g.conformanceDevices }),
      bootToCommandS: g?.uptimeAtStart,
      nodeStartupMs: g?.startupMs,
      guestRunMs: guestMs,
      overheadMs: guestMs !== undefined ? Math.round(b.wallMs - guestMs) : undefined,
      phases: (g?.phases ?? []).map((p) => ({ name: p.name, durationMs: p.durationMs, cpuBusy: p.cpuBusy, ...(p.verdict && { verdict: p.verdict }), ...(p.exit !== undefined && { exit: p.exit }), ...(p.error && { error: p.error }) })),
      console: relative(ROOT, join(b.dir, 'console.log')),
      problems: scan.problems,
      consoleMissing: Boolean(scan.missing),
    };
  });

  // Rules: merged over every phase (a taint rule skipped in the main run passed in its own boot).
  const rules = new Map();
  const tests = { total: 0, outcomes: {} };
  // The tampered-baseline phase must fail: it proves the comparison can, and is not a verdict on the kernel.
  for (const { phase, report } of reports.filter((r) => r.phase !== 'abi-baseline-tampered')) {
    tests.total += report.summary.tests;
    for (const [k, v] of Object.entries(report.summary.outcomes)) tests.outcomes[k] = (tests.outcomes[k] ?? 0) + v;
    for (const rule of report.rules) {
      const r = rules.get(rule.id) ?? { id: rule.id, tier: rule.tier, severity: rule.severity, verdicts: {}, failures: [], skips: [], devices: { pass: 0, fail: 0, excused: 0, other: 0 } };
      r.verdicts[phase] = rule.verdict;
      rules.set(rule.id, r);
    }
    for (const t of report.tests) {
      for (const id of t.rules) {
        const r = rules.get(id);
        if (!r) continue;
        // Per device, for the required paths: a skip is excused only for a memdev in a CXL region.
        if (t.outcome === 'pass') r.devices.pass++;
        else if (t.outcome === 'skip' && IN_REGION.test(t.skipReason ?? '')) r.devices.excused++;
        else if (t.outcome === 'skip') r.devices.other++;
        else r.devices.fail++;
        if (['fail', 'timeout', 'crash', 'error'].includes(t.outcome)) r.failures.push(`${t.target} ${t.suite}: ${t.outcome}: ${(t.error?.message ?? '').split('\n').slice(0, 3).join(' | ')}`);
        if (t.outcome === 'skip' && t.skipReason && !r.skips.includes(t.skipReason)) r.skips.push(t.skipReason);
      }
    }
  }
  for (const r of rules.values()) {
    const v = Object.values(r.verdicts);
    r.verdict = v.includes('fail') ? 'fail' : v.includes('pass') ? 'pass' : v.includes('not-applicable') ? 'not-applicable' : 'not-run';
    if (r.verdict === 'fail') failures.push(`rule ${r.id} fails on the real kernel: ${r.failures[0] ?? Object.entries(r.verdicts).map(([p, x]) => `${p}=${x}`).join(' ')}`);
  }
  const count = (v) => [...rules.values()].filter((r) => r.verdict === v).length;
  // A required path must have run and passed on the kernel: on every device, except memdevs in a
  // CXL region for the hot-plug rules (a rule is "not run" overall when some devices skip it).
  const ran = (r) => (!r ? 'absent' : r.verdict === 'fail' || r.devices.fail ? 'fail' : r.devices.pass && !r.devices.other ? 'pass' : r.verdict === 'pass' ? 'pass' : 'not-run');
  const mustRun = MUST_RUN.map(([id, what]) => ({ id, what, verdict: ran(rules.get(id)), devices: rules.get(id)?.devices }));
  const ranAll = boots.some((b) => b.name === 'main') && TAINTING_RULES.every((r) => boots.some((b) => b.name === r));
  if (ranAll) for (const m of mustRun) if (m.verdict !== 'pass') failures.push(`${m.id} (${m.what}) did not pass on the real kernel: ${m.verdict}`);

  // The ABI round trip: a snapshot in one boot, the abi rules against it in another.
  const snapBoot = boots.find((b) => b.name === TAINTING_RULES[0]);
  const snapPhase = snapBoot?.guest?.phases.find((p) => p.name === 'snapshot');
  const cmpBoot = boots.find((b) => b.needs);
  const verdictsOf = (phase) => {
    const r = reports.find((x) => x.phase === phase)?.report;
    return r && Object.fromEntries(r.rules.map((x) => [x.id, x.verdict]));
  };
  const abiBaseline = snapBoot && cmpBoot && {
    snapshot: snapPhase && { boot: snapBoot.name, devices: snapPhase.devices, responses: snapPhase.responses, durationMs: snapPhase.durationMs, file: relative(ROOT, join(snapBoot.dir, SNAPSHOT)) },
    compared: { boot: cmpBoot.name, rules: verdictsOf('abi-baseline'), durationMs: cmpBoot.guest?.phases.find((p) => p.name === 'abi-baseline')?.durationMs },
    tampered: { rules: verdictsOf('abi-baseline-tampered') },
  };
  if (abiBaseline) {
    if (!abiBaseline.snapshot?.devices) failures.push(`abi baseline: ${snapBoot.name} recorded no device`);
    const cmp = abiBaseline.compared.rules;
    if (!cmp || !Object.values(cmp).includes('pass') || Object.values(cmp).some((v) => v === 'fail' || v === 'not-run')) failures.push(`abi baseline: the abi rules against the snapshot did not pass in ${cmpBoot.name}: ${JSON.stringify(cmp ?? 'no report')}`);
    const bad = abiBaseline.tampered.rules;
    if (bad?.['abi.stable-responses-grow'] !== 'fail') failures.push(`abi baseline: a record whose stable responses were longer did not fail abi.stable-responses-grow: ${JSON.stringify(bad ?? 'no report')}`);
  }

  // The differential.
  const diffBoot = boots.find((b) => b.name === 'main');
  const diff = diffBoot ? readJson(join(diffBoot.dir, 'differential.json')) : undefined;
  let differential;
  if (diff) {
    differential = {
      targets: diff.targets,
      probes: diff.probes,
      disagreements: diff.disagreements.map((d) => ({ probe: d.probe, fields: d.fields })),
      skipped: diff.skipped.length,
      taintCompared: diff.taintCompared,
      durationMs: diff.durationMs,
      file: relative(ROOT, join(diffBoot.dir, 'differential.json')),
    };
    for (const d of diff.disagreements) failures.push(`differential: ${d.probe}: ${d.fields.join(', ')}`);
    if (!diff.taintCompared) failures.push('differential: taint was not compared (the kernel was already tainted when it started)');
    for (const t of [...diff.transcripts.a, ...diff.transcripts.b]) if (t.error) failures.push(`differential: ${t.probe}: ${t.error}`);
  } else if (diffBoot) {
    failures.push('differential: no result (differential.json missing)');
  }

  // Robustness findings: the suite's own failures (they name the input and the seed) and console problems in its phase.
  // The boot plan may spread the robustness rules over several boots: their phases together.
  const robs = reports.filter((r) => r.phase === 'robustness');
  const robustness = robs.length
    ? {
        targets: [...new Set(robs.flatMap((rob) => rob.report.targets.map((t) => t.spec)))],
        boots: robs.map((rob) => rob.boot),
        rules: Object.fromEntries(robs.flatMap((rob) => rob.report.rules.filter((r) => r.verdict !== 'not-selected').map((r) => [r.id, r.verdict]))),
        inputs: robs.flatMap((rob) => rob.report.tests.flatMap((t) => (t.evidence ?? []).filter((e) => e.call === 'robustness' && / inputs sent /.test(e.detail)).map((e) => `${t.id}: ${e.detail}`))),
        findings: [
          ...robs.flatMap((rob) => rob.report.tests.filter((t) => !['pass', 'skip'].includes(t.outcome)).map((t) => `${t.target} ${t.id}: ${t.outcome}: ${t.error?.message ?? ''}`)),
          ...boot.flatMap((b) => b.problems.filter((p) => p.during.phase === 'robustness').map((p) => `console: ${p.line} (${p.during.tests?.join('; ') ?? p.during.between ?? ''})`)),
        ],
      }
    : undefined;

  const main0 = boot.find((b) => b.name === 'main');
  return {
    ok: failures.length === 0,
    partial: !ranAll,
    failures,
    kernel: boot.find((b) => b.kernel)?.kernel,
    devices: boot.find((b) => b.devices)?.devices,
    out: relative(ROOT, out) || '.',
    timings: {
      setupMs: Math.round(setupMs),
      wallMs: Math.round(wallMs),
      boots: boot.length,
      overheadMs: boot.reduce((s, b) => s + (b.overheadMs ?? 0), 0),
      guestRunMs: boot.reduce((s, b) => s + (b.guestRunMs ?? 0), 0),
      mainWallMs: main0?.wallMs,
    },
    tests,
    rules: { total: rules.size, pass: count('pass'), fail: count('fail'), notRun: count('not-run'), notApplicable: count('not-applicable') },
    ruleTable: [...rules.values()].map((r) => ({ id: r.id, tier: r.tier, verdict: r.verdict, byPhase: r.verdicts, ...(r.failures.length && { failures: r.failures.slice(0, 3) }), ...(r.verdict === 'not-run' && { why: r.skips.slice(0, 2) }) })),
    mustRun,
    differential,
    robustness,
    abiBaseline,
    boots: boot,
  };
}

function render(s) {
  const sec = (ms) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);
  const L = [];
  L.push(`fwctl-cts on the real kernel: Linux ${s.kernel ?? '?'} with cxl_test (${s.devices ?? '?'} fwctl devices)`);
  L.push(`  time: setup ${sec(s.timings.setupMs)}, ${s.timings.boots} boot(s): VM overhead ${sec(s.timings.overheadMs)} + guest runs ${sec(s.timings.guestRunMs)}${s.timings.coverageMs !== undefined ? `, coverage ${sec(s.timings.coverageMs)}` : ''}; wall ${sec(s.timings.wallMs)}`);
  for (const b of s.boots) {
    const phases = b.phases.map((p) => `${p.name} ${sec(p.durationMs)}${p.cpuBusy !== undefined ? ` (${p.cpuBusy}% busy)` : ''}${p.verdict ? ` ${p.verdict}` : ''}${p.exit !== undefined ? ` exit ${p.exit}` : ''}${p.error ? ' ERROR' : ''}`).join(', ');
    if (b.retried) L.push(`    ${b.name}: ${b.retried} (the first console: ${s.out}/${b.name}/console.first-boot.log)`);
    L.push(`    ${b.name}: ${sec(b.wallMs)} (command started ${b.bootToCommandS?.toFixed(1) ?? '?'} s after kernel start, ${sec(b.nodeStartupMs)} of it node and its imports; device ${b.device ?? '?'}${b.conformanceDevices ? `, conformance on ${b.conformanceDevices.join(', ')}` : ''}): ${phases}`);
  }
  const oc = Object.entries(s.tests.outcomes).filter(([, v]) => v).map(([k, v]) => `${v} ${k}`).join(', ');
  L.push(`  tests: ${s.tests.total} (${oc})`);
  L.push(`  rules: ${s.rules.pass} pass, ${s.rules.fail} fail, ${s.rules.notRun} not run, ${s.rules.notApplicable} not applicable (of ${s.rules.total})`);
  for (const r of s.ruleTable.filter((x) => x.verdict === 'fail')) L.push(`    FAIL ${r.id}: ${r.failures?.[0] ?? JSON.stringify(r.byPhase)}`);
  for (const r of s.ruleTable.filter((x) => x.verdict === 'not-run')) L.push(`    not run ${r.id}: ${r.why?.[0] ?? 'no test ran'}`);
  const bad = s.mustRun.filter((m) => m.verdict !== 'pass');
  L.push(`  required paths: ${bad.length ? bad.map((m) => `${m.id} ${m.verdict}`).join(', ') : `all ${s.mustRun.length} ran and passed (no CAP_SYS_RAWIO, several descriptors, unregister, taint on a clean kernel, robustness)`}`);
  for (const m of s.mustRun.filter((x) => x.verdict === 'pass' && s.ruleTable.find((r) => r.id === x.id)?.verdict === 'not-run')) {
    L.push(`    ${m.id}: passed on ${m.devices.pass} device(s); ${s.ruleTable.find((r) => r.id === m.id)?.why?.[0] ?? 'not run on the others'}`);
  }
  if (s.differential) {
    const d = s.differential;
    L.push(`  differential ${d.targets.a} vs ${d.targets.b}: ${d.probes} probes, ${d.disagreements.length} disagreement(s), ${d.skipped} skipped, taint ${d.taintCompared ? 'compared' : 'not compared'} (${s.differential.file})`);
    for (const x of d.disagreements) L.push(`    DISAGREE ${x.probe}: ${x.fields.join(', ')}`);
  }
  if (s.abiBaseline) {
    const a = s.abiBaseline;
    const rules = (r) => (r ? Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') : 'no report');
    L.push(`  abi baseline: snapshot of ${a.snapshot?.devices ?? 0} device(s), ${a.snapshot?.responses ?? 0} responses in ${a.snapshot?.boot ?? '?'} (${sec(a.snapshot?.durationMs)}; ${a.snapshot?.file ?? 'none'}); compared in ${a.compared.boot} (${sec(a.compared.durationMs)}): ${rules(a.compared.rules)}`);
    L.push(`    against a tampered copy (stable responses one byte longer): ${rules(a.tampered.rules)}`);
  }
  if (s.robustness) {
    L.push(`  robustness with hazards on ${s.robustness.targets.join(' ')} (${s.robustness.boots.join(', ')}): ${Object.entries(s.robustness.rules).map(([k, v]) => `${k} ${v}`).join(', ')}; findings: ${s.robustness.findings.length || 'none'}`);
    for (const f of s.robustness.findings) L.push(`    FINDING ${f}`);
  }
  const problems = s.boots.flatMap((b) => b.problems.map((p) => ({ ...p, boot: b.name })));
  L.push(`  console: ${problems.length ? `${problems.length} problem(s)` : 'no BUG:, WARNING: or Oops'}`);
  for (const p of problems) {
    const d = p.during;
    const what = d.tests ? `while running ${d.tests.join('; ')}` : d.probe ? `during ${d.probe}` : d.between ? `in phase ${d.phase}, ${d.between}` : d.outside;
    L.push(`    [${p.at.toFixed(3)}] ${p.boot}: ${p.line}`);
    L.push(`      ${what}`);
    for (const x of p.excerpt.slice(0, 12)) L.push(`      | ${x}`);
  }
  if (s.coverage) L.push(renderCoverage(s.coverage));
  L.push(`  reports: ${s.out}/ (summary.json, <boot>/<phase>/report.json, <boot>/console.log)`);
  const partial = s.partial ? ' (a partial run: --only; the rules of the other boots were not run)' : '';
  L.push(s.ok ? `RESULT: PASS — every applicable rule passes on the real kernel, no console problem, no disagreement${partial}` : `RESULT: FAIL — ${s.failures.length} problem(s)${partial}:`);
  for (const f of s.failures) L.push(`  - ${f}`);
  return L.join('\n');
}

export { consoleProblems, diedBeforeInit, GUEST_NODE_FLAGS, pickDevice, run as runLogged, VARIANT_SLOWDOWN };
