/* Generated from schemas/plugin.schema.json by scripts/gen-types.mjs: do not edit. */

/**
 * The name profiles use in deviceType.
 */
export type PluginItemName = string;
/**
 * A path relative to the manifest's directory, without '..'.
 *
 * This interface was referenced by `Plugin`'s JSON-Schema
 * via the `definition` "RelPath".
 */
export type RelPath = string;
/**
 * This interface was referenced by `Plugin`'s JSON-Schema
 * via the `definition` "CodecEntry".
 */
export type PluginCodec = CodecEntry & CodecEntry1;
export type CodecEntry = {
  [k: string]: unknown;
};
/**
 * The name profiles use in codec.
 */
export type PluginItemName1 = string;
/**
 * A path relative to the manifest's directory, without '..'.
 */
export type RelPath1 = string;
/**
 * A path relative to the manifest's directory, without '..'.
 */
export type RelPath2 = string;
/**
 * This interface was referenced by `Plugin`'s JSON-Schema
 * via the `definition` "Name".
 */
export type PluginItemName2 = string;

/**
 * A fwctl-cts plugin manifest (fwctl-cts-plugin.json, docs/plugins.md): what a vendor adds to fwctl-cts without changing it. Paths are relative to the manifest's directory and stay inside it.
 */
export interface Plugin {
  $schema?: string;
  /**
   * The plugin interface version (docs/plugins.md). This harness speaks 1.
   */
  apiVersion: 1;
  /**
   * The plugin's name (an npm package name when shipped as one).
   */
  name: string;
  /**
   * The plugin's own version (semver), recorded in every report.
   */
  version: string;
  description?: string;
  /**
   * Device types the fwctl uAPI does not define yet (a driver not upstream claims a new enum fwctl_device_type value).
   */
  deviceTypes?: PluginDeviceType[];
  /**
   * Device profile files (schemas/profile.schema.json).
   */
  profiles?: RelPath[];
  codecs?: PluginCodec[];
  /**
   * Policy pack files (schemas/policy.schema.json), chosen with --policy <id>.
   */
  policies?: RelPath[];
}
/**
 * This interface was referenced by `Plugin`'s JSON-Schema
 * via the `definition` "DeviceType".
 */
export interface PluginDeviceType {
  name: PluginItemName;
  /**
   * The out_device_type FWCTL_INFO reports (values 0-4 are the kernel's).
   */
  value: number;
}
export interface CodecEntry1 {
  name: PluginItemName1;
  data?: RelPath1;
  module?: RelPath2;
}
