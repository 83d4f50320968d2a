/** Every report format, rendered from the canonical JSON and written atomically. */
import { join } from 'node:path';
import type { Report } from '../harness/generated/report.js';
import { renderFailuresCsv, renderResultsCsv } from './csv.js';
import { renderJunit, type JunitOptions } from './junit.js';
import { renderKtap, renderTap, renderTapFlat } from './tap.js';
import { writeAtomic } from './write.js';

export { renderSummary } from './summary.js';
export { prepareReportDir } from './write.js';

export type ReportOptions = JunitOptions;

export const REPORT_FILES = {
  'report.json': (r: Report) => `${JSON.stringify(r, null, 2)}\n`,
  'report.tap': renderTap,
  'report.flat.tap': renderTapFlat,
  'report.ktap': renderKtap,
  'junit.xml': renderJunit,
  'results.csv': renderResultsCsv,
  'failures.csv': renderFailuresCsv,
} as const satisfies Record<string, (r: Report, opts: ReportOptions) => string>;

/** Write every format into `dir`; returns the paths written. */
export function writeReports(dir: string, report: Report, opts: ReportOptions = {}): string[] {
  return Object.entries(REPORT_FILES).map(([name, render]) => {
    const file = join(dir, name);
    writeAtomic(file, render(report, opts));
    return file;
  });
}
