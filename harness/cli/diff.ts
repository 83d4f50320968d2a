/**
 * `fwctl-cts diff A B`: what changed between two runs (reports, report directories, certification
 * bundles) or two inventories. Exit 1 on a regression, 0 otherwise, 2 for input it cannot read.
 */
import { writeFileSync } from 'node:fs';
import { CtsError } from '../errors.js';
import type { Diff } from '../generated/diff.js';
import { diffInventories } from '../diff/inventory.js';
import { loadDiffInput } from '../diff/load.js';
import { renderDiff, renderDiffMarkdown } from '../diff/render.js';
import { diffReports } from '../diff/reports.js';

export interface DiffCliOptions {
  pair?: string[];
  json?: string;
  markdown?: string;
}

export function computeDiff(pathA: string, pathB: string, pairs: readonly string[] = []): Diff {
  const a = loadDiffInput(pathA);
  const b = loadDiffInput(pathB);
  if (a.kind !== b.kind) throw new CtsError('CTS_E_USAGE', `diff: ${a.file} is ${a.kind === 'report' ? 'a report' : 'an inventory'} but ${b.file} is ${b.kind === 'report' ? 'a report' : 'an inventory'}: compare like with like`);
  if (a.kind === 'inventory' && b.kind === 'inventory') {
    if (pairs.length) throw new CtsError('CTS_E_USAGE', 'diff: --pair pairs the targets of reports, not inventories');
    return diffInventories(a, b);
  }
  if (a.kind === 'report' && b.kind === 'report') return diffReports(a, b, { pairs });
  throw new CtsError('CTS_E_INTERNAL', 'diff: unreachable');
}

/** `-` is stdout; a file is written whole. */
function emit(dest: string, text: string, out: NodeJS.WritableStream): void {
  if (dest === '-') {
    out.write(text);
    return;
  }
  try {
    writeFileSync(dest, text);
  } catch (e) {
    throw new CtsError('CTS_E_REPORT_DIR', `${dest}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Runs the command; returns its exit code. The terminal summary is left out when --json or --markdown takes stdout. */
export function runDiff(pathA: string, pathB: string, o: DiffCliOptions, out: NodeJS.WritableStream): number {
  if (o.json === '-' && o.markdown === '-') throw new CtsError('CTS_E_USAGE', 'diff: --json - and --markdown - cannot both write to stdout');
  const diff = computeDiff(pathA, pathB, o.pair);
  if (o.json !== undefined) emit(o.json, `${JSON.stringify(diff, null, 2)}\n`, out);
  if (o.markdown !== undefined) emit(o.markdown, renderDiffMarkdown(diff), out);
  if (o.json !== '-' && o.markdown !== '-') out.write(renderDiff(diff));
  return diff.regression ? 1 : 0;
}
