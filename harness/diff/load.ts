/**
 * What `fwctl-cts diff` reads: a report.json, an inventory (`inventory --json`), or a directory
 * holding one (a report directory, a certification bundle). The kind is told by the file's
 * `format`; an inventory from before 0.6.0 has none, but its `devices` and `taint`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from '../generated/inventory.js';
import type { Report } from '../generated/report.js';
import { CtsError } from '../errors.js';
import { parseJsonFile, validate } from '../schema/validate.js';

export type Loaded = { kind: 'report'; file: string; report: Report } | { kind: 'inventory'; file: string; inventory: Inventory };

/** The file a directory stands for: its report.json, else its inventory.json. */
export function resolveInput(path: string): string {
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) return path;
  for (const name of ['report.json', 'inventory.json']) if (existsSync(join(path, name))) return join(path, name);
  throw new CtsError('CTS_E_READ_FILE', `${path}: a directory without report.json or inventory.json`, 'give a report.json, a report directory, a certification bundle or an inventory (fwctl-cts inventory --json)');
}

export function loadDiffInput(path: string): Loaded {
  const file = resolveInput(path);
  const data = parseJsonFile(file);
  const o = (typeof data === 'object' && data !== null && !Array.isArray(data) ? data : {}) as Record<string, unknown>;
  if (o.format === 'fwctl-cts-report/1') return { kind: 'report', file, report: validate<Report>(data, 'report', file) };
  if (o.format === 'fwctl-cts-inventory/1' || (o.format === undefined && 'devices' in o && 'taint' in o)) {
    return { kind: 'inventory', file, inventory: validate<Inventory>(data, 'inventory', file) };
  }
  throw new CtsError('CTS_E_INVALID_FILE', `${file}: /format: expected "fwctl-cts-report/1" (report.json) or "fwctl-cts-inventory/1" (fwctl-cts inventory --json)`);
}

/** A report only (run --baseline): an inventory or anything else is bad input. */
export function loadBaselineReport(path: string): { file: string; report: Report } {
  const loaded = loadDiffInput(path);
  if (loaded.kind !== 'report') throw new CtsError('CTS_E_INVALID_FILE', `${loaded.file}: an inventory: --baseline takes a report.json (or a report directory)`);
  return loaded;
}
