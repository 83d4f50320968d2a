/**
 * Dispatch and extensible-struct rules common to every fwctl ioctl
 * (digest §2 "Dispatch", D-1..D-5, D-8).
 */
import { expect } from 'chai';
import { UNMAPPED_ADDRESS } from '../../harness/targets/target.js';
import { FWCTL_INFO, FWCTL_RPC, INFO_SIZE, IOC_READ, IOC_WRITE, RPC_SIZE, ioc } from '../../uapi/fwctl.js';
import { check } from '../support/check.js';
import { expectErrno, expectOk, rawInfo, rawRpc } from '../support/uapi.js';

/** The two ioctls as a table, so every struct rule is written once (iommufd cmd_length). */
const IOCTLS = [
  { name: 'FWCTL_INFO', request: FWCTL_INFO, ksize: INFO_SIZE },
  { name: 'FWCTL_RPC', request: FWCTL_RPC, ksize: RPC_SIZE },
] as const;

describe('uapi/dispatch', () => {
  check('uapi.ioctl.unknown-nr', 'an ioctl nr other than 0 and 1 gives ENOTTY', async (t) => {
    const fd = await t.open();
    const arg = t.alloc(64);
    arg.bytes.writeUInt32LE(RPC_SIZE, 0);
    for (const nr of [2, 3, 0x10, 0xff]) {
      // nr beyond the table: ENOIOCTLCMD, which the VFS turns into ENOTTY
      expectErrno(await t.ioctl(fd, ioc(0, 0x9a, nr, 0), arg.addr), 'ENOTTY', `nr ${nr}`);
    }
  });

  check('uapi.ioctl.exact-cmd', 'a command with a wrong type byte or extra direction/size bits gives ENOTTY', async (t) => {
    const fd = await t.open();
    const info = t.alloc(64);
    info.bytes.writeUInt32LE(INFO_SIZE, 0);
    const variants = [
      { cmd: ioc(0, 0x9b, 0, 0), what: 'type 0x9B, nr 0' },
      { cmd: ioc(0, 0x9b, 1, 0), what: 'type 0x9B, nr 1' },
      { cmd: ioc(IOC_READ | IOC_WRITE, 0x9a, 0, INFO_SIZE), what: '_IOWR(0x9A, 0, 24)' },
      { cmd: ioc(IOC_WRITE, 0x9a, 0, INFO_SIZE), what: '_IOW(0x9A, 0, 24)' },
      { cmd: ioc(IOC_READ, 0x9a, 1, RPC_SIZE), what: '_IOR(0x9A, 1, 32)' },
      { cmd: ioc(0, 0x9a, 0, 24), what: '_IO with size bits' },
    ];
    for (const v of variants) expectErrno(await t.ioctl(fd, v.cmd, info.addr), 'ENOTTY', v.what);
  });

  for (const io of IOCTLS) {
    check('uapi.struct.size-fault', `${io.name} with an unmapped argument gives EFAULT`, { variant: io.name }, async (t) => {
      const fd = await t.open();
      expectErrno(await t.ioctl(fd, io.request, UNMAPPED_ADDRESS), 'EFAULT', `${io.name} at an unmapped address`);
    });

    check('uapi.struct.below-min-size', `${io.name} with size below ${io.ksize} gives EINVAL`, { variant: io.name }, async (t) => {
      const fd = await t.open();
      for (const size of [0, 4, io.ksize - 8, io.ksize - 1]) {
        const buf = t.alloc(io.ksize);
        buf.bytes.writeUInt32LE(size, 0);
        expectErrno(await t.ioctl(fd, io.request, buf.addr), 'EINVAL', `size ${size}`);
      }
    });
  }

  check('uapi.struct.zero-tail', 'a size beyond the kernel struct with a zero tail is accepted like the exact size', async (t) => {
    const fd = await t.open();
    const exact = await rawInfo(t, fd, { size: INFO_SIZE });
    expectOk(exact.res, 'FWCTL_INFO at size 24');
    for (const size of [32, 4096]) {
      const longer = await rawInfo(t, fd, { size });
      expectOk(longer.res, `FWCTL_INFO at size ${size} with a zero tail`);
      expect(longer.after.out_device_type, `device type at size ${size}`).to.equal(exact.after.out_device_type);
    }
    const { input, outLen, scope } = await t.benign();
    const inBuf = t.alloc(input);
    const outBuf = t.alloc(outLen);
    const rpc = await rawRpc(t, fd, { size: 64, scope, in_len: input.length, out_len: outLen, in: inBuf.addr, out: outBuf.addr });
    expectOk(rpc.res, 'FWCTL_RPC at size 64 with a zero tail');
  });

  for (const io of IOCTLS) {
    check('uapi.struct.nonzero-tail', `${io.name} with a non-zero byte past the kernel struct gives E2BIG`, { variant: io.name }, async (t) => {
      const fd = await t.open();
      for (const [size, at] of [[io.ksize + 8, io.ksize], [io.ksize + 8, io.ksize + 7], [8192, 8191]] as const) {
        const buf = t.alloc(size);
        buf.bytes.writeUInt32LE(size, 0);
        buf.bytes[at] = 0xff;
        expectErrno(await t.ioctl(fd, io.request, buf.addr), 'E2BIG', `size ${size}, byte ${at} non-zero`);
      }
    });
  }

  check('uapi.fops.unsupported', 'read and write give EINVAL and mmap ENODEV (no such file operations)', { requires: ['fileOps'] }, async (t) => {
    const fd = await t.open();
    const ops = t.part('fileOps');
    expectErrno(await ops.call(fd, 'read'), 'EINVAL', 'read(2)');
    expectErrno(await ops.call(fd, 'write'), 'EINVAL', 'write(2)');
    expectErrno(await ops.call(fd, 'mmap'), 'ENODEV', 'mmap(2)');
  });
});
