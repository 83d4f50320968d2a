import { fileURLToPath } from 'node:url';

/** The project root, from dist/harness/paths.js. Data (schemas, policies) is read from here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCHEMAS_DIR = `${ROOT}schemas/`;
export const POLICIES_DIR = `${ROOT}policies/`;
