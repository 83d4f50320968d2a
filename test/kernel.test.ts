/**
 * The real-kernel plumbing without a fwctl device: libc ioctls on a pipe,
 * mmap'd user memory, discovery on a fake sysfs tree, and the dev: target on
 * a fake tree whose node is /dev/null. The VM (vm/fwctl-vm) checks the rest.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CtsError } from '../harness/errors.js';
import { devTargets, discoverDevices, readTaint } from '../harness/kernel/discovery.js';
import * as libc from '../harness/kernel/libc.js';
import { ProcessMemory } from '../harness/kernel/memory.js';
import { DevTarget, capEffHas } from '../harness/targets/dev.js';
import { parseTarget } from '../harness/targets/spec.js';
import { PAGE_SIZE, SAFE, USER_MEMORY_BASE, type SyscallError, type UserBuffer } from '../harness/targets/target.js';
import { FWCTL_INFO, FWCTL_RPC } from '../uapi/fwctl.js';

const FIONREAD = 0x541b;
const PAGE_SIZE_N = Number(PAGE_SIZE);

/** A pipe holding `n` unread bytes, so FIONREAD has something to copy to user memory. */
function pipeWith(n: number): { r: number; w: number; close(): void } {
  const [r, w] = libc.pipe();
  libc.write(w, Buffer.alloc(n, 0x61));
  return { r, w, close: () => (libc.close(r), libc.close(w), undefined) };
}

