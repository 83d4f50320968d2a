/** open, close and unregister (digest §2 O-1, O-2, O-4, O-5, D-6). */
import { expect } from 'chai';
import { SyscallError, type SyscallResult } from '../../harness/targets/target.js';
import { INFO_SIZE, Scope } from '../../uapi/fwctl.js';
import { check } from '../support/check.js';
import type { Fixture } from '../support/fixture.js';
import { expectErrno, expectOk, rawInfo, rpc } from '../support/uapi.js';

/** Unbind the device for `body`, and always bind it again afterwards. */
async function whileUnregistered(t: Fixture, body: () => Promise<void>): Promise<void> {
  const hotplug = t.part('hotplug');
  await hotplug.unregister();
  try {
    await body();
  } finally {
    await hotplug.register();
  }
}

describe('uapi/lifecycle', () => {
  check('uapi.open.no-capability', 'open() needs no capability: a process without CAP_SYS_RAWIO opens and queries', { requires: ['credentials'] }, async (t) => {
    const proc = await t.withoutRawio();
    const fd = await t.open(proc);
    expectOk((await rawInfo(t, fd, {}, { proc })).res, 'FWCTL_INFO without CAP_SYS_RAWIO');
  });

  check('uapi.open.independent-contexts', 'each open() has its own context: closing one descriptor leaves another working', async (t) => {
    const { input, outLen, scope } = await t.benign();
    const a = await t.open();
    const b = await t.open();
    expectOk((await rpc(t, a, scope, input, outLen)).res, 'RPC on descriptor A');
    expectOk((await rpc(t, b, scope, input, outLen)).res, 'RPC on descriptor B');
    expectOk(await t.close(a), 'close A');
    expectOk((await rpc(t, b, scope, input, outLen)).res, 'RPC on B after closing A');
    expectOk((await rawInfo(t, b, {})).res, 'FWCTL_INFO on B after closing A');
  });

  check('uapi.unregister.enodev', 'after unregister, ioctls on open descriptors give ENODEV, close succeeds and the node is gone', { requires: ['hotplug'], exclusive: 'device' }, async (t) => {
    const { input, outLen, scope } = await t.benign();
    const fd = await t.open();
    let reopen: unknown;
    await whileUnregistered(t, async () => {
      expectErrno((await rawInfo(t, fd, {})).res, 'ENODEV', 'FWCTL_INFO on an orphaned descriptor');
      expectErrno((await rpc(t, fd, scope, input, outLen)).res, 'ENODEV', 'FWCTL_RPC on an orphaned descriptor');
      expectOk(await t.close(fd), 'close of an orphaned descriptor');
      reopen = await t.open().catch((e: unknown) => e);
    });
    expect(reopen, 'open() of an unregistered device fails').to.be.instanceOf(SyscallError);
  });

  check('uapi.unregister.check-order', 'a malformed struct gets the same EINVAL/E2BIG on an orphaned descriptor as on a live one (D-6 after D-4, D-5)', { requires: ['hotplug'], exclusive: 'device' }, async (t) => {
    const fd = await t.open();
    const probes = [
      { what: 'size 8', fields: { size: 8 }, opts: { bufferSize: INFO_SIZE } },
      { what: 'non-zero tail', fields: { size: 32 }, opts: { tail: Buffer.alloc(8, 1) } },
    ];
    // What a live descriptor gives is D-4/D-5's business; this rule is about the order.
    const live: SyscallResult[] = [];
    for (const p of probes) live.push((await rawInfo(t, fd, p.fields, p.opts)).res);
    let compared = 0;
    await whileUnregistered(t, async () => {
      for (const [i, p] of probes.entries()) {
        if (live[i]!.ret === 0) continue;
        compared++;
        const orphaned = (await rawInfo(t, fd, p.fields, p.opts)).res;
        expectErrno(orphaned, live[i]!.errno!, `${p.what} on an orphaned descriptor`);
      }
      // Closed before the device comes back, so it keeps its number (O-5) and need not be renumbered after.
      expectOk(await t.close(fd), 'close of the orphaned descriptor');
    });
    expect(compared, 'malformed probes rejected on a live descriptor').to.be.greaterThan(0);
  });

  check('uapi.devnum.no-reuse-while-open', 'an unplugged device\'s number is not reused while a descriptor on it is open', { requires: ['hotplug'], exclusive: 'device' }, async (t) => {
    const hotplug = t.part('hotplug');
    const fd = await t.open();
    const before = await hotplug.current();
    await hotplug.unregister();
    const during = await hotplug.register();
    expect(during, `new device while ${before} has an open descriptor`).to.not.equal(before);
    await t.close(fd);
  });
});
