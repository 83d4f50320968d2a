/**
 * A certification bundle: one flat directory holding a certification run's report.json, every
 * rendering of it, the policy, plan, expectations and environment it was made with, and
 * manifest.json with the SHA-256 of each of those files. manifest.json.sig, when present, is
 * OpenSSH's signature of manifest.json (ssh-keygen -Y sign, namespace `fwctl-cts`): signing the
 * manifest signs every file it digests. Hashing only (node:crypto); no crypto of our own.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CtsError } from '../errors.js';
import type { BundleFile, BundleManifest } from '../generated/bundle.js';

export type { BundleFile, BundleManifest } from '../generated/bundle.js';

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.json.sig';
/** The ssh-keygen -Y namespace: a signature made for another purpose does not verify here. */
export const SIG_NAMESPACE = 'fwctl-cts';
export const BUNDLE_FORMAT = 'fwctl-cts-bundle/1';

/** The bundle's own files besides the renderings (reports/index.ts REPORT_FILES). */
export const POLICY_FILE = 'policy.json';
export const PLAN_FILE = 'plan.json';
export const ENVIRONMENT_FILE = 'environment.json';
export const EXPECTATIONS_FILE = 'expectations.json';

/** A plugin the run loaded, copied whole: plugin-<name>.json (the bundle stays one flat directory). */
export const pluginPackFile = (name: string) => `plugin-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
export const PLUGIN_PACK_FORMAT = 'fwctl-cts-bundle-plugin/1';

export interface PluginPack {
  format: typeof PLUGIN_PACK_FORMAT;
  name: string;
  version: string;
  /** Every file of the plugin directory (those its digest covers), base64. */
  files: { path: string; base64: string }[];
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function describeFile(name: string, content: Buffer | string): BundleFile {
  return { name, sha256: sha256(content), bytes: Buffer.byteLength(content) };
}

/** Everything in a bundle directory but the manifest and its signature, sorted. */
export function bundleEntries(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== MANIFEST && n !== SIGNATURE).sort();
}

/**
 * Write `files` and their manifest as the new directory `dir`, all at once: into a fresh sibling
 * (mkdtemp), then one rename. An existing `dir` is never written into: a bundle holds one run only.
 */
export function writeBundle(dir: string, files: ReadonlyMap<string, string | Buffer>, manifest: Omit<BundleManifest, 'files'>): BundleManifest {
  const abs = resolve(dir);
  if (statSync(abs, { throwIfNoEntry: false })) {
    throw new CtsError('CTS_E_REPORT_DIR', `bundle directory '${dir}' already exists: a bundle holds one certification run`, 'give a new directory');
  }
  const full: BundleManifest = { ...manifest, files: [...files].map(([name, content]) => describeFile(name, content)).sort((a, b) => a.name.localeCompare(b.name)) };
  let tmp: string | undefined;
  try {
    tmp = mkdtempSync(join(dirname(abs), `.${basename(abs)}.tmp-`));
    for (const [name, content] of files) writeFileSync(join(tmp, name), content, { flag: 'wx', mode: 0o644 });
    writeFileSync(join(tmp, MANIFEST), `${JSON.stringify(full, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
    chmodSync(tmp, 0o755); // mkdtemp made it 0700 while it was being written
    renameSync(tmp, abs);
    tmp = undefined;
    return full;
  } catch (e) {
    throw new CtsError('CTS_E_REPORT_DIR', `cannot write bundle '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export function readBytes(dir: string, name: string): Buffer | undefined {
  try {
    return readFileSync(join(dir, name));
  } catch {
    return undefined;
  }
}
