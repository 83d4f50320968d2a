/**
 * Find the fwctl devices of the running kernel (digest §5): one entry per
 * /sys/class/fwctl/fwctlN, with its node, its parent device and what the
 * parent tells about the hardware, and the device type from FWCTL_INFO.
 *
 * Everything is best effort and recorded, never thrown: discovery feeds the
 * inventory, and a device that cannot be opened is still worth listing. The
 * sysfs and /dev roots are parameters so tests can build a fake tree.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FWCTL_INFO, INFO_SIZE, decodeInfo, deviceTypeName, encodeInfo } from '../../uapi/fwctl.js';
import { O_CLOEXEC, O_RDONLY, close, ioctlBuffer, open } from './libc.js';

export interface PciIds {
  /** The PCI function's directory name, e.g. 0000:3b:00.0. */
  address: string;
  vendor: number;
  device: number;
  class: number;
}

export interface DiscoveredDevice {
  /** fwctlN */
  name: string;
  /** The class entry's real directory (…/<parent>/fwctl/fwctlN). */
  sysfsPath: string;
  /** "major:minor" from sysfs `dev`. */
  devnum?: string;
  /** /dev/fwctl/fwctlN */
  node: string;
  /** Why the node is unusable (missing, not a char device, other numbers); absent when it matches. */
  nodeProblem?: string;
  /** Real path of the parent device, and its name (e.g. mem2 for CXL, 0000:3b:00.0 for mlx5). */
  parentPath?: string;
  parent?: string;
  /** The parent's bound driver (basename of `device/driver`), e.g. cxl_mem. */
  driver?: string;
  /** The nearest PCI ancestor's ids, the parent itself included. */
  pci?: PciIds;
  /** The parent's `firmware_version` (CXL memdevs have one). */
  firmwareVersion?: string;
  /** The parent's `serial` (CXL memdevs: the Device Serial Number), which names the device across reboots. */
  serial?: string;
  /** From FWCTL_INFO (I-5) on an O_RDONLY descriptor. */
  deviceType?: number;
  /** deviceTypeName(deviceType), e.g. CXL. */
  deviceTypeName?: string;
  /** Why FWCTL_INFO could not be asked: "open: EACCES", "FWCTL_INFO: ENOTTY". */
  infoError?: string;
}

export interface DiscoveryRoots {
  /** The sysfs mount, default /sys. */
  sysfs?: string;
  /** The devtmpfs mount, default /dev. */
  dev?: string;
  /** Ask each device FWCTL_INFO (default true); false only reads sysfs (cheap, for polling). */
  info?: boolean;
}

/** Every fwctl device, sorted by number. A kernel without fwctl gives []. */
export function discoverDevices(opts: DiscoveryRoots = {}): DiscoveredDevice[] {
  const sysfs = opts.sysfs ?? '/sys';
  const dev = opts.dev ?? '/dev';
  const classDir = join(sysfs, 'class', 'fwctl');
  let names: string[];
  try {
    names = readdirSync(classDir).filter((n) => /^fwctl\d+$/.test(n));
  } catch {
    return [];
  }
  names.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return names.map((name) => describe(name, join(classDir, name), sysfs, dev, opts.info ?? true));
}

/** One device, or undefined when there is no `/sys/class/fwctl/<name>`. Asks only that device for FWCTL_INFO. */
export function discoverDevice(name: string, opts: DiscoveryRoots = {}): DiscoveredDevice | undefined {
  const sysfs = opts.sysfs ?? '/sys';
  const entry = join(sysfs, 'class', 'fwctl', name);
  if (!/^fwctl\d+$/.test(name) || !existsSync(entry)) return undefined;
  return describe(name, entry, sysfs, opts.dev ?? '/dev', opts.info ?? true);
}

function describe(name: string, entry: string, sysfs: string, dev: string, info: boolean): DiscoveredDevice {
  const out: DiscoveredDevice = { name, sysfsPath: realOrSelf(entry), node: join(dev, 'fwctl', name) };
  out.devnum = readAttr(join(entry, 'dev'));
  out.nodeProblem = checkNode(out.node, out.devnum);

  const parentPath = realOrUndefined(join(entry, 'device'));
  if (parentPath) {
    out.parentPath = parentPath;
    out.parent = basename(parentPath);
    out.driver = linkName(join(parentPath, 'driver'));
    out.firmwareVersion = readAttr(join(parentPath, 'firmware_version'));
    out.serial = readAttr(join(parentPath, 'serial'));
    out.pci = pciAncestor(parentPath, realOrSelf(sysfs));
  }

  // Only a node that is the device sysfs names gets an ioctl: a stray node could be anything.
  if (info && !out.nodeProblem) Object.assign(out, queryInfo(out.node));
  return strip(out);
}

