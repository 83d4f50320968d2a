import { existsSync } from 'node:fs';
import { CtsError } from '../errors.js';
import type { Policy, Rule } from '../generated/policy.js';
import { POLICIES_DIR } from '../paths.js';
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
