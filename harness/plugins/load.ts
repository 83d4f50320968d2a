/**
 * Loading plugins (docs/plugins.md): find the manifest of a directory or npm
 * package, validate it and everything it names, register its profiles, codecs,
 * policy packs and device types, and digest its files for the report.
 *
 * Worker threads load the same plugins: the CLI puts the manifests it loaded in
 * FWCTL_CTS_PLUGINS, which they inherit, and every task loads them first.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { codecFor, codecIds, loadDataCodec, registerCodec, type Codec } from '../codecs/index.js';
import { CtsError } from '../errors.js';
import type { Config } from '../generated/config.js';
import type { Plugin } from '../generated/plugin.js';
import { loadPolicy } from '../policy/policy.js';
import { PROFILES_DIR, loadProfile } from '../profiles/profile.js';
import { loadJson } from '../schema/validate.js';
import { addDeviceType, addPolicy, addProfile, addRecord, loadedPlugins, pluginDeviceTypeName, pluginProfile, type PluginRecord } from './registry.js';

/** The plugin interface version this harness speaks (schemas/plugin.schema.json apiVersion). */
export const PLUGIN_API_VERSION = 1;
export const MANIFEST = 'fwctl-cts-plugin.json';
export const CONFIG_FILE = 'fwctl-cts.config.json';
/** The environment variable that hands the loaded manifests to worker threads. */
export const PLUGINS_ENV = 'FWCTL_CTS_PLUGINS';

/** A plugin's digest covers at most this many files (a plugin is a few data files, not a tree). */
const MAX_FILES = 10_000;

/** Bad plugin input: the manifest (or the file it names), the JSON pointer, what was expected. */
function bad(file: string, pointer: string, expected: string): CtsError {
  return new CtsError('CTS_E_INVALID_FILE', `${file}: ${pointer}: ${expected}`, 'the plugin interface is docs/plugins.md');
}

/**
 * The manifest file of `spec`: a directory holding fwctl-cts-plugin.json, the
 * manifest itself, or an npm package name found in node_modules from `from` up.
 */
export function resolvePlugin(spec: string, from: string = process.cwd()): string {
  const path = resolve(from, spec);
  if (/^[./]/.test(spec) || spec.includes(sep) && !spec.startsWith('@') || existsSync(path)) {
    if (existsSync(path) && statSync(path).isDirectory()) {
      const m = join(path, MANIFEST);
      if (!existsSync(m)) throw new CtsError('CTS_E_READ_FILE', `plugin '${spec}': ${path} has no ${MANIFEST}`, 'a plugin directory holds its manifest, docs/plugins.md');
      return m;
    }
    if (existsSync(path)) return path;
    throw new CtsError('CTS_E_READ_FILE', `plugin '${spec}': no such directory or file`);
  }
  // An npm package: node's resolution would stop at its `exports`, so look for the manifest itself.
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const m = join(dir, 'node_modules', spec, MANIFEST);
    if (existsSync(m)) return m;
    if (dirname(dir) === dir) break;
  }
  throw new CtsError('CTS_E_READ_FILE', `plugin '${spec}': no package of that name with a ${MANIFEST} in node_modules (from ${resolve(from)} up), and no such directory`, 'npm install the plugin, or give its directory');
}

