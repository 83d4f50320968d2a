/**
 * Sharing: fwctl is non-exclusive, descriptors are isolated from each other,
 * and fwctl never blocks the kernel subsystem (fwctl.rst "Sharing with kernel
 * subsystems"; seeds/000).
 */
import { expect } from 'chai';
import { scopeValue, type Command } from '../../harness/profiles/profile.js';
import { check } from '../support/check.js';
import type { Device } from '../support/device.js';
import { steadyPayload } from '../support/layout.js';

/** A response's payload as hex, with what differs between identical calls blanked. */
const stable = (dev: Device, c: Command, response: Buffer) => steadyPayload(dev, c, response).toString('hex');

describe('sharing', () => {
  check('sharing.many-descriptors', '32 descriptors open at once each serve RPCs', async (t) => {
    const { command, scope } = await t.benign();
    const fds: number[] = [];
    for (let i = 0; i < 32; i++) fds.push(await t.open());
    for (const fd of fds) await t.sendOk(fd, command, scope);
  });

  check('sharing.no-cross-talk', 'interleaved RPCs on two descriptors each get their own answer', async (t) => {
    const dev = await t.device();
    const a = await t.open();
    const b = await t.open();
    const own = dev.profile.ownObjects;
    if (own) {
      const [alloc, query] = [own.alloc, own.query].map((n) => dev.commands.find((c) => c.name === n)!) as [Command, Command];
      const ids: number[] = [];
      for (const fd of [a, b]) ids.push(dev.codec.objectId!(dev.codec.payload((await t.sendOk(fd, alloc, scopeValue(alloc.minScope))).response)));
      const calls = [a, b, a, b, a, b].map((fd, i) => t.send(fd, query, scopeValue(query.minScope), { params: { objectId: ids[i % 2] } }));
      for (const [i, r] of (await Promise.all(calls)).entries()) {
        expect(r.res.ret === 0 && r.status?.ok, `query ${i + 1} of its own object on descriptor ${i % 2 ? 'B' : 'A'} (${r.status?.status ?? r.res.errno})`).to.equal(true);
      }
      return;
    }
    const probes = dev.commands.filter((c) => c.safeProbe && c.minScope === dev.benign.minScope).slice(0, 2);
    const [c1, c2 = c1] = probes as [Command, Command?];
    const scope = scopeValue(c1.minScope);
    const solo = [stable(dev, c1, (await t.sendOk(a, c1, scope)).response), stable(dev, c2!, (await t.sendOk(b, c2!, scope)).response)];
    const calls = [0, 1, 0, 1, 0, 1].map((i) => t.send(i ? b : a, i ? c2! : c1, scope));
    for (const [i, r] of (await Promise.all(calls)).entries()) {
      expect(r.status?.ok, `interleaved call ${i + 1}`).to.equal(true);
      expect(stable(dev, i % 2 ? c2! : c1, r.response), `response ${i + 1} equals the command's own answer`).to.equal(solo[i % 2]);
    }
  });

  check('sharing.isolated-resources', 'one descriptor cannot read or free another descriptor\'s object', async (t) => {
    const dev = await t.device();
    const own = dev.profile.ownObjects;
    if (!own) return t.skip(`not applicable: ${dev.profile.id} has no per-descriptor objects`);
    const [alloc, query, free] = [own.alloc, own.query, own.free].map((n) => dev.commands.find((c) => c.name === n)!) as [Command, Command, Command];
    const a = await t.open();
    const b = await t.open();
    const id = dev.codec.objectId!(dev.codec.payload((await t.sendOk(a, alloc, scopeValue(alloc.minScope))).response));
    for (const c of [query, free]) {
      const r = await t.send(b, c, scopeValue(c.minScope), { params: { objectId: id } });
      expect(r.res.ret === 0 && r.status?.ok, `${c.name} of A's object ${id} from descriptor B (${r.status?.status ?? r.res.errno})`).to.not.equal(true);
    }
    await t.sendOk(a, query, scopeValue(query.minScope), { params: { objectId: id } });
  });

  check('sharing.kernel-not-blocked', 'the kernel driver\'s own use of a command works while fwctl descriptors are open and busy', { requires: ['kernelDriver'], exclusive: 'device' }, async (t) => {
    const { command, scope } = await t.benign();
    const fd = await t.open();
    await t.sendOk(fd, command, scope);
    const use = await t.part('kernelDriver').use(command.name);
    expect(use.ok, `kernel driver's ${command.name}: ${use.detail}`).to.equal(true);
  });
});
