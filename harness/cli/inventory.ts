/** `fwctl-cts inventory`: the fwctl devices on this machine, and the kernel's taint. */
import { discoverDevices, readTaint, type DiscoveredDevice, type DiscoveryRoots } from '../kernel/discovery.js';
import { TAINT_FWCTL_MASK } from '../../uapi/fwctl.js';

export interface Inventory {
  devices: DiscoveredDevice[];
  taint: { mask: number; fwctl: boolean } | { error: string };
}

export function takeInventory(roots: DiscoveryRoots & { proc?: string } = {}): Inventory {
  let taint: Inventory['taint'];
  try {
    const mask = readTaint(roots.proc);
    taint = { mask, fwctl: (mask & TAINT_FWCTL_MASK) !== 0 };
  } catch (e) {
    taint = { error: (e as Error).message };
  }
  return { devices: discoverDevices(roots), taint };
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function renderInventory(inv: Inventory): string {
  const taint = 'error' in inv.taint ? `unknown (${inv.taint.error})` : `${inv.taint.mask}${inv.taint.fwctl ? ' (TAINT_FWCTL set)' : ' (TAINT_FWCTL clear)'}`;
  if (!inv.devices.length) return `no fwctl devices (nothing in /sys/class/fwctl)\nkernel taint: ${taint}\n`;
  const rows = inv.devices.map((d) => [
    d.name,
    d.deviceTypeName ?? (d.infoError ? `? (${d.infoError})` : '?'),
    d.parent ?? '?',
    d.driver ?? '-',
    d.pci ? `${hex4(d.pci.vendor)}:${hex4(d.pci.device)}` : '-',
    d.firmwareVersion ?? '-',
    d.nodeProblem ?? d.node,
  ]);
  const head = ['DEVICE', 'TYPE', 'PARENT', 'DRIVER', 'PCI', 'FIRMWARE', 'NODE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\nkernel taint: ${taint}\n`;
}