/** Files of a plugin directory, relative, sorted bytewise; node_modules and dot-directories are not the plugin's. */
export function pluginFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        if (name !== 'node_modules' && !name.startsWith('.') && name !== '__pycache__') walk(full);
      } else if (st.isFile()) {
        out.push(relative(root, full).split(sep).join('/'));
        if (out.length > MAX_FILES) throw new CtsError('CTS_E_INVALID_FILE', `${root}: more than ${MAX_FILES} files: expected a plugin directory`);
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/**
 * SHA-256 of the `sha256sum` listing of the plugin's files ("<hex>  <path>\n"
 * each, paths sorted bytewise): `find . -type f -printf '%P\n' | LC_ALL=C sort
 * | xargs sha256sum | sha256sum` in the plugin directory gives the same.
 */
export function pluginDigest(root: string): { sha256: string; files: number } {
  return listingDigest(pluginFiles(root).map((f) => [f, readFileSync(join(root, f))]));
}

/** The same digest over files given as [path, bytes] (a certification bundle's copy of a plugin). */
export function listingDigest(files: readonly (readonly [string, Buffer])[]): { sha256: string; files: number } {
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const listing = sorted.map(([f, bytes]) => `${createHash('sha256').update(bytes).digest('hex')}  ${f}\n`).join('');
  return { sha256: createHash('sha256').update(listing).digest('hex'), files: files.length };
}

/** A path the manifest names: it must be a file inside the plugin directory. */
function member(manifest: string, root: string, pointer: string, rel: string): string {
  const file = resolve(root, rel);
  if (!existsSync(file) || !statSync(file).isFile()) throw bad(manifest, pointer, `expected a file inside the plugin directory, got '${rel}' (no such file)`);
  if (!realpathSync(file).startsWith(realpathSync(root) + sep)) throw bad(manifest, pointer, `expected a file inside the plugin directory, got '${rel}' (it leads outside)`);
  return file;
}

/** A JS codec module's default export, checked against the Codec interface's required members. */
async function moduleCodec(manifest: string, pointer: string, name: string, file: string): Promise<Codec> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw bad(manifest, pointer, `expected an ES module, but importing ${file} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  const c = mod.default as Partial<Codec> | undefined;
  for (const fn of ['encode', 'status', 'payload'] as const) {
    if (typeof c?.[fn] !== 'function') throw bad(manifest, pointer, `expected the module's default export to implement Codec (harness/codecs/codec.ts): no ${fn}() method`);
  }
  if (c!.name !== name) throw bad(manifest, pointer, `expected the module's codec to be named '${name}', got ${JSON.stringify(c!.name)}`);
  return c as Codec;
}

/** A codec described as data (schemas/codec.schema.json, docs/codecs.md), through the data-codec engine. */
function dataCodec(manifest: string, pointer: string, name: string, file: string): Codec {
  const c = loadDataCodec(file); // a malformed codec file is its own file, pointer and expectation
  if (c.name !== name) throw bad(manifest, pointer, `expected the data codec in ${file} to have the id '${name}', got ${JSON.stringify(c.name)}`);
  return c;
}

/** Load one plugin by manifest file; loading the same manifest twice is a no-op. */
export async function loadPlugin(manifest: string): Promise<PluginRecord> {
  const real = realpathSync(manifest);
  const again = loaded.get(real);
  if (again) return again;
  const root = dirname(real);
  const p = loadJson<Plugin>(real, 'plugin');
  const other = loadedPlugins().find((r) => r.name === p.name);
  if (other) throw bad(real, '/name', `expected a plugin not loaded yet: '${p.name}' was loaded from another directory`);

  const deviceTypes: [number, string][] = [];
  (p.deviceTypes ?? []).forEach((t, i) => {
    const known = pluginDeviceTypeName(t.value);
    if (known !== undefined && known !== t.name) throw bad(real, `/deviceTypes/${i}/value`, `expected a value no other plugin claims: ${t.value} is '${known}'`);
    deviceTypes.push([t.value, t.name]);
  });
  // Codecs first: profiles name them.
  for (const [i, c] of (p.codecs ?? []).entries()) {
    const pointer = `/codecs/${i}`;
    if (codecFor(c.name)) throw bad(real, `${pointer}/name`, `expected a codec name not taken: '${c.name}' is already defined (${codecIds().join(', ')})`);
    const codec = c.module !== undefined
      ? await moduleCodec(real, `${pointer}/module`, c.name, member(real, root, `${pointer}/module`, c.module))
      : dataCodec(real, `${pointer}/data`, c.name, member(real, root, `${pointer}/data`, c.data!));
    registerCodec(codec);
  }
  const policies: [string, string][] = (p.policies ?? []).map((rel, i) => {
    const file = member(real, root, `/policies/${i}`, rel);
    return [loadPolicy(file).policy.id, file];
  });
  const profileFiles = (p.profiles ?? []).map((rel, i) => member(real, root, `/profiles/${i}`, rel));
  const digest = pluginDigest(root);
  const record: PluginRecord = { name: p.name, version: p.version, apiVersion: p.apiVersion, sha256: digest.sha256, files: digest.files };
  for (const [id, file] of policies) addPolicy(id, file);
  // Before the profiles are checked: they may name this plugin's device types.
  for (const [value, name] of deviceTypes) addDeviceType(value, name);
  profileFiles.forEach((file, i) => {
    const profile = loadProfile(file);
    const taken = pluginProfile(profile.id);
    if (taken && taken !== file) throw bad(real, `/profiles/${i}`, `expected a profile id not taken: '${profile.id}' is also ${taken}`);
    if (existsSync(`${PROFILES_DIR}${profile.id}.json`)) throw bad(real, `/profiles/${i}`, `expected a profile id not taken: '${profile.id}' is a built-in profile`);
    addProfile(profile.id, file, profile.deviceType);
  });
  addRecord(record);
  loaded.set(real, record);
  return record;
}

