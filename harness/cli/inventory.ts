/**
 * `fwctl-cts inventory`: the fwctl devices on this machine (or the targets given), the kernel's
 * taint and release. `--json` is schemas/inventory.schema.json, which `fwctl-cts diff` compares.
 */
import { hostname, release } from 'node:os';
import { discoverDevices, readTaint, type DiscoveryRoots } from '../kernel/discovery.js';
import type { Inventory, InventoryDevice } from '../generated/inventory.js';
import { createTarget } from '../targets/registry.js';
import { expandTargets } from '../targets/spec.js';
import type { TargetOptions } from '../targets/target.js';
import { TAINT_FWCTL_MASK, deviceTypeName } from '../../uapi/fwctl.js';
import { VERSION } from '../version.js';

export type { Inventory };

function header(kernelRelease: string): Pick<Inventory, 'format' | 'tool' | 'takenAt' | 'host'> {
  return { format: 'fwctl-cts-inventory/1', tool: { name: 'fwctl-cts', version: VERSION }, takenAt: new Date().toISOString(), host: { hostname: hostname(), kernelRelease } };
}

export function takeInventory(roots: DiscoveryRoots & { proc?: string; kernelRelease?: string } = {}): Inventory {
  let taint: Inventory['taint'];
  try {
    const mask = readTaint(roots.proc);
    taint = { mask, fwctl: (mask & TAINT_FWCTL_MASK) !== 0 };
  } catch (e) {
    taint = { error: (e as Error).message };
  }
  return { ...header(roots.kernelRelease ?? release()), devices: discoverDevices(roots), taint };
}

/**
 * The inventory of targets (`inventory --target sim:cxl@2.0`): each target's description as a
 * device, and the taint of the kernel it runs under (a simulator's own; a dev: target's this
 * machine's). Several targets' taint masks are OR-ed: a flag set anywhere is set.
 */
export async function targetInventory(specs: readonly string[], options: TargetOptions): Promise<Inventory> {
  const devices: InventoryDevice[] = [];
  let mask = 0;
  let kernelRelease: string | undefined;
  for (const spec of expandTargets(specs)) {
    const target = await createTarget(spec, options);
    try {
      const d = target.description;
      const type = d.expectedDeviceType;
      devices.push({
        name: d.device ?? d.spec,
        target: d.spec,
        node: d.device ? `/dev/fwctl/${d.device}` : d.spec,
        ...(d.fw !== undefined && { firmwareVersion: d.fw }),
        ...(d.serial !== undefined && { serial: d.serial }),
        ...(type !== undefined && { deviceType: type, deviceTypeName: deviceTypeName(type) }),
        ...(d.defects?.length && { defects: d.defects }),
      });
      if (target.parts.taint) mask |= await target.parts.taint.read();
      kernelRelease ??= d.kernelRelease;
    } finally {
      await target.dispose();
    }
  }
  return { ...header(kernelRelease ?? release()), devices, taint: { mask, fwctl: (mask & TAINT_FWCTL_MASK) !== 0 } };
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export function renderInventory(inv: Inventory): string {
  const taint = 'error' in inv.taint ? `unknown (${inv.taint.error})` : `${inv.taint.mask}${inv.taint.fwctl ? ' (TAINT_FWCTL set)' : ' (TAINT_FWCTL clear)'}`;
  if (!inv.devices.length) return `no fwctl devices (nothing in /sys/class/fwctl)\nkernel taint: ${taint}\n`;
  const rows = inv.devices.map((d) => [
    d.target ?? d.name,
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
