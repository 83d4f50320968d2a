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
import { dirname, join, relative } from 'node:path';

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
    boots.push({ boot: relative(out, dir), gcda: mine.length });
    if (!mine.length) continue;
    const scratch = join(work, 'scratch', relative(out, dir));
    for (const { f, rel } of mine) {
      mkdirSync(dirname(join(scratch, rel)), { recursive: true });
      copyFileSync(f, join(scratch, rel));
      copyFileSync(join(notes, rel.replace(/\.gcda$/, '.gcno')), join(scratch, rel.replace(/\.gcda$/, '.gcno')));
    }
    const info = join(work, `${relative(out, dir).replace(/\W/g, '_')}.info`);
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
  const files = [];
  for (const spec of FILES) {
    const rec = records.find((r) => r.sf.endsWith(`/${spec.file}`) || r.sf === spec.file);
    const srcFile = join(notes, spec.file);
    const src = existsSync(srcFile) ? readFileSync(srcFile, 'utf8') : '';
    const lines = src.split('\n');
    const from = spec.from(src);
    if (!rec || from < 1) {
      files.push({ file: spec.file, part: spec.part, error: rec ? 'the fwctl part was not found in the source' : 'no record in the tracefile' });
      continue;
    }
    const inPart = (n) => n >= from;
    const da = [...rec.da].filter(([n]) => inPart(n));
    const br = rec.brda.filter((b) => inPart(b.line));
    const uncovered = da.filter(([, hits]) => hits === 0).map(([n]) => n).sort((a, b) => a - b);
    // A branch is covered when it was taken at least once; "-" (its condition never evaluated) is not.
    const brMissed = br.filter((b) => !(b.taken > 0));
    const missedByLine = new Map();
    for (const b of brMissed) missedByLine.set(b.line, (missedByLine.get(b.line) ?? 0) + 1);
    files.push({
      file: spec.file,
      part: spec.part,
      fromLine: from,
      lines: { found: da.length, hit: da.length - uncovered.length },
      branches: { found: br.length, hit: br.length - brMissed.length },
      uncoveredLines: uncovered.map((n) => ({ line: n, text: (lines[n - 1] ?? '').trim(), function: functionAt(rec.fn, n) })),
      uncoveredBranches: [...missedByLine].sort((a, b) => a[0] - b[0]).map(([line, n]) => ({ line, missed: n, of: br.filter((b) => b.line === line).length, text: (lines[line - 1] ?? '').trim() })),
    });
  }
  const listing = join(out, 'coverage.txt');
  const result = { tracefile: relative(process.cwd(), merged), listing: relative(process.cwd(), listing), boots, files };
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

/** An lcov tracefile: per source file its line hits (DA), branches (BRDA) and function starts (FN). */
function parseInfo(text) {
  const recs = [];
  let cur;
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.split(':');
    const val = rest.join(':');
    if (key === 'SF') recs.push((cur = { sf: val, da: new Map(), brda: [], fn: [] }));
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
    }
  }
  for (const r of recs) r.fn.sort((a, b) => a.line - b.line);
  return recs;
}

function functionAt(fns, n) {
  return fns.filter((f) => f.line <= n).at(-1)?.name;
}

const pct = (x) => (x.found ? `${((100 * x.hit) / x.found).toFixed(1)}%` : 'n/a');

export function renderCoverage(c, { all = false } = {}) {
  if (c.error) return `  coverage: ERROR ${c.error}`;
  const L = [`  coverage of the kernel's fwctl code over ${c.boots.filter((b) => b.gcda).length} boot(s) (lcov; ${c.tracefile}, uncovered lines in ${c.listing}):`];
  for (const f of c.files) {
    if (f.error) {
      L.push(`    ${f.file}: ${f.error}`);
      continue;
    }
    L.push(`    ${f.file} (${f.part}): lines ${f.lines.hit}/${f.lines.found} (${pct(f.lines)}), branches ${f.branches.hit}/${f.branches.found} (${pct(f.branches)})`);
    const shown = all ? f.uncoveredLines : f.uncoveredLines.slice(0, 40);
    L.push(`      lines never executed: ${f.uncoveredLines.length ? '' : 'none'}`);
    for (const u of shown) L.push(`        ${String(u.line).padStart(4)} ${u.function ? `[${u.function}] ` : ''}${u.text}`);
    if (shown.length < f.uncoveredLines.length) L.push(`        … ${f.uncoveredLines.length - shown.length} more in ${c.listing}`);
    if (all) {
      L.push(`      branches never taken (line: missed/of):`);
      for (const b of f.uncoveredBranches) L.push(`        ${String(b.line).padStart(4)} ${b.missed}/${b.of} ${b.text}`);
    }
  }
  return L.join('\n');
}
