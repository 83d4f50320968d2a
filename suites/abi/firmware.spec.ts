/**
 * ABI across firmware versions: stable commands keep working and their
 * responses only grow; INFO device data likewise; a debug-scope command may
 * change, which is a notice (fwctl.rst "fwctl Driver design"; seeds/000).
 * Each test walks every consecutive pair of the target's firmware versions,
 * or, given an ABI baseline (`run --abi-baseline`: a snapshot taken before a
 * firmware or kernel update that cannot be undone), compares the record with
 * the device now.
 */
import { expect } from 'chai';
import type { DeviceRecord } from '../../harness/generated/snapshot.js';
import { scopeValue, type Command } from '../../harness/profiles/profile.js';
import { check } from '../support/check.js';
import { Device } from '../support/device.js';
import type { Fixture } from '../support/fixture.js';
import { blank, growthProblem, layoutOf, layoutPayload } from '../support/layout.js';
import { expectOk, rawInfo } from '../support/uapi.js';
import { MAX_RPC_LEN } from '../../uapi/fwctl.js';

/**
 * The caller buffer for an ABI read: room past the profile's outLen, so a
 * field a new firmware appends (or moves) beyond it is seen, not cut off.
 */
const abiOutLen = (c: Command) => Math.min(MAX_RPC_LEN, Math.max(2 * c.outLen, c.outLen + 256));

type Responses = Map<string, Buffer | undefined>;
type Pair = (v: string, next: string, a: Responses, b: Responses, dev: Device) => void;

/** The firmware switch; without one (or a baseline, which the caller tried first) the test skips. */
function firmwarePart(t: Fixture): NonNullable<Fixture['target']['parts']['firmware']> {
  const fw = t.target.parts.firmware;
  if (!fw) t.skip(t.target.unavailable?.abiBaseline ?? `target ${t.target.description.kind}: does not provide 'firmware' (nor an ABI baseline: run --abi-baseline with a snapshot taken before the update)`);
  return fw;
}

const describeRecord = (r: DeviceRecord) => [r.fw && `fw ${r.fw}`, r.kernel && `Linux ${r.kernel}`].filter(Boolean).join(', ');

/** Read one command's payload as ABI, with room to grow; undefined when it failed. */
async function readAbi(t: Fixture, fd: number, dev: Device, c: Command): Promise<Buffer | undefined> {
  const ok = (r: Awaited<ReturnType<Fixture['send']>>) => r.res.ret === 0 && r.status?.ok === true;
  // A device that refuses the larger buffer is read with the profile's.
  let r = await t.send(fd, c, scopeValue(c.minScope), { outLen: abiOutLen(c) });
  if (!ok(r)) r = await t.send(fd, c, scopeValue(c.minScope));
  return ok(r) ? layoutPayload(dev, c, r.response) : undefined;
}

/** Compare the baseline's responses with the device's now (one pair: then → now). */
async function againstBaseline(t: Fixture, file: string, record: DeviceRecord, commands: (dev: Device) => Command[], pair: Pair): Promise<void> {
  const now = await t.device();
  const then = Device.of(now.profile, record.fw);
  const before: Responses = new Map();
  for (const c of commands(then)) {
    const r = record.responses.find((x) => x.command === c.name);
    if (r) before.set(c.name, r.ret === 0 && r.ok ? layoutOf(then, c, Buffer.from(r.payload ?? '', 'hex')) : undefined);
  }
  if (!before.size) t.skip(`not applicable: ${file} holds no response of these commands`);
  const fd = await t.open();
  const after: Responses = new Map();
  for (const c of commands(now).filter((x) => before.has(x.name))) after.set(c.name, await readAbi(t, fd, now, c));
  await t.close(fd);
  const fw = t.target.description.fw;
  pair(`the baseline (${describeRecord(record) || file})`, `this device now${fw ? ` (fw ${fw})` : ''}`, before, after, then);
}

/** Switch to each firmware in turn (or use the baseline) and collect the payload of every command (undefined: it failed). */
async function walk(t: Fixture, commands: (dev: Device) => Command[], pair: Pair): Promise<void> {
  const baseline = t.target.parts.abiBaseline;
  if (baseline) return againstBaseline(t, baseline.file, await baseline.record(), commands, pair);
  const fw = firmwarePart(t);
  t.allow('destructive');
  const versions = await fw.versions();
  if (versions.length < 2) t.skip('not applicable: the device has a single firmware version');
  const original = await fw.current();
  const profile = (await t.device()).profile;
  const collect = async (v: string): Promise<{ dev: Device; responses: Responses }> => {
    await fw.switch(v);
    const dev = Device.of(profile, v);
    const fd = await t.open();
    const responses: Responses = new Map();
    for (const c of commands(dev)) responses.set(c.name, await readAbi(t, fd, dev, c));
    await t.close(fd);
    return { dev, responses };
  };
  try {
    let prev = await collect(versions[0]!);
    for (const v of versions.slice(1)) {
      const next = await collect(v);
      pair(prev.dev.fw!, v, prev.responses, next.responses, prev.dev);
      prev = next;
    }
  } finally {
    await fw.switch(original);
  }
}

