/**
 * What changed between two inventories (`fwctl-cts inventory --json`): the "report current status"
 * a distribution asks for with a problem report. Devices are matched by what names them across
 * reboots and renumbering: the parent's serial, else the PCI function, else the parent, else the
 * node (fwctlN). A device that disappeared, or a taint flag newly set, is a regression (exit 1).
 */
import type { InventoryChange, InventoryDiff } from '../generated/diff.js';
import type { Inventory, InventoryDevice } from '../generated/inventory.js';

/**
 * The taint flags by bit, as /proc/sys/kernel/tainted and `cat /proc/sys/kernel/tainted` decode
 * them (Documentation/admin-guide/tainted-kernels.rst, kernel/panic.c taint_flags; 'J' is
 * TAINT_FWCTL, bit 19, uapi/fwctl.ts).
 */
const TAINT_LETTERS = 'PFSRMBUDAWCIOELKXTNJ';

/** The letters of the flags set in `mask`, e.g. 'OJ'; bits past the table as '#<bit>'. */
export function taintLetters(mask: number): string {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) if (mask & (2 ** bit)) out.push(TAINT_LETTERS[bit] ?? `#${bit}`);
  return out.join('');
}

export interface InventorySide {
  file: string;
  inventory: Inventory;
}

function identity(d: InventoryDevice): string {
  if (d.serial) return `serial ${d.serial}`;
  if (d.pci) return `pci ${d.pci.address}`;
  if (d.parent) return `parent ${d.parent}`;
  // A simulator is the same device at any firmware and with any defect: sim:<model>.
  if (d.target?.startsWith('sim:')) return `target ${d.target.replace(/[@+].*$/, '')}`;
  return `node ${d.target ?? d.name}`;
}

function label(d: InventoryDevice): string {
  const what = [d.deviceTypeName, d.parent ?? d.pci?.address].filter(Boolean).join(' ');
  return `${d.target ?? d.name}${what ? ` (${what})` : ''}`;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const pciText = (d: InventoryDevice) => (d.pci ? `${d.pci.address} ${hex4(d.pci.vendor)}:${hex4(d.pci.device)}` : undefined);
const taintText = (t: Inventory['taint']) => ('error' in t ? `unknown (${t.error})` : `${t.mask}${t.mask ? ` (${taintLetters(t.mask)})` : ''}`);

export function diffInventories(a: InventorySide, b: InventorySide): InventoryDiff {
  const changes: InventoryChange[] = [];
  const x = a.inventory;
  const y = b.inventory;
  const kernelA = x.host?.kernelRelease;
  const kernelB = y.host?.kernelRelease;
  if (kernelA !== kernelB) {
    changes.push({ what: 'kernel-release', ...(kernelA !== undefined && { from: kernelA }), ...(kernelB !== undefined && { to: kernelB }), text: `kernel release ${kernelA ?? 'unknown'} → ${kernelB ?? 'unknown'}`, regression: false });
  }
  const before = new Map(x.devices.map((d) => [identity(d), d]));
  let unchanged = 0;
  for (const d of y.devices) {
    const old = before.get(identity(d));
    before.delete(identity(d));
    if (!old) {
      changes.push({ what: 'device-appeared', device: label(d), text: `device appeared: ${label(d)}${d.firmwareVersion ? `, firmware ${d.firmwareVersion}` : ''}`, regression: false });
      continue;
    }
    const n = changes.length;
    const field = (what: InventoryChange['what'], name: string, from: string | undefined, to: string | undefined) => {
      if (from === to) return;
      changes.push({ what, device: label(d), ...(from !== undefined && { from }), ...(to !== undefined && { to }), text: `${label(d)}: ${name} ${from ?? 'none'} → ${to ?? 'none'}`, regression: false });
    };
    field('firmware', 'firmware', old.firmwareVersion, d.firmwareVersion);
    field('driver', 'driver', old.driver, d.driver);
    field('device-type', 'device type', old.deviceTypeName ?? old.infoError, d.deviceTypeName ?? d.infoError);
    field('node', 'node', old.name, d.name);
    field('pci', 'PCI function', pciText(old), pciText(d));
    if (changes.length === n) unchanged++;
  }
  for (const d of before.values()) {
    changes.push({ what: 'device-disappeared', device: label(d), text: `device disappeared: ${label(d)}`, regression: true });
  }
  const ta = taintText(x.taint);
  const tb = taintText(y.taint);
  if (ta !== tb) {
    const ma = 'mask' in x.taint ? x.taint.mask : 0;
    const mb = 'mask' in y.taint ? y.taint.mask : 0;
    const gained = mb & ~ma;
    const fwctl = 'mask' in y.taint && y.taint.fwctl && !('mask' in x.taint && x.taint.fwctl);
    changes.push({
      what: 'taint',
      from: ta,
      to: tb,
      text: `kernel taint ${ta} → ${tb}${gained ? `: newly set ${taintLetters(gained)}` : ''}${fwctl ? ' (TAINT_FWCTL: a fwctl DEBUG_WRITE RPC was sent)' : ''}`,
      regression: gained !== 0,
    });
  }
  return {
    format: 'fwctl-cts-diff/1',
    kind: 'inventory',
    a: { file: a.file, ...(x.tool && { tool: x.tool.version }), ...(kernelA !== undefined && { kernelRelease: kernelA }), ...(x.takenAt && { startedAt: x.takenAt }) },
    b: { file: b.file, ...(y.tool && { tool: y.tool.version }), ...(kernelB !== undefined && { kernelRelease: kernelB }), ...(y.takenAt && { startedAt: y.takenAt }) },
    changes,
    unchanged,
    regression: changes.some((c) => c.regression),
  };
}
