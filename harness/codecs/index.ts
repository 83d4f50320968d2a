/**
 * Which codec a profile's `codec` id names (docs/codecs.md):
 * - a codec registered at run time (registerCodec: a plugin's), else
 * - in 'data' mode (the default): the data codec `<id>.json` in the codecs
 *   directory (codecs/ at the package root; FWCTL_CTS_CODEC_DIR replaces it),
 *   else the TypeScript codec of that id (pds, which data cannot express);
 * - in 'code' mode: the TypeScript codec, else the data codec.
 * The mode is FWCTL_CTS_CODEC (`data` or `code`; `run --codec` sets it, and
 * worker threads inherit it): the TypeScript codecs stay as the reference the
 * data codecs are proven against (test/codec-equivalence*.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { CtsError } from '../errors.js';
import { ROOT } from '../paths.js';
import type { Codec } from './codec.js';
import { bnxtCodec } from './bnxt.js';
import { cxlCodec } from './cxl.js';
import { loadDataCodec } from './data.js';
import { mlx5Codec } from './mlx5.js';
import { pdsCodec } from './pds.js';

export type { Allocator, Codec, ContextField, DeviceStatus, Encoded, Range, ResponseLayout } from './codec.js';
export { dataCodec, loadDataCodec, type DataCodec, type DataCodecInstance } from './data.js';

/** The data codecs shipped with fwctl-cts. */
export const CODECS_DIR = `${ROOT}codecs/`;

export const CODEC_MODES = ['data', 'code'] as const;
export type CodecMode = (typeof CODEC_MODES)[number];

const CODE = new Map<string, Codec>([
  [cxlCodec.name, cxlCodec],
  [mlx5Codec.name, mlx5Codec],
  [pdsCodec.name, pdsCodec],
  [bnxtCodec.name, bnxtCodec],
]);

const registered = new Map<string, Codec>();
const loaded = new Map<string, Codec>();

/** FWCTL_CTS_CODEC, checked: a bad value is one line naming the variable (exit 2). */
export function codecMode(): CodecMode {
  const v = process.env.FWCTL_CTS_CODEC || 'data';
  if (!(CODEC_MODES as readonly string[]).includes(v)) {
    throw new CtsError('CTS_E_USAGE', `environment variable FWCTL_CTS_CODEC: expected one of ${CODEC_MODES.join(', ')}, got '${v.slice(0, 40)}'`);
  }
  return v as CodecMode;
}

/** The directory data codecs are read from. */
export function codecsDir(): string {
  const dir = process.env.FWCTL_CTS_CODEC_DIR;
  return dir ? `${dir.replace(/\/+$/, '')}/` : CODECS_DIR;
}

/** Make `codec` the one its name resolves to in this thread (a plugin's codec, a test's). */
export function registerCodec(codec: Codec): void {
  registered.set(codec.name, codec);
}

/** The data codec `<name>.json` of the codecs directory, if there is one. */
export function dataCodecFor(name: string, dir = codecsDir()): Codec | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  const file = `${dir}${name}.json`;
  let c = loaded.get(file);
  if (!c && existsSync(file)) {
    c = loadDataCodec(file);
    if (c.name !== name) throw new CtsError('CTS_E_INVALID_FILE', `${file}: /id: expected '${name}' (the file's name), got '${c.name}'`);
    loaded.set(file, c);
  }
  return c;
}

/** The TypeScript codec of that name, if there is one. */
export function codeCodecFor(name: string): Codec | undefined {
  return CODE.get(name);
}

/** Every codec id known here: registered, data (in the codecs directory) and TypeScript. */
export function codecIds(): string[] {
  let data: string[] = [];
  try {
    data = readdirSync(codecsDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  } catch {}
  return [...new Set([...registered.keys(), ...data, ...CODE.keys()])].sort();
}

export function codecFor(name: string, mode: CodecMode = codecMode()): Codec | undefined {
  const own = registered.get(name);
  if (own) return own;
  return mode === 'data' ? (dataCodecFor(name) ?? codeCodecFor(name)) : (codeCodecFor(name) ?? dataCodecFor(name));
}

/**
 * Check the mode and load every data codec of the codecs directory, so that
 * bad input is one line before a run starts (the CLI exits 2), not an error
 * inside each worker's tests.
 */
export function checkCodecs(): void {
  codecMode();
  const dir = codecsDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch (e) {
    throw new CtsError('CTS_E_READ_FILE', `${dir}: cannot read the codecs directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const f of names) {
    const name = f.slice(0, -'.json'.length);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new CtsError('CTS_E_INVALID_FILE', `${dir}${f}: expected a codec file named <id>.json, the id matching ^[a-z0-9][a-z0-9-]*$`);
    dataCodecFor(name, dir);
  }
}
