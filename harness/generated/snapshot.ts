/* Generated from schemas/snapshot.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * What `fwctl-cts snapshot` recorded of one or more devices: FWCTL_INFO and every stable- and debug-scope read response the run could send. `fwctl-cts run --abi-baseline <file>` runs the abi rules against it after a firmware or kernel update.
 */
export interface Snapshot {
  format: "fwctl-cts-snapshot/1";
  tool: {
    name: string;
    version: string;
  };
  /**
   * When it was taken (ISO 8601).
   */
  createdAt: string;
  devices: DeviceRecord[];
}
/**
 * One device as it was when the snapshot was taken.
 *
 * This interface was referenced by `Snapshot`'s JSON-Schema
 * via the `definition` "DeviceRecord".
 */
export interface DeviceRecord {
  /**
   * The target string it was taken from, e.g. dev:/dev/fwctl/fwctl0.
   */
  target: string;
  kind: "sim" | "exec" | "dev";
  /**
   * Device type or model, lower case (cxl).
   */
  model: string;
  /**
   * The device profile the responses were sent and read with.
   */
  profile: string;
  /**
   * The running kernel's release (dev: targets).
   */
  kernel?: string;
  /**
   * Firmware version, when the target tells it.
   */
  fw?: string;
  /**
   * Device node name, e.g. fwctl0.
   */
  device?: string;
  /**
   * A serial number naming the device across reboots (sysfs serial of the parent).
   */
  serial?: string;
  info: InfoRecord;
  responses: ResponseRecord[];
}
/**
 * FWCTL_INFO with room for 256 bytes of device data.
 *
 * This interface was referenced by `Snapshot`'s JSON-Schema
 * via the `definition` "InfoRecord".
 */
export interface InfoRecord {
  ret: number;
  errno?: string;
  deviceType?: number;
  /**
   * The device data the driver wrote, hex.
   */
  deviceData?: string;
}
/**
 * One profile command at its minimum scope.
 *
 * This interface was referenced by `Snapshot`'s JSON-Schema
 * via the `definition` "ResponseRecord".
 */
export interface ResponseRecord {
  /**
   * The profile command's name.
   */
  command: string;
  scope: number;
  stability: "stable" | "debug";
  ret: number;
  errno?: string;
  /**
   * The device's own verdict (codec status).
   */
  ok?: boolean;
  status?: string;
  /**
   * The response bytes whose layout is ABI (codec payload), hex, nothing blanked.
   */
  payload?: string;
}
