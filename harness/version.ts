import { readFileSync } from 'node:fs';
import { ROOT } from './paths.js';

/** The harness version, from package.json; it goes into every report. */
export const VERSION: string = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
