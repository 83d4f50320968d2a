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
 * Not applicable when a descriptor holds no firmware resources (e.g. CXL:
 * cxlctl_open_uctx allocates nothing, drivers/cxl/core/features.c), asked
 * before the parts: then nothing can leak, whether or not the target counts.
 */
async function perDescriptor(t: Fixture): Promise<void> {
  const { profile } = await t.device();
  if (!profile.resources.perDescriptor) t.skip(`not applicable: ${profile.id} holds no firmware resources per descriptor`);
}

/** The resource counter (check() has made sure the target has it). */
async function countable(t: Fixture): Promise<{ count: () => Promise<number> }> {
  return t.part('resources');
}

/** Open a descriptor in `proc` and make it hold what it can: its context, and an object when the device has them. */
async function holdResources(t: Fixture, proc: TargetProcess): Promise<number> {
  const dev = await t.device();
  const fd = await t.open(proc);
  const own = dev.profile.ownObjects;
  if (own) {
    const alloc = dev.commands.find((c) => c.name === own.alloc)!;
    await t.sendOk(fd, alloc, scopeValue(alloc.minScope), { proc });
  }
  return fd;
}

describe('lifecycle', () => {
  check('lifecycle.release-on-close', 'closing a descriptor frees the firmware resources it held', { requires: ['resources'], exclusive: 'device', applies: perDescriptor }, async (t) => {
    const resources = await countable(t);
    const baseline = await resources.count();
    const fd = await holdResources(t, t.target);
    expect(await resources.count(), 'resources while the descriptor is open').to.be.greaterThan(baseline);
    await t.close(fd);
    expect(await resources.count(), 'resources after close').to.equal(baseline);
  });

  check('lifecycle.release-on-exit', 'a process dying with a descriptor open frees its firmware resources', { requires: ['resources', 'processes'], exclusive: 'device', applies: perDescriptor }, async (t) => {
    const resources = await countable(t);
    const baseline = await resources.count();
    const child = await t.part('processes').spawn();
    await holdResources(t, child);
    expect(await resources.count(), 'resources while the child holds a descriptor').to.be.greaterThan(baseline);
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
    const resources = await countable(t);
    const hotplug = t.part('hotplug');
    const baseline = await resources.count();
    await holdResources(t, t.target);
    expect(await resources.count(), 'resources while the descriptor is open').to.be.greaterThan(baseline);
    await hotplug.unregister();
    try {
      expect(await resources.count(), 'resources after unregister').to.equal(baseline);
    } finally {
      await hotplug.register();
    }
  });
});
