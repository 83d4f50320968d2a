/**
 * Hostile drivers (issue 11): each fixture attacks the harness one way
 * (test/fixtures/drivers/hostile-driver.ts). The harness runs as its own
 * process, watched from outside; for every driver the run ends within a
 * bound, every planned test has an outcome, the report is complete, the
 * harness stays under a memory ceiling, and no process is left behind.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../harness/generated/report.js';
import { ROOT } from '../harness/paths.js';
import { runConformance } from '../harness/run.js';
import { jsonDepth, readLines } from '../harness/wire/lines.js';
import { fromBase64 } from '../harness/wire/protocol.js';
import { PassThrough } from 'node:stream';
import { measure, tagged } from './fixtures/measure.js';

const DRIVER = fileURLToPath(new URL('./fixtures/drivers/hostile-driver.js', import.meta.url));
/** Peak RSS allowed to the harness, whatever the driver sends (it was 1.5 GB and more before). */
const CEILING_MB = 300;
const TIMEOUT_MS = 1500;
/** A driver gets at least this long to say hello (harness/targets/exec.ts). */
const HELLO_MS = 5000;
/** The uapi/info suite's tests on a clean cxl driver, as the suite declares them (counted in a before hook). */
let INFO_TESTS = 0;

/** mode, what its tests end as (or 'target' when the driver cannot be tested at all), and what the report must say. */
const MODES: [string, 'crash' | 'timeout' | 'pass' | 'target', RegExp][] = [
  ['no-hello', 'target', /did not answer hello/],
  ['stdout-flood', 'crash', /line longer than \d+ bytes/],
  ['stderr-flood', 'pass', /./],
  ['huge-line', 'crash', /line longer than \d+ bytes/],
  ['nested', 'crash', /nested deeper than 64 levels/],
  ['bad-base64', 'crash', /is not base64/],
  ['dup-id', 'crash', /a reply to unknown call/],
  ['unknown-id', 'crash', /a reply to unknown call 99999/],
  ['seg-unmapped', 'crash', /never mapped there/],
  ['seg-oversize', 'crash', /bytes to the segment at 0x[0-9a-f]+, which has \d+/],
  ['children', 'crash', /exited with status 3/],
  ['hang-close', 'timeout', /gave no answer to a close call|Timeout of/],
  ['profile-path', 'target', /names profile "\/etc\/shadow" in its hello: expected the id of a profile in profiles\//],
];

describe('hostile drivers: the harness stays bounded and leaves nothing behind', function () {
  this.timeout(120_000);
  before(async () => {
    INFO_TESTS = (await runConformance({ targets: ['sim:cxl'], suites: ['uapi/info'], workers: 1 })).tests.length;
  });

  for (const [mode, outcome, message] of MODES) {
    it(`${mode}: ${outcome === 'target' ? 'a target error' : `its tests are ${outcome}`}, within bounds`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `fwctl-cts-hostile-${mode}-`));
      const tag = `fwctl-cts-hostile-${mode}-${process.pid}`;
      // Every suite for the driver that never says hello: it is greeted once per target, not once per suite.
      const suites = outcome === 'target' ? [] : ['--suite', 'uapi/info'];
      const run = await measure(['run', '--target', `exec:node ${DRIVER} ${mode} ${tag}`, ...suites, '--workers', '1', '--timeout', String(TIMEOUT_MS), '--no-progress', '--report-dir', dir], {
        tag,
        killAtMb: 1000,
        killAfterMs: 60_000,
      });
      for (const pid of run.leftover) process.kill(pid, 'SIGKILL');
      expect(run.killed, `the harness had to be killed (${run.peakMb} MB, ${run.ms} ms)`).to.equal(undefined);
      expect(run.peakMb, 'harness peak RSS, MB').to.be.below(CEILING_MB);
      expect(run.leftover, 'processes left running').to.deep.equal([]);
      // A handshake costs one timeout; each test at most two (its own, and the driver's call deadline).
      expect(run.ms, 'wall time').to.be.below(mode === 'no-hello' ? 2 * HELLO_MS + 5000 : INFO_TESTS * 2 * TIMEOUT_MS + 2 * HELLO_MS + 5000);

      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
      expect(report.summary.tests, 'summary counts every test').to.equal(report.tests.length);
      const said = [...report.targets.flatMap((t) => t.errors), ...report.tests.map((t) => t.error?.message ?? '')].join('\n');
      if (outcome === 'target') {
        expect(run.code, 'exit code (the target could not be tested)').to.equal(2);
        expect(report.targets[0]!.errors, 'one error, from the one handshake').to.have.length(1);
        expect(said).to.match(message);
        return;
      }
      expect(report.tests.length, 'every planned test has an outcome').to.equal(INFO_TESTS);
      if (outcome === 'pass') {
        expect(report.tests.map((t) => t.outcome), 'outcomes').to.deep.equal(Array(INFO_TESTS).fill('pass'));
        return;
      }
      expect(run.code, 'exit code (the driver is at fault, as when it crashes)').to.equal(1);
      const bad = report.tests.filter((t) => t.outcome !== 'pass');
      expect(bad.length, 'affected tests').to.be.greaterThan(0);
      expect(bad.map((t) => t.outcome), 'no driver fault is scored as a failed rule').to.deep.equal(bad.map(() => outcome));
      expect(said).to.match(message);
    });
  }

  it('no process started by these runs is alive', () => {
    expect(tagged(`fwctl-cts-hostile-children-${process.pid}`)).to.deep.equal([]);
  });
});

