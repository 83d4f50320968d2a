// Line and branch coverage of the kernel's fwctl code over a test:kernel run on the gcov
// kernel (vm/fwctl-vm --variant kasan, vm/kernel-kasan.config): drivers/fwctl/main.c whole,
// and the fwctl part of drivers/cxl/core/features.c (from its "/* FWCTL support */" comment
// to the end: cxlctl_* and devm_cxl_setup_fwctl).
//
// Each boot's guest copied the .gcda counters out of debugfs (test-kernel.mjs collectGcov)
// at their debugfs path, which is the build tree's absolute path. Here, per boot: the notes
// (.gcno, copied out of the tree by `vm/fwctl-vm gcov` before any mutant rebuilt a module)
// and that boot's .gcda go side by side into a scratch directory, and Debian's lcov
// (geninfo, which runs the host's gcov: the host's gcc built the kernel) turns them into a
// tracefile; `lcov -a` merges the boots. The merged tracefile and a text listing of the
// lines and branches never executed stay under the report directory.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The files reported, and which of their lines count. */
const FILES = [
  { file: 'drivers/fwctl/main.c', part: 'whole file', from: () => 1 },
  {
    file: 'drivers/cxl/core/features.c',
    part: 'fwctl part (from "/* FWCTL support */")',
    from: (src) => src.split('\n').findIndex((l) => l.includes('/* FWCTL support */')) + 1,
  },
];
const NOTES = FILES.map((f) => f.file.replace(/\.c$/, '.gcno'));
const LCOV_RC = ['--rc', 'lcov_branch_coverage=1'];

/**
 * @param {{ vm: string, variant: string[], dirs: string[], out: string }} o  dirs: the boots' share directories
 */
export function kernelCoverage({ vm, variant, dirs, out }) {
  for (const tool of ['geninfo', 'lcov', 'gcov']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return { error: `${tool} is missing (apt-get install lcov)` };
  }
  const notesRun = spawnSync(vm, ['gcov', ...variant], { encoding: 'utf8' });
  if (notesRun.status !== 0) return { error: `vm/fwctl-vm gcov failed: ${notesRun.stderr.trim()}` };
  const notes = notesRun.stdout.trim();
  const tree = readFileSync(join(notes, '.complete'), 'utf8').trim();
  const work = join(out, 'coverage');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const infos = [];
  const boots = [];
  for (const dir of dirs) {
    const gcov = join(dir, 'gcov');
    const found = existsSync(gcov) ? findGcda(gcov) : [];
    // The counters' path below gcov/ is the tree's absolute path (without its leading slash), then the file's.
    const mine = found.map((f) => ({ f, rel: relative(join(gcov, tree), f) })).filter((x) => NOTES.includes(x.rel.replace(/\.gcda$/, '.gcno')));
    boots.push({ boot: basename(dir), gcda: mine.length });
    if (!mine.length) continue;
    const scratch = join(work, 'scratch', basename(dir));
    for (const { f, rel } of mine) {
      mkdirSync(dirname(join(scratch, rel)), { recursive: true });
      copyFileSync(f, join(scratch, rel));
      copyFileSync(join(notes, rel.replace(/\.gcda$/, '.gcno')), join(scratch, rel.replace(/\.gcda$/, '.gcno')));
    }
    const info = join(work, `${basename(dir).replace(/\W/g, '_')}.info`);
    const r = spawnSync('geninfo', [...LCOV_RC, '--quiet', '--base-directory', tree, '--output-filename', info, scratch], { encoding: 'utf8' });
    if (r.status !== 0) return { error: `geninfo failed for ${dir}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`, boots };
    infos.push(info);
  }
  if (!infos.length) return { error: 'no boot brought back counters of main.c or features.c (is this a gcov kernel?)', boots };
  const merged = join(out, 'coverage.info');
  const m = spawnSync('lcov', [...LCOV_RC, '--quiet', ...infos.flatMap((i) => ['--add-tracefile', i]), '--output-file', merged], { encoding: 'utf8' });
  if (m.status !== 0) return { error: `lcov --add-tracefile failed: ${(m.stderr || m.stdout).trim()}`, boots };
  rmSync(join(work, 'scratch'), { recursive: true, force: true });

  const records = parseInfo(readFileSync(merged, 'utf8'));
  const files = summarise(records, { source: (file) => (existsSync(join(notes, file)) ? readFileSync(join(notes, file), 'utf8') : undefined) });
  const listing = join(out, 'coverage.txt');
  const result = { tracefile: relative(ROOT, merged), listing: relative(ROOT, listing), boots, files };
  writeFileSync(listing, `${renderCoverage(result, { all: true })}\n`);
  return result;
}

function findGcda(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findGcda(p));
    else if (e.name.endsWith('.gcda')) out.push(p);
  }
  return out;
}

