/**
 * Sharing: fwctl is non-exclusive, descriptors are isolated from each other,
 * and fwctl never blocks the kernel subsystem (fwctl.rst "Sharing with kernel
 * subsystems"; seeds/000).
 */
import { expect } from 'chai';
import { scopeValue, type Command } from '../../harness/profiles/profile.js';
import { check } from '../support/check.js';
import { expectOk, rawInfo } from '../support/uapi.js';
import type { Device } from '../support/device.js';
import { steadyPayload } from '../support/layout.js';

/** A response's payload as hex, with what differs between identical calls blanked. */
const stable = (dev: Device, c: Command, response: Buffer) => steadyPayload(dev, c, response).toString('hex');

describe('sharing', () => {
  check('sharing.many-descriptors', '32 descriptors open at once each serve RPCs, also across processes', async (t) => {
    const { command, scope } = await t.benign();
    const fds: number[] = [];
    for (let i = 0; i < 32; i++) fds.push(await t.open());
    for (const fd of fds) await t.sendOk(fd, command, scope);
    // Non-exclusive means between processes too (fwctl.rst "Sharing"): two more, each with its own descriptors, while ours stay open.
    const processes = t.target.parts.processes;
    if (!processes) return;
    // Started together: a child may be a whole new process to start (an agent child takes seconds under an emulated CPU).
    const started = await Promise.allSettled([processes.spawn(), processes.spawn()]);
    const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const theirs = [];
      for (const proc of children) for (let i = 0; i < 2; i++) theirs.push({ proc, fd: await t.open(proc) });
      for (const [i, { proc, fd }] of theirs.entries()) {
        await t.sendOk(fd, command, scope, { proc });
        await t.sendOk(fds[i]!, command, scope);
      }
    } finally {
      for (const c of children) await c.exit().catch(() => undefined);
    }
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

  check('sharing.context-enforced', 'a request naming another descriptor\'s context still runs in the caller\'s own (the driver forces it)', async (t) => {
    const dev = await t.device();
    const ctx = dev.codec.context;
    if (!ctx) return t.skip(`not applicable: ${dev.profile.deviceType} requests carry no per-descriptor context`);
    const own = dev.profile.ownObjects;
    if (!own) return t.skip(`not applicable: ${dev.profile.id} has no per-descriptor objects to see a context by`);
    const [alloc, query] = [own.alloc, own.query].map((n) => dev.commands.find((c) => c.name === n)!) as [Command, Command];
    const a = await t.open();
    const b = await t.open();
    const data = t.alloc(64);
    const info = await rawInfo(t, a, { device_data_len: 64, out_device_data: data.addr });
    expectOk(info.res, 'FWCTL_INFO on A');
    const idA = ctx.fromInfo(Buffer.from(data.bytes.subarray(0, info.after.device_data_len)));
    // B allocates with A's context written into the request: the object must still be B's.
    const made = await t.sendOk(b, alloc, scopeValue(alloc.minScope), { rewrite: (input) => ctx.claim(input, idA) });
    const id = dev.codec.objectId!(dev.codec.payload(made.response));
    const fromA = await t.send(a, query, scopeValue(query.minScope), { params: { objectId: id } });
    expect(fromA.res.ret === 0 && fromA.status?.ok, `descriptor A reads object ${id} that B made naming A's context ${idA} (${fromA.status?.status ?? fromA.res.errno})`).to.not.equal(true);
    await t.sendOk(b, query, scopeValue(query.minScope), { params: { objectId: id } });
  });

  check('sharing.kernel-not-blocked', 'the kernel driver\'s own use of a command works while fwctl descriptors are open and busy, and after mutating RPCs', { requires: ['kernelDriver'], exclusive: 'device' }, async (t) => {
    const { command, scope } = await t.benign();
    const kernel = t.part('kernelDriver');
    const fd = await t.open();
    await t.sendOk(fd, command, scope);
    const use = await kernel.use(command.name);
    expect(use.ok, `kernel driver's ${command.name}: ${use.detail}`).to.equal(true);
    // Every mutating command the run may send: whether each works is other rules' business; the kernel must not be locked out after it.
    const d = t.target.description;
    const dev = await t.device();
    const writes = dev.commands.filter((c) => c.effects !== 'read-only' && c.effects !== 'debug-read' && d.allows.destructive && (scopeValue(c.minScope) < 2 || d.allows.taint));
    for (const c of writes) {
      await t.send(fd, c, scopeValue(c.minScope), { params: c.config ? { value: c.config.values[0] } : {} });
      const after = await kernel.use(command.name);
      expect(after.ok, `kernel driver's ${command.name} after ${c.name}: ${after.detail}`).to.equal(true);
    }
  });
});
