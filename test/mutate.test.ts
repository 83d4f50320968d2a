/**
 * `fwctl-cts mutate` (harness/mutate/): the operator catalog is sound, mutants the suites catch are
 * killed by the rule they are named for, a mutant a reduced selection cannot see is reported as a
 * survivor, one that changes nothing is not applicable, and the verdicts do not depend on the
 * worker count.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/paths.js';
import { loadPolicy } from '../harness/policy/policy.js';
import { runMutation, type MutantResult } from '../harness/mutate/mutate.js';
import { OPERATORS } from '../harness/mutate/operators.js';
import { validate } from '../harness/schema/validate.js';
import type { MutateOutput } from '../harness/generated/mutate.js';

function cts(...args: string[]) {
  return spawnSync(process.execPath, ['bin/fwctl-cts.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
}

const scored = (ms: MutantResult[]) => ms.map((m) => [m.operator, m.status, m.killedBy.join(' ')]);

describe('mutate', function () {
  this.timeout(180_000);

  it('has at least 12 operators, each with a unique id and named for a rule of the upstream policy', () => {
    const rules = new Set(loadPolicy('upstream').byId.keys());
    expect(OPERATORS.length).to.be.at.least(12);
    expect(new Set(OPERATORS.map((o) => o.id)).size).to.equal(OPERATORS.length);
    for (const o of OPERATORS) {
      expect(o.id, o.id).to.match(/^[a-z0-9-]+$/);
      expect(rules.has(o.rule), `${o.id}: rule ${o.rule}`).to.equal(true);
      expect(o.description.length, o.id).to.be.greaterThan(10);
      expect(Boolean(o.ioctl || o.open || o.parts), `${o.id} alters something`).to.equal(true);
    }
  });

  it('kills operators on sim:cxl through the rules they are named for, with the same verdicts on 1 and 2 workers', async () => {
    const run = (workers: number) => runMutation({ target: 'sim:cxl', operators: ['enotty-einval', 'tail-e2big-ignored', 'info-flags-ignored'], suites: ['uapi/dispatch', 'uapi/info'], workers });
    const [one, two] = [await run(1), await run(2)];
    for (const m of two.mutants) {
      expect(m.status, m.operator).to.equal('killed');
      expect(m.ruleTripped, `${m.operator} killed by ${m.killedBy.join(', ')}`).to.equal(true);
    }
    expect(two.killRate).to.equal(1);
    expect(scored(one.mutants)).to.deep.equal(scored(two.mutants));
  });

  it('reports a mutant the selected suites cannot see as a survivor, and one that changes nothing as not applicable', async () => {
    // uapi/dispatch never looks at out_device_type (uapi/info does): the mutant lives.
    const r = await runMutation({ target: 'sim:cxl', operators: ['info-device-type-error', 'warning-duplicated'], suites: ['uapi/dispatch'], workers: 2 });
    const by = new Map(r.mutants.map((m) => [m.operator, m]));
    expect(by.get('info-device-type-error')!.status).to.equal('survived');
    // No dispatch test reads the kernel log: the operator never changed an answer.
    expect(by.get('warning-duplicated')!.status).to.equal('not-applicable');
    expect(by.get('warning-duplicated')!.reason).to.match(/no test made a call/);
    expect(r.killRate).to.equal(0);
    expect(r.survived).to.equal(1);
  });

  it('mutate --json lists the survivors and exits 0; an unknown operator is exit 2 naming the choices', () => {
    const ok = cts('mutate', '--target', 'sim:cxl', '--operator', 'info-device-type-error', '--suite', 'uapi/dispatch', '--json');
    expect(ok.status, ok.stderr).to.equal(0);
    const out = JSON.parse(ok.stdout) as { targets: { target: string; survived: number; mutants: MutantResult[] }[] };
    expect(out.targets[0]!.target).to.equal('sim:cxl');
    expect(out.targets[0]!.mutants.map((m) => m.status)).to.deep.equal(['survived']);
    const table = cts('mutate', '--target', 'sim:cxl', '--operator', 'info-device-type-error', '--suite', 'uapi/dispatch');
    expect(table.stdout).to.match(/Surviving mutants: info-device-type-error \(uapi.info.device-type\)/);
    expect(table.stdout).to.match(/Kill rate on sim:cxl: 0.0% \(0 killed of 1 applicable/);
    const bad = cts('mutate', '--target', 'sim:cxl', '--operator', 'no-such-op');
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.have.length(1);
    expect(bad.stderr).to.match(/--operator no-such-op: unknown operator \(operators: enotty-einval/);
    const list = cts('mutate', '--list', '--json');
    expect((JSON.parse(list.stdout) as unknown[]).length).to.equal(OPERATORS.length);
  });

  it('mutate --baseline scores against a recorded run (a taint rule on a real kernel: one clean boot each), with the verdicts of a baseline run here, in output its schema accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-mutate-test-'));
    try {
      const args = ['--target', 'sim:cxl', '--operator', 'info-device-type-error', '--operator', 'enotty-einval', '--suite', 'uapi/dispatch', '--json'];
      const ran = cts('run', '--target', 'sim:cxl', '--suite', 'uapi/dispatch', '--report-dir', dir);
      expect(ran.status, ran.stderr).to.equal(0);
      const [own, recorded] = [cts('mutate', ...args), cts('mutate', ...args, '--baseline', dir)].map((r) => {
        expect(r.status, r.stderr).to.equal(0);
        return validate<MutateOutput>(JSON.parse(r.stdout), 'mutate', 'mutate --json').targets[0]!;
      });
      expect(scored(recorded.mutants)).to.deep.equal(scored(own.mutants));
      expect(recorded.mutants.map((m) => m.status)).to.deep.equal(['killed', 'survived']);
      expect(recorded.baseline.passed).to.equal(own.baseline.passed);
      expect(recorded.baseline.from).to.equal(join(dir, 'report.json'));
      expect(own.baseline.from).to.equal(undefined);
      // A baseline without the target is bad input, named in one line.
      const other = cts('mutate', '--target', 'sim:mlx5', '--operator', 'enotty-einval', '--baseline', dir);
      expect(other.status).to.equal(2);
      expect(other.stderr.trim().split('\n')).to.have.length(1);
      expect(other.stderr).to.match(/--baseline .*report\.json: no target sim:mlx5 in it \(targets: sim:cxl\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vm/mutate-kernel.mjs combines its boots: killed in any boot beats survived beats not applicable, and the result is schema-valid', async () => {
    const { combine } = (await import(pathToFileURL(join(ROOT, 'vm/mutate-kernel.mjs')).href)) as { combine(s: { boot: string; r: unknown }[]): MutateOutput['targets'][number] };
    const m = (operator: string, status: MutantResult['status'], killedBy: string[] = [], reason?: string): MutantResult => ({ operator, rule: 'taint.debug-write', description: 'd', status, killedBy, ruleTripped: killedBy.includes('taint.debug-write'), failedTests: killedBy.map((r) => `${r} (fail)`), durationMs: 1, ...(reason && { reason }) });
    const report = (mutants: MutantResult[]) => ({ target: 'dev:/dev/fwctl/fwctl0', policy: 'upstream', baseline: { passed: 1, failed: 0, skipped: 0, failedTests: [], durationMs: 1 }, mutants, killed: 0, survived: 0, notApplicable: 0, killRate: null });
    const c = combine([
      { boot: 'main-1', r: report([m('taint-masked', 'survived'), m('warning-duplicated', 'not-applicable', [], 'no call'), m('resources-drift', 'not-applicable', [], 'no part')]) },
      { boot: 'taint.debug-write-taint-masked', r: report([m('taint-masked', 'killed', ['taint.debug-write'])]) },
      { boot: 'taint.warn-once-warning-duplicated', r: report([m('warning-duplicated', 'not-applicable', [], 'again')]) },
    ]);
    validate<MutateOutput>({ targets: [c] }, 'mutate', 'combined');
    expect(c.mutants.map((x) => [x.operator, x.status])).to.deep.equal([['taint-masked', 'killed'], ['warning-duplicated', 'not-applicable'], ['resources-drift', 'not-applicable']]);
    expect(c.mutants[0]!.ruleTripped).to.equal(true);
    expect(c.mutants[1]!.reason).to.equal('main-1: no call; taint.warn-once-warning-duplicated: again');
    expect([c.killed, c.survived, c.notApplicable, c.killRate]).to.deep.equal([1, 0, 2, 1]);
  });
});