/** An lcov tracefile: per source file its line hits (DA), branches (BRDA), functions (FN, FNDA). */
export function parseInfo(text) {
  const recs = [];
  let cur;
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.split(':');
    const val = rest.join(':');
    if (key === 'SF') recs.push((cur = { sf: val, da: new Map(), brda: [], fn: [], fnda: new Map() }));
    else if (!cur) continue;
    else if (key === 'DA') {
      const [n, hits] = val.split(',').map(Number);
      cur.da.set(n, (cur.da.get(n) ?? 0) + hits);
    } else if (key === 'BRDA') {
      const [n, block, branch, taken] = val.split(',');
      cur.brda.push({ line: Number(n), block, branch, taken: taken === '-' ? 0 : Number(taken) });
    } else if (key === 'FN') {
      const [n, name] = val.split(',');
      cur.fn.push({ line: Number(n), name });
    } else if (key === 'FNDA') {
      const [hits, name] = val.split(',');
      cur.fnda.set(name, (cur.fnda.get(name) ?? 0) + Number(hits));
    } else if (key === 'end_of_record') cur = undefined;
  }
  for (const r of recs) r.fn.sort((a, b) => a.line - b.line);
  return recs;
}

/**
 * Per reported file: line, branch and function figures of the part that counts, the lines never
 * executed grouped by why (WHY), the branches never taken. `source(file)` gives the file's text
 * (line texts, the fwctl part's first line, the WHY check), or undefined; `from` gives a part's
 * first line when there is no source (the tests).
 */
export function summarise(records, { source = () => undefined, from: fromLine = {} } = {}) {
  return FILES.map((spec) => {
    const rec = records.find((r) => r.sf === spec.file || r.sf.endsWith(`/${spec.file}`));
    const src = source(spec.file);
    const lines = src?.split('\n') ?? [];
    const from = fromLine[spec.file] ?? (src !== undefined ? spec.from(src) : spec.from(''));
    if (!rec) return { file: spec.file, part: spec.part, error: 'no record in the tracefile' };
    if (from < 1) return { file: spec.file, part: spec.part, error: 'the fwctl part was not found in the source' };
    const inPart = (n) => n >= from;
    const text = (n) => (lines[n - 1] ?? '').trim();
    const da = [...rec.da].filter(([n]) => inPart(n));
    const br = rec.brda.filter((b) => inPart(b.line));
    const fns = rec.fn.filter((f) => inPart(f.line));
    const uncovered = da.filter(([, hits]) => hits === 0).map(([n]) => n).sort((a, b) => a - b);
    // A branch is covered when it was taken at least once; "-" (its condition never evaluated) is not.
    const brMissed = br.filter((b) => !(b.taken > 0));
    const missedByLine = new Map();
    for (const b of brMissed) missedByLine.set(b.line, (missedByLine.get(b.line) ?? 0) + 1);
    const unexecuted = uncovered.map((n) => ({ line: n, text: text(n), function: functionAt(rec.fn, n) }));
    const untaken = [...missedByLine].sort((a, b) => a[0] - b[0]).map(([line, n]) => ({ line, missed: n, of: br.filter((b) => b.line === line).length, text: text(line), function: functionAt(rec.fn, line), lineRan: !uncovered.includes(line) }));
    return {
      file: spec.file,
      part: spec.part,
      fromLine: from,
      lines: { found: da.length, hit: da.length - uncovered.length },
      branches: { found: br.length, hit: br.length - brMissed.length },
      functions: { found: fns.length, hit: fns.filter((f) => rec.fnda.get(f.name) > 0).length, never: fns.filter((f) => !(rec.fnda.get(f.name) > 0)).map((f) => f.name) },
      uncoveredLines: unexecuted,
      lineGroups: byWhy(spec.file, 'lines', unexecuted, src !== undefined),
      uncoveredBranches: untaken,
      branchGroups: byWhy(spec.file, 'branches', untaken, src !== undefined),
    };
  });
}

const UNEXPLAINED = 'not explained (not in the table of vm/kernel-coverage.mjs for Linux 7.3.4: read the source)';
const UNEXPLAINED_BRANCH = 'not explained (not in the table for Linux 7.3.4; mostly branches gcov counts inside a macro or an inlined helper on the line)';

/** Why a line never ran (kind 'lines') or a branch was never taken ('branches'): the WHY entry of its function that lists it (and, with the source, whose text matches). */
function explain(file, kind, u, haveSource) {
  const hit = (WHY[file] ?? []).find((w) => w.fn === u.function && w[kind]?.includes(u.line) && (!haveSource || !w.text || w.text.test(u.text)));
  return hit?.why ?? (kind === 'lines' ? UNEXPLAINED : UNEXPLAINED_BRANCH);
}

