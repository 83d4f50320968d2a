/**
 * Kernel mutants' fixtures (vm/mutant-fixture.mjs, vm/mutants/fixtures/): the header fields, the
 * combined patches vm/fwctl-vm mutant builds, and the fixture device's profile. The boots themselves
 * need the VM (npm run test:kernel-mutants). With FWCTL_CTS_KERNEL_SRC set to a Linux source tree the
 * patches are also applied to it (patch --dry-run).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/paths.js';
import { EFFECTS_FLOOR, loadProfile, type Profile } from '../harness/profiles/profile.js';

interface Fixture {
  patch: string;
  profile?: string;
  control: string[];
}
interface FixtureModule {
  mutantFixture(file: string, fields: Record<string, string>, root?: string): Fixture | undefined;
  combinePatches(files: string[]): string;
  fixtureProfile(overlay: string, profilesDir: string): Profile;
}

const MUTANTS = join(ROOT, 'vm', 'mutants');
const MUTANT = join(MUTANTS, '17-features-imm-effects-at-debug-write.patch');
const PATCH = join(MUTANTS, 'fixtures', 'cxl-test-imm-feature.patch');
const OVERLAY = join(MUTANTS, 'fixtures', 'cxl-test-imm-feature.profile.json');
const load = (): Promise<FixtureModule> => import(pathToFileURL(join(ROOT, 'vm', 'mutant-fixture.mjs')).href) as Promise<FixtureModule>;

/** A header's fields, as test-kernel-mutants.mjs readMutant reads them. */
function header(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  const f: Record<string, string> = {};
  for (const line of text.slice(0, text.search(/^--- /m)).split('\n')) {
    const m = /^([A-Z][a-z]+):\s*(.*)$/.exec(line);
    if (m) f[m[1]!] = m[2]!.trim();
  }
  return f;
}

