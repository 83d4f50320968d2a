/**
 * Validate a JSON input file against one of our schemas. Errors name the
 * file, the JSON pointer and what was expected, one line each.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { CtsError } from '../errors.js';
import { SCHEMAS_DIR } from '../paths.js';

export const AJV_OPTIONS: Options = { strict: true, strictRequired: false, allErrors: true, discriminator: true };

/** What scripts/gen-validators.mjs writes at build time: one function per schema, and the schema's hash. */
interface Precompiled {
  schemaHashes: Record<string, string>;
  [schema: string]: ValidateFunction | Record<string, string>;
}

const require = createRequire(import.meta.url);
const compiled = new Map<string, ValidateFunction>();
let precompiled: Precompiled | null | undefined;
let ajv: Ajv | undefined;

/**
 * The build's precompiled validator when it was made from this very schema
 * text; otherwise (no build step, a schema edited since) compile it now. Ajv
 * itself is only loaded then: importing and compiling costs ~100 ms here and
 * seconds in the emulated VM, in every worker and agent process.
 */
function validator(schema: string): ValidateFunction {
  let v = compiled.get(schema);
  if (v) return v;
  const text = readFileSync(`${SCHEMAS_DIR}${schema}.schema.json`, 'utf8');
  if (precompiled === undefined) {
    try {
      precompiled = require('../generated/validators.cjs') as Precompiled;
    } catch {
      precompiled = null;
    }
  }
  const built = precompiled?.[schema];
  if (typeof built === 'function' && precompiled?.schemaHashes[schema] === createHash('sha256').update(text).digest('hex')) {
    v = built;
  } else {
    ajv ??= new (require('ajv') as typeof import('ajv')).Ajv(AJV_OPTIONS);
    v = ajv.compile(JSON.parse(text));
  }
  compiled.set(schema, v);
  return v;
}

/** One ajv error as "<pointer>: <what was expected>". */
export function describeError(e: ErrorObject): string {
  const at = e.instancePath || '/';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${e.instancePath}/${String(p.missingProperty)}: required property is missing`;
    case 'additionalProperties':
      return `${e.instancePath}/${String(p.additionalProperty)}: unknown property (not in the schema)`;
    case 'enum':
      return `${at}: expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at}: expected ${JSON.stringify(p.allowedValue)}`;
    case 'type':
      return `${at}: expected ${String(p.type)}`;
    case 'pattern':
      return `${at}: expected a string matching ${String(p.pattern)}`;
    default:
      return `${at}: ${e.message ?? 'invalid'}`;
  }
}

/** Parse and validate; throws CtsError('CTS_E_INVALID_FILE') naming file, pointer and expectation. */
export function loadJson<T>(file: string, schema: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CtsError('CTS_E_READ_FILE', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}: not valid JSON: ${(e as Error).message}`);
  }
  return validate<T>(data, schema, file);
}

export function validate<T>(data: unknown, schema: string, file: string): T {
  const v = validator(schema);
  if (v(data)) return data as T;
  const lines = [...new Set((v.errors ?? []).map(describeError))];
  const shown = lines.slice(0, 5).map((l) => `${file}: ${l}`);
  if (lines.length > 5) shown.push(`${file}: … and ${lines.length - 5} more`);
  throw new CtsError('CTS_E_INVALID_FILE', `${shown[0]}${shown.length > 1 ? `\n${shown.slice(1).join('\n')}` : ''}`, `the ${schema} schema is schemas/${schema}.schema.json`);
}