/** Items grouped by their why, in the table's order of first appearance; the unexplained last. */
function byWhy(file, kind, items, haveSource) {
  const groups = [];
  for (const u of items) {
    const why = explain(file, kind, u, haveSource);
    const g = groups.find((x) => x.why === why) ?? (groups.push({ why, [kind]: [] }), groups.at(-1));
    g[kind].push(u);
  }
  // Unexplained last: what the table does not know about (a kernel other than the pinned one) stands out.
  const last = (g) => Number(g.why === UNEXPLAINED || g.why === UNEXPLAINED_BRANCH);
  return groups.sort((a, b) => last(a) - last(b));
}

function functionAt(fns, n) {
  return fns.filter((f) => f.line <= n).at(-1)?.name;
}

const pct = (x) => (x.found ? `${((100 * x.hit) / x.found).toFixed(1)}%` : 'n/a');

/** The figures and the unexecuted lines by why; `all`: every line with its text, and every branch not taken. */
export function renderCoverage(c, { all = false } = {}) {
  if (c.error) return `  coverage: ERROR ${c.error}`;
  const L = [`  coverage of the kernel's fwctl code over ${c.boots.filter((b) => b.gcda).length} boot(s) (lcov; ${c.tracefile}${c.listing ? `, every line in ${c.listing}` : ''}):`];
  for (const f of c.files) {
    if (f.error) {
      L.push(`    ${f.file}: ${f.error}`);
      continue;
    }
    L.push(`    ${f.file} (${f.part}): lines ${f.lines.hit}/${f.lines.found} (${pct(f.lines)}), branches ${f.branches.hit}/${f.branches.found} (${pct(f.branches)}), functions ${f.functions.hit}/${f.functions.found}${f.functions.never.length ? ` (never called: ${f.functions.never.join(', ')})` : ''}`);
    L.push(`      lines never executed: ${f.uncoveredLines.length || 'none'}${f.uncoveredLines.length ? ', by why:' : ''}`);
    for (const g of f.lineGroups) {
      L.push(`        - ${g.why}:`);
      if (all) for (const u of g.lines) L.push(`            ${String(u.line).padStart(4)} [${u.function ?? '?'}] ${u.text}`);
      else L.push(`            ${lineList(g.lines)}`);
    }
    L.push(`      branches never taken: ${f.branches.found - f.branches.hit} on ${f.uncoveredBranches.length} line(s)${f.uncoveredBranches.length ? ', by why (line: missed/of, * the line never ran):' : ''}`);
    for (const g of f.branchGroups) {
      L.push(`        - ${g.why}:`);
      if (all) for (const b of g.branches) L.push(`            ${String(b.line).padStart(4)}${b.lineRan ? ' ' : '*'} ${b.missed}/${b.of} [${b.function ?? '?'}] ${b.text}`);
      else L.push(`            ${lineList(g.branches)}`);
    }
  }
  return L.join('\n');
}

/** "fwctl_cmd_rpc 119, 121; fwctl_fops_open 220": line numbers by function. */
function lineList(lines) {
  const by = new Map();
  for (const u of lines) by.set(u.function ?? '?', [...(by.get(u.function ?? '?') ?? []), u.line]);
  return [...by].map(([fn, ns]) => `${fn} ${ns.join(', ')}`).join('; ');
}

/**
 * Why each line the suite never executes cannot (or does not) run under cxl_test, for the pinned
 * kernel (Linux 7.3.4, vm/fwctl-vm's source pin), read from drivers/fwctl/main.c and features.c.
 * Keyed by function and line; with the source at hand, the line's text must match too, so a
 * kernel whose lines moved gets "not explained" rather than a wrong why.
 */
