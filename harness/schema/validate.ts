/**
 * Validate a JSON input file against one of our schemas. Errors name the
 * file, the JSON pointer and what was expected, one line each.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { CtsError } from '../errors.js';
import { SCHEMAS_DIR } from '../paths.js';
import { MAX_DEPTH, jsonDepth } from '../wire/lines.js';

/** The largest input file (policy, profile, expectations) read: ours are tens of KB. */
export const MAX_INPUT_FILE = 4 * 2 ** 20;

export const AJV_OPTIONS: Options = { strict: true, strictRequired: false, allErrors: true, discriminator: true };

/** What scripts/gen-validators.mjs writes at build time for each schema: its validator and the schema's hash. */
interface Precompiled {
  validate: ValidateFunction;
  schemaHash: string;
}

/** The shipped inputs the build validated (scripts/gen-validators.mjs): per schema, the hashes of their texts. */
type Validated = Record<string, { schemaHash: string; files: string[] }>;

const require = createRequire(import.meta.url);
const compiled = new Map<string, ValidateFunction>();
const schemaHashes = new Map<string, string>();
let validated: Validated | null | undefined;
let ajv: Ajv | undefined;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function schemaFile(schema: string): string {
  return `${SCHEMAS_DIR}${schema}.schema.json`;
}

/** The SHA-256 of the schema's text as it is now. */
function schemaHash(schema: string): string {
  let h = schemaHashes.get(schema);
  if (h === undefined) schemaHashes.set(schema, (h = sha256(readFileSync(schemaFile(schema), 'utf8'))));
  return h;
}

/**
 * The build's precompiled validator when it was made from this very schema
 * text; otherwise (no build step, a schema edited since) compile it now. Ajv
 * itself is only loaded then: importing and compiling costs ~100 ms here and
 * seconds in the emulated VM, in every worker and agent process.
 */
function validator(schema: string): ValidateFunction {
  let v = compiled.get(schema);
  if (v) return v;
  let built: Precompiled | undefined;
  try {
    built = require(`../generated/validators/${schema}.cjs`) as Precompiled;
  } catch {
    built = undefined;
  }
  if (typeof built?.validate === 'function' && built.schemaHash === schemaHash(schema)) {
    v = built.validate;
  } else {
    // Two statements: tsc 7 drops the parentheses of `new (require(…)).Ajv(…)`.
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    ajv ??= new AjvClass(AJV_OPTIONS);
    v = ajv.compile(JSON.parse(readFileSync(schemaFile(schema), 'utf8')));
  }
  compiled.set(schema, v);
  return v;
}

/**
 * Whether the build already validated this very text against this very schema: a
 * profile, codec or policy the package ships. Same bytes, same schema, same verdict,
 * so loading it needs no validator (whose code costs seconds to load in the emulated VM).
 */
function validatedAtBuild(text: string, schema: string): boolean {
  if (validated === undefined) {
    try {
      validated = require('../generated/validated.json') as Validated;
    } catch {
      validated = null;
    }
  }
  const entry = validated?.[schema];
  // A damaged entry (a hand-edited dist/) only means validating as usual.
  return entry?.schemaHash === schemaHash(schema) && Array.isArray(entry.files) && entry.files.includes(sha256(text));
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

/**
 * A regular file's text, at most MAX_INPUT_FILE bytes: `/dev/zero` or a FIFO
 * is refused at once, not read until memory runs out (issue 11: 15.3 GB).
 */
export function readInputFile(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new CtsError('CTS_E_READ_FILE', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CtsError('CTS_E_READ_FILE', `${file}: expected a regular file`);
    if (st.size > MAX_INPUT_FILE) throw new CtsError('CTS_E_READ_FILE', `${file}: ${st.size} bytes: expected at most ${MAX_INPUT_FILE}`);
    // Read at most one byte past the limit, whatever the size said (a file may grow while read).
    // Uninitialised: only the n bytes read are used (zeroing 4 MiB per file costs in the emulated VM).
    const buf = Buffer.allocUnsafe(MAX_INPUT_FILE + 1);
    let n = 0;
    for (let got; n < buf.length && (got = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > MAX_INPUT_FILE) throw new CtsError('CTS_E_READ_FILE', `${file}: expected at most ${MAX_INPUT_FILE} bytes`);
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof CtsError) throw e;
    throw new CtsError('CTS_E_READ_FILE', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Read and parse a JSON file, bounded in size and depth; throws CtsError naming the file. */
export function parseJsonFile(file: string): unknown {
  return parseJsonText(readInputFile(file), file);
}

function parseJsonText(text: string, file: string): unknown {
  if (jsonDepth(text) > MAX_DEPTH) throw new CtsError('CTS_E_INVALID_FILE', `${file}: not valid JSON: nested deeper than ${MAX_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CtsError('CTS_E_INVALID_FILE', `${file}: not valid JSON: ${(e as Error).message}`);
  }
}

/** Parse and validate; throws CtsError('CTS_E_INVALID_FILE') naming file, pointer and expectation. */
export function loadJson<T>(file: string, schema: string): T {
  const text = readInputFile(file);
  const data = parseJsonText(text, file);
  return validatedAtBuild(text, schema) ? (data as T) : validate<T>(data, schema, file);
}

/** What is wrong with `data` against the schema: one "<pointer>: <what was expected>" line each, none when valid. */
export function schemaErrors(data: unknown, schema: string): string[] {
  const v = validator(schema);
  if (v(data)) return [];
  // An `if` error only repeats its `then` branch's own errors.
  return [...new Set((v.errors ?? []).filter((e) => e.keyword !== 'if').map(describeError))];
}

export function validate<T>(data: unknown, schema: string, file: string): T {
  const lines = schemaErrors(data, schema);
  if (!lines.length) return data as T;
  const shown = lines.slice(0, 5).map((l) => `${file}: ${l}`);
  if (lines.length > 5) shown.push(`${file}: … and ${lines.length - 5} more`);
  throw new CtsError('CTS_E_INVALID_FILE', `${shown[0]}${shown.length > 1 ? `\n${shown.slice(1).join('\n')}` : ''}`, `the ${schema} schema is schemas/${schema}.schema.json`);
}