/** The node exists, is a character device, and carries the numbers sysfs gives (§5). */
function checkNode(node: string, devnum: string | undefined): string | undefined {
  let st;
  try {
    st = statSync(node);
  } catch (e) {
    return `${node} is missing (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (!st.isCharacterDevice()) return `${node} is not a character device`;
  const actual = `${major(st.rdev)}:${minor(st.rdev)}`;
  if (devnum !== undefined && actual !== devnum) return `${node} is ${actual}, sysfs says ${devnum}`;
  return undefined;
}

/** Linux dev_t split (new_encode_dev): 12 bits of major above 8 bits of minor, the rest above 20. */
function major(rdev: number): number {
  return Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
}
function minor(rdev: number): number {
  return Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
}

/**
 * FWCTL_INFO with device_data_len 0: no user buffer is touched (I-2, I-4), so
 * a 24-byte Node buffer is the whole argument. O_RDONLY is enough (O-1).
 */
function queryInfo(node: string): Pick<DiscoveredDevice, 'deviceType' | 'deviceTypeName' | 'infoError'> {
  const fd = open(node, O_RDONLY | O_CLOEXEC);
  if (fd.ret < 0) return { infoError: `open: ${fd.errno}` };
  try {
    const buf = encodeInfo({ size: INFO_SIZE, device_data_len: 0 });
    const r = ioctlBuffer(fd.ret, FWCTL_INFO, buf);
    if (r.ret < 0) return { infoError: `FWCTL_INFO: ${r.errno}` };
    const type = decodeInfo(buf).out_device_type;
    return { deviceType: type, deviceTypeName: deviceTypeName(type) };
  } finally {
    close(fd.ret);
  }
}

/**
 * Walk up from the parent to the nearest directory that looks like a PCI
 * function: regular `vendor` and `device` files holding hex (in other device
 * directories `device` is a link to the parent), and a `subsystem` link, when
 * there is one, to the pci bus (virtio devices also have vendor/device files).
 * Stops at the sysfs root.
 */
function pciAncestor(from: string, sysfsRoot: string): PciIds | undefined {
  for (let dir = from; dir.startsWith(`${sysfsRoot}/`); dir = dirname(dir)) {
    const subsystem = linkName(join(dir, 'subsystem'));
    if (subsystem !== undefined && subsystem !== 'pci') continue;
    const vendor = hexFile(join(dir, 'vendor'));
    const device = hexFile(join(dir, 'device'));
    if (vendor === undefined || device === undefined) continue;
    return { address: basename(dir), vendor, device, class: hexFile(join(dir, 'class')) ?? 0 };
  }
  return undefined;
}

function hexFile(path: string): number | undefined {
  try {
    if (!lstatSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const text = readAttr(path);
  return text !== undefined && /^0x[0-9a-fA-F]+$/.test(text) ? Number.parseInt(text, 16) : undefined;
}

/** A sysfs attribute, trimmed (the mock's firmware_version ends in a space); undefined when unreadable. */
function readAttr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function linkName(path: string): string | undefined {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** realpath(3): one libc call, where fs.realpathSync walks each component in JS (sysfs paths are deep). */
function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

function realOrSelf(path: string): string {
  return realOrUndefined(path) ?? path;
}

function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The kernel's taint mask (§4): /proc/sys/kernel/tainted is a decimal bitmask. */
export function readTaint(proc = '/proc'): number {
  const text = readFileSync(join(proc, 'sys', 'kernel', 'tainted'), 'utf8').trim();
  if (!/^\d+$/.test(text)) throw new Error(`unexpected ${join(proc, 'sys/kernel/tainted')} content: ${JSON.stringify(text)}`);
  return Number(text);
}

/** `dev:<node>` for every device found: what `dev:all` stands for. */
export function devTargets(roots: DiscoveryRoots = {}): string[] {
  return discoverDevices({ ...roots, info: false }).map((d) => `dev:${d.node}`);
}