const OOM = 'out of memory: an allocation failing (kzalloc, kvzalloc, ida_alloc_max, dev_set_name); nothing in a test makes the kernel run out';
const INIT = 'module init failing, module exit: fwctl.ko loads once, before any test, and is never unloaded (the VM is powered off)';
const NO_INFO = "the CXL driver has no info op (features.c's cxlctl_ops sets none), so FWCTL_INFO never fetches device data; mlx5, pds and bnxt have one";
const PROBE = "a CXL memdev's fwctl registration failing (no features state, no user feature, fwctl_register failing; DEFINE_FREE's fwctl_put runs only then): cxl_test registers all 11";
const MOCK = "cxl_test's mock (tools/testing/cxl/test/mem.c) cannot produce it: its mailbox allows Set Feature, and its one feature, the vendor test feature, is changeable, has COLD_RESET effects only (nothing immediate, reserved or background) and is not kernel-exclusive";
const OPEN = 'fwctl_fops_open failing: cxlctl_open_uctx always returns 0, and ops is NULL only after fwctl_unregister, which deletes the cdev first (only an open racing it could see that)';
const REUSE = 'the driver answering in its input buffer: the CXL driver always allocates its answer';
const EFAULT_BACK = 'EFAULT writing the ioctl struct back after reading it succeeded: only a struct in readable but not writable memory (a PROT_READ page) fails there; no test passes one';
const DEAD = 'not reachable through fwctl: a check its callers already made (cxlctl_validate_hw_command refuses every other opcode first; devm_cxl_setup_fwctl registers only with a features state)';
const EXCLUSIVE = "a kernel-exclusive UUID reaching cxlctl_set_feature's EPERM: cxlctl_validate_set_features refuses (EINVAL) every UUID the device does not list before, and cxl_test's mock lists no exclusive one (vm/mutants/18 has to break both)";
const OVERFLOW = "struct_size()'s overflow saturation: requested is at most the device's feature count, so the size never overflows";
/**
 * Per file: { fn, lines (never executed), branches (lines with a branch never taken), text (with the
 * source, the line must match), why }. Every line and branch of the 7.3.4 run (vm/README.md) has one,
 * except branches gcov counts inside macros and inlined helpers of a line (copy_from_user,
 * copy_struct_from_user, list_first_entry_or_null, a function's first line): listed, not explained.
 */
const WHY = {
  'drivers/fwctl/main.c': [
    { fn: 'ucmd_respond', lines: [37], branches: [35, 36], why: EFAULT_BACK },
    { fn: 'copy_to_user_zero_pad', lines: [41, 46, 47, 48, 49, 50, 51, 53, 54], branches: [46, 47, 49, 50], why: NO_INFO },
    { fn: 'fwctl_cmd_info', lines: [70, 71, 72, 73, 75, 76, 77, 78], branches: [65, 69, 72, 75], why: NO_INFO },
    { fn: 'fwctl_cmd_rpc', lines: [119], branches: [118], text: /inbuf/, why: OOM },
    { fn: 'fwctl_cmd_rpc', lines: [130], branches: [128], text: /inbuf/, why: REUSE },
    { fn: 'fwctl_fops_open', lines: [215, 225], branches: [214, 224], text: /return|if \(/, why: OPEN },
    { fn: 'fwctl_fops_open', lines: [220], branches: [219], text: /uctx/, why: OOM },
    { fn: '_alloc_device', lines: [299, 303], branches: [298, 302], text: /fwctl|devnum|return NULL/, why: OOM },
    { fn: '_fwctl_alloc_device', lines: [326, 336], branches: [325, 335], text: /fwctl|return NULL/, why: OOM },
    { fn: 'fwctl_init', lines: [400, 404, 407, 408, 409], branches: [399, 403], why: INIT },
    { fn: 'fwctl_exit', lines: [412, 413, 414, 415, 416], why: INIT },
  ],
  'drivers/cxl/core/features.c': [
    { fn: 'cxl_feature_info', lines: [377], branches: [376], text: /cxlfs|EOPNOTSUPP/, why: DEAD },
    { fn: 'cxlctl_get_supported_features', branches: [419], text: /struct_size/, why: OVERFLOW },
    { fn: 'cxlctl_get_supported_features', lines: [424], branches: [423], text: /rpc_out/, why: OOM },
    { fn: 'cxlctl_get_supported_features', lines: [441, 443, 444, 445, 446], branches: [440], why: MOCK },
    { fn: 'cxlctl_get_feature', lines: [483], branches: [482], text: /rpc_out/, why: OOM },
    { fn: 'cxlctl_set_feature', lines: [519], branches: [518], text: /exclusive|EPERM/, why: EXCLUSIVE },
    { fn: 'cxlctl_set_feature', lines: [531], branches: [530], text: /rpc_out/, why: OOM },
    { fn: 'cxlctl_validate_set_features', lines: [568, 577, 578, 579, 584, 598], branches: [567, 576, 577, 583, 597, 604, 612], why: MOCK },
    { fn: 'cxlctl_validate_hw_command', lines: [631], branches: [630], text: /feat_cap|return false/, why: MOCK },
    { fn: 'cxlctl_handle_commands', lines: [650], branches: [642], text: /switch|EOPNOTSUPP/, why: DEAD },
    // gcov puts DEFINE_FREE's line after cxlctl_fw_rpc, the function before it.
    { fn: 'cxlctl_fw_rpc', lines: [683], text: /DEFINE_FREE/, why: PROBE },
    { fn: 'devm_cxl_setup_fwctl', lines: [701, 705, 714], branches: [700, 704, 713], text: /cxlfs|return|if \(rc\)/, why: PROBE },
    { fn: 'devm_cxl_setup_fwctl', lines: [710], branches: [709], text: /fwctl_dev/, why: OOM },
  ],
};
