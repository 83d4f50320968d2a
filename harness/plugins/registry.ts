/**
 * What loaded plugins add (docs/plugins.md): profiles and policy packs by id,
 * device types the uAPI does not define yet. A leaf module: profile, policy
 * and codec lookups consult it without importing the loader.
 */
import type { PluginRecord } from '../generated/report.js';

export type { PluginRecord };

const profiles = new Map<string, string>();
/** Plugin profile ids by the device type they describe. */
const profilesByType = new Map<string, string[]>();
const policies = new Map<string, string>();
const deviceTypes = new Map<number, string>();
const loaded: PluginRecord[] = [];

/** The profile file a plugin provides under this id. */
export function pluginProfile(id: string): string | undefined {
  return profiles.get(id);
}

/** Every plugin profile: id → file. */
export function pluginProfiles(): ReadonlyMap<string, string> {
  return profiles;
}

export function pluginPolicy(id: string): string | undefined {
  return policies.get(id);
}

/** The name a plugin gives this out_device_type value. */
export function pluginDeviceTypeName(value: number): string | undefined {
  return deviceTypes.get(value);
}

export function pluginDeviceTypeValues(): number[] {
  return [...deviceTypes.keys()];
}

export function isPluginDeviceType(name: string): boolean {
  return [...deviceTypes.values()].includes(name);
}

/** The plugins loaded in this process, in load order (the report records them). */
export function loadedPlugins(): readonly PluginRecord[] {
  return loaded;
}

export function addDeviceType(value: number, name: string): void {
  deviceTypes.set(value, name);
}

export function addProfile(id: string, file: string, deviceType: string): void {
  profiles.set(id, file);
  profilesByType.set(deviceType, [...(profilesByType.get(deviceType) ?? []), id]);
}

/** The first profile a plugin provides for a device type (by name). */
export function pluginProfileForType(deviceType: string): string | undefined {
  return profilesByType.get(deviceType)?.[0];
}

/** The profile a plugin provides for the out_device_type a driver reports, when a plugin declares that type. */
export function pluginProfileForValue(value: number | undefined): string | undefined {
  const name = value === undefined ? undefined : deviceTypes.get(value);
  return name === undefined ? undefined : pluginProfileForType(name);
}

/** The prefix of every skip reason and message about a device type nothing describes. */
export const UNKNOWN_DEVICE_TYPE = 'unknown device type';

/**
 * Why device-specific tests skip on a device type nothing describes, naming
 * what to provide: one line, the same in the report and on stderr.
 */
export function unknownDeviceType(value: number | string, from: string): string {
  const what = typeof value === 'number' ? `${value}` : `'${value}'`;
  return `${UNKNOWN_DEVICE_TYPE} ${what} (${from}): no profile describes it; provide one in a plugin that declares the type (--plugin <dir|package>, docs/plugins.md)`;
}

export function addPolicy(id: string, file: string): void {
  policies.set(id, file);
}

export function addRecord(record: PluginRecord): void {
  loaded.push(record);
}
