/**
 * The run journal (issue #12): each test's result appended to `<report dir>/journal.jsonl` as it
 * ends, after a header line with the run's options. After a kill or a crash (a kernel oops takes
 * the harness with it), `run --resume DIR` runs only what the journal lacks and writes the report
 * an uninterrupted run would have written.
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CtsError } from '../errors.js';
import type { TestResult } from '../runner/types.js';

export const JOURNAL = 'journal.jsonl';
const FORMAT = 'fwctl-cts-journal/1';

/** The run options a resume repeats (the CLI's parsed `run` options that decide the plan and outcomes). */
export type JournalOptions = Record<string, unknown>;

export class Journal {
  private constructor(private readonly file: string) {}

  /** Start a new journal in `dir`, replacing an old one. */
  static create(dir: string, options: JournalOptions): Journal {
    const file = join(dir, JOURNAL);
    const fd = openSync(file, 'w', 0o644);
    try {
      writeSync(fd, `${JSON.stringify({ format: FORMAT, options })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return new Journal(file);
  }

  /** Continue the journal of a resumed run. */
  static append(dir: string): Journal {
    return new Journal(join(dir, JOURNAL));
  }

  /** One line per result, appended whole: a kill can tear only the last line, which a resume drops. */
  record(r: TestResult): void {
    appendFileSync(this.file, `${JSON.stringify(r)}\n`);
  }
}

export function readJournal(dir: string): { options: JournalOptions; results: TestResult[] } {
  const file = join(dir, JOURNAL);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CtsError('CTS_E_READ_FILE', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (--resume needs the report directory of a run)`);
  }
  const lines = text.split('\n');
  // A line without its newline was being written when the run died.
  if (!text.endsWith('\n')) lines.pop();
  const [head, ...rest] = lines.filter((l) => l.length > 0);
  let header: { format?: unknown; options?: unknown };
  try {
    header = JSON.parse(head ?? '');
  } catch {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}:1: expected the journal header {"format":"${FORMAT}",...}`);
  }
  if (header.format !== FORMAT || typeof header.options !== 'object' || header.options === null) {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}:1: /format: expected "${FORMAT}" with an options object`);
  }
  const results = rest.map((line, i) => {
    try {
      const r = JSON.parse(line) as TestResult;
      if (typeof r.id !== 'string' || typeof r.target !== 'string' || typeof r.outcome !== 'string') throw new Error('not a test result');
      return r;
    } catch (e) {
      throw new CtsError('CTS_E_INVALID_FILE', `${file}:${i + 2}: expected a test result (id, target, outcome): ${(e as Error).message}`);
    }
  });
  return { options: header.options as JournalOptions, results };
}
