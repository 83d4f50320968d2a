/** Every report format, rendered from the canonical JSON and written as one generation. */
import { join } from 'node:path';
import type { Report } from '../harness/generated/report.js';
import { CtsError } from '../harness/errors.js';
import { baselineOf } from '../harness/expectations/expectations.js';
import type { TestResult } from '../harness/runner/types.js';
import { renderFailuresCsv, renderResultsCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderJunit, type JunitOptions } from './junit.js';
import { renderKcidb, type KcidbOptions } from './kcidb.js';
import { renderMarkdown, type MarkdownOptions } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderKtap, renderTap, renderTapFlat } from './tap.js';
import { writeFallback, writeGeneration, type ReportFile } from './write.js';

export { renderSummary } from './summary.js';
export { prepareReportDir, releaseReportDir } from './write.js';

export type ReportOptions = JunitOptions & KcidbOptions & MarkdownOptions;

export const REPORT_FILES: Record<string, (r: Report, opts: ReportOptions) => string> = {
  'report.json': (r: Report) => `${JSON.stringify(r, null, 2)}\n`,
  'report.tap': renderTap,
  'report.flat.tap': renderTapFlat,
  'report.ktap': renderKtap,
  'junit.xml': renderJunit,
  'report.kcidb.json': renderKcidb,
  'report.md': (r: Report, opts: ReportOptions) => renderMarkdown(r, [], opts),
  'report.html': renderHtml,
  'report.sarif': renderSarif,
  'results.csv': renderResultsCsv,
  'failures.csv': renderFailuresCsv,
  // The run's failures as an expectations file: the next baseline, once given owners and issues.
  'failures.json': (r: Report) => `${JSON.stringify(baselineOf(r.tests as TestResult[], r.run.startedAt.slice(0, 10)), null, 2)}\n`,
};

/** The report directory could not be written; the reports were kept in `kept` (empty when that failed too). */
export class ReportsNotWritten extends CtsError {
  constructor(
    message: string,
    readonly kept: string[],
  ) {
    super('CTS_E_REPORT_DIR', message);
  }
}

export function renderReports(report: Report, opts: ReportOptions = {}): ReportFile[] {
  return Object.entries(REPORT_FILES).map(([name, render]) => ({ name, content: render(report, opts) }));
}

/**
 * Write every format into `dir` as one generation; returns the paths written.
 * When `dir` fails (disk full, removed, replaced) the reports go to a fresh
 * directory in the OS temp dir and ReportsNotWritten says where.
 */
export function writeReports(dir: string, report: Report, opts: ReportOptions = {}): string[] {
  const files = renderReports(report, opts);
  try {
    return writeGeneration(dir, files);
  } catch (e) {
    const why = (e as Error).message;
    let kept: string[] = [];
    try {
      kept = writeFallback(files);
    } catch {
      // nowhere to keep them: the caller still prints the summary
    }
    const where = kept.length ? `; they are in ${join(kept[0]!, '..')}` : '; they could not be kept anywhere (the summary below is all there is)';
    throw new ReportsNotWritten(`${why}${where}`, kept);
  }
}