const loaded = new Map<string, PluginRecord>();

/** Each loaded plugin's record and directory (a certification bundle copies its files). */
export function loadedPluginDirs(): { record: PluginRecord; root: string }[] {
  return [...loaded].map(([manifest, record]) => ({ record, root: dirname(manifest) }));
}

/** The plugins a config file names, resolved from the config file's directory. */
export function configPlugins(file: string): string[] {
  const config = loadJson<Config>(file, 'config');
  return (config.plugins ?? []).map((spec, i) => {
    try {
      return resolvePlugin(spec, dirname(resolve(file)));
    } catch (e) {
      throw bad(file, `/plugins/${i}`, `expected a plugin directory or installed package: ${(e as Error).message}`);
    }
  });
}

/**
 * The CLI's plugins: those of the config file (--config, else ./fwctl-cts.config.json
 * when present), then every --plugin. Loaded here and handed to worker threads.
 */
export async function loadCliPlugins(specs: readonly string[], config: string | undefined): Promise<PluginRecord[]> {
  const file = config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  if (config !== undefined && !existsSync(config)) throw new CtsError('CTS_E_READ_FILE', `--config ${config}: no such file`);
  const manifests = [...(file ? configPlugins(file) : []), ...specs.map((s) => resolvePlugin(s))];
  const records: PluginRecord[] = [];
  for (const m of manifests) records.push(await loadPlugin(m));
  if (manifests.length) process.env[PLUGINS_ENV] = JSON.stringify(manifests.map((m) => realpathSync(m)));
  return records;
}

/** What a run journal keeps of the loaded plugins, so `run --resume` loads the same ones. */
export function journaledPlugins(): { manifest: string; sha256: string }[] {
  return [...loaded].map(([manifest, record]) => ({ manifest, sha256: record.sha256 }));
}

/**
 * `run --resume`: load the plugins the interrupted run had loaded (its journal's list), and
 * refuse to finish the run with a plugin whose files changed since: its results would mix two
 * plugins under one digest.
 */
export async function resumePlugins(journal: string, list: unknown): Promise<void> {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new CtsError('CTS_E_INVALID_FILE', `${journal}: /options/plugins: expected an array of { manifest, sha256 }`);
  for (const [i, entry] of list.entries()) {
    const e = entry as { manifest?: unknown; sha256?: unknown };
    if (typeof e?.manifest !== 'string' || typeof e.sha256 !== 'string') throw new CtsError('CTS_E_INVALID_FILE', `${journal}: /options/plugins/${i}: expected { manifest, sha256 } strings`);
    if (!existsSync(e.manifest)) throw new CtsError('CTS_E_READ_FILE', `${journal}: /options/plugins/${i}: the run used the plugin ${e.manifest}, which is gone (resume needs the same plugins)`);
    const record = await loadPlugin(e.manifest);
    if (record.sha256 !== e.sha256) {
      throw new CtsError('CTS_E_USAGE', `${journal}: /options/plugins/${i}: plugin ${record.name} changed since the run started (sha256 ${record.sha256.slice(0, 12)}…, the run had ${e.sha256.slice(0, 12)}…): start a new run`);
    }
  }
  const manifests = [...loaded.keys()];
  if (manifests.length) process.env[PLUGINS_ENV] = JSON.stringify(manifests);
}

/** In a worker thread (or agent): the plugins the CLI loaded. */
export async function loadEnvPlugins(): Promise<void> {
  const text = process.env[PLUGINS_ENV];
  if (!text) return;
  for (const m of JSON.parse(text) as string[]) await loadPlugin(m);
}
