/**
 * An ABI baseline: a device as `fwctl-cts snapshot` recorded it before a
 * firmware or kernel update (harness/cli/snapshot.ts). `run --abi-baseline
 * FILE` gives each target whose device the file holds an `abiBaseline` part,
 * and the abi suite compares the device now against the record — the
 * distribution's case, where the firmware cannot be switched back and forth.
 */
import type { DeviceRecord, Snapshot } from '../generated/snapshot.js';
import { loadJson } from '../schema/validate.js';
import type { Target, TargetDescription } from './target.js';

export type { DeviceRecord, Snapshot };

/** Read and validate a snapshot file: a bad one is one line naming the file and the JSON pointer (exit 2). */
export function loadSnapshot(file: string): Snapshot {
  return loadJson<Snapshot>(file, 'snapshot');
}

/**
 * The record of the device `d` is: of the same device type, then the same
 * serial number when both have one (device numbers may change across a
 * reboot), else the same device node name.
 */
export function recordFor(snapshot: Snapshot, d: TargetDescription): DeviceRecord | undefined {
  const sameType = snapshot.devices.filter((r) => r.model === d.model);
  if (d.serial !== undefined) {
    const bySerial = sameType.find((r) => r.serial === d.serial);
    if (bySerial || sameType.some((r) => r.serial !== undefined)) return bySerial;
  }
  return sameType.find((r) => r.device !== undefined && r.device === d.device);
}

/** Give `target` the part when `file` holds its device; otherwise say why it has none (the skip reason). */
export function attachBaseline(target: Target, file: string, snapshot: Snapshot = loadSnapshot(file)): void {
  const record = recordFor(snapshot, target.description);
  if (record) {
    target.parts.abiBaseline = { file, record: async () => record };
    return;
  }
  const who = target.description.serial !== undefined ? `serial ${target.description.serial}` : (target.description.device ?? target.description.spec);
  const t = target as { unavailable?: Target['unavailable'] };
  t.unavailable = { ...t.unavailable, abiBaseline: `${file} holds no record of this ${target.description.model} device (${who})` };
}
