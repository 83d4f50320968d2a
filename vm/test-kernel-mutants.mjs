#!/usr/bin/env node
// npm run test:kernel-mutants — the suite must catch bugs in the real kernel (issue 15 item 2).
//
// Each vm/mutants/NN-name.patch is a small change to drivers/fwctl/main.c or
// drivers/cxl/core/features.c that breaks one rule the suite checks. Its header (free text
// before the diff, which patch(1) skips) says which:
//   Mutant: what the change does
//   Breaks: rule ids, comma-separated (what must fail)
//   Suites: the suites holding those rules (only they are loaded: a suite load costs under TCG)
//   Allow:  hazards | destructive (optional; taint is always allowed, the VM is thrown away)
//   Why:    the kernel rule it breaks, briefly
//   Kernel: main (default) or a variant (kasan: vm/kernel-kasan.config) the mutant needs, e.g. an
//           over-read only KASAN sees; a list is an order of preference (16: "kasan, main": KASAN's
//           report where that kernel is built, else the main kernel and the rules alone). A variant
//           that is not built is not built here (30-60 min; --build-variants does): a mutant with no
//           usable kernel is reported "not run" with the command, never caught.
//   Fixture, Profile, Control (optional): a patch to the cxl_test mock the mutant needs, the profile
//           overlay describing that device, more rules the control must pass (vm/mutant-fixture.mjs).
//           Then two builds and boots: the control (fixture only) must pass the rules, the mutant
//           (fixture + its diff) must fail them; a control that does not pass is "control failed".
// Per mutant: `vm/fwctl-vm mutant PATCH` rebuilds only the modules the patch touches (fwctl.ko
// via M=drivers/fwctl, cxl_core and the rest of cxl_test via M=tools/testing/cxl; cached by the
// patch's hash) in a modules-only tree configured like the cached main kernel (or, with
// --variant kasan, in the KASAN kernel's kept tree), then one boot of that kernel with those
// modules runs `test-kernel.mjs guest rules` (just the Breaks rules, on one device). A mutant is caught when one of its rules fails, or the console shows a kernel
// problem (BUG: KASAN, WARNING, Oops ...) while a test of one of its rules was running.
// Builds run one at a time (the tree is shared); boots beside them, --jobs at a time.
//
// Options: --out DIR (default out/kernel-mutants), --only SUBSTRING (mutants whose file name
// has it), --jobs N (boots at a time, default 2), --timeout S (per boot, default 900),
// --variant NAME (every mutant on that kernel, whatever its Kernel: header), --build-variants (build a
// variant a mutant needs when it is not built). Exit 0 when every mutant is caught, 1 when one is missed
// or failed, 3 when every mutant that ran was caught but some did not run (their kernel is not built),
// 2 bad usage.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { combinePatches, fixtureProfile, mutantFixture } from './mutant-fixture.mjs';
import { GUEST_NODE_FLAGS, VARIANT_SLOWDOWN, consoleProblems, diedBeforeInit } from './test-kernel.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VM = join(ROOT, 'vm/fwctl-vm');
// FWCTL_CTS_MUTANTS: another directory of mutants (the runner's own tests use one).
const MUTANTS = process.env.FWCTL_CTS_MUTANTS ? resolve(process.env.FWCTL_CTS_MUTANTS) : join(ROOT, 'vm/mutants');
const FIELDS = ['Mutant', 'Breaks', 'Suites', 'Allow', 'Why', 'Kernel', 'Fixture', 'Profile', 'Control'];
/** A variant's build time on a new machine (vm/README.md), for the "not run" line. */
const VARIANT_BUILD = { kasan: '~30-60 min' };

