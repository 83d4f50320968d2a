/** Device profiles: loaded from profiles/, validated, with semantic checks the schema cannot express. */
import { existsSync } from 'node:fs';
import { codecFor, codecIds } from '../codecs/index.js';
import { CtsError } from '../errors.js';
import type { Command, Effects, Profile, ScopeName } from '../generated/profile.js';
import { ROOT } from '../paths.js';
import { loadJson } from '../schema/validate.js';
import { isPluginDeviceType, pluginProfile } from '../plugins/registry.js';
import { SCOPES } from '../../uapi/fwctl.js';

export type { Command, Effects, Probe, Profile, ScopeName } from '../generated/profile.js';

export const PROFILES_DIR = `${ROOT}profiles/`;

/** The lowest scope each kind of effect may be allowed at (fwctl.rst "Scope of Action"). */
export const EFFECTS_FLOOR: Record<Effects, ScopeName> = {
  'read-only': 'CONFIGURATION',
  'config-after-reset': 'CONFIGURATION',
  'runtime-config-transparent': 'CONFIGURATION',
  'debug-read': 'DEBUG_READ_ONLY',
  'debug-write': 'DEBUG_WRITE',
  'full-access': 'DEBUG_WRITE_FULL',
};

export function scopeValue(name: ScopeName): number {
  return SCOPES.indexOf(name);
}

const cache = new Map<string, Profile>();

/** The uAPI's device type names (include/uapi/fwctl/fwctl.h); plugins declare others (docs/plugins.md). */
const UAPI_DEVICE_TYPES = ['mlx5', 'cxl', 'bnxt', 'pds'];

/** A profile by id (profiles/<id>.json, or one a loaded plugin provides) or by file path. */
export function loadProfile(idOrFile: string): Profile {
  const cached = cache.get(idOrFile);
  if (cached) return cached;
  const file = /^[a-z0-9-]+$/.test(idOrFile) ? (pluginProfile(idOrFile) ?? `${PROFILES_DIR}${idOrFile}.json`) : idOrFile;
  if (!existsSync(file)) throw new CtsError('CTS_E_READ_FILE', `profile '${idOrFile}': no such profile in profiles/ or a loaded plugin, and no such file`);
  const profile = loadJson<Profile>(file, 'profile');
  // The schema only says it is an id: a registered (plugin), data or TypeScript codec must have it (harness/codecs/index.ts).
  if (!codecFor(profile.codec)) {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}: /codec: expected the id of a codec (a data codec codecs/<id>.json, one of ${codecIds().join(', ')}, or one a loaded plugin provides), got '${profile.codec}'`, 'a plugin adds codecs: --plugin, docs/plugins.md');
  }
  if (!UAPI_DEVICE_TYPES.includes(profile.deviceType) && !isPluginDeviceType(profile.deviceType)) {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}: /deviceType: expected a uAPI device type (${UAPI_DEVICE_TYPES.join(', ')}) or one a loaded plugin declares, got '${profile.deviceType}'`, 'a plugin declares device types: --plugin, docs/plugins.md');
  }
  const names = new Map<string, number>();
  profile.commands.forEach((c, i) => {
    if (names.has(c.name)) throw new CtsError('CTS_E_INVALID_FILE', `${file}: /commands/${i}/name: duplicate command '${c.name}'`);
    names.set(c.name, i);
    if (c.safeProbe && (c.effects !== 'read-only' && c.effects !== 'debug-read')) {
      throw new CtsError('CTS_E_INVALID_FILE', `${file}: /commands/${i}/safeProbe: expected false for a command with effects '${c.effects}' (only reads are safe probes)`);
    }
  });
  for (const key of ['alloc', 'query', 'free'] as const) {
    const name = profile.ownObjects?.[key];
    if (name !== undefined && !names.has(name)) {
      throw new CtsError('CTS_E_INVALID_FILE', `${file}: /ownObjects/${key}: expected the name of a catalogued command, got '${name}'`);
    }
  }
  const refusal = profile.kernelObjects?.refusal;
  if (refusal?.errnos && refusal.by !== 'kernel') {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}: /kernelObjects/refusal/errnos: expected only with by 'kernel' (a device's refusal is a status, not an errno), got by '${refusal.by}'`);
  }
  cache.set(idOrFile, profile);
  return profile;
}

export function command(profile: Profile, name: string): Command {
  const c = profile.commands.find((x) => x.name === name);
  if (!c) throw new Error(`profile ${profile.id} has no command ${name}`);
  return c;
}

/** Is the command present at this firmware version? Versions compare numerically part by part. */
export function presentAt(c: Command, fw: string | undefined): boolean {
  if (!c.since || !fw) return true;
  const a = c.since.split('.').map(Number);
  const b = fw.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((b[i] ?? 0) !== (a[i] ?? 0)) return (b[i] ?? 0) > (a[i] ?? 0);
  }
  return true;
}
