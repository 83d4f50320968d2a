/** Every report format, rendered from the canonical JSON and written atomically. */
import { join } from 'node:path';
import type { Report } from '../harness/generated/report.js';
import { renderJunit } from './junit.js';
import { renderKtap, renderTap } from './tap.js';
import { writeAtomic } from './write.js';

export { renderSummary } from './summary.js';
export { prepareReportDir } from './write.js';

export const REPORT_FILES = {
  'report.json': (r: Report) => `${JSON.stringify(r, null, 2)}\n`,
  'report.tap': renderTap,
  'report.ktap': renderKtap,
  'junit.xml': renderJunit,
} as const;

/** Write every format into `dir`; returns the paths written. */
export function writeReports(dir: string, report: Report): string[] {
  return Object.entries(REPORT_FILES).map(([name, render]) => {
    const file = join(dir, name);
    writeAtomic(file, render(report));
    return file;
  });
}
