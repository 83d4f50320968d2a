/** FWCTL_INFO (digest §2 "FWCTL_INFO", I-1..I-7). */
import { expect } from 'chai';
import { UNMAPPED_ADDRESS } from '../../harness/targets/target.js';
import { DeviceType, INFO_SIZE, deviceTypeName } from '../../uapi/fwctl.js';
import { pluginDeviceTypeValues } from '../../harness/plugins/registry.js';
import { check } from '../support/check.js';
import { expectErrno, expectOk, rawInfo } from '../support/uapi.js';

describe('uapi/info', () => {
  check('uapi.info.flags', 'non-zero flags give EOPNOTSUPP', async (t) => {
    const fd = await t.open();
    for (const flags of [1, 0x80000000]) {
      expectErrno((await rawInfo(t, fd, { flags })).res, 'EOPNOTSUPP', `flags 0x${flags.toString(16)}`);
    }
  });

  check('uapi.info.no-info-op', 'without a driver info op the device data is zero-filled and its length is 0', async (t) => {
    const { profile } = await t.device();
    if (profile.info.hasInfoOp) t.skip(`not applicable: ${profile.deviceType} has an info op (I-3 applies)`);
    const fd = await t.open();
    const data = t.alloc(Buffer.alloc(16, 0xee));
    const { res, after } = await rawInfo(t, fd, { device_data_len: 16, out_device_data: data.addr });
    expectOk(res, 'FWCTL_INFO with 16 bytes of device data');
    expect([...data.bytes], 'device data bytes').to.deep.equal(new Array(16).fill(0));
    expect(after.device_data_len, 'device_data_len out').to.equal(0);
  });

  check('uapi.info.data-fault', 'an unmapped device-data pointer with a non-zero length gives EFAULT', async (t) => {
    const fd = await t.open();
    const { res } = await rawInfo(t, fd, { device_data_len: 16, out_device_data: UNMAPPED_ADDRESS });
    expectErrno(res, 'EFAULT', 'FWCTL_INFO writing to an unmapped buffer');
  });

  // I-2 and I-3 alike: without an info op the driver's data is empty (clear_user), with one it is copy_to_user_zero_pad.
  check('uapi.info.bounds', 'nothing is written past device_data_len, the rest past the driver\'s data is zero-filled, and the driver\'s length is reported (I-2, I-3)', async (t) => {
    const fd = await t.open();
    // A length well past the driver's data: the bytes after it must be zeros, the bytes past the caller's length untouched.
    const LEN = 256;
    const SLACK = 16;
    const big = t.alloc(Buffer.alloc(LEN + SLACK, 0xee));
    const full = await rawInfo(t, fd, { device_data_len: LEN, out_device_data: big.addr });
    expectOk(full.res, `FWCTL_INFO with ${LEN} bytes of device data`);
    const driverLen = full.after.device_data_len;
    expect(big.bytes.subarray(Math.min(driverLen, LEN), LEN).every((b) => b === 0), `bytes ${driverLen}..${LEN} (past the driver's ${driverLen}) zero-filled`).to.equal(true);
    expect(big.bytes.subarray(LEN).every((b) => b === 0xee), `bytes past the caller's ${LEN} untouched`).to.equal(true);
    // Shorter than the driver's data: the copy stops at the caller's length, which still reports the driver's.
    for (const len of [...new Set([1, driverLen - 1])].filter((n) => n > 0 && n < driverLen)) {
      const buf = t.alloc(Buffer.alloc(len + SLACK, 0xee));
      const short = await rawInfo(t, fd, { device_data_len: len, out_device_data: buf.addr });
      expectOk(short.res, `FWCTL_INFO with ${len} bytes of device data`);
      expect(short.after.device_data_len, `device_data_len reported for a ${len}-byte buffer`).to.equal(driverLen);
      expect([...buf.bytes.subarray(0, len)], `the first ${len} bytes`).to.deep.equal([...big.bytes.subarray(0, len)]);
      expect(buf.bytes.subarray(len).every((b) => b === 0xee), `bytes past the caller's ${len} untouched`).to.equal(true);
    }
  });

  check('uapi.info.zero-length', 'device_data_len 0 never touches the buffer and reports length 0', async (t) => {
    const fd = await t.open();
    const unmapped = await rawInfo(t, fd, { device_data_len: 0, out_device_data: UNMAPPED_ADDRESS });
    expectOk(unmapped.res, 'FWCTL_INFO, length 0, unmapped pointer');
    expect(unmapped.after.device_data_len, 'device_data_len out').to.equal(0);
    const sentinel = t.alloc(Buffer.alloc(16, 0xee));
    const mapped = await rawInfo(t, fd, { device_data_len: 0, out_device_data: sentinel.addr });
    expectOk(mapped.res, 'FWCTL_INFO, length 0, mapped pointer');
    expect(sentinel.bytes.every((b) => b === 0xee), 'buffer untouched').to.equal(true);
  });

  check('uapi.info.device-type', 'out_device_type names the driver\'s device type', async (t) => {
    const fd = await t.open();
    const { res, after } = await rawInfo(t, fd, {});
    expectOk(res, 'FWCTL_INFO');
    const expected = t.target.description.expectedDeviceType;
    if (expected !== undefined) {
      expect(deviceTypeName(after.out_device_type), 'out_device_type').to.equal(deviceTypeName(expected));
    } else {
      expect(after.out_device_type, 'out_device_type').to.not.equal(DeviceType.ERROR);
      // A driver not upstream claims a new value: a plugin declares it (docs/plugins.md).
      expect([...Object.values(DeviceType), ...pluginDeviceTypeValues()], 'out_device_type is a uAPI enum value or one a plugin declares').to.include(after.out_device_type);
    }
  });

  check('uapi.info.writeback', 'success copies back min(size, 24) bytes; size and flags unchanged', async (t) => {
    const fd = await t.open();
    // Each probe's success is another rule's business (D-5): check the ones that succeeded.
    const probes = [
      // size 24 in a 32-byte buffer: bytes 24..31 are not the struct's
      { what: 'size 24, sentinel after', size: INFO_SIZE, bufferSize: 32, tail: Buffer.alloc(8, 0x5a) },
      // size 32, zero tail: the kernel writes 24 bytes, so the tail stays zero
      { what: 'size 32, zero tail', size: 32, bufferSize: 32, tail: Buffer.alloc(8) },
    ];
    let succeeded = 0;
    for (const p of probes) {
      const { res, after, buf } = await rawInfo(t, fd, { size: p.size }, { bufferSize: p.bufferSize, tail: p.tail });
      if (res.ret !== 0) continue;
      succeeded++;
      expect(after.size, `size (${p.what})`).to.equal(p.size);
      expect(after.flags, `flags (${p.what})`).to.equal(0);
      expect([...buf.bytes.subarray(INFO_SIZE)], `bytes past 24 (${p.what})`).to.deep.equal([...p.tail]);
    }
    expect(succeeded, 'probes that succeeded').to.be.greaterThan(0);
  });

  check('uapi.info.no-writeback-on-error', 'a failed FWCTL_INFO leaves the caller\'s struct untouched', async (t) => {
    const fd = await t.open();
    const data = t.alloc(16);
    // Two error paths; which errno each gives is other rules' business (I-1, I-2/I-3).
    const probes = [
      { what: 'flags 1', fields: { flags: 1, out_device_data: data.addr } },
      { what: 'unmapped device data', fields: { out_device_data: UNMAPPED_ADDRESS } },
    ];
    let failed = 0;
    for (const p of probes) {
      const { res, after } = await rawInfo(t, fd, { ...p.fields, out_device_type: 0xaaaa, device_data_len: 16 });
      if (res.ret === 0) continue;
      failed++;
      expect(after.out_device_type, `out_device_type after ${p.what} (${res.errno})`).to.equal(0xaaaa);
      expect(after.device_data_len, `device_data_len after ${p.what} (${res.errno})`).to.equal(16);
    }
    expect(failed, 'error paths provoked').to.be.greaterThan(0);
  });
});
