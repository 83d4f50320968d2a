/**
 * Safety by default (DESIGN "Safety"): a device that allows nothing extra
 * gets only catalogued safe probes at CONFIGURATION and DEBUG_READ_ONLY;
 * everything else is skipped, naming the flag that would unlock it.
 * The device is the reference driver behind `fwctl-cts agent`, whose
 * operator unlocked nothing.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { codecFor } from '../harness/codecs/index.js';
import { ROOT } from '../harness/paths.js';
import { PROFILES_DIR, loadProfile } from '../harness/profiles/profile.js';
import { writeGate } from '../harness/profiles/writes.js';
import { runConformance } from '../harness/run.js';

describe('safety', function () {
  this.timeout(120_000);

  it('a default run issues only safe probes, at CONFIGURATION or DEBUG_READ_ONLY', async () => {
    const agent = (flags: string) => `exec:node ${join(ROOT, 'bin/fwctl-cts.js')} agent --target sim:cxl ${flags}`;
    const report = await runConformance({ targets: [agent('')], workers: 2 });
    const safe = new Set(loadProfile('reference-cxl').commands.filter((c) => c.safeProbe).map((c) => c.name));
    const rpcs = report.tests.flatMap((t) => t.evidence.filter((e) => e.call === 'FWCTL_RPC'));
    expect(rpcs.length, 'RPCs issued').to.be.greaterThan(50);
    for (const e of rpcs) {
      // Raw-struct tests (no detail) are malformed on purpose: the core refuses them before any driver.
      if (!e.detail) {
        expect(e.ret, 'a raw malformed struct is refused').to.equal(-1);
        continue;
      }
      expect(e.detail, 'scope').to.match(/scope=(CONFIGURATION|DEBUG_READ_ONLY|UNKNOWN)/);
      const name = /^([^ ]+) at /.exec(e.detail)?.[1];
      if (name) expect(safe.has(name), `${name} is a safe probe`).to.equal(true);
    }
    const reasons = new Set(report.tests.filter((t) => t.outcome === 'skip').map((t) => t.skipReason));
    expect([...reasons].some((r) => r?.includes('--allow-taint')), 'taint tests name --allow-taint').to.equal(true);
    expect([...reasons].some((r) => r?.includes('--allow-destructive')), 'unsafe probes name --allow-destructive').to.equal(true);
    expect(report.summary.outcomes.fail, 'failures').to.equal(0);
  });
});

/**
 * The write gate (harness/profiles/writes.ts): a request not taken verbatim
 * from a profile (a robustness mutation, an agent's peer) that may be one of
 * the profile's unsafe commands is held back without --allow-destructive.
 */
describe('safety: the write gate', function () {
  this.timeout(120_000);
  const noMem = { alloc: (x: number | Uint8Array) => ({ addr: 0x10000n, bytes: Buffer.alloc(typeof x === 'number' ? x : x.length) }) as never };
  const profiles = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.json')).map((f) => loadProfile(f.slice(0, -5)));

  it('every command of every profile, encoded, is unsafe exactly when it is not a safe probe (data and TypeScript codecs alike)', () => {
    let n = 0;
    for (const p of profiles) {
      for (const mode of ['data', 'code'] as const) {
        const codec = codecFor(p.codec, mode)!;
        expect(codec.identify, `${mode} codec ${p.codec} identifies commands`).to.be.a('function');
        const gate = writeGate(p, codec);
        for (const c of p.commands) {
          n++;
          const input = codec.encode(c.request, c.outLen, noMem).input;
          expect(gate(input).unsafe, `${p.id} ${c.name} (safeProbe ${c.safeProbe}, ${mode} codec)`).to.equal(!c.safeProbe);
          expect(codec.identify!(input), `${p.id} ${c.name}: data and code identify alike`).to.deep.equal(codecFor(p.codec, 'code')!.identify!(input));
        }
      }
    }
    expect(n, 'commands checked').to.be.greaterThan(600);
  });

  for (const [id, from, at, value, to] of [
    ['kernel-bnxt', 'HWRM_VER_GET', 0, 0x11, 'HWRM_FUNC_RESET'],
    ['kernel-mlx5', 'ACCESS_REG:PAOS:read', 7, 0, 'ACCESS_REG:MLCR:write'],
    ['reference-pds', 'config:read', 0, 0x02, 'config:write'],
  ] as const) {
    it(`${id}: ${from} with byte ${at} set to 0x${value.toString(16)} may be ${to}: held back`, () => {
      const p = loadProfile(id);
      const codec = codecFor(p.codec)!;
      const c = p.commands.find((x) => x.name === from);
      expect(c, `${from} in ${id}`).to.not.equal(undefined);
      const input = Buffer.from(codec.encode(c!.request, c!.outLen, noMem).input);
      expect(writeGate(p, codec)(input).unsafe, 'as is').to.equal(false);
      input[at] = value;
      const g = writeGate(p, codec)(input);
      expect(g.unsafe, 'mutated').to.equal(true);
      expect(g.unsafe && g.why).to.include(to);
    });
  }

  it('a default run through an agent holds back mutated inputs that may be writes, and says how many', async () => {
    const report = await runConformance({ targets: [`exec:node ${join(ROOT, 'bin/fwctl-cts.js')} agent --target sim:pds`], suites: ['robustness'], workers: 1 });
    const held = report.tests.flatMap((t) => t.evidence.map((e) => /^(\d+) mutated inputs not sent: they may change the device/.exec(e.detail ?? '')?.[1])).filter(Boolean);
    expect(held.length, 'robustness tests that held inputs back').to.be.greaterThan(0);
    expect(report.summary.outcomes.fail + report.summary.outcomes.error, 'failures and errors').to.equal(0);
  });
});
