/**
 * Denied behaviour: nothing that overlaps another subsystem's data plane is
 * reachable through fwctl (fwctl.rst "Disallowed behavior"; seeds/000).
 */
import { expect } from 'chai';
import { scopeName } from '../../uapi/fwctl.js';
import { catalogue, forEachItem } from '../support/catalogue.js';
import { check } from '../support/check.js';

describe('denied', () => {
  forEachItem('denied.data-plane', catalogue()?.profile.denied ?? [], 'the profile lists no data-plane command', (probe) => {
    check('denied.data-plane', `${probe.name} (${probe.overlaps ?? 'data plane'}) is refused at every scope`, { variant: probe.name }, async (t) => {
      const state = t.target.parts.deviceState;
      const fd = await t.open();
      for (const s of t.scopes().filter((x) => x < 2 || t.target.description.allows.taint)) {
        const before = await state?.digest();
        const r = await t.send(fd, probe, s);
        expect(r.res.ret, `${probe.name} at ${scopeName(s)} reached the device (${r.status?.status})`).to.equal(-1);
        // A refusal that comes after the firmware ran the command is no refusal.
        if (state) expect(await state.digest(), `device state after ${probe.name} was refused at ${scopeName(s)}`).to.equal(before);
      }
    });
  });
});
