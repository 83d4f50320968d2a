/**
 * Coupling: fwctl configuration reaches the kernel driver only through a
 * function reset, and fwctl cannot reach the kernel driver's own objects
 * (fwctl.rst "Scope of Action", "Denied behavior"; seeds/000).
 */
import { expect } from 'chai';
import { scopeValue } from '../../harness/profiles/profile.js';
import { scopeName } from '../../uapi/fwctl.js';
import { catalogue, forEachItem } from '../support/catalogue.js';
import { check } from '../support/check.js';

describe('coupling', () => {
  const dev = catalogue();

  forEachItem('coupling.config-after-reset', (dev?.commands ?? []).filter((x) => x.config), 'no catalogued command writes configuration the kernel driver reads', (c) => {
    check('coupling.config-after-reset', `${c.name} changes ${c.config!.key} only at the next function reset`, { variant: c.name, requires: ['kernelDriver', 'functionReset'], exclusive: 'device' }, async (t) => {
      t.allow('destructive');
      if (scopeValue(c.minScope) >= 2) t.allow('taint');
      const kernel = t.part('kernelDriver');
      const key = c.config!.key;
      const before = (await kernel.liveConfig())[key];
      const value = c.config!.values.find((v) => v !== before)!;
      const fd = await t.open();
      await t.sendOk(fd, c, scopeValue(c.minScope), { params: { value } });
      expect((await kernel.liveConfig())[key], `${key} the kernel driver sees before a reset`).to.equal(before);
      await t.part('functionReset').reset();
      expect((await kernel.liveConfig())[key], `${key} the kernel driver sees after the reset`).to.equal(value);
    });
  });

  // Whether this runs is the target's to say (it offers kernelDriver); the profile's `config` only says which values to write.
  check('coupling.config-after-reset', 'no catalogued command changes what the kernel driver sees live, short of a function reset', { requires: ['kernelDriver'], exclusive: 'device' }, async (t) => {
    const d = t.target.description;
    const writes = (await t.device()).commands.filter((c) => c.effects !== 'read-only' && c.effects !== 'debug-read' && (scopeValue(c.minScope) < 2 || d.allows.taint));
    if (!writes.length) return t.skip('not applicable: the profile catalogues no command that writes');
    t.allow('destructive');
    const kernel = t.part('kernelDriver');
    const before = await kernel.liveConfig();
    const fd = await t.open();
    for (const c of writes) {
      const value = c.config?.values.find((v) => v !== before[c.config!.key]);
      // Whether the command works is other rules' business; only what the kernel driver sees counts here.
      await t.send(fd, c, scopeValue(c.minScope), { params: value === undefined ? {} : { value } });
      expect(await kernel.liveConfig(), `what the kernel driver sees live after ${c.name}`).to.deep.equal(before);
    }
  });

  // Who refuses is the profile's kernelObjects.refusal, from the driver's source: where the kernel
  // driver itself keeps the object (CXL's kernel-exclusive features: EINVAL/EPERM in
  // drivers/cxl/core/features.c; bnxt's and mlx5's allow-lists) a device status, even an error,
  // means the request reached the device. Where only the firmware knows the owner (mlx5's uid,
  // pds_core's queues) a status error is the refusal. refusal.errnos, when given, are the errnos of the
  // kernel's own check: another errno (EIO, say) may be a device's refusal turned into one.
  check('coupling.kernel-objects-unreachable', 'requests aimed at objects the kernel driver owns are refused and change nothing', async (t) => {
    const { profile } = await t.device();
    const ko = profile.kernelObjects;
    if (!ko) return t.skip(`not applicable: ${profile.id} names no kernel-owned objects`);
    const byKernel = ko.refusal?.by === 'kernel';
    const errnos = ko.refusal?.errnos;
    const ids: (number | undefined)[] = t.target.parts.kernelDriver ? await t.target.parts.kernelDriver.ownedObjects() : [];
    const state = t.target.parts.deviceState;
    const fd = await t.open();
    for (const probe of ko.probes) {
      for (const objectId of ids.length ? ids : [undefined]) {
        for (const s of t.scopes(scopeValue(ko.minScope ?? 'CONFIGURATION')).filter((x) => x < 2 || t.target.description.allows.taint)) {
          const before = await state?.digest();
          const r = await t.send(fd, probe, s, { params: objectId === undefined ? {} : { objectId } });
          const what = `${probe.name}${objectId === undefined ? '' : ` on object ${objectId}`} at ${scopeName(s)}`;
          expect(r.res.ret === 0 && r.status?.ok, `${what} was carried out (${r.status?.status})`).to.not.equal(true);
          if (byKernel) {
            expect(r.res.ret, `${what} reached the device: ioctl ret 0 with device status ${r.status?.status}, where ${profile.id} says the kernel driver refuses it itself with an errno`).to.not.equal(0);
            if (errnos) expect(r.res.errno, `${what}: errno (${profile.id} kernelObjects.refusal.errnos)`).to.be.oneOf(errnos);
          }
          if (state) expect(await state.digest(), `device state after ${what}`).to.equal(before);
        }
      }
    }
  });
});
