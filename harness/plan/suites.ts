import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, relative, sep } from 'node:path';

/** A compiled suite file: `uapi/dispatch` → dist/suites/uapi/dispatch.spec.js. */
export interface SuiteRef {
  name: string;
  url: string;
}

export const SUITES_DIR = fileURLToPath(new URL('../../suites/', import.meta.url));

/** Every `*.spec.js` under `dir`, sorted by name so plans are deterministic. */
export function discoverSuites(dir: string = SUITES_DIR): SuiteRef[] {
  const out: SuiteRef[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.spec.js')) {
        out.push({ name: relative(dir, p).split(sep).join('/').replace(/\.spec\.js$/, ''), url: pathToFileURL(p).href });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
