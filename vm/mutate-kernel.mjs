#!/usr/bin/env node
// npm run mutate:kernel — `fwctl-cts mutate` on the real kernel's cxl_test devices (issue 15 item 3).
//
// Boots the cached main kernel (vm/fwctl-vm, as vm/test-kernel.mjs does) one VM at a time and runs
// the mutation operators (harness/mutate/) against one cxl_test device: the 11 /dev/fwctl/fwctlN
// devices are the same mock (tools/testing/cxl/test/mem.c) behind the same driver
// (drivers/cxl/core/features.c), so ten more re-run the same kernel code, and each run costs the
// same under TCG whatever the device count. The device is one that is in no CXL region, so the
// unregister tests can unbind it.
//
// TAINT_FWCTL is sticky until reboot, and every taint.* test needs a clean kernel (state
// 'clean-kernel': it skips on a tainted one). A verdict must not depend on which run tainted the
// kernel first, so:
//   main        every operator against every suite but taint (each of its tests needs a clean
//               kernel) and robustness (its runs take minutes each under TCG; --robustness keeps
//               it); one boot, the baseline and the 26 mutants in turn.
//   pre-taint   the operators named for a taint rule against the two taint rules that never taint
//               a clean kernel (low scopes, DEBUG_WRITE_FULL without CAP_SYS_RAWIO). Neither the
//               baseline nor these mutants taint it (they alter answers in user space only), so
//               they share a boot; the guest checks that the kernel is still clean at the end.
//   debug-write, warn-once
//               the rules that taint: the baseline on one clean boot (`fwctl-cts run`), each
//               mutant on a clean boot of its own scored against it (`mutate --baseline`):
//               taint-masked on taint.debug-write, warning-duplicated on taint.warn-once.
// An operator's verdict is killed if any boot killed it, else survived if any boot saw it
// survive, else not applicable (with the reasons). Each boot scores only its own tests, so the
// union is sound.
//
// Options: --out DIR (default out/mutate-kernel), --only main|taint, --part K/N (main: the K-th of
// N slices of the operators, so each boot fits one VM hold; under TCG a mutant costs about as much
// as the baseline, 1.5-2 min), --operator ID (repeatable; main only, e.g. to time one operator),
// --robustness (keep the robustness suite in main), --timeout S (per boot, default 1500).
// Writes each boot's directory (guest.json, console.log, guest.log, its mutate.json or run/) and
// DIR/mutate.json (schemas/mutate.schema.json): the score combined from every boot in DIR, also
// those of earlier invocations, so `--only main --part 1/3`, `2/3`, `3/3` and `--only taint`,
// each under its own VM lock, make one score.
// Exit status: 0 scored (whatever the kill rate); 1 a boot failed, the console showed a kernel
// problem or a boot meant to stay clean tainted the kernel; 2 bad usage.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GUEST_NODE_FLAGS, consoleProblems, pickDevice, runLogged as run } from './test-kernel.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;

/** Per-test timeout inside the emulated guest (as vm/test-kernel.mjs). */
const GUEST_TEST_TIMEOUT_MS = 30_000;
/** TAINT_FWCTL (include/linux/panic.h). */
const TAINT_FWCTL = 1 << 19;
/** The taint rules that never taint a clean kernel when they pass. */
const PRE_TAINT_TESTS = ['taint.low-scopes-clean', 'taint.rawio-required'];
/** A tainting rule and the operator named for it: one clean boot for the baseline, one for the mutant. */
const TAINTING = [
  { test: 'taint.debug-write', operator: 'taint-masked' },
  { test: 'taint.warn-once', operator: 'warning-duplicated' },
];
const BASELINE = 'baseline.json';

const IS_MAIN = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (IS_MAIN && process.argv[2] === 'guest') await guest(process.argv.slice(3));
else if (IS_MAIN) process.exitCode = await host(process.argv.slice(2));

// ---- the guest: one boot's runs, results into $FWCTL_VM_SHARE ---------------------------------

