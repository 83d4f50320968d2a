/**
 * `fwctl-cts diff` (issue #14 item 5): between the clean reference driver and defect runs the
 * regressions are exactly each defect's rules; transitions are named; targets pair; inventories
 * diff; bad input exits 2 naming the file and the JSON pointer; `run --baseline` lists the
 * regressions in report.md and the summary. The whole defect catalog: test/diff.slow.ts.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffInventories, taintLetters } from '../harness/diff/inventory.js';
import { pairTargets, diffReports } from '../harness/diff/reports.js';
import { renderDiffMarkdown } from '../harness/diff/render.js';
import { targetInventory } from '../harness/cli/inventory.js';
import type { Inventory, InventoryDevice } from '../harness/generated/inventory.js';
import type { Report, TargetEntry } from '../harness/generated/report.js';
import { ROOT } from '../harness/paths.js';
import { runConformance } from '../harness/run.js';
import { validate } from '../harness/schema/validate.js';
import { SAFE } from '../harness/targets/target.js';
import { MARKDOWN_LIMIT } from '../reports/markdown.js';
import { DEFECTS } from '../reference-driver/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-diff-'));

function cts(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function save(name: string, data: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** The rules that regressed on each target of B. */
function regressedByTarget(d: ReturnType<typeof diffReports>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of d.rules.filter((x) => x.change === 'regression')) (out[r.b!] ??= []).push(r.rule);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe('diff', function () {
  this.timeout(120_000);
  // Several defects over four models, two on one model (one clean target is the baseline of both).
  const picked = ['no-emsgsize', 'ioctl-nr-unchecked', 'shared-context'];
  for (const model of ['pds', 'bnxt']) picked.push(DEFECTS.find((d) => d.models?.[0] === model)!.id);
  const defectTarget = (id: string) => `sim:${DEFECTS.find((d) => d.id === id)!.models?.[0] ?? 'cxl'}+${id}`;
  let clean: Report;
  let defects: Report;
  let cleanFile: string;
  let defectsFile: string;

  before(async () => {
    clean = await runConformance({ targets: ['sim:cxl', 'sim:mlx5', 'sim:pds', 'sim:bnxt'], workers: 2 });
    defects = await runConformance({ targets: picked.map(defectTarget), workers: 2 });
    cleanFile = save('clean.json', clean);
    mkdirSync(join(dir, 'bundle'));
    defectsFile = join(dir, 'bundle');
    writeFileSync(join(defectsFile, 'report.json'), JSON.stringify(defects));
  });

  it('clean → defect runs: the regressions on each target are exactly its defect\'s rules', () => {
    const d = diffReports({ file: 'clean', report: clean }, { file: 'defects', report: defects });
    const expected = Object.fromEntries(picked.map((id) => [defectTarget(id), [...DEFECTS.find((x) => x.id === id)!.breaks].sort()]));
    expect(regressedByTarget(d)).to.deep.equal(expected);
    expect(d.pairs.every((p) => p.by === 'defects'), JSON.stringify(d.pairs)).to.equal(true);
    expect(d.counts.ruleFixes).to.equal(0);
    expect(d.rules.every((r) => r.transition === 'pass→fail')).to.equal(true);
    expect(d.verdict).to.deep.equal({ from: 'compliant', to: 'non-compliant', change: 'worse' });
    expect(d.regression).to.equal(true);
    // sim:cxl is the baseline of two defect runs, and no target is left unpaired.
    expect([d.added, d.removed.filter((s) => s !== 'sim:cxl' && s !== 'sim:mlx5' && s !== 'sim:pds' && s !== 'sim:bnxt')]).to.deep.equal([[], []]);
    console.log(`      diff: ${picked.length} defects, ${d.counts.ruleRegressions} rule regressions, ${d.counts.regressions} test regressions, ${d.counts.unchanged} unchanged`);
  });

  it('defect → clean: the same rules are fixes, and nothing regressed (exit 0)', () => {
    const d = diffReports({ file: 'defects', report: defects }, { file: 'clean', report: clean }, { pairs: ['sim:cxl+no-emsgsize=sim:cxl'] });
    // Two defect runs of sim:cxl in A: only the one --pair names is compared; the other is a removed target.
    expect(d.removed).to.deep.equal(picked.map(defectTarget).filter((s) => s.startsWith('sim:cxl+') && s !== 'sim:cxl+no-emsgsize'));
    expect(d.counts.ruleRegressions).to.equal(0);
    expect(d.regression).to.equal(false);
    expect(d.rules.filter((r) => r.change === 'fix').every((r) => r.transition === 'fail→pass')).to.equal(true);
    expect(d.counts.ruleFixes).to.be.greaterThan(0);
  });

  it('a run against itself has no change', () => {
    const d = diffReports({ file: 'x', report: clean }, { file: 'y', report: clean });
    expect([d.rules, d.tests, d.regression, d.counts.unchanged]).to.deep.equal([[], [], false, clean.tests.length]);
  });

  it('names new and removed tests and targets; a new failing test is a regression', () => {
    const subset: Report = { ...clean, tests: clean.tests.filter((t) => !t.id.startsWith('uapi.rpc.')) };
    const grown = diffReports({ file: 'subset', report: subset }, { file: 'clean', report: clean });
    expect(grown.tests.length).to.be.greaterThan(0);
    expect(grown.tests.every((t) => t.change === 'new' && t.transition === `absent→${t.to}` && t.to !== 'absent')).to.equal(true);
    expect(grown.transitions['absent→pass']).to.be.greaterThan(0);
    expect(grown.regression).to.equal(false);
    const shrunk = diffReports({ file: 'clean', report: clean }, { file: 'subset', report: subset });
    expect(shrunk.tests.every((t) => t.change === 'removed' && t.transition === `${t.from}→absent`)).to.equal(true);
    expect(shrunk.counts.removed).to.equal(grown.counts.new);
    // A target only in B: its failing tests and rules are regressions, from 'absent'.
    const from = defectTarget('no-emsgsize');
    const other = 'exec:./other-driver';
    const renamed: Report = {
      ...defects,
      targets: [...clean.targets, { spec: other, kind: 'exec', errors: [] }],
      tests: [...clean.tests, ...defects.tests.filter((t) => t.target === from).map((t) => ({ ...t, target: other }))],
      rules: defects.rules.map((r) => ({ ...r, byTarget: { ...Object.fromEntries(clean.targets.map((t) => [t.spec, clean.rules.find((c) => c.id === r.id)!.byTarget[t.spec]!])), [other]: r.byTarget[from]! } })),
    };
    const more = diffReports({ file: 'clean', report: clean }, { file: 'more', report: renamed });
    expect([more.added, more.removed]).to.deep.equal([[other], []]);
    expect(more.rules.map((r) => [r.rule, r.b, r.transition, r.change])).to.deep.equal([['uapi.rpc.max-len', other, 'absent→fail', 'regression']]);
    expect(more.tests.filter((t) => t.change === 'regression').map((t) => t.transition)).to.deep.equal(['absent→fail']);
    expect(more.counts.new).to.equal(defects.tests.filter((t) => t.target === from).length);
  });

  it('pairs targets: --pair, same spec, +defects, device, the only target of each; --pair must name targets', () => {
    const t = (spec: string, extra: Partial<TargetEntry> = {}): TargetEntry => ({ spec, errors: [], ...extra });
    const dev0 = t('dev:/dev/fwctl/fwctl0', { kind: 'dev', deviceType: 2, device: 'fwctl0' });
    const dev1 = t('dev:/dev/fwctl/fwctl1', { kind: 'dev', deviceType: 2, device: 'fwctl1' });
    const exec = t('exec:./drv --x=1', { kind: 'exec', deviceType: 2, device: 'fwctl0' });
    expect(pairTargets([dev0], [dev1])).to.deep.equal([{ a: dev0.spec, b: dev1.spec, by: 'only-target' }]);
    expect(pairTargets([dev0, dev1], [exec, t('sim:cxl')])).to.deep.equal([{ a: dev0.spec, b: exec.spec, by: 'device' }]);
    expect(pairTargets([dev1, dev0], [exec, dev0], [`${dev1.spec}=${exec.spec}`])).to.deep.equal([
      { a: dev1.spec, b: exec.spec, by: 'option' },
      { a: dev0.spec, b: dev0.spec, by: 'spec' },
    ]);
    expect(() => pairTargets([dev0], [dev1], ['dev:nope=dev:/dev/fwctl/fwctl1'])).to.throw(/--pair 'dev:nope=dev:\/dev\/fwctl\/fwctl1': expected <target of A>=<target of B>/);
  });

  describe('the command', () => {
    it('exits 1 on a regression and prints the transitions; --json validates against the diff schema; --markdown fits', () => {
      const md = join(dir, 'diff.md');
      const r = cts('diff', cleanFile, defectsFile, '--json', join(dir, 'diff.json'), '--markdown', md);
      expect(r.code, r.err).to.equal(1);
      expect(r.out).to.match(/REGRESSION uapi\.rpc\.max-len \[must core\] on sim:cxl\+no-emsgsize \(was sim:cxl\): pass→fail/);
      expect(r.out).to.match(/Verdict: COMPLIANT → NON-COMPLIANT \(worse\)/);
      expect(r.out).to.match(/Result: REGRESSION \(exit 1\)/);
      const json = JSON.parse(readFileSync(join(dir, 'diff.json'), 'utf8'));
      expect(() => validate(json, 'diff', 'diff.json')).to.not.throw();
      expect(json.b.file).to.equal(join(defectsFile, 'report.json'));
      const text = readFileSync(md, 'utf8');
      expect(text).to.match(/^### 🔻 fwctl-cts diff: REGRESSION \(exit 1\)/);
      expect(text).to.contain('**uapi.rpc.max-len** [must core] on `sim:cxl+no-emsgsize` (was `sim:cxl`): pass→fail');
      expect(text.length).to.be.at.most(MARKDOWN_LIMIT);
    });

    it('--json - writes only the JSON to stdout; no regression exits 0', () => {
      const r = cts('diff', defectsFile, defectsFile, '--json', '-');
      expect(r.code, r.err).to.equal(0);
      expect(JSON.parse(r.out).regression).to.equal(false);
    });

    for (const [what, make, pattern] of [
      ['a report with a bad field', () => save('bad-verdict.json', { ...clean, verdict: 'maybe' }), /bad-verdict\.json: \/verdict: expected one of "compliant", "non-compliant", "incomplete"/],
      ['a file of another kind', () => save('other.json', { format: 'fwctl-cts-snapshot/1' }), /other\.json: \/format: expected "fwctl-cts-report\/1"/],
      ['not JSON', () => (writeFileSync(join(dir, 'broken.json'), '{'), join(dir, 'broken.json')), /broken\.json: not valid JSON/],
      ['a directory without report.json', () => (mkdirSync(join(dir, 'empty'), { recursive: true }), join(dir, 'empty')), /empty: a directory without report\.json or inventory\.json/],
      ['a missing file', () => join(dir, 'nope.json'), /nope\.json: cannot read: ENOENT/],
      ['an inventory against a report', () => save('inv.json', { devices: [], taint: { mask: 0, fwctl: false } }), /inv\.json is an inventory but .*clean\.json is a report/],
    ] as const) {
      it(`${what}: one line naming the file (and the pointer), exit 2`, () => {
        const file = make();
        const r = what.startsWith('an inventory') ? cts('diff', file, cleanFile) : cts('diff', cleanFile, file);
        expect(r.code, r.out).to.equal(2);
        expect(r.err).to.match(pattern);
        expect(r.err.trim().split('\n')).to.have.length(1);
      });
    }

    it('a --pair that names no target: exit 2', () => {
      const r = cts('diff', cleanFile, defectsFile, '--pair', 'sim:cxl=sim:nope');
      expect([r.code, r.err]).to.deep.equal([2, `fwctl-cts: --pair 'sim:cxl=sim:nope': expected <target of A>=<target of B>; A has sim:cxl, sim:mlx5, sim:pds, sim:bnxt, B has ${picked.map(defectTarget).join(', ')}\n`]);
    });

    it('run --baseline: report.md and the summary list the regressions against it; the exit code stays the verdict\'s', () => {
      const out = join(dir, 'against');
      const r = cts('run', '--target', 'sim:cxl+no-emsgsize', '--suite', 'uapi/rpc', '--baseline', cleanFile, '--report-dir', out, '--no-progress');
      expect(r.code, r.err).to.equal(1);
      expect(r.out).to.match(/Against the baseline .*clean\.json: rules 1 regression\(s\), 0 fix\(es\)/);
      expect(r.out).to.match(/REGRESSION uapi\.rpc\.max-len \[must\] on sim:cxl\+no-emsgsize \(was sim:cxl\): pass→fail/);
      const md = readFileSync(join(out, 'report.md'), 'utf8');
      expect(md).to.match(/#### 🔻 Against the baseline `.*clean\.json`/);
      expect(md).to.match(/#### Rule regressions \(1\)\n\n- \*\*uapi\.rpc\.max-len\*\* \[must core\] on `sim:cxl\+no-emsgsize` \(was `sim:cxl`\): pass→fail/);
      const bad = cts('run', '--target', 'sim:cxl', '--baseline', save('inv2.json', { devices: [], taint: { mask: 0, fwctl: false } }), '--report-dir', join(dir, 'nobase'));
      expect([bad.code, bad.err]).to.match(/inv2\.json: an inventory: --baseline takes a report\.json/);
    });
  });

  describe('inventories', () => {
    const dev = (over: Partial<InventoryDevice>): InventoryDevice => ({ name: 'fwctl0', node: '/dev/fwctl/fwctl0', parent: 'mem0', driver: 'cxl_mem', serial: '0x1', deviceType: 2, deviceTypeName: 'CXL', firmwareVersion: 'BWFW 1.0', ...over });
    const inv = (devices: InventoryDevice[], mask: number, kernelRelease: string): Inventory => ({ format: 'fwctl-cts-inventory/1', tool: { name: 'fwctl-cts', version: 'x' }, host: { hostname: 'h', kernelRelease }, devices, taint: { mask, fwctl: (mask & (1 << 19)) !== 0 } });

    it('taint letters follow tainted-kernels.rst: O is bit 12, J (TAINT_FWCTL) bit 19', () => {
      expect([taintLetters(528384), taintLetters(0), taintLetters(1 | 512)]).to.deep.equal(['OJ', '', 'PW']);
    });

    it('dev: inventories: firmware, node, taint and kernel changed, a device appeared and one disappeared', () => {
      const nic = dev({ name: 'fwctl1', node: '/dev/fwctl/fwctl1', parent: 'mlx5_core.fwctl.0', driver: 'mlx5_fwctl', serial: undefined, pci: { address: '0000:3b:00.0', vendor: 0x15b3, device: 0x101d, class: 0x20000 }, deviceType: 1, deviceTypeName: 'MLX5', firmwareVersion: undefined });
      const before = inv([dev({}), nic], 4096, '6.18.1');
      // After an update: the memdev came back as fwctl1 with new firmware, the NIC is gone, a pds device appeared, the kernel tainted J.
      const after = inv([dev({ name: 'fwctl1', node: '/dev/fwctl/fwctl1', firmwareVersion: 'BWFW 2.0' }), dev({ name: 'fwctl0', serial: undefined, parent: 'pds_core.fwctl.0', driver: 'pds_fwctl', deviceType: 4, deviceTypeName: 'PDS' })], 528384, '7.3.4');
      const d = diffInventories({ file: 'before.json', inventory: before }, { file: 'after.json', inventory: after });
      expect(d.changes.map((c) => [c.what, c.text, c.regression])).to.deep.equal([
        ['kernel-release', 'kernel release 6.18.1 → 7.3.4', false],
        ['firmware', 'fwctl1 (CXL mem0): firmware BWFW 1.0 → BWFW 2.0', false],
        ['node', 'fwctl1 (CXL mem0): node fwctl0 → fwctl1', false],
        ['device-appeared', 'device appeared: fwctl0 (PDS pds_core.fwctl.0), firmware BWFW 1.0', false],
        ['device-disappeared', 'device disappeared: fwctl1 (MLX5 mlx5_core.fwctl.0)', true],
        ['taint', 'kernel taint 4096 (O) → 528384 (OJ): newly set J (TAINT_FWCTL: a fwctl DEBUG_WRITE RPC was sent)', true],
      ]);
      expect(d.regression).to.equal(true);
      expect(() => validate(d, 'diff', 'diff')).to.not.throw();
      expect(renderDiffMarkdown(d)).to.contain('- 🔻 device disappeared: fwctl1 \\(MLX5 mlx5\\_core.fwctl.0\\)');
      // Back again: what appeared disappears, and a taint flag cleared (a reboot) is not a regression.
      const back = diffInventories({ file: 'after.json', inventory: after }, { file: 'before.json', inventory: before });
      expect(back.changes.filter((c) => c.regression).map((c) => c.what)).to.deep.equal(['device-disappeared']);
    });

    it('sim inventories through the command: a firmware change is listed (exit 0), a lost device is a regression (exit 1)', async () => {
      const a = save('sim-a.json', await targetInventory(['sim:cxl@2.0', 'sim:mlx5'], SAFE));
      const b = save('sim-b.json', await targetInventory(['sim:cxl@3.0'], SAFE));
      const same = cts('diff', a, a);
      expect([same.code, same.out]).to.match(/nothing changed/);
      const c = save('sim-c.json', await targetInventory(['sim:cxl@3.0', 'sim:mlx5'], SAFE));
      const up = cts('diff', a, c);
      expect(up.code, up.err).to.equal(0);
      expect(up.out).to.contain('CHANGED sim:cxl@3.0 (CXL): firmware 2.0 → 3.0');
      const lost = cts('diff', a, b, '--markdown', '-');
      expect(lost.code, lost.err).to.equal(1);
      expect(lost.out).to.match(/^### 🔻 fwctl-cts diff \(inventories\): REGRESSION/);
      expect(lost.out).to.contain('device disappeared: sim:mlx5 \\(MLX5\\)');
    });

    it('inventory --json validates against its schema, and --target describes sim targets', () => {
      const r = cts('inventory', '--json', '--target', 'sim:pds');
      expect(r.code, r.err).to.equal(0);
      const j = validate<Inventory>(JSON.parse(r.out), 'inventory', 'stdout');
      expect(j.devices.map((d) => [d.target, d.deviceTypeName])).to.deep.equal([['sim:pds', 'PDS']]);
      expect(j.host?.kernelRelease).to.be.a('string');
    });
  });
});
