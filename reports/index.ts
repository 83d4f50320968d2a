/** Every report format, rendered from the canonical JSON and written atomically. */
import { join } from 'node:path';
import type { Report } from '../harness/generated/report.js';
import { baselineOf } from '../harness/expectations/expectations.js';
import type { TestResult } from '../harness/runner/types.js';
import { renderFailuresCsv, renderResultsCsv } from './csv.js';
import { renderJunit, type JunitOptions } from './junit.js';
import { renderKcidb, type KcidbOptions } from './kcidb.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderKtap, renderTap, renderTapFlat } from './tap.js';
import { writeAtomic } from './write.js';

export { renderSummary } from './summary.js';
export { prepareReportDir } from './write.js';

export type ReportOptions = JunitOptions & KcidbOptions;

export const REPORT_FILES: Record<string, (r: Report, opts: ReportOptions) => string> = {
  'report.json': (r: Report) => `${JSON.stringify(r, null, 2)}\n`,
  'report.tap': renderTap,
  'report.flat.tap': renderTapFlat,
  'report.ktap': renderKtap,
  'junit.xml': renderJunit,
  'report.kcidb.json': renderKcidb,
  'report.md': (r: Report) => renderMarkdown(r),
  'report.sarif': renderSarif,
  'results.csv': renderResultsCsv,
  'failures.csv': renderFailuresCsv,
  // The run's failures as an expectations file: the next baseline, once given owners and issues.
  'failures.json': (r: Report) => `${JSON.stringify(baselineOf(r.tests as TestResult[], r.run.startedAt.slice(0, 10)), null, 2)}\n`,
};

/** Write every format into `dir`; returns the paths written. */
export function writeReports(dir: string, report: Report, opts: ReportOptions = {}): string[] {
  return Object.entries(REPORT_FILES).map(([name, render]) => {
    const file = join(dir, name);
    writeAtomic(file, render(report, opts));
    return file;
  });
}
