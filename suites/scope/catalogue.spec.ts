/**
 * Scope: every catalogued command against every scope (fwctl.rst "Scope of
 * Action"; digest §3). One test per command, generated from the profile.
 */
import { expect } from 'chai';
import { EFFECTS_FLOOR, scopeValue, type Command } from '../../harness/profiles/profile.js';
import { scopeName } from '../../uapi/fwctl.js';
import { catalogue, forEachItem } from '../support/catalogue.js';
import { check } from '../support/check.js';
import type { Fixture } from '../support/fixture.js';
import { expectErrno } from '../support/uapi.js';

/** Mutating scopes taint, and writes change the device: on real hardware only when unlocked. */
function mayUse(t: Fixture, c: Command, scope: number): boolean {
  const d = t.target.description;
  if (scope >= 2 && !d.allows.taint) return false;
  if (scope === 3 && d.capSysRawio === false) return false;
  return c.effects === 'read-only' || c.effects === 'debug-read' || d.allows.destructive;
}

describe('scope', () => {
  const dev = catalogue();
  const commands = dev?.commands ?? [];

  forEachItem('scope.rejected-below-minimum', commands.filter((x) => scopeValue(x.minScope) > 0), 'every catalogued command is allowed at CONFIGURATION', (c) => {
    check('scope.rejected-below-minimum', `${c.name} is rejected below ${c.minScope}`, { variant: c.name }, async (t) => {
      const { profile } = await t.device();
      const state = t.target.parts.deviceState;
      const fd = await t.open();
      for (const s of t.scopes().filter((x) => x < scopeValue(c.minScope))) {
        const before = await state?.digest();
        expectErrno((await t.send(fd, c, s)).res, profile.rejections.belowScope, `${c.name} at ${scopeName(s)}`);
        // Refused means refused before the firmware ran it (an errno alone cannot tell).
        if (state) expect(await state.digest(), `device state after ${c.name} was refused at ${scopeName(s)}`).to.equal(before);
      }
    });
  });

  for (const c of commands) {
    check('scope.accepted-at-and-above', `${c.name} is accepted at ${c.minScope} and every scope above`, { variant: c.name }, async (t) => {
      const fd = await t.open();
      const scopes = t.scopes(scopeValue(c.minScope)).filter((s) => mayUse(t, c, s));
      if (!scopes.length) t.skip(`not unlocked: ${c.name} at ${c.minScope} needs --allow-taint/--allow-destructive`);
      for (const s of scopes) await t.sendOk(fd, c, s);
    });

  }

  forEachItem('scope.effects-floor', commands.filter((x) => scopeValue(EFFECTS_FLOOR[x.effects]) > 0), 'no catalogued command has effects that need more than CONFIGURATION', (c) => {
    check('scope.effects-floor', `${c.name} (${c.effects}) is never accepted below ${EFFECTS_FLOOR[c.effects]}`, { variant: c.name }, async (t) => {
      const fd = await t.open();
      const floor = scopeValue(EFFECTS_FLOOR[c.effects]);
      // Only scopes below the floor matter; none of them may accept the command.
      for (const s of t.scopes().filter((x) => x < floor)) {
        const r = await t.send(fd, c, s);
        expect(r.res.ret === 0 && r.status?.ok, `${c.name} accepted at ${scopeName(s)}, below its effects floor`).to.not.equal(true);
      }
    });
  });

  forEachItem('scope.read-only-honest', commands.filter((x) => x.effects === 'read-only' || x.effects === 'debug-read'), 'no catalogued command is declared read-only', (c) => {
    // Alone on a shared device: another test's write between the two digests would read as this command's.
    check('scope.read-only-honest', `${c.name}, declared ${c.effects}, changes no device state`, { variant: c.name, requires: ['deviceState'], exclusive: 'device' }, async (t) => {
      const state = t.part('deviceState');
      const fd = await t.open();
      const before = await state.digest();
      // Whether the command works is scope.accepted-at-and-above's business; here only its traces count.
      await t.send(fd, c, scopeValue(c.minScope));
      await t.send(fd, c, scopeValue(c.minScope));
      expect(await state.digest(), `device state after ${c.name}`).to.equal(before);
    });
  });

  // The read-only checks above prove "no change" by an equal digest; a digest blind to writes would
  // prove nothing (a frozen digest passes them all). So the digest must be seen to move when a
  // catalogued write is accepted. Found by `fwctl-cts mutate` (operator state-digest-frozen).
  const writes = commands.filter((x) => x.effects !== 'read-only' && x.effects !== 'debug-read');
  if (writes.length) {
    const ws = writes;
    check('scope.read-only-honest', 'the device-state digest changes when a catalogued write is accepted', { variant: 'digest-sees-writes', requires: ['deviceState'], exclusive: 'device' }, async (t) => {
      const state = t.part('deviceState');
      const usable = ws.filter((c) => mayUse(t, c, scopeValue(c.minScope)));
      if (!usable.length) t.skip(`not unlocked: the catalogued writes (${ws.map((c) => c.name).join(', ')}) need --allow-taint/--allow-destructive`);
      const fd = await t.open();
      const tried: string[] = [];
      for (const c of usable) {
        // Two different values, since writing the value a device already holds changes nothing
        // (cxl_test's feature starts at the profile's own 0xabcdabcd); the profile's own goes last,
        // which also puts the device back as other tests expect it.
        let accepted = false;
        let moved = false;
        for (const params of [{ value: 0x5a5a5a5a }, {}]) {
          const before = await state.digest();
          const r = await t.send(fd, c, scopeValue(c.minScope), { params });
          if (r.res.ret !== 0 || !r.status?.ok) continue;
          accepted = true;
          if ((await state.digest()) !== before) moved = true;
        }
        if (moved) return;
        if (accepted) tried.push(c.name);
      }
      if (!tried.length) t.skip(`no catalogued write was accepted (${usable.map((c) => c.name).join(', ')}): scope.accepted-at-and-above says why`);
      expect.fail(`the device-state digest did not change after the accepted writes ${tried.join(', ')}: it cannot show that a read-only command changed nothing`);
    });
  }

  forEachItem('scope.uncatalogued-denied', dev?.profile.uncatalogued ?? [], 'the profile lists no uncatalogued probe', (probe) => {
    check('scope.uncatalogued-denied', `${probe.name} (not catalogued) is denied at every scope`, { variant: probe.name }, async (t) => {
      const { profile } = await t.device();
      const state = t.target.parts.deviceState;
      const fd = await t.open();
      for (const s of t.scopes().filter((x) => x < 2 || t.target.description.allows.taint)) {
        const before = await state?.digest();
        expectErrno((await t.send(fd, probe, s)).res, profile.rejections.uncatalogued, `${probe.name} at ${scopeName(s)}`);
        if (state) expect(await state.digest(), `device state after ${probe.name} was denied at ${scopeName(s)}`).to.equal(before);
      }
    });
  });
});
