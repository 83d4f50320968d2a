/**
 * vm/test-kernel.mjs's console scan (issue 15 item 1): a sanitizer report on the serial console is a
 * problem, named with the test that was running. The KASAN excerpt is recorded: the console of
 * kernel mutant 16 (features.c's op_size check reverted) on the kasan variant, Linux 7.3.4 under QEMU.
 * Our kasan variant has no UBSAN, so the UBSAN report is spliced in, in the format lib/ubsan.c prints
 * since Linux 5.x (ubsan_prologue: a "cut here" line, then "UBSAN: <check> in <file>:<line>:<col>";
 * ubsan_epilogue: the stack, then "---[ end trace ]---").
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/paths.js';

interface Problem {
  at: number;
  line: string;
  during: { phase?: string; tests?: string[]; between?: string; outside?: string };
  excerpt: string[];
}
type Scan = (file: string) => { problems: Problem[]; missing?: boolean };

const RECORDED = join(ROOT, 'test/fixtures/kernel/console-kasan.log');
const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-console-'));
const TEST = 'robustness.no-crash on dev:/dev/fwctl/fwctl0 (fail)';

async function scan(): Promise<Scan> {
  const m = (await import(pathToFileURL(join(ROOT, 'vm/test-kernel.mjs')).href)) as { consoleProblems: Scan };
  return m.consoleProblems;
}

/** The recorded console with `lines` inserted before the line holding `before`. */
function withLines(before: string, lines: string[]): string {
  const text = readFileSync(RECORDED, 'utf8').split('\n');
  const at = text.findIndex((l) => l.includes(before));
  expect(at, before).to.be.greaterThan(0);
  text.splice(at, 0, ...lines.map((l) => `${l}\r`));
  const file = join(dir, `console-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(file, text.join('\n'));
  return file;
}

describe('vm/test-kernel.mjs console scan: KASAN and UBSAN reports name the running test', () => {
  it('the recorded KASAN report of mutant 16: one problem, during robustness.no-crash, excerpt to the report end', async () => {
    const { problems } = (await scan())(RECORDED);
    expect(problems.map((p) => p.line)).to.deep.equal(['BUG: KASAN: slab-out-of-bounds in cxlctl_fw_rpc+0x14ae/0x1680 [cxl_core]']);
    const [p] = problems;
    expect(p.at).to.equal(47.751099);
    // The test's end marker (48.569, 9095 ms) puts its start at 39.47: the report at 47.75 is inside.
    expect(p.during).to.deep.equal({ phase: 'rules', tests: [TEST] });
    // The whole report is one problem (its "Call Trace" and the allocation stack are not more problems).
    expect(p.excerpt.some((l) => l.includes('Read of size 4 at addr'))).to.equal(true);
    expect(p.excerpt.some((l) => l.includes('fwctl_cmd_rpc+0x34e/0x800 [fwctl]'))).to.equal(true);
  });

  it('a UBSAN report (lib/ubsan.c format) during the same test: a problem of its own, naming the test', async () => {
    const file = withLines('Disabling lock debugging', [
      '[   47.770001] ------------[ cut here ]------------',
      '[   47.770002] UBSAN: shift-out-of-bounds in drivers/cxl/core/features.c:444:9',
      "[   47.770003] shift exponent 40 is too large for 32-bit type 'unsigned int'",
      '[   47.770004] CPU: 0 UID: 0 PID: 110 Comm: node Tainted: G    B      O      J 7.3.4 #1 PREEMPT(lazy)',
      '[   47.770005] Call Trace:',
      '[   47.770006]  <TASK>',
      '[   47.770007]  dump_stack_lvl+0x53/0x70',
      '[   47.770008]  __ubsan_handle_shift_out_of_bounds+0x1e3/0x390',
      '[   47.770009]  cxlctl_fw_rpc+0x1500/0x1680 [cxl_core]',
      '[   47.770010]  </TASK>',
      '[   47.770011] ---[ end trace ]---',
    ]);
    const { problems } = (await scan())(file);
    expect(problems.map((p) => p.line)).to.deep.equal([
      'BUG: KASAN: slab-out-of-bounds in cxlctl_fw_rpc+0x14ae/0x1680 [cxl_core]',
      'UBSAN: shift-out-of-bounds in drivers/cxl/core/features.c:444:9',
    ]);
    const ubsan = problems[1];
    expect(ubsan.during).to.deep.equal({ phase: 'rules', tests: [TEST] });
    expect(ubsan.excerpt[0], 'the excerpt starts at "cut here"').to.include('cut here');
    expect(ubsan.excerpt.at(-1), 'and ends at the end of the trace').to.include('---[ end trace ]---');
  });

  it('a report after the test ended is not pinned on it: "between" tests, in its phase', async () => {
    const file = withLines('fwctl-cts: phase rules end', ['[   49.900000] UBSAN: array-index-out-of-bounds in drivers/fwctl/main.c:182:5']);
    const { problems } = (await scan())(file);
    const late = problems.find((p) => p.line.startsWith('UBSAN:'));
    expect(late?.during.tests).to.equal(undefined);
    expect(late?.during.phase).to.equal('rules');
    expect(late?.during.between).to.match(/^after robustness\.no-crash on dev:\/dev\/fwctl\/fwctl0 ended/);
  });

  it('a clean console (the report cut out) has no problem; a missing console says so', async () => {
    const text = readFileSync(RECORDED, 'utf8').split('\n');
    const from = text.findIndex((l) => l.includes('====='));
    const to = text.findLastIndex((l) => l.includes('====='));
    const file = join(dir, 'clean.log');
    writeFileSync(file, [...text.slice(0, from), ...text.slice(to + 1)].join('\n'));
    expect((await scan())(file).problems).to.deep.equal([]);
    expect((await scan())(join(dir, 'absent.log'))).to.deep.equal({ problems: [], missing: true });
  });
});
