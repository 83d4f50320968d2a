/**
 * The device's firmware as seen through the CXL mailbox. Behaviour follows the
 * kernel's cxl_test mock (tools/testing/cxl/test/mem.c, digest §6): a Get
 * Feature past the feature's size is INPUT, a Set Feature needs transfer mode
 * FULL at offset 0, and an unknown UUID is UNSUPPORTED. Three quirks of the
 * mock, seen on Linux 7.3.4 by the differential check (harness/differential)
 * and kept here because firmware 1.0 is that mock:
 *   - Get Feature ignores `selection`: current, default and saved all read the current value;
 *   - Get Feature writes the data at `offset` into the output payload, not at 0
 *     (mock_get_test_feature's memcpy((u8 *)output + offset, …));
 *   - Set Feature takes exactly the feature's size from the (zero-padded)
 *     mailbox payload, whatever the data length: shorter data is zero-filled,
 *     longer data is cut, never INPUT.
 */
import {
  CXL_FEAT_ENTRY_SIZE,
  CxlRetval,
  CxlSetFlag,
  encodeFeatEntry,
  type CxlFeatEntry,
} from '../../../uapi/cxl.js';
import { KERNEL_EXCLUSIVE } from './driver.js';
import firmware from './firmware.json' with { type: 'json' };

export interface FeatureSpec extends CxlFeatEntry {
  name: string;
  initial: string;
}

interface FeatureState {
  spec: FeatureSpec;
  current: Buffer;
  saved: Buffer;
  readonly defaults: Buffer;
}

/**
 * `data` is what the device returned; `at` is where in the output payload it
 * wrote it (the mock writes at the requested offset, see above; 0 otherwise).
 */
export type MailboxResult = { retval: number; data: Buffer; at?: number };

export const CXL_FW_VERSIONS = Object.keys(firmware.versions);

export class CxlMailbox {
  readonly payloadSize = firmware.payloadSize;
  /** Set while something holds the mailbox exclusively (only a defect does). */
  busy = false;
  private readonly features: FeatureState[];

  constructor(
    readonly fwVersion: string,
    private readonly defects: { has(id: string): boolean },
  ) {
    const version = (firmware.versions as Record<string, { features: FeatureSpec[] }>)[fwVersion];
    if (!version) throw new Error(`unknown CXL firmware version ${fwVersion}`);
    const specs = [...version.features];
    // A later firmware that lists its features in another order moves every byte of the list.
    if (defects.has('cxl-fw2-moves-field') && fwVersion !== '1.0') specs.reverse();
    this.features = specs.map((spec) => {
      const initial = Buffer.from(spec.initial, 'hex');
      return { spec, current: Buffer.from(initial), saved: Buffer.from(initial), defaults: initial };
    });
  }

  hasFeature(uuid: string): boolean {
    return this.find(uuid) !== undefined;
  }

  /** Every value the device holds, for "did anything change" checks. */
  snapshot(): string {
    const values = this.features.map((f) => `${f.spec.uuid}=${f.current.toString('hex')}/${f.saved.toString('hex')}`);
    return values.join(';');
  }

  private find(uuid: string): FeatureState | undefined {
    return this.features.find((f) => f.spec.uuid === uuid);
  }

  /** Get Supported Features: the device's own, unfiltered entries. */
  getSupportedFeatures(startIdx: number, count: number): { total: number; entries: Buffer[] } {
    const n = Math.max(0, Math.min(Math.floor(count / CXL_FEAT_ENTRY_SIZE), this.features.length - startIdx));
    const entries = this.features.slice(startIdx, startIdx + n).map((f) => encodeFeatEntry(f.spec));
    return { total: this.features.length, entries };
  }

  getFeature(uuid: string, offset: number, count: number, selection: number): MailboxResult {
    const f = this.find(uuid);
    if (!f) return { retval: CxlRetval.UNSUPPORTED, data: Buffer.alloc(0) };
    if (this.defects.has('cxl-fw3-drops-telemetry') && this.fwVersion === '3.0' && f.spec.id === 3) {
      return { retval: CxlRetval.UNSUPPORTED, data: Buffer.alloc(0) };
    }
    if (this.defects.has('cxl-get-writes-saved') && f.spec.id === 0) f.saved[0] = (f.saved[0]! + 1) & 0xff; // a read that writes
    // The mock ignores `selection`: every selection reads the current value.
    void selection;
    const src = f.current;
    if (offset + count > src.length) return { retval: CxlRetval.INPUT, data: Buffer.alloc(0) };
    return { retval: CxlRetval.SUCCESS, data: Buffer.from(src.subarray(offset, offset + count)), at: offset };
  }

  /** Anything but a Feature command: only a defect lets one through. Media ops "succeed". */
  other(opcode: number): number {
    return opcode >= 0x4000 ? CxlRetval.SUCCESS : CxlRetval.UNSUPPORTED;
  }

  setFeature(uuid: string, flags: number, offset: number, data: Buffer): number {
    const f = this.find(uuid);
    if (!f) return CxlRetval.UNSUPPORTED;
    // cxl-exclusive-left-to-device: this firmware keeps the kernel's features from the host, as cxl_test's
    // mock (which lists none of them) does: Unsupported, nothing written. The driver should never have sent it.
    if (this.defects.has('cxl-exclusive-left-to-device') && KERNEL_EXCLUSIVE.has(uuid)) return CxlRetval.UNSUPPORTED;
    if ((flags & CxlSetFlag.TRANSFER_MASK) !== CxlSetFlag.FULL || offset !== 0) return CxlRetval.INPUT;
    // The mock copies the feature's size from the payload, which the kernel zero-fills past the data.
    const value = Buffer.alloc(f.current.length);
    data.copy(value, 0, 0, Math.min(data.length, value.length));
    value.copy(f.current);
    if (flags & CxlSetFlag.SAVED_ACROSS_RESET) value.copy(f.saved);
    return CxlRetval.SUCCESS;
  }
}