describe('bounded input', function () {
  this.timeout(60_000);

  it('the line reader is linear: one 32 MB line in 64 KiB chunks (quadratic before: 4.6 s)', async () => {
    const input = new PassThrough();
    const lines: number[] = [];
    readLines(input, (l) => void lines.push(l.length), { maxLine: 64 * 2 ** 20 });
    const chunk = 'x'.repeat(65536);
    const t0 = performance.now();
    for (let i = 0; i < 512; i++) input.write(chunk);
    input.end('\n');
    await new Promise((r) => input.on('end', r));
    expect(lines).to.deep.equal([32 * 2 ** 20]);
    expect(performance.now() - t0, 'ms').to.be.below(1500);
  });

  it('jsonDepth (every wire message) agrees with a scan a character at a time, escapes and unclosed strings included', () => {
    // The definition the scan implements by jumping between the characters that matter.
    const byChar = (text: string, limit: number): number => {
      let depth = 0;
      let deepest = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') {
          if (++depth > deepest && (deepest = depth) > limit) return deepest;
        } else if (c === ']' || c === '}') depth--;
      }
      return deepest;
    };
    const text = fc.array(fc.constantFrom(...'[]{}"\\a,:1 '), { maxLength: 60 }).map((cs) => cs.join(''));
    fc.assert(fc.property(text, fc.constantFrom(0, 1, 3, 64), (t, limit) => jsonDepth(t, limit) === byChar(t, limit)), { numRuns: 5000, seed: 15 });
    expect(jsonDepth(`{"mem":[{"data":"${'QUJD'.repeat(4096)}"}],"s":"a\\"[{"}`)).to.equal(3);
  });

  it('a line past the bound is reported once and the rest dropped; without a handler it is cut', async () => {
    const input = new PassThrough();
    const over: number[] = [];
    const lines: string[] = [];
    readLines(input, (l) => void lines.push(l), { maxLine: 10, onOverflow: (n) => void over.push(n) });
    input.end('short\n0123456789abcdef\nlater\n');
    await new Promise((r) => input.on('end', r));
    expect({ lines, over }).to.deep.equal({ lines: ['short'], over: [16] });
    const cut = new PassThrough();
    const kept: string[] = [];
    readLines(cut, (l) => void kept.push(l), { maxLine: 4 });
    cut.end('abcdefgh\nij\n');
    await new Promise((r) => cut.on('end', r));
    expect(kept).to.deep.equal(['abcd', 'ij']);
  });

  it('base64 from a driver is strict', () => {
    expect(fromBase64('AAEC', 'x')).to.deep.equal(Buffer.from([0, 1, 2]));
    for (const bad of ['!!EC', 'AAE', 'AA=C', 'AAEC\n']) expect(() => fromBase64(bad, 'x'), bad).to.throw(/not base64/);
  });

  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FWCTL_CTS_NO_RELAUNCH: '1', ...env }, timeout: 20_000 });
    return { code: r.status, err: r.stderr.trim() };
  };

  it('options and environment variables out of range: one line naming them, exit 2, before any work', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-bounds-'));
    const run = ['run', '--target', 'sim:cxl', '--report-dir', dir];
    for (const [args, env, names] of [
      [['--workers', '1e9'], {}, /--workers/],
      [['--workers', '1000'], {}, /--workers/],
      [['--timeout', '3000000000'], {}, /--timeout/],
      [['--shard', '1/99999999999999999999'], {}, /--shard/],
      [['--seed', 'abc'], {}, /--seed/],
      [['--robustness-runs', '0'], {}, /--robustness-runs/],
      [[], { FWCTL_CTS_SEED: 'abc' }, /FWCTL_CTS_SEED/],
      [[], { FWCTL_CTS_PATH: 'zzz' }, /FWCTL_CTS_PATH/],
      [[], { FWCTL_CTS_ROBUSTNESS_RUNS: '-1' }, /FWCTL_CTS_ROBUSTNESS_RUNS/],
    ] as const) {
      const r = cli([...run, ...args], env);
      expect(r.code, `${args} ${JSON.stringify(env)}`).to.equal(2);
      expect(r.err.split('\n'), `${args} ${JSON.stringify(env)}`).to.have.length(1);
      expect(r.err).to.match(names);
    }
  });

  it('input files: not regular, too large, nested too deep, or a codec field out of range: exit 2 naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-bounds-'));
    const nested = join(dir, 'nested.json');
    writeFileSync(nested, `${'['.repeat(1000)}${']'.repeat(1000)}`);
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(5 * 2 ** 20));
    const profile = (name: string, edit: (p: { commands: { outLen: number; request: Record<string, unknown> }[] }) => void, from = 'reference-mlx5') => {
      const p = JSON.parse(readFileSync(join(ROOT, 'profiles', `${from}.json`), 'utf8'));
      edit(p);
      writeFileSync(join(dir, name), JSON.stringify(p));
      return join(dir, name);
    };
    for (const [flag, file, said] of [
      ['--policy', '/dev/zero', /expected a regular file/],
      ['--profile', nested, /nested deeper than 64 levels/],
      ['--policy', big, /expected at most 4194304/],
      ['--profile', profile('hex.json', (p) => (p.commands[0]!.request.opcode = '0x5zz')), /\/commands\/0\/request\/opcode/],
      ['--profile', profile('wide.json', (p) => (p.commands[0]!.request.opcode = '0x10000')), /\/commands\/0\/request\/opcode/],
      ['--profile', profile('uuid.json', (p) => (p.commands[0]!.request.uuid = 'not-a-uuid'), 'reference-cxl'), /\/commands\/0\/request\/uuid/],
      ['--profile', profile('outlen.json', (p) => (p.commands[0]!.outLen = 1e300)), /\/commands\/0\/outLen: must be <= 1048576/],
    ] as const) {
      const r = cli(['validate', flag, file]);
      expect(r.code, file).to.equal(2);
      expect(r.err, file).to.include(file).and.match(said);
      expect(r.err, file).to.not.match(/internal error|\n\s+at /);
    }
  });
});