let o;
try {
  ({ values: o } = parseArgs({
    options: {
      out: { type: 'string' },
      only: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      timeout: { type: 'string', default: '900' },
      variant: { type: 'string' },
      'build-variants': { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  fail(e.message);
}
if (!/^[1-9]\d*$/.test(o.jobs)) fail(`--jobs wants a number, not '${o.jobs}'`);
if (!/^[1-9]\d*$/.test(o.timeout)) fail(`--timeout wants seconds, not '${o.timeout}'`);
if (!existsSync(join(ROOT, 'dist/harness/run.js'))) fail('dist/ is missing: run npm run build first');

const out = resolve(o.out ?? join(ROOT, 'out/kernel-mutants'));
mkdirSync(out, { recursive: true });
// Each mutant on the kernel its header names (the main kernel's modules-only tree, vm/fwctl-vm
// ensure_module_tree; a variant's kept tree); --variant NAME puts every one on that kernel.
const variantArgs = (kernel) => (kernel === 'main' ? [] : ['--variant', kernel]);
const mutants = readdirSync(MUTANTS)
  .filter((f) => f.endsWith('.patch') && (!o.only || f.includes(o.only)))
  .sort()
  .map((f) => readMutant(join(MUTANTS, f)))
  .map((m) => (o.variant ? { ...m, kernels: [o.variant] } : m))
  // The longest boot first (robustness with hazards), so the others fill the other lane beside it.
  .sort((a, b) => Number(b.allow.includes('hazards')) - Number(a.allow.includes('hazards')));
if (!mutants.length) fail(`no mutant in ${relative(ROOT, MUTANTS)}${o.only ? ` matching '${o.only}'` : ''}`);
// A mutant with a fixture builds twice: its control (the fixture alone) and itself (fixture + its
// diff), each one patch that `vm/fwctl-vm mutant` caches by its hash.
for (const m of mutants) {
  m.patch = m.file;
  if (!m.fixture) continue;
  const dir = join(out, 'patches');
  mkdirSync(dir, { recursive: true });
  const write = (name, files) => {
    const file = join(dir, name);
    writeFileSync(file, combinePatches(files));
    return file;
  };
  m.patch = write(`${m.name}.patch`, [m.fixture.patch, m.file]);
  m.control = { name: `${m.name} (control)`, dirName: `${m.name}.control`, patch: write(`${m.name}.control.patch`, [m.fixture.patch]) };
  if (m.fixture.profile) {
    // The fixture device's profile, whole and validated here (a bad one is exit 2 before any build).
    m.profileFile = join(dir, `${m.name}.profile.json`);
    try {
      writeFileSync(m.profileFile, `${JSON.stringify(fixtureProfile(m.fixture.profile, join(ROOT, 'profiles')), null, 2)}\n`);
      const { loadProfile } = await import(pathToFileURL(join(ROOT, 'dist/harness/profiles/profile.js')).href);
      m.profileId = loadProfile(m.profileFile).id;
    } catch (e) {
      fail(`${relative(ROOT, m.fixture.profile)}: ${e.message}`);
    }
  }
}

const t0 = performance.now();
// One setup per kernel the mutants need. The main kernel is built when missing (~13 min, as test:kernel
// does); a variant only with --build-variants: without it, its mutants are not run.
// A Kernel: list is an order of preference: each mutant runs on the first of its kernels that is
// built (the main kernel always counts: it is built when missing), e.g. 16's "kasan, main".
const isBuilt = new Map();
const usable = (kernel) => {
  if (!isBuilt.has(kernel)) isBuilt.set(kernel, spawnSync(VM, ['status', ...variantArgs(kernel)], { cwd: ROOT, stdio: 'ignore' }).status === 0);
  return kernel === 'main' || isBuilt.get(kernel) || o['build-variants'];
};
for (const m of mutants) {
  const kernel = m.kernels.find(usable);
  if (kernel) {
    m.kernel = kernel;
    continue;
  }
  m.kernel = m.kernels[0];
  m.notRun = `needs the ${m.kernel} kernel (vm/fwctl-vm setup --variant ${m.kernel}, ${VARIANT_BUILD[m.kernel] ?? 'a kernel build'})`;
  say(`${m.name}: not run: ${m.notRun}`);
}
const kernels = [...new Set(mutants.filter((m) => !m.notRun).map((m) => m.kernel))].sort((a, b) => Number(b === 'main') - Number(a === 'main'));
for (const kernel of kernels) {
  const built = kernel === 'main' ? spawnSync(VM, ['status'], { cwd: ROOT, stdio: 'ignore' }).status === 0 : isBuilt.get(kernel);
  say(`vm/fwctl-vm setup${variantArgs(kernel).map((x) => ` ${x}`).join('')} (${built ? 'cached' : 'not built: building it'})`);
  const setup = spawnSync(VM, ['setup', ...variantArgs(kernel)], { cwd: ROOT, stdio: 'inherit' });
  if (setup.status !== 0) {
    say(`setup failed (exit ${setup.status ?? setup.signal})`);
    process.exit(1);
  }
}
const setupMs = performance.now() - t0;

// Builds in order, one at a time; each built mutant joins the boot queue.
const booting = [];
let running = 0;
const waiters = [];
const slot = async () => {
  while (running >= Number(o.jobs)) await new Promise((r) => waiters.push(r));
  running++;
};
const release = () => {
  running--;
  waiters.shift()?.();
};
for (const m of mutants.filter((x) => !x.notRun)) {
  for (const run of m.control ? [m.control, m] : [m]) {
    const tb = performance.now();
    const b = await runCapture(VM, ['mutant', ...variantArgs(m.kernel), run.patch]);
    run.buildMs = performance.now() - tb;
    run.modules = b.stdout.trim().split('\n').at(-1);
    if (b.code !== 0 || !run.modules || !existsSync(run.modules)) {
      run.error = `build failed: ${b.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      say(`${run.name}: ${run.error}`);
      continue;
    }
    say(`${run.name}: modules ready in ${(run.buildMs / 1000).toFixed(1)} s${/rebuilding/.test(b.stderr) ? '' : ' (cached)'}`);
    await slot();
    booting.push(bootMutant(m, run).finally(release));
  }
}
await Promise.all(booting);
// Caught: the mutant fails one of its rules, and its control (if any) passes them all.
for (const m of mutants.filter((x) => !x.notRun)) m.caught = Boolean(m.broke) && (!m.control || Boolean(m.control.passed));
const wallMs = performance.now() - t0;

// ---- the table ----
const caught = mutants.filter((m) => m.caught);
const notRun = mutants.filter((m) => m.notRun);
const rows = [...mutants].sort((a, b) => a.name.localeCompare(b.name)).map((m) => ({
  mutant: m.name,
  breaks: m.breaks.join(', '),
  kernel: m.kernel,
  failed: m.notRun ? `not run: ${m.notRun}` : `failed: ${m.error ? `ERROR ${m.error}` : m.failedRules?.length ? m.failedRules.join(', ') : '-'}`,
  console: m.problems?.length ? m.problems.map((p) => `${p.line} (${p.during})`).join('; ') : '',
  verdict: m.caught ? 'caught' : m.notRun ? 'NOTRUN' : m.control && !m.control.passed ? 'control failed' : 'MISSED',
  time: m.notRun ? '-' : `${((m.buildMs ?? 0) / 1000).toFixed(0)}+${((m.bootMs ?? 0) / 1000).toFixed(0)} s`,
  control: m.control && controlLine(m),
  retried: [m, m.control].filter((x) => x?.retried).map((x) => `${x.name}: ${x.retried}`).join('; '),
}));
const L = [`kernel mutants (${mutants.length}; kernel, build + boot seconds each):`];
for (const r of rows) {
  L.push(`  ${r.verdict.padEnd(6)} ${r.mutant}  [${r.kernel}; ${r.time}]`);
  L.push(`         breaks: ${r.breaks}; ${r.failed}`);
  if (r.console) L.push(`         console: ${r.console}`);
  if (r.control) L.push(`         ${r.control}`);
  if (r.retried) L.push(`         ${r.retried}`);
}
const missed = mutants.filter((m) => !m.caught && !m.notRun);
for (const m of missed) L.push(`  missed ${m.name}: ${m.control && !m.control.passed ? 'its control (the fixture alone) does not pass its rules, so a failure proves nothing' : `${m.title} — ${m.why}`}`);
L.push(`time: setup ${(setupMs / 1000).toFixed(1)} s, wall ${(wallMs / 1000).toFixed(1)} s; reports in ${relative(ROOT, out) || '.'}/`);
// Honest about what did not run: "caught 19 of 19 run; 1 not run", never "caught 19 of 20" read as all.
L.push(notRun.length ? `caught ${caught.length} of ${mutants.length - notRun.length} run; ${notRun.length} not run` : `caught ${caught.length} of ${mutants.length}`);
writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ caught: caught.length, total: mutants.length, notRun: notRun.length, setupMs: Math.round(setupMs), wallMs: Math.round(wallMs), mutants: mutants.map(({ file, ...m }) => ({ ...m, file: relative(ROOT, file) })) }, (k, v) => (typeof v === 'string' && v.startsWith(`${ROOT}/`) ? relative(ROOT, v) : v), 2)}\n`);
process.stdout.write(`\n${L.join('\n')}\n`);
process.exitCode = caught.length === mutants.length ? 0 : missed.length ? 1 : 3;

// =============================================================================

/** A patch's header fields; a missing Mutant, Breaks or Suites is a clear error (exit 2). */
function readMutant(file) {
  const text = readFileSync(file, 'utf8');
  const head = text.slice(0, text.search(/^--- /m));
  const f = {};
  for (const line of head.split('\n')) {
    const m = /^([A-Z][a-z]+):\s*(.*)$/.exec(line);
    if (m && FIELDS.includes(m[1])) f[m[1]] = m[2].trim();
  }
  for (const k of ['Mutant', 'Breaks', 'Suites']) if (!f[k]) fail(`${relative(ROOT, file)}: the header has no '${k}:' line (expected ${FIELDS.join(', ')} before the diff)`);
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const allow = list(f.Allow ?? '');
  for (const a of allow) if (!['hazards', 'destructive'].includes(a)) fail(`${relative(ROOT, file)}: Allow: '${a}' is not hazards or destructive`);
  const kernels = list(f.Kernel ?? 'main');
  for (const kernel of kernels) if (kernel !== 'main' && !existsSync(join(ROOT, `vm/kernel-${kernel}.config`))) fail(`${relative(ROOT, file)}: Kernel: '${kernel}' is neither main nor a variant (no vm/kernel-${kernel}.config)`);
  const m = { file, name: basename(file, '.patch'), title: f.Mutant, breaks: list(f.Breaks), suites: list(f.Suites), allow, why: f.Why ?? '', kernels };
  try {
    m.fixture = mutantFixture(file, f, ROOT);
  } catch (e) {
    fail(e.message);
  }
  return m;
}

/** One boot: `run` is the mutant itself or its control (the fixture alone), both running the mutant's rules. */
async function bootMutant(m, run = m) {
  const dir = join(out, run.dirName ?? run.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rules = [...m.breaks, ...(m.fixture?.control ?? [])];
  // The fixture device's profile, in the boot's share (the guest sets FWCTL_CTS_PROFILE to it).
  if (m.profileFile) writeFileSync(join(dir, 'profile.json'), readFileSync(m.profileFile));
  const guestArgs = ['guest', 'rules', '--rules', rules.join(','), '--suites', m.suites.join(','), ...(m.allow.includes('hazards') ? ['--hazards'] : []), ...(m.profileFile ? ['--profile', 'profile.json'] : [])];
  const tb = performance.now();
  // One vCPU: two mutant boots run side by side on the two host cores.
  const boot = () => runCapture(VM, ['boot', ...variantArgs(m.kernel), '--modules', run.modules, '--timeout', o.timeout, '--share', dir, '--console-log', join(dir, 'console.log'), '--', process.execPath, ...GUEST_NODE_FLAGS, 'vm/test-kernel.mjs', ...guestArgs], { FWCTL_CTS_VM_CPUS: '1', ...(m.kernel !== 'main' && { FWCTL_CTS_GUEST_SLOWDOWN: String(VARIANT_SLOWDOWN) }) });
  let r = await boot();
  // A kernel that died before init tested nothing (an emulated-CPU flake, before any module loaded):
  // boot once more, as test-kernel.mjs does, and say so.
  const early = r.code === 125 && !existsSync(join(dir, 'guest.json')) ? diedBeforeInit(join(dir, 'console.log')) : undefined;
  if (early) {
    run.retried = `the kernel died before init (${early}); booted again`;
    say(`${run.name}: ${run.retried}`);
    renameSync(join(dir, 'console.log'), join(dir, 'console.first-boot.log'));
    r = await boot();
  }
  run.bootMs = performance.now() - tb;
  writeFileSync(join(dir, 'guest.log'), r.stdout + r.stderr);
  run.exit = r.code;
  const report = readJson(join(dir, 'rules/report.json'));
  run.rules = report ? Object.fromEntries(report.rules.map((x) => [x.id, x.verdict])) : {};
  run.failedRules = Object.entries(run.rules).filter(([, v]) => v === 'fail').map(([id]) => id);
  // A console problem counts when a test of one of the mutant's rules was running (KASAN sees what the test cannot).
  const testsOf = new Set((report?.tests ?? []).filter((t) => t.rules.some((id) => m.breaks.includes(id))).map((t) => t.id));
  const { problems } = consoleProblems(join(dir, 'console.log'));
  run.problems = problems.map((p) => ({ line: p.line, during: p.during.tests?.join('; ') ?? p.during.between ?? p.during.probe ?? p.during.outside ?? '', tests: p.during.tests ?? [] }));
  const consoleCaught = run.problems.some((p) => p.tests.some((t) => [...testsOf].some((id) => t.startsWith(`${id} on `))));
  run.broke = run.failedRules.some((id) => m.breaks.includes(id)) || consoleCaught;
  // A control passes only when every rule it ran passed (not skipped, not missing) on a quiet console.
  if (run === m.control) run.passed = Boolean(report) && rules.every((id) => run.rules[id] === 'pass') && !run.problems.length;
  if (!report) run.error = `no report (boot exit ${r.code}; see ${relative(ROOT, join(dir, 'guest.log'))})`;
  const verdict = run === m.control ? (run.passed ? 'control passes' : 'control FAILED') : run.broke ? (m.control ? 'fails its rules' : 'caught') : 'MISSED';
  say(`${run.name}: ${verdict} (${(run.bootMs / 1000).toFixed(1)} s; failed: ${run.failedRules.join(', ') || 'none'}${run.problems.length ? `; console: ${run.problems.map((p) => p.line).join(' | ')}` : ''})`);
}

/** The table's line for a mutant's control: what the fixture alone gave. */
function controlLine(m) {
  const c = m.control;
  const rules = [...m.breaks, ...m.fixture.control].map((id) => `${id} ${c.rules?.[id] ?? 'not run'}`).join(', ');
  const what = c.error ? `ERROR ${c.error}` : `${c.passed ? 'pass' : 'FAILED'} (${rules})${c.problems?.length ? `; console: ${c.problems.map((p) => p.line).join('; ')}` : ''}`;
  return `control (${relative(MUTANTS, m.fixture.patch)} alone${m.profileId ? `, profile ${m.profileId}` : ''}): ${what}  [${((c.buildMs ?? 0) / 1000).toFixed(0)}+${((c.bootMs ?? 0) / 1000).toFixed(0)} s]`;
}

function runCapture(cmd, args, env = {}) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => res({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function say(msg) {
  process.stderr.write(`test-kernel-mutants: ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`test-kernel-mutants: ${msg}\n`);
  process.exit(2);
}
