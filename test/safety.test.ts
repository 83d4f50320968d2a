/**
 * Safety by default (DESIGN "Safety"): a device that allows nothing extra
 * gets only catalogued safe probes at CONFIGURATION and DEBUG_READ_ONLY;
 * everything else is skipped, naming the flag that would unlock it.
 * The device is the reference driver behind `fwctl-cts agent`, whose
 * operator unlocked nothing.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { loadProfile } from '../harness/profiles/profile.js';
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