describe('kernel: libc', () => {
  let p: ReturnType<typeof pipeWith>;
  const mem = new ProcessMemory();
  let buf: UserBuffer;
  beforeEach(() => {
    p = pipeWith(3);
    buf = mem.alloc(64);
  });
  afterEach(() => {
    p.close();
    mem.freeAll();
  });

  it('FWCTL_INFO on a pipe gives ENOTTY (synchronous path)', () => {
    expect(libc.ioctl(p.r, FWCTL_INFO, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
  });

  it('FWCTL_RPC on a pipe gives ENOTTY (koffi thread-pool path)', async () => {
    expect(await libc.ioctlAsync(p.r, FWCTL_RPC, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
  });

  it('an ioctl on a closed descriptor gives EBADF', async () => {
    const q = pipeWith(0);
    q.close();
    expect(await libc.ioctlAsync(q.r, FWCTL_RPC, buf.addr)).to.deep.equal({ ret: -1, errno: 'EBADF' });
  });

  it('the settled path (dev: hot path) answers like ioctl, one frozen promise per outcome', async () => {
    const FIONREAD = 0x541b; // asm-generic ioctls.h: 0 and the byte count of the pipe
    const a = libc.ioctlSettled(p.r, FWCTL_INFO, buf.addr);
    expect(await a).to.deep.equal({ ret: -1, errno: 'ENOTTY' }).and.to.deep.equal(libc.ioctl(p.r, FWCTL_INFO, buf.addr));
    expect(libc.ioctlSettled(p.r, FWCTL_INFO, buf.addr), 'the same outcome: the same promise').to.equal(a);
    expect(Object.isFrozen(await a)).to.equal(true);
    expect(await libc.ioctlSettled(p.r, FIONREAD, buf.addr)).to.deep.equal({ ret: 0 });
    expect(buf.bytes.readInt32LE(0), 'the kernel wrote through the address').to.equal(3);
  });

  it('the synchronous path answers like ioctl, with one frozen result per outcome', () => {
    const a = libc.ioctlSync(p.r, FWCTL_INFO, buf.addr);
    expect(a).to.deep.equal({ ret: -1, errno: 'ENOTTY' }).and.to.deep.equal(libc.ioctl(p.r, FWCTL_INFO, buf.addr));
    expect(libc.ioctlSync(p.r, FWCTL_INFO, buf.addr), 'the same outcome: the same object').to.equal(a);
    expect(Object.isFrozen(a)).to.equal(true);
    expect(libc.ioctlSync(p.r, FIONREAD, buf.addr)).to.deep.equal({ ret: 0 });
    expect(buf.bytes.readInt32LE(0), 'the kernel wrote through the address').to.equal(3);
    expect(libc.ioctlSync(p.r, FIONREAD, 0x10n), 'a bad pointer').to.deep.equal({ ret: -1, errno: 'EFAULT' });
  });

  it('errno names come from uapi/errno.ts, then from koffi', () => {
    expect([libc.errnoName(95), libc.errnoName(17), libc.errnoName(4242)]).to.deep.equal(['EOPNOTSUPP', 'EEXIST', 'E#4242']);
  });
});

describe('kernel: user memory', () => {
  const mem = new ProcessMemory();
  let p: ReturnType<typeof pipeWith>;
  beforeEach(() => (p = pipeWith(5)));
  afterEach(() => {
    p.close();
    mem.freeAll();
  });

  it('buffers start at USER_MEMORY_BASE and leave one guard page after each', () => {
    const a = mem.alloc(100);
    const b = mem.alloc(1);
    expect([a.addr, b.addr]).to.deep.equal([USER_MEMORY_BASE, USER_MEMORY_BASE + 2n * PAGE_SIZE]);
  });

  it('bytes is live: what the kernel copies to user memory shows in it', () => {
    const a = mem.alloc(8);
    expect(libc.ioctl(p.r, FIONREAD, a.addr + 4n).ret).to.equal(0);
    expect(a.bytes.readUInt32LE(4)).to.equal(5);
  });

  it('the guard page after a buffer is unmapped: the kernel gets EFAULT there', () => {
    const a = mem.alloc(100);
    expect(libc.ioctl(p.r, FIONREAD, a.addr + PAGE_SIZE)).to.deep.equal({ ret: -1, errno: 'EFAULT' });
  });

  it('a freed buffer faults, and its address can be mapped again', () => {
    const a = mem.alloc(16);
    mem.free(a);
    expect(libc.ioctl(p.r, FIONREAD, a.addr).errno).to.equal('EFAULT');
    const again = mem.alloc(Buffer.from('abcd'), a.addr);
    expect([again.addr, again.bytes.toString()]).to.deep.equal([a.addr, 'abcd']);
  });

  it('an address that is already mapped is refused with a typed error, not replaced', () => {
    const a = mem.alloc(16);
    expect(() => mem.alloc(16, a.addr)).to.throw(CtsError, /already mapped/);
  });

  it('a second allocator in the same process moves past the first one, keeping both guard pages', () => {
    const other = new ProcessMemory();
    try {
      const a = mem.alloc(PAGE_SIZE_N);
      const b = other.alloc(PAGE_SIZE_N);
      expect(b.addr >= a.addr + 2n * PAGE_SIZE || b.addr + 2n * PAGE_SIZE <= a.addr, `0x${b.addr.toString(16)}`).to.equal(true);
      expect(libc.ioctl(p.r, FIONREAD, b.addr - PAGE_SIZE).errno).to.equal('EFAULT');
    } finally {
      other.freeAll();
    }
  });
});

// ---- a fake sysfs/dev tree ---------------------------------------------------

const root = mkdtempSync(join(tmpdir(), 'fwctl-cts-kernel-'));
const sysfs = join(root, 'sys');
const dev = join(root, 'dev');

function file(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function link(path: string, to: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(to, path);
}

/** A fwctl device under `parent` (relative to sys/devices), with class link and `dev`. */
function fwctl(name: string, parent: string, devnum: string): void {
  const dir = join(sysfs, 'devices', parent, 'fwctl', name);
  file(join(dir, 'dev'), `${devnum}\n`);
  link(join(dir, 'device'), '../..');
  link(join(sysfs, 'class', 'fwctl', name), dir);
}

function buildTree(): void {
  // fwctl0: a cxl_test-like memdev with firmware and a bound driver; its node is /dev/null (1:3).
  const memdev = 'platform/cxl_mem.0/mem2';
  file(join(sysfs, 'devices', memdev, 'firmware_version'), 'mock fw v1 \n');
  mkdirSync(join(sysfs, 'bus', 'cxl', 'drivers', 'cxl_mem'), { recursive: true });
  link(join(sysfs, 'devices', memdev, 'driver'), join(sysfs, 'bus', 'cxl', 'drivers', 'cxl_mem'));
  fwctl('fwctl0', memdev, '1:3');
  link(join(dev, 'fwctl', 'fwctl0'), '/dev/null');
  // ... on a platform device bound to cxl_test's cxl_mock_mem (hotplug unbinds that).
  mkdirSync(join(sysfs, 'bus', 'platform', 'drivers', 'cxl_mock_mem'), { recursive: true });
  link(join(sysfs, 'devices', 'platform/cxl_mem.0', 'driver'), join(sysfs, 'bus', 'platform', 'drivers', 'cxl_mock_mem'));
  // fwctl1: an auxiliary device under a PCI function; no node in /dev.
  const pci = 'pci0000:00/0000:00:0a.0';
  file(join(sysfs, 'devices', pci, 'vendor'), '0x15b3\n');
  file(join(sysfs, 'devices', pci, 'device'), '0x101d\n');
  file(join(sysfs, 'devices', pci, 'class'), '0x020000\n');
  mkdirSync(join(sysfs, 'bus', 'auxiliary'), { recursive: true });
  link(join(sysfs, 'devices', pci, 'mlx5_core.fwctl.0', 'subsystem'), join(sysfs, 'bus', 'auxiliary'));
  fwctl('fwctl1', `${pci}/mlx5_core.fwctl.0`, '247:1');
  file(join(root, 'proc', 'sys', 'kernel', 'tainted'), '528384\n');
}

describe('kernel: on a fake sysfs', () => {
  before(buildTree);
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('discovery', () => {
    it('reports a memdev parent, its driver and firmware, and asks FWCTL_INFO (a failure is recorded)', () => {
      const d = discoverDevices({ sysfs, dev })[0]!;
      expect(d).to.deep.include({
        name: 'fwctl0',
        devnum: '1:3',
        node: join(dev, 'fwctl', 'fwctl0'),
        parent: 'mem2',
        driver: 'cxl_mem',
        firmwareVersion: 'mock fw v1',
        infoError: 'FWCTL_INFO: ENOTTY',
      });
      expect(d.nodeProblem).to.equal(undefined);
    });

    it('finds the PCI ids on an ancestor of the parent', () => {
      const d = discoverDevices({ sysfs, dev })[1]!;
      expect([d.parent, d.pci]).to.deep.equal(['mlx5_core.fwctl.0', { address: '0000:00:0a.0', vendor: 0x15b3, device: 0x101d, class: 0x020000 }]);
    });

    it('reports a missing node instead of throwing', () => {
      expect(discoverDevices({ sysfs, dev })[1]!.nodeProblem).to.match(/fwctl1 is missing \(ENOENT\)/);
    });

    it('an empty tree gives no devices', () => {
      const empty = mkdtempSync(join(tmpdir(), 'fwctl-cts-empty-'));
      try {
        expect(discoverDevices({ sysfs: empty, dev: empty })).to.deep.equal([]);
      } finally {
        rmSync(empty, { recursive: true });
      }
    });

    it('readTaint reads the decimal mask', () => {
      expect(readTaint(join(root, 'proc'))).to.equal(528384);
    });

    it('CAP_SYS_RAWIO is bit 17 of CapEff (bit 21 is CAP_SYS_ADMIN)', () => {
      const proc = join(root, 'caps');
      file(join(proc, 'self', 'status'), 'Name:\tx\nCapEff:\t0000000000200000\n');
      expect([capEffHas(17n, proc), capEffHas(21n, proc)]).to.deep.equal([false, true]);
    });
  });

  describe('the dev: target', () => {
    const spec = parseTarget('dev:/dev/fwctl/fwctl0') as Extract<ReturnType<typeof parseTarget>, { kind: 'dev' }>;
    let target: DevTarget;
    beforeEach(async () => (target = await DevTarget.create(spec, SAFE, { sysfs, dev })));
    afterEach(() => target.dispose());

    it('describes the device from discovery and copies what the user allowed', () => {
      expect(target.description).to.deep.include({ kind: 'dev', device: 'fwctl0', fw: 'mock fw v1', model: 'unknown', allows: SAFE.allow });
    });

    it('sends FWCTL_RPC through libc on a descriptor it opened', async () => {
      const fd = await target.open();
      const buf = target.alloc(32);
      expect(await target.ioctl(fd, FWCTL_RPC, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
    });

    it('ioctlSync: on this thread, but an RPC that may block (hazards allowed) is left to ioctl()', async () => {
      const fd = await target.open(); // a cxl_test mock memdev (its node /dev/null): its RPCs answer from memory
      const buf = target.alloc(32);
      expect(target.ioctlSync(fd, FWCTL_INFO, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' }).and.to.deep.equal(await target.ioctl(fd, FWCTL_INFO, buf.addr));
      expect(target.ioctlSync(fd, FWCTL_RPC, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
      const hazards = await DevTarget.create(spec, { allow: { ...SAFE.allow, hazards: true } }, { sysfs, dev });
      try {
        const hfd = await hazards.open();
        expect(hazards.ioctlSync(hfd, FWCTL_RPC, buf.addr), 'not made: the caller awaits ioctl()').to.equal(undefined);
        expect(hazards.ioctlSync(hfd, FWCTL_INFO, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
        expect(await hazards.ioctl(hfd, FWCTL_RPC, buf.addr)).to.deep.equal({ ret: -1, errno: 'ENOTTY' });
      } finally {
        await hazards.dispose();
      }
    });

    it('opens another fwctl device by its node for a lent agent, and nothing else', async () => {
      const fd = await target.openOther(join(dev, 'fwctl', 'fwctl0'));
      expect(await target.close(fd)).to.deep.equal({ ret: 0 });
      const errno = (node: string) => target.openOther(node).then(() => 'opened', (e: SyscallError) => e.errno);
      expect(await errno('/etc/passwd'), 'not a fwctl node').to.equal('ENOENT');
      expect(await errno(`${dev}/fwctl/../fwctl/fwctl0`), 'a path that only resolves to one').to.equal('ENOENT');
      expect(await errno(join(dev, 'fwctl', 'fwctl9')), 'no such device').to.equal('ENOENT');
      expect(await errno(join(dev, 'fwctl', 'fwctl1')), 'a device whose node is missing').to.equal('ENOENT');
    });

    it('refuses descriptors it did not open (EBADF, no syscall)', async () => {
      expect(await target.ioctl(0, FWCTL_INFO, 0n)).to.deep.equal({ ret: -1, errno: 'EBADF' });
      expect(target.ioctlSync(0, FWCTL_INFO, 0n)).to.deep.equal({ ret: -1, errno: 'EBADF' });
    });

    it('has taint and fileOps but no hotplug without allows.destructive', () => {
      expect([!!target.parts.taint, !!target.parts.fileOps, !!target.parts.hotplug, !!target.parts.taint?.reset]).to.deep.equal([true, true, false, false]);
    });

    it('a cxl_mock_mem memdev has hotplug with --allow-destructive, and says why not without', async () => {
      expect(target.unavailable.hotplug).to.match(/needs --allow-destructive/);
      const destructive = await DevTarget.create(spec, { allow: { ...SAFE.allow, destructive: true } }, { sysfs, dev });
      try {
        expect([!!destructive.parts.hotplug, destructive.unavailable.hotplug]).to.deep.equal([true, undefined]);
      } finally {
        await destructive.dispose();
      }
    });

    it('a memdev in a CXL region has no hotplug: the skip reason names the region', async () => {
      const endpoint = join(sysfs, 'bus', 'cxl', 'devices', 'endpoint3');
      link(join(endpoint, 'uport'), join(sysfs, 'devices', 'platform/cxl_mem.0/mem2'));
      file(join(endpoint, 'decoder3.0', 'region'), '\n');
      file(join(endpoint, 'decoder3.1', 'region'), 'region0\n');
      try {
        const inRegion = await DevTarget.create(spec, { allow: { ...SAFE.allow, destructive: true } }, { sysfs, dev });
        expect([!!inRegion.parts.hotplug, inRegion.unavailable.hotplug]).to.deep.equal([false, 'mem2 is part of CXL region0: unbinding it would tear the region down']);
        await inRegion.dispose();
      } finally {
        rmSync(join(sysfs, 'bus', 'cxl', 'devices'), { recursive: true });
      }
    });

    it('a device that does not exist is a typed error naming the ones that do', async () => {
      const err = await DevTarget.create({ ...spec, path: '/dev/fwctl/fwctl7' }, SAFE, { sysfs, dev }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CtsError).and.have.property('hint').that.matches(/dev:.*fwctl0 dev:.*fwctl1/);
    });

    it('devTargets lists one dev: target per device (for dev:all)', () => {
      expect(devTargets({ sysfs, dev })).to.deep.equal([`dev:${join(dev, 'fwctl', 'fwctl0')}`, `dev:${join(dev, 'fwctl', 'fwctl1')}`]);
    });
  });
});
