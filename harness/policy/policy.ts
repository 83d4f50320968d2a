import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { CtsError } from '../errors.js';
import type { Policy, Rule } from '../generated/policy.js';
import { POLICIES_DIR, ROOT } from '../paths.js';
import { loadJson } from '../schema/validate.js';
import { pluginPolicy } from '../plugins/registry.js';

export type { Policy, Rule } from '../generated/policy.js';

export interface LoadedPolicy {
  policy: Policy;
  file: string;
  byId: ReadonlyMap<string, Rule>;
}

/** A pack name from policies/ ('upstream') or a path to a policy file. */
export function resolvePolicy(nameOrFile: string): string {
  const fromPlugin = /^[a-z0-9-]+$/.test(nameOrFile) ? pluginPolicy(nameOrFile) : undefined;
  if (fromPlugin) return fromPlugin;
  if (/^[a-z0-9-]+$/.test(nameOrFile) && existsSync(`${POLICIES_DIR}${nameOrFile}.json`)) {
    return `${POLICIES_DIR}${nameOrFile}.json`;
  }
  if (existsSync(nameOrFile)) return nameOrFile;
  throw new CtsError('CTS_E_READ_FILE', `policy '${nameOrFile}': no such pack in policies/ or a loaded plugin, and no such file`);
}

export function loadPolicy(nameOrFile: string): LoadedPolicy {
  const file = resolvePolicy(nameOrFile);
  const policy = loadJson<Policy>(file, 'policy');
  const byId = new Map<string, Rule>();
  policy.rules.forEach((rule, i) => {
    if (byId.has(rule.id)) throw new CtsError('CTS_E_INVALID_FILE', `${file}: /rules/${i}/id: duplicate rule id '${rule.id}'`);
    if (rule.area !== rule.id.split('.')[0]) {
      throw new CtsError('CTS_E_INVALID_FILE', `${file}: /rules/${i}/area: expected '${rule.id.split('.')[0]}' (the first part of the id '${rule.id}')`);
    }
    byId.set(rule.id, rule);
  });
  return { policy, file, byId };
}

/**
 * The policy file as a report records it: a bundled pack relative to the package
 * (`policies/upstream.json`), a file under the working directory relative to it, anything
 * else as given. A report names no machine's install path.
 */
export function reportedPolicyFile(file: string): string {
  if (file.startsWith(POLICIES_DIR)) return relative(ROOT, file);
  const rel = relative(process.cwd(), file);
  return isAbsolute(file) && rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** The policy a report was judged under: its recorded file where that still exists here, else its pack id. */
export function reportedPolicy(recorded: { id: string; file?: string }): string {
  const f = recorded.file;
  if (f && /^policies\/[a-z0-9-]+\.json$/.test(f) && existsSync(`${ROOT}${f}`)) return `${ROOT}${f}`;
  return f && existsSync(f) ? f : recorded.id;
}