async function guest(argv) {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      device: { type: 'string' },
      operator: { type: 'string', multiple: true },
      test: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      baseline: { type: 'boolean', default: false },
      workers: { type: 'string', default: '1' },
    },
  });
  const share = process.env.FWCTL_VM_SHARE;
  if (!share) throw new Error('guest: FWCTL_VM_SHARE is not set (run through vm/fwctl-vm boot)');
  const taint = () => (Number(readFileSync('/proc/sys/kernel/tainted', 'utf8').trim()) & TAINT_FWCTL) !== 0;
  const device = o.device ?? pickDevice();
  const target = `dev:${device}`;
  const state = { kind: positionals[0], kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(), device, taintedAtStart: taint() };
  const save = () => writeFileSync(join(share, 'guest.json'), `${JSON.stringify(state, null, 2)}\n`);
  save();
  const t0 = performance.now();
  const options = { allow: { taint: true, destructive: true, hazards: false } };
  const common = { tests: o.test, exclude: o.exclude, workers: Number(o.workers), timeoutMs: GUEST_TEST_TIMEOUT_MS, options };
  try {
    if (state.kind === 'baseline') {
      // `fwctl-cts run` (its report.json is what `mutate --baseline` reads).
      const { runConformance } = await import(dist('harness/run.js'));
      const { writeReports } = await import(dist('reports/index.js'));
      const report = await runConformance({ targets: [target], ...common });
      writeReports(join(share, 'run'), report);
      state.outcomes = Object.fromEntries(report.tests.map((t) => [t.id, t.outcome]));
    } else {
      const { runMutations } = await import(dist('harness/mutate/mutate.js'));
      const { loadBaselineReport } = await import(dist('harness/diff/load.js'));
      const baseline = existsSync(join(share, BASELINE)) ? loadBaselineReport(join(share, BASELINE)) : undefined;
      const reports = await runMutations({
        targets: [target],
        operators: o.operator,
        baseline,
        ...common,
        onMutant: (m, i, n) => process.stdout.write(`mutant ${i + 1}/${n} ${m.operator}: ${m.status}${m.killedBy.length ? ` (${m.killedBy.join(', ')})` : m.reason ? ` (${m.reason})` : ''} ${Math.round(m.durationMs / 1000)} s\n`),
      });
      writeFileSync(join(share, 'mutate.json'), `${JSON.stringify({ targets: reports }, null, 2)}\n`);
    }
  } catch (e) {
    state.error = `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
  }
  state.taintedAtEnd = taint();
  state.durationMs = Math.round(performance.now() - t0);
  save();
  process.stdout.write(`${JSON.stringify(state)}\n`);
}

// ---- the host: the boots, then the combined score ---------------------------------------------

async function host(argv) {
  let o;
  try {
    ({ values: o } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', default: join(ROOT, 'out/mutate-kernel') },
        only: { type: 'string' },
        operator: { type: 'string', multiple: true },
        robustness: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '1500' },
        part: { type: 'string' },
      },
    }));
  } catch (e) {
    return usage(e.message);
  }
  if (o.only && !['main', 'taint'].includes(o.only)) return usage(`--only wants main or taint, not '${o.only}'`);
  if (!/^[1-9]\d*$/.test(o.timeout)) return usage(`--timeout wants seconds, not '${o.timeout}'`);
  const part = /^([1-9]\d*)\/([1-9]\d*)$/.exec(o.part ?? '1/1');
  if (!part || Number(part[1]) > Number(part[2])) return usage(`--part wants K/N with 1 <= K <= N, not '${o.part}'`);
  const [k, n] = [Number(part[1]), Number(part[2])];
  const vm = join(ROOT, 'vm/fwctl-vm');
  if (spawnSync(vm, ['setup'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) return 2;
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const boots = [];
  let ok = true;

  const boot = async (name, args, { cpus = 2, baselineFrom } = {}) => {
    const dir = join(out, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    if (baselineFrom) copyFileSync(join(baselineFrom, 'run/report.json'), join(dir, BASELINE));
    const started = performance.now();
    const code = await run(vm, ['boot', '--timeout', o.timeout, '--share', dir, '--console-log', join(dir, 'console.log'), '--', process.execPath, ...GUEST_NODE_FLAGS, 'vm/mutate-kernel.mjs', 'guest', ...args], join(dir, 'guest.log'), name, { FWCTL_CTS_VM_CPUS: String(cpus) });
    const guest = existsSync(join(dir, 'guest.json')) ? JSON.parse(readFileSync(join(dir, 'guest.json'), 'utf8')) : {};
    const { problems } = consoleProblems(join(dir, 'console.log'));
    const b = { name, dir, code, guest, problems: problems.map((p) => `${p.line}${p.during ? ` (during ${p.during})` : ''}`), wallS: Math.round((performance.now() - started) / 1000) };
    if (code !== 0 || guest.error || !guest.durationMs) ok = fail(`boot ${name}: exit ${code}${guest.error ? `, ${guest.error}` : ''}`);
    if (b.problems.length) ok = fail(`boot ${name}: kernel console: ${b.problems.join('; ')}`);
    if (guest.taintedAtStart) ok = fail(`boot ${name}: the kernel was tainted before the first test`);
    boots.push(b);
    return b;
  };

  const { OPERATORS } = await import(dist('harness/mutate/operators.js'));
  if (o.only !== 'taint') {
    const exclude = ['taint.*', ...(o.robustness ? [] : ['robustness.*'])];
    // Part k of n: every n-th operator from the k-th, so that each part fits one VM hold.
    const ops = (o.operator ?? OPERATORS.map((op) => op.id)).filter((_, i) => i % n === k - 1);
    await boot(n === 1 ? 'main' : `main-${k}`, ['mutate', '--workers', '2', ...exclude.flatMap((e) => ['--exclude', e]), ...ops.flatMap((id) => ['--operator', id])]);
  }
  if (o.only !== 'main') {
    const taintOps = OPERATORS.filter((op) => op.rule.startsWith('taint.')).map((op) => op.id);
    const pre = await boot('pre-taint', ['mutate', ...PRE_TAINT_TESTS.flatMap((t) => ['--test', t]), ...taintOps.flatMap((id) => ['--operator', id])], { cpus: 1 });
    // These runs alter answers in user space only: the real kernel must still be clean, or a later mutant's verdict came from a tainted kernel.
    if (pre.guest.taintedAtEnd) ok = fail('boot pre-taint: the kernel became tainted, so some of its verdicts depend on the order of the runs');
    for (const { test, operator } of TAINTING) {
      const base = await boot(`${test}-baseline`, ['baseline', '--test', test], { cpus: 1 });
      if (base.guest.outcomes?.[test] !== 'pass') ok = fail(`boot ${base.name}: ${test} did not pass on the clean kernel (${base.guest.outcomes?.[test] ?? 'no result'})`);
      await boot(`${test}-${operator}`, ['mutate', '--device', base.guest.device ?? '', '--test', test, '--operator', operator], { cpus: 1, baselineFrom: base.dir });
    }
  }

  // Every boot in DIR, also those of earlier invocations (--part, --only): together they are one score.
  const scored = readdirSync(out)
    .filter((name) => existsSync(join(out, name, 'mutate.json')))
    .sort()
    .map((name) => ({ boot: name, r: JSON.parse(readFileSync(join(out, name, 'mutate.json'), 'utf8')).targets[0] }));
  const combined = combine(scored);
  if (combined) {
    const { validate } = await import(dist('harness/schema/validate.js'));
    validate({ targets: [combined] }, 'mutate', 'mutate.json');
    writeFileSync(join(out, 'mutate.json'), `${JSON.stringify({ targets: [combined] }, null, 2)}\n`);
    const { renderMutation } = await import(dist('harness/mutate/mutate.js'));
    process.stdout.write(`\n${renderMutation(combined)}\n`);
  }
  process.stdout.write(`\nboots: ${boots.map((b) => `${b.name} ${b.wallS} s`).join(', ')}; total ${Math.round((performance.now() - t0) / 1000)} s\n`);
  return ok ? 0 : 1;
}

/**
 * One score from the boots': an operator is killed if a boot killed it, else survived if one saw it
 * survive, else not applicable. The baseline counts are the main boot's (or the first boot's).
 */
function combine(scored) {
  if (!scored.length) return undefined;
  const order = { killed: 0, survived: 1, 'not-applicable': 2 };
  const byOp = new Map();
  for (const { boot, r } of scored) {
    for (const m of r.mutants) {
      const had = byOp.get(m.operator);
      const tagged = { ...m, ...(m.reason && { reason: `${boot}: ${m.reason}` }) };
      if (!had || order[m.status] < order[had.status]) byOp.set(m.operator, tagged);
      else if (had.status === m.status) {
        // Same verdict in two boots: keep every killing rule and test, and both reasons.
        had.killedBy = [...new Set([...had.killedBy, ...m.killedBy])].sort();
        had.failedTests = [...had.failedTests, ...m.failedTests];
        had.ruleTripped ||= m.ruleTripped;
        if (m.reason) had.reason = `${had.reason}; ${tagged.reason}`;
        had.durationMs += m.durationMs;
      }
    }
  }
  const first = (scored.find((s) => s.boot.startsWith('main')) ?? scored[0]).r;
  const mutants = [...byOp.values()];
  const killed = mutants.filter((m) => m.status === 'killed').length;
  const survived = mutants.filter((m) => m.status === 'survived').length;
  return { target: first.target, policy: first.policy, baseline: first.baseline, mutants, killed, survived, notApplicable: mutants.length - killed - survived, killRate: killed + survived ? killed / (killed + survived) : null };
}

export { combine };

function fail(message) {
  process.stderr.write(`mutate-kernel: ${message}\n`);
  return false;
}

function usage(message) {
  process.stderr.write(`mutate-kernel: ${message}\nusage: node vm/mutate-kernel.mjs [--out DIR] [--only main|taint] [--part K/N] [--operator ID]... [--robustness] [--timeout S]\n`);
  return 2;
}