const stableAt = (dev: Device) => dev.commands.filter((c) => c.stability === 'stable' && c.minScope !== 'DEBUG_WRITE_FULL');
const debugAt = (dev: Device) => dev.commands.filter((c) => c.stability === 'debug' && (c.effects === 'read-only' || c.effects === 'debug-read'));

describe('abi', () => {
  check('abi.stable-commands-kept', 'every stable command keeps working on the next firmware', { exclusive: 'device' }, async (t) => {
    await walk(t, stableAt, (v, next, a, b) => {
      for (const [name, resp] of a) {
        if (resp === undefined) continue; // not working at v: other rules' business
        expect(b.get(name), `${name} works on ${v} but not on ${next}`).to.not.equal(undefined);
      }
    });
  });

  check('abi.stable-responses-grow', 'stable responses only grow on the next firmware; debug-scope changes are noticed', { exclusive: 'device' }, async (t) => {
    await walk(t, (dev) => [...stableAt(dev), ...debugAt(dev)], (v, next, a, b, dev) => {
      for (const [name, resp] of a) {
        const after = b.get(name);
        if (!resp || !after) continue; // a command that stopped working is abi.stable-commands-kept's business
        const c = dev.commands.find((x) => x.name === name)!;
        const problem = growthProblem(resp, after, { growth: dev.codec.growth, reserved: c.reserved });
        if (!problem) continue;
        if (c.stability === 'debug') t.notice(`${name} (debug scope) changed from ${v} to ${next}: ${problem}`);
        else expect.fail(`${name} from ${v} to ${next}: ${problem}`);
      }
    });
  });

  check('abi.debug-commands-kept', 'debug-scope commands also keep working and only grow on the next firmware', { exclusive: 'device' }, async (t) => {
    let compared = 0;
    await walk(t, debugAt, (v, next, a, b, dev) => {
      for (const [name, resp] of a) {
        if (!resp) continue;
        compared++;
        const after = b.get(name);
        expect(after, `${name} works on ${v} but not on ${next}`).to.not.equal(undefined);
        const c = dev.commands.find((x) => x.name === name)!;
        const problem = growthProblem(resp, after!, { growth: dev.codec.growth, reserved: c.reserved });
        expect(problem, `${name} from ${v} to ${next}`).to.equal(undefined);
      }
    });
    if (!compared) t.skip('not applicable: no debug-scope read command');
  });

  check('abi.info-grows', 'FWCTL_INFO device data only grows on the next firmware', { exclusive: 'device' }, async (t) => {
    const { profile, codec } = await t.device();
    if (!profile.info.hasInfoOp || profile.info.dataLength === 0) return t.skip(`not applicable: ${profile.id} reports no device data`);
    // Per-descriptor bytes (mlx5's uid) are the codec's to name; the rest is a struct that grows at its end.
    const layout = (data: Uint8Array) => blank(data, codec.infoVolatile ?? []);
    const infoNow = async (what: string): Promise<Buffer> => {
      const fd = await t.open();
      const data = t.alloc(256);
      const { res, after } = await rawInfo(t, fd, { device_data_len: 256, out_device_data: data.addr });
      expectOk(res, `FWCTL_INFO on ${what}`);
      await t.close(fd);
      return layout(data.bytes.subarray(0, Math.min(after.device_data_len, 256)));
    };
    const baseline = t.target.parts.abiBaseline;
    if (baseline) {
      const record = await baseline.record();
      if (record.info.ret !== 0 || record.info.deviceData === undefined) return t.skip(`${baseline.file}: FWCTL_INFO failed when the snapshot was taken (${record.info.errno ?? 'no data'})`);
      const before = layout(Buffer.from(record.info.deviceData, 'hex'));
      expect(growthProblem(before, await infoNow('this device now')), `FWCTL_INFO device data since the baseline (${describeRecord(record)})`).to.equal(undefined);
      return;
    }
    const fw = firmwarePart(t);
    t.allow('destructive');
    const versions = await fw.versions();
    const original = await fw.current();
    try {
      let prev: Buffer | undefined;
      for (const v of versions) {
        await fw.switch(v);
        const next = await infoNow(v);
        if (prev) expect(growthProblem(prev, next), `FWCTL_INFO device data on ${v}`).to.equal(undefined);
        prev = next;
      }
    } finally {
      await fw.switch(original);
    }
  });
});
