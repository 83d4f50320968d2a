/** Write reports atomically: a reader sees the old file or the whole new one, never half. */
import { accessSync, constants, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtsError } from '../harness/errors.js';

export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Create the report directory and prove it is writable before a run starts. */
export function prepareReportDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.fwctl-cts-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    throw new CtsError('CTS_E_REPORT_DIR', `report directory '${dir}' is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
