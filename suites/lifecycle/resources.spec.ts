/**
 * Lifecycle: firmware resources a descriptor holds are freed on close, on
 * process death, on unregister, and nothing runs out under churn
 * (fwctl.rst "fwctl Driver design"; digest O-2..O-4).
 */
import { expect } from 'chai';
import { scopeValue } from '../../harness/profiles/profile.js';
import type { TargetProcess } from '../../harness/targets/target.js';
import { check } from '../support/check.js';
import type { Fixture } from '../support/fixture.js';

/**
 * The target's resource count. Whether the tests run is the target's to say
 * (it offers `resources`); the profile only says whether a descriptor must
 * visibly hold something: per-descriptor resources that the target counts
 * (observedBy 'target'). Either way, whatever the count shows must come back.
 */
async function counter(t: Fixture): Promise<{ count: () => Promise<number>; holds: boolean }> {
  const resources = t.part('resources');
  const { profile } = await t.device();
  return { count: () => resources.count(), holds: profile.resources.perDescriptor && profile.resources.observedBy === 'target' };
}

/**
 * Not applicable when a descriptor holds no firmware resources (CXL:
 * cxlctl_open_uctx allocates nothing, drivers/cxl/core/features.c) and the
 * target cannot count them: nothing can leak. A target that counts still runs
 * the test (what it offers decides; the profile only adds knowledge).
 */
async function perDescriptor(t: Fixture): Promise<void> {
  const { profile } = await t.device();
  if (!profile.resources.perDescriptor && !t.target.parts.resources) t.skip(`not applicable: ${profile.id} holds no firmware resources per descriptor`);
}

/** While held: more than the baseline where the profile says descriptors hold resources, else at least the baseline. */
function expectHeld(during: number, baseline: number, holds: boolean, what: string): void {
  if (holds) expect(during, what).to.be.greaterThan(baseline);
  else expect(during, what).to.be.at.least(baseline);
}

/** Open a descriptor in `proc` and make it hold what it can: its context, what a first RPC takes, and an object when the device has them. */
async function holdResources(t: Fixture, proc: TargetProcess): Promise<number> {
  const dev = await t.device();
  const fd = await t.open(proc);
  // Whether it succeeds is other rules' business: here only what it takes counts.
  await t.send(fd, dev.benign, scopeValue(dev.benign.minScope), { proc });
  const own = dev.profile.ownObjects;
  if (own) {
    const alloc = dev.commands.find((c) => c.name === own.alloc)!;
    await t.sendOk(fd, alloc, scopeValue(alloc.minScope), { proc });
  }
  return fd;
}

describe('lifecycle', () => {
  check('lifecycle.release-on-close', 'closing a descriptor frees the firmware resources it held', { requires: ['resources'], exclusive: 'device', applies: perDescriptor }, async (t) => {
    const resources = await counter(t);
    const baseline = await resources.count();
    const fd = await holdResources(t, t.target);
    expectHeld(await resources.count(), baseline, resources.holds, 'resources while the descriptor is open');
    await t.close(fd);
    expect(await resources.count(), 'resources after close').to.equal(baseline);
  });

  check('lifecycle.release-on-exit', 'a process dying with a descriptor open frees its firmware resources', { requires: ['resources', 'processes'], exclusive: 'device', applies: perDescriptor }, async (t) => {
    const resources = await counter(t);
    const baseline = await resources.count();
    const child = await t.part('processes').spawn();
    await holdResources(t, child);
    expectHeld(await resources.count(), baseline, resources.holds, 'resources while the child holds a descriptor');
    await child.exit();
    expect(await resources.count(), 'resources after the child died').to.equal(baseline);
  });

  check('lifecycle.churn', '300 open/RPC/close cycles all succeed: nothing is exhausted', { exclusive: 'device', timeoutMs: 60_000 }, async (t) => {
    const { command, scope } = await t.benign();
    for (let i = 0; i < 300; i++) {
      const fd = await t.open();
      await t.sendOk(fd, command, scope);
      await t.close(fd);
    }
  });

  check('lifecycle.unregister-releases', 'unregistering with a descriptor open frees its firmware resources', { requires: ['resources', 'hotplug'], exclusive: 'device', applies: perDescriptor }, async (t) => {
    const resources = await counter(t);
    const hotplug = t.part('hotplug');
    const baseline = await resources.count();
    await holdResources(t, t.target);
    expectHeld(await resources.count(), baseline, resources.holds, 'resources while the descriptor is open');
    await hotplug.unregister();
    try {
      expect(await resources.count(), 'resources after unregister').to.equal(baseline);
    } finally {
      await hotplug.register();
    }
  });
});
