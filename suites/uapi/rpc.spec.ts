/** FWCTL_RPC delivery (digest §2 "FWCTL_RPC", R-1, R-2, R-4..R-8). Taint: suites/taint. */
import { expect } from 'chai';
import { UNMAPPED_ADDRESS } from '../../harness/targets/target.js';
import { MAX_RPC_LEN, RPC_SIZE, Scope } from '../../uapi/fwctl.js';
import { check } from '../support/check.js';
import { steadyOut } from '../support/layout.js';
import { expectErrno, expectOk, rawRpc, rpc } from '../support/uapi.js';

describe('uapi/rpc', () => {
  check('uapi.rpc.max-len', 'in_len or out_len above 2 MiB gives EMSGSIZE, before the scope check; exactly 2 MiB is not EMSGSIZE', { exclusive: 'kernel' }, async (t) => {
    const fd = await t.open();
    const { input, outLen, scope } = await t.benign();
    const big = Buffer.alloc(MAX_RPC_LEN + 1);
    input.copy(big);
    expectErrno((await rpc(t, fd, scope, big, outLen)).res, 'EMSGSIZE', 'in_len 2 MiB + 1');
    expectErrno((await rpc(t, fd, scope, input, MAX_RPC_LEN + 1, { outBufferSize: outLen })).res, 'EMSGSIZE', 'out_len 2 MiB + 1');
    // R-1 is the core's bound only: at exactly 2 MiB the request reaches the driver, whose verdict
    // (bnxt: EINVAL for in_len > 128) is its own business.
    const exact = await rpc(t, fd, scope, big.subarray(0, MAX_RPC_LEN), MAX_RPC_LEN);
    expect(exact.res.errno ?? 'success', 'in_len and out_len exactly 2 MiB').to.not.equal('EMSGSIZE');
    // R-1 comes before the scope check, so an oversized DEBUG_WRITE never taints.
    if (await t.canWatchTaint()) {
      expectErrno((await rpc(t, fd, Scope.DEBUG_WRITE, big, outLen)).res, 'EMSGSIZE', 'in_len 2 MiB + 1 at DEBUG_WRITE');
      expect(await t.tainted(), 'TAINT_FWCTL after an oversized DEBUG_WRITE RPC').to.equal(false);
    }
  });

  check('uapi.rpc.unknown-scope', 'a scope beyond DEBUG_WRITE_FULL gives EOPNOTSUPP', async (t) => {
    const { input, outLen } = await t.benign();
    const fd = await t.open();
    for (const scope of [4, 5, 0x7fffffff, 0xffffffff]) {
      expectErrno((await rpc(t, fd, scope, input, outLen)).res, 'EOPNOTSUPP', `scope 0x${scope.toString(16)}`);
    }
  });

  check('uapi.rpc.in-fault', 'an unmapped request pointer gives EFAULT', async (t) => {
    const { input, outLen } = await t.benign();
    const fd = await t.open();
    const out = t.alloc(outLen);
    const { res } = await rawRpc(t, fd, { in_len: input.length, out_len: outLen, in: UNMAPPED_ADDRESS, out: out.addr });
    expectErrno(res, 'EFAULT', 'request at an unmapped address');
  });

  check('uapi.rpc.driver-errno', 'a request the driver rejects fails with the driver\'s errno', async (t) => {
    const { input, errno } = await t.rejected();
    const fd = await t.open();
    for (const s of [Scope.CONFIGURATION, Scope.DEBUG_READ_ONLY]) {
      expectErrno((await rpc(t, fd, s, input, 64)).res, errno, `rejection at scope ${s}`);
    }
  });

  check('uapi.rpc.out-copy', 'the response is copied up to the caller\'s out_len and no further', async (t) => {
    const { command, input, outLen, scope } = await t.benign();
    const dev = await t.device();
    const fd = await t.open();
    const full = await rpc(t, fd, scope, input, outLen);
    expectOk(full.res, 'full-length read');
    const short = await rpc(t, fd, scope, input, 20, { outBufferSize: 128, fill: 0xcc });
    expectOk(short.res, 'out_len 20');
    // Bytes the device varies between identical calls (bnxt's echoed seq_id) are the codec's and profile's to name.
    const first20 = (b: Uint8Array) => [...steadyOut(dev, command, b.subarray(0, 20))];
    expect(first20(short.out.bytes), 'first 20 bytes').to.deep.equal(first20(full.out.bytes));
    expect(short.out.bytes.subarray(20).every((b) => b === 0xcc), 'bytes past out_len untouched').to.equal(true);
  });

  check('uapi.rpc.out-fault', 'an unmapped response pointer gives EFAULT', async (t) => {
    const { input, outLen, scope } = await t.benign();
    const fd = await t.open();
    const inBuf = t.alloc(input);
    const { res } = await rawRpc(t, fd, { scope, in_len: input.length, out_len: outLen, in: inBuf.addr, out: UNMAPPED_ADDRESS });
    expectErrno(res, 'EFAULT', 'response to an unmapped address');
  });

  check('uapi.rpc.out-len', 'out_len reports the driver\'s length, even beyond the caller\'s buffer', async (t) => {
    const { input, outLen, reportedOutLen, scope } = await t.benign();
    if (reportedOutLen === 'caller') t.skip('not applicable: the driver reports the caller\'s out_len, so truncation cannot show');
    const fd = await t.open();
    for (const len of [20, outLen, 4096]) {
      const call = await rpc(t, fd, scope, input, len, { outBufferSize: 4096 });
      expectOk(call.res, `out_len ${len}`);
      expect(call.after.out_len, `out_len reported for a ${len}-byte buffer`).to.equal(reportedOutLen);
    }
  });

  check('uapi.rpc.writeback', 'success copies back min(size, 32) bytes; the request fields are unchanged', async (t) => {
    const { input, outLen, scope } = await t.benign();
    const fd = await t.open();
    const inBuf = t.alloc(input);
    const out = t.alloc(outLen);
    const fields = { scope, in_len: input.length, out_len: outLen, in: inBuf.addr, out: out.addr };
    // Each probe's success is another rule's business (D-5): check the ones that succeeded.
    const probes = [
      { what: 'size 32, sentinel after', size: RPC_SIZE, bufferSize: 40, tail: Buffer.alloc(8, 0x5a) },
      { what: 'size 40, zero tail', size: 40, bufferSize: 40, tail: Buffer.alloc(8) },
    ];
    let succeeded = 0;
    for (const p of probes) {
      const { res, after, buf } = await rawRpc(t, fd, { ...fields, size: p.size }, { bufferSize: p.bufferSize, tail: p.tail });
      if (res.ret !== 0) continue;
      succeeded++;
      expect({ ...after, out_len: fields.out_len }, `request fields (${p.what})`).to.deep.equal({ ...fields, size: p.size });
      expect([...buf.bytes.subarray(RPC_SIZE)], `bytes past 32 (${p.what})`).to.deep.equal([...p.tail]);
    }
    expect(succeeded, 'probes that succeeded').to.be.greaterThan(0);
  });

  check('uapi.rpc.no-writeback-on-error', 'a failed RPC leaves out_len as the caller set it', async (t) => {
    const fd = await t.open();
    const benign = (await t.benign()).input;
    const inBuf = t.alloc(benign);
    const rejected = t.alloc((await t.rejected()).input);
    const out = t.alloc(256);
    // Which errno each path gives is other rules' business (R-2, R-4, R-5).
    const probes = [
      { what: 'driver rejection', fields: { in: rejected.addr, in_len: rejected.bytes.length } },
      { what: 'unmapped request', fields: { in: UNMAPPED_ADDRESS, in_len: benign.length } },
      { what: 'unknown scope', fields: { in: inBuf.addr, in_len: benign.length, scope: 9 } },
    ];
    let failed = 0;
    for (const p of probes) {
      const { res, after } = await rawRpc(t, fd, { out: out.addr, out_len: 123, ...p.fields });
      if (res.ret === 0) continue;
      failed++;
      expect(after.out_len, `out_len after ${p.what} (${res.errno})`).to.equal(123);
    }
    expect(failed, 'error paths provoked').to.be.greaterThan(0);
  });
});
