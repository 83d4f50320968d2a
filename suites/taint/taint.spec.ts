/**
 * Taint and capability (digest §2 R-1..R-3, §4). Every test here watches the
 * kernel-wide taint, so each is exclusive: nothing else runs on the device.
 */
import { expect } from 'chai';
import { Scope } from '../../uapi/fwctl.js';
import { check } from '../support/check.js';
import { expectErrno, expectOk, rpc } from '../support/uapi.js';

const WARNING = /: (\S+)\((\d+)\): has requested full access to the physical device/;

describe('taint', () => {
  check('taint.debug-write', 'a DEBUG_WRITE RPC sets TAINT_FWCTL (bit 19)', { requires: ['taint'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    const { input, outLen } = await t.benign();
    await t.untainted();
    const fd = await t.open();
    expectOk((await rpc(t, fd, Scope.DEBUG_WRITE, input, outLen)).res, 'DEBUG_WRITE RPC');
    expect(await t.tainted(), 'TAINT_FWCTL after DEBUG_WRITE').to.equal(true);
  });

  check('taint.low-scopes-clean', 'CONFIGURATION and DEBUG_READ_ONLY RPCs never taint', { requires: ['taint'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    const { input, outLen, scope: lowest } = await t.benign();
    await t.untainted();
    const fd = await t.open();
    for (const scope of [Scope.CONFIGURATION, Scope.DEBUG_READ_ONLY].filter((s) => s >= lowest)) {
      expectOk((await rpc(t, fd, scope, input, outLen)).res, `scope ${scope} RPC`);
      expect(await t.tainted(), `TAINT_FWCTL after scope ${scope}`).to.equal(false);
    }
  });

  check('taint.before-validation', 'a DEBUG_WRITE RPC taints even when the driver rejects it', { requires: ['taint'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    const { input } = await t.rejected();
    await t.untainted();
    const fd = await t.open();
    // the taint comes before the request is copied in or validated.
    const rejected = await rpc(t, fd, Scope.DEBUG_WRITE, input, 64);
    expect(rejected.res.ret, 'rejected DEBUG_WRITE RPC fails').to.equal(-1);
    expect(await t.tainted(), 'TAINT_FWCTL after a rejected DEBUG_WRITE RPC').to.equal(true);
  });

  check('taint.rawio-required', 'DEBUG_WRITE_FULL without CAP_SYS_RAWIO is EPERM for every command and does not taint', { requires: ['taint', 'credentials'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    const { command } = await t.benign();
    const dev = await t.device();
    await t.untainted();
    const proc = await t.withoutRawio();
    const fd = await t.open(proc);
    const state = t.target.parts.deviceState;
    // Every command accepted at DEBUG_WRITE_FULL (scopes are monotonic: all of them), one descriptor, one after another.
    const d = t.target.description;
    const commands = [command, ...dev.commands.filter((c) => c !== command && (c.safeProbe || d.allows.destructive))];
    for (const c of commands) {
      const before = await state?.digest();
      expectErrno((await t.send(fd, c, Scope.DEBUG_WRITE_FULL, { proc })).res, 'EPERM', `${c.name} at DEBUG_WRITE_FULL without CAP_SYS_RAWIO`);
      if (state) expect(await state.digest(), `device state after ${c.name} was refused EPERM`).to.equal(before);
    }
    expect(await t.tainted(), 'TAINT_FWCTL after the EPERMs').to.equal(false);
  });

  check('taint.full-with-rawio', 'DEBUG_WRITE_FULL with CAP_SYS_RAWIO is allowed and taints', { requires: ['taint'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    if (t.target.description.capSysRawio === false) t.skip('the harness runs without CAP_SYS_RAWIO');
    const { input, outLen } = await t.benign();
    await t.untainted();
    const fd = await t.open();
    expectOk((await rpc(t, fd, Scope.DEBUG_WRITE_FULL, input, outLen)).res, 'DEBUG_WRITE_FULL RPC');
    expect(await t.tainted(), 'TAINT_FWCTL after DEBUG_WRITE_FULL').to.equal(true);
  });

  check('taint.warn-once', 'the first mutating RPC logs one "full access" warning naming comm(pid); later ones, also after the device is re-registered, log none', { requires: ['taint', 'kernelLog'], exclusive: 'kernel', state: 'clean-kernel' }, async (t) => {
    const { input, outLen } = await t.benign();
    await t.untainted();
    const log = t.part('kernelLog');
    const before = (await log.read()).length;
    const warnings = async () => (await log.read()).slice(before).filter((l) => WARNING.test(l));
    let fd = await t.open();
    expectOk((await rpc(t, fd, Scope.DEBUG_WRITE, input, outLen)).res, 'DEBUG_WRITE RPC 1');
    // the warning comes with the first mutating RPC, not a later one.
    expect((await warnings()).length, 'full-access warnings after the first mutating RPC').to.equal(1);
    for (let i = 2; i <= 3; i++) expectOk((await rpc(t, fd, Scope.DEBUG_WRITE, input, outLen)).res, `DEBUG_WRITE RPC ${i}`);
    // fwctl_tainted is a module-wide bit: unbinding and binding the device does not re-arm it.
    const hotplug = t.target.parts.hotplug;
    if (hotplug) {
      await t.close(fd);
      await hotplug.unregister();
      await hotplug.register();
      fd = await t.open();
      expectOk((await rpc(t, fd, Scope.DEBUG_WRITE, input, outLen)).res, 'DEBUG_WRITE RPC on the re-registered device');
    }
    const logged = await warnings();
    expect(logged.length, `full-access warnings logged${hotplug ? ' (across re-registration)' : ''}: ${JSON.stringify(logged)}`).to.equal(1);
  });
});
