/**
 * vm/kernel-coverage.mjs's parsing and rendering on a recorded tracefile: the records of
 * drivers/fwctl/main.c, drivers/cxl/core/features.c and one header, from `lcov -a` over the five
 * boots of `node vm/test-kernel.mjs --variant kasan` (Linux 7.3.4 + cxl_test, lcov 1.16), with the
 * build tree's path cut off each SF line. The kernel source is not in the repository, so the fwctl
 * part's first line (features.c's "FWCTL support" comment, line 354 in 7.3.4) is given.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/paths.js';

interface Figures {
  found: number;
  hit: number;
}
interface Group {
  why: string;
  lines?: { line: number; function?: string }[];
  branches?: { line: number; missed: number; of: number; function?: string }[];
}
interface FileCoverage {
  file: string;
  error?: string;
  fromLine: number;
  lines: Figures;
  branches: Figures;
  functions: Figures & { never: string[] };
  uncoveredLines: { line: number; function?: string }[];
  lineGroups: Group[];
  branchGroups: Group[];
}
interface Coverage {
  parseInfo(text: string): { sf: string; da: Map<number, number>; brda: unknown[] }[];
  summarise(records: unknown[], o: { source?: (file: string) => string | undefined; from?: Record<string, number> }): FileCoverage[];
  renderCoverage(c: unknown, o?: { all?: boolean }): string;
}

const TRACEFILE = readFileSync(join(ROOT, 'test/fixtures/kernel/coverage-7.3.4.info'), 'utf8');
const FROM = { 'drivers/cxl/core/features.c': 354 };
const load = async () => (await import(pathToFileURL(join(ROOT, 'vm/kernel-coverage.mjs')).href)) as Coverage;

/** lcov's own totals of a record (LF, LH, BRF, BRH, FNF, FNH), which geninfo computed. */
function lcovTotals(sf: string): Record<string, number> {
  const rec = TRACEFILE.slice(TRACEFILE.indexOf(`SF:${sf}\n`));
  const body = rec.slice(0, rec.indexOf('end_of_record'));
  return Object.fromEntries([...body.matchAll(/^(LF|LH|BRF|BRH|FNF|FNH):(\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('vm/kernel-coverage.mjs on a recorded lcov tracefile (7.3.4, test:kernel --variant kasan)', () => {
  it('parses every record; main.c (whole file) gives the totals lcov itself wrote', async () => {
    const cov = await load();
    const records = cov.parseInfo(TRACEFILE);
    expect(records.map((r) => r.sf)).to.deep.equal(['drivers/fwctl/main.c', 'include/linux/err.h', 'drivers/cxl/core/features.c']);
    const [main] = cov.summarise(records, { from: FROM });
    const lcov = lcovTotals('drivers/fwctl/main.c');
    expect(main.lines).to.deep.equal({ found: lcov.LF, hit: lcov.LH });
    expect(main.branches).to.deep.equal({ found: lcov.BRF, hit: lcov.BRH });
    expect({ found: main.functions.found, hit: main.functions.hit }).to.deep.equal({ found: lcov.FNF, hit: lcov.FNH });
    expect(main.lines).to.deep.equal({ found: 142, hit: 124 });
    expect(main.branches).to.deep.equal({ found: 90, hit: 58 });
    expect(main.functions.never).to.deep.equal(['copy_to_user_zero_pad', 'fwctl_exit']);
  });

  it("features.c counts only its fwctl part: fewer lines than lcov's whole-file total", async () => {
    const cov = await load();
    const [, features] = cov.summarise(cov.parseInfo(TRACEFILE), { from: FROM });
    const whole = lcovTotals('drivers/cxl/core/features.c');
    expect(features.fromLine).to.equal(354);
    expect(features.lines).to.deep.equal({ found: 132, hit: 125 });
    expect(features.branches).to.deep.equal({ found: 91, hit: 66 });
    expect(features.lines.found).to.be.below(whole.LF);
    expect(features.functions).to.deep.equal({ found: 12, hit: 12, never: [] });
    expect(features.uncoveredLines.map((u) => u.line)).to.deep.equal([443, 444, 445, 446, 577, 579, 683]);
  });

  it('every line never executed has a why from the 7.3.4 table; the branches not explained are the five inside macros', async () => {
    const cov = await load();
    const files = cov.summarise(cov.parseInfo(TRACEFILE), { from: FROM });
    for (const f of files) expect(f.lineGroups.filter((g) => g.why.startsWith('not explained')), f.file).to.deep.equal([]);
    const unexplained = files.flatMap((f) => f.branchGroups.filter((g) => g.why.startsWith('not explained')).flatMap((g) => g.branches!.map((b) => `${b.function} ${b.line}`)));
    expect(unexplained).to.deep.equal(['fwctl_cmd_rpc 120', 'fwctl_cmd_rpc 134', 'fwctl_fops_ioctl 196', 'fwctl_devnode 281', 'fwctl_unregister 381']);
    const [main, features] = files;
    const whyOf = (f: FileCoverage, line: number) => f.lineGroups.find((g) => g.lines!.some((u) => u.line === line))?.why;
    expect(whyOf(main, 71)).to.match(/no info op/);
    expect(whyOf(main, 414)).to.match(/module exit/);
    expect(whyOf(features, 443)).to.match(/cxl_test's mock/);
    const branchWhy = (f: FileCoverage, line: number) => f.branchGroups.find((g) => g.branches!.some((b) => b.line === line))?.why;
    expect(branchWhy(main, 118)).to.match(/^out of memory/);
    expect(branchWhy(features, 518)).to.match(/kernel-exclusive UUID/);
  });

  it('a line the table does not list is "not explained", and so is a listed line whose source text differs (a moved kernel)', async () => {
    const cov = await load();
    // fwctl_cmd_rpc's copy of the answer (line 133) as if it never ran.
    const edited = TRACEFILE.replace(/^DA:133,\d+$/m, 'DA:133,0');
    const [main] = cov.summarise(cov.parseInfo(edited), { from: FROM });
    expect(main.lines.hit).to.equal(123);
    expect(main.lineGroups.at(-1)).to.deep.include({ why: 'not explained (not in the table of vm/kernel-coverage.mjs for Linux 7.3.4: read the source)' });
    expect(main.lineGroups.at(-1)!.lines!.map((u) => u.line)).to.deep.equal([133]);
    // With a source whose lines say something else, the table's text checks fail.
    const blank = Array.from({ length: 800 }, () => 'x').join('\n');
    const moved = cov.summarise(cov.parseInfo(TRACEFILE), { source: () => blank, from: FROM });
    expect(moved[1].lineGroups.map((g) => g.why)).to.include('not explained (not in the table of vm/kernel-coverage.mjs for Linux 7.3.4: read the source)');
  });

  it('without the fwctl part or the record: a per-file error, not figures', async () => {
    const cov = await load();
    const records = cov.parseInfo(TRACEFILE);
    const noSource = cov.summarise(records, {});
    expect(noSource[1].error).to.equal('the fwctl part was not found in the source');
    const noFeatures = cov.summarise(records.slice(0, 2), { from: FROM });
    expect(noFeatures[1].error).to.equal('no record in the tracefile');
  });

  it('renders the figures and the unexecuted lines by why (the summary), every line with --all (coverage.txt)', async () => {
    const cov = await load();
    const files = cov.summarise(cov.parseInfo(TRACEFILE), { from: FROM });
    const c = { tracefile: 'out/kernel-kasan/coverage.info', listing: 'out/kernel-kasan/coverage.txt', boots: [1, 2, 3, 4, 5].map((n) => ({ boot: `b${n}`, gcda: 2 })), files };
    const text = cov.renderCoverage(c);
    expect(text).to.include("coverage of the kernel's fwctl code over 5 boot(s) (lcov; out/kernel-kasan/coverage.info, every line in out/kernel-kasan/coverage.txt):");
    expect(text).to.include('drivers/fwctl/main.c (whole file): lines 124/142 (87.3%), branches 58/90 (64.4%), functions 14/16 (never called: copy_to_user_zero_pad, fwctl_exit)');
    expect(text).to.include('drivers/cxl/core/features.c (fwctl part (from "/* FWCTL support */")): lines 125/132 (94.7%), branches 66/91 (72.5%), functions 12/12');
    expect(text).to.include('copy_to_user_zero_pad 41, 46, 47, 49, 50; fwctl_cmd_info 71, 72, 73, 75, 77');
    const all = cov.renderCoverage(c, { all: true });
    expect(all).to.match(/^ {14}37 \[ucmd_respond\] $/m);
    expect(all).to.match(/^ {13}518  1\/2 \[cxlctl_set_feature\] $/m);
    expect(cov.renderCoverage({ error: 'geninfo is missing (apt-get install lcov)' })).to.equal('  coverage: ERROR geninfo is missing (apt-get install lcov)');
  });
});