describe('kernel mutant fixtures (vm/mutant-fixture.mjs)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-fixture-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("mutant 17 names the immediate-effects fixture, its profile and the control's extra rule", async () => {
    const { mutantFixture } = await load();
    const f = mutantFixture(MUTANT, header(MUTANT));
    expect(f).to.deep.equal({ patch: PATCH, profile: OVERLAY, control: ['scope.accepted-at-and-above'] });
    expect(mutantFixture(join(MUTANTS, '19-features-set-at-read-only.patch'), header(join(MUTANTS, '19-features-set-at-read-only.patch')))).to.equal(undefined);
  });

  it('rejects a bad fixture header with a one-line error naming the mutant', async () => {
    const { mutantFixture } = await load();
    const err = (fields: Record<string, string>) => {
      try {
        mutantFixture(MUTANT, fields, ROOT);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err({ Profile: 'fixtures/cxl-test-imm-feature.profile.json' })).to.match(/^vm\/mutants\/17-\S+: 'Profile:' needs a 'Fixture:' line/);
    expect(err({ Fixture: 'fixtures/none.patch' })).to.match(/Fixture: no such file 'fixtures\/none.patch'/);
    expect(err({ Fixture: 'fixtures/cxl-test-imm-feature.profile.json' })).to.match(/Fixture: expected a \.patch file/);
    // A fixture is test code: a patch to the kernel under test is the mutant's, never the fixture's.
    expect(err({ Fixture: '19-features-set-at-read-only.patch' })).to.match(/changes drivers\/cxl\/core\/features\.c \(a fixture changes only the cxl_test mock/);
  });

  it('combines the fixture and the mutant into one patch without their headers', async () => {
    const { combinePatches } = await load();
    const control = combinePatches([PATCH]);
    const both = combinePatches([PATCH, MUTANT]);
    const files = (p: string) => [...p.matchAll(/^\+\+\+ (\S+)/gm)].map((m) => m[1]);
    expect(files(control)).to.deep.equal(['b/tools/testing/cxl/test/mem.c']);
    expect(files(both)).to.deep.equal(['b/tools/testing/cxl/test/mem.c', 'b/drivers/cxl/core/features.c']);
    expect(both.startsWith(control)).to.equal(true);
    expect(both).to.not.match(/^(Mutant|Breaks|Fixture|Why):/m);
    // The same inputs, the same bytes: vm/fwctl-vm mutant caches the build by the patch's hash.
    expect(combinePatches([PATCH, MUTANT])).to.equal(both);
    const src = process.env.FWCTL_CTS_KERNEL_SRC;
    if (src) {
      const file = join(dir, 'both.patch');
      writeFileSync(file, both);
      const r = spawnSync('patch', ['-p1', '--dry-run', '-d', src, '-i', file], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).to.equal(0);
    }
  });

  it('the fixture profile is kernel-cxl plus the Set Feature of the immediate-effects feature, floor DEBUG_WRITE_FULL', async () => {
    const { fixtureProfile } = await load();
    const merged = fixtureProfile(OVERLAY, join(ROOT, 'profiles'));
    const file = join(dir, 'profile.json');
    writeFileSync(file, JSON.stringify(merged));
    const p = loadProfile(file);
    const base = loadProfile('kernel-cxl');
    expect(p.id).to.equal('kernel-cxl-imm-feature');
    expect(p.commands.slice(0, base.commands.length)).to.deep.equal(base.commands);
    const added = p.commands.slice(base.commands.length);
    expect(added.map((c) => c.name)).to.deep.equal(['SET_FEATURE:cxl_test-imm']);
    const c = added[0]!;
    // features.c cxlctl_validate_set_features: immediate effects need DEBUG_WRITE_FULL.
    expect(c.minScope).to.equal('DEBUG_WRITE_FULL');
    expect(EFFECTS_FLOOR[c.effects]).to.equal('DEBUG_WRITE_FULL');
    const { id: _i, title: _t, source: _s, commands: _c, ...rest } = p;
    const { $schema: _$, id: _bi, title: _bt, source: _bs, commands: _bc, ...baseRest } = base as Profile & { $schema?: string };
    expect(rest).to.deep.equal(baseRest);
  });

  it("the profile's feature is the one the fixture patch adds, with immediate effects", () => {
    const patch = readFileSync(PATCH, 'utf8');
    const uuid = /CXL_VENDOR_FEATURE_TEST_IMM\s*\\\n\+\s*UUID_INIT\(([^)]*)\)/.exec(patch);
    expect(uuid, 'CXL_VENDOR_FEATURE_TEST_IMM in the fixture').to.not.equal(null);
    // UUID_INIT(a, b, c, d0, ..., d7): the bytes of the canonical form, in order.
    const parts = uuid![1]!.replace(/\\\n\+/g, '').split(',').map((x) => x.trim().replace(/^0x/, ''));
    const hex = (s: string, n: number) => s.padStart(n, '0');
    const text = `${hex(parts[0]!, 8)}-${hex(parts[1]!, 4)}-${hex(parts[2]!, 4)}-${parts.slice(3, 5).map((x) => hex(x, 2)).join('')}-${parts.slice(5).map((x) => hex(x, 2)).join('')}`;
    const overlay = JSON.parse(readFileSync(OVERLAY, 'utf8')) as { commands: { request: { uuid: string } }[] };
    expect(overlay.commands[0]!.request.uuid).to.equal(text);
    expect(patch).to.match(/fill_feature_vendor_test_imm[\s\S]*feat->effects = cpu_to_le16\(CXL_CMD_CONFIG_CHANGE_IMMEDIATE \|/);
    expect(patch).to.match(/^\+#define MAX_CXL_TEST_FEATS\t2$/m);
  });

  it('rejects a bad overlay naming the file and the JSON pointer', async () => {
    const { fixtureProfile } = await load();
    const err = (o: unknown) => {
      const file = join(dir, 'overlay.json');
      writeFileSync(file, JSON.stringify(o));
      try {
        fixtureProfile(file, join(ROOT, 'profiles'));
      } catch (e) {
        return (e as Error).message.replace(file, 'FILE');
      }
      return 'no error';
    };
    const good = JSON.parse(readFileSync(OVERLAY, 'utf8')) as Record<string, unknown>;
    expect(err({ ...good, extends: 'kernel-nope' })).to.equal("FILE: /extends: no profile 'kernel-nope' in profiles/");
    expect(err({ ...good, info: {} })).to.match(/^FILE: \/info: unexpected key/);
    expect(err({ ...good, commands: [] })).to.match(/^FILE: \/commands: expected a non-empty array/);
    expect(err({ ...good, id: '' })).to.equal('FILE: /id: expected a non-empty string');
    // An added command the schema refuses: the overlay's own pointer, not the merged profile's /commands/N.
    const [cmd] = good.commands as Record<string, unknown>[];
    expect(err({ ...good, commands: [{ ...cmd, minScope: 'NOPE' }] })).to.match(/^FILE: \/commands\/0\/minScope: expected one of "CONFIGURATION"/);
    expect(err({ ...good, commands: [cmd, { ...cmd, extra: 1 }] })).to.equal('FILE: /commands/1/extra: unknown property (not in the schema)');
  });
});
