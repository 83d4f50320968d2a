/**
 * vm/test-kernel-mutants.mjs without a VM: a mutant whose kernel (its Kernel: header) is not built is
 * "not run", with the command that builds it, never caught, and the exit status says so (3, not 0).
 * An empty VM cache (FWCTL_CTS_VM_CACHE) is a machine where nothing was built; the one mutant (a
 * copy of 16 whose Kernel: names only kasan, in a directory of its own: FWCTL_CTS_MUTANTS) has no
 * usable kernel, so nothing builds or boots. (16 itself says "kasan, main": the main kernel there.)
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';

describe('vm/test-kernel-mutants.mjs: a mutant whose kernel is not built', () => {
  it('mutant 16 (Kernel: kasan) on a machine without the kasan build: NOTRUN with the setup command, "caught 0 of 0 run; 1 not run", exit 3', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-mutants-'));
    const mutants = join(dir, 'mutants');
    mkdirSync(mutants);
    const patch = readFileSync(join(ROOT, 'vm/mutants/16-features-op-size-check-reverted.patch'), 'utf8');
    expect(patch).to.match(/^Kernel: kasan, main$/m);
    writeFileSync(join(mutants, '16-features-op-size-check-reverted.patch'), patch.replace(/^Kernel: .*$/m, 'Kernel: kasan'));
    const r = spawnSync(process.execPath, ['vm/test-kernel-mutants.mjs', '--only', 'op-size', '--out', join(dir, 'out')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, FWCTL_CTS_VM_CACHE: join(dir, 'cache'), FWCTL_CTS_VM_VARIANT: '', FWCTL_CTS_MUTANTS: mutants },
      timeout: 30_000,
    });
    expect(r.status, r.stderr).to.equal(3);
    expect(r.stdout).to.include('  NOTRUN 16-features-op-size-check-reverted  [kasan; -]\n');
    expect(r.stdout).to.include('not run: needs the kasan kernel (vm/fwctl-vm setup --variant kasan, ~30-60 min)');
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal('caught 0 of 0 run; 1 not run');
    const summary = JSON.parse(readFileSync(join(dir, 'out/summary.json'), 'utf8')) as { caught: number; total: number; notRun: number; mutants: { kernel: string; caught?: boolean }[] };
    expect(summary).to.deep.include({ caught: 0, total: 1, notRun: 1 });
    expect(summary.mutants[0]).to.deep.include({ kernel: 'kasan' });
    expect(summary.mutants[0].caught).to.equal(undefined);
  });
});
