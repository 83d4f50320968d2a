/**
 * Declarative codecs (issue 13 item 2): a device type's RPC format described
 * as data (schemas/codec.schema.json, docs/codecs.md) and turned into the same
 * `Codec` the TypeScript codecs implement. codecs/*.json at the package root
 * hold cxl, mlx5 and bnxt; a vendor ships its own file (plugins).
 *
 * Stable API (the plugins loader uses it):
 * - `dataCodec(json, source)`: a Codec from parsed JSON; `source` names the
 *   file in errors. Throws CtsError('CTS_E_INVALID_FILE') with one line per
 *   problem: `<source>: <JSON pointer>: <what was expected>` (the CLI exits 2).
 * - `loadDataCodec(file)`: the same from a file (size-capped, read as profiles are).
 * The result is a `DataCodecInstance`: a Codec plus the data it came from.
 *
 * What data cannot say stays code: pds (harness/codecs/pds.ts) sends a struct
 * of user pointers and its response lands in the buffer out.payload points
 * at, not in fwctl_rpc.out, with a length framing that falls back to the whole
 * buffer; the engine reads every response from the fwctl_rpc.out buffer.
 */
import { CtsError } from '../errors.js';
import type { DataCodec, Field, IntType, Scalar, StatusField, When } from '../generated/codec.js';
import { loadJson, validate } from '../schema/validate.js';
import type { Allocator, Codec, Encoded, Range } from './codec.js';

export type { DataCodec } from '../generated/codec.js';

export interface DataCodecInstance extends Codec {
  /** The validated data the codec was made from. */
  readonly data: DataCodec;
  /** The file (or name) it came from, as given. */
  readonly source: string;
}

type Endian = 'le' | 'be';
type Req = Record<string, unknown>;
type Params = Record<string, unknown>;

const WIDTH: Record<IntType, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** A request value as a number: numbers, "0x…"/decimal strings, booleans; anything else is NaN (written as 0). */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'boolean') return Number(v);
  return NaN;
}

/** Write `v` truncated to `type` at `at`; Buffer's own bounds checks throw past the end, as the TS codecs' writes do. */
function writeInt(buf: Buffer, type: IntType, endian: Endian, at: number, v: number): void {
  switch (type) {
    case 'u8':
      buf.writeUInt8(v & 0xff, at);
      return;
    case 'u16':
      if (endian === 'le') buf.writeUInt16LE(v & 0xffff, at);
      else buf.writeUInt16BE(v & 0xffff, at);
      return;
    case 'u32':
      if (endian === 'le') buf.writeUInt32LE(v >>> 0, at);
      else buf.writeUInt32BE(v >>> 0, at);
      return;
    case 'u64': {
      const b = BigInt.asUintN(64, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0));
      if (endian === 'le') buf.writeBigUInt64LE(b, at);
      else buf.writeBigUInt64BE(b, at);
    }
  }
}

function writeBig(buf: Buffer, type: IntType, endian: Endian, at: number, v: bigint): void {
  if (type === 'u64') {
    if (endian === 'le') buf.writeBigUInt64LE(BigInt.asUintN(64, v), at);
    else buf.writeBigUInt64BE(BigInt.asUintN(64, v), at);
  } else writeInt(buf, type, endian, at, Number(BigInt.asUintN(32, v)));
}

function readInt(buf: Buffer, type: IntType, endian: Endian, at: number): bigint {
  switch (type) {
    case 'u8':
      return BigInt(buf.readUInt8(at));
    case 'u16':
      return BigInt(endian === 'le' ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
    case 'u32':
      return BigInt(endian === 'le' ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    case 'u64':
      return endian === 'le' ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
  }
}

/** "xxxxxxxx-xxxx-…" as the 16 bytes in written order (uuid_t, as the kernel compares it). */
function uuidBytes(uuid: unknown): Buffer {
  const hex = String(uuid).replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a UUID: ${String(uuid)}`);
  return Buffer.from(hex, 'hex');
}

const matches = (when: When | undefined, r: Req) => {
  for (const k in when ?? {}) if (r[k] === undefined || num(r[k]) !== when![k]) return false;
  return true;
};

function invalid(source: string, pointer: string, expected: string): never {
  throw new CtsError('CTS_E_INVALID_FILE', `${source}: ${pointer}: ${expected}`, 'the codec schema is schemas/codec.schema.json; the format is docs/codecs.md');
}

/** What the schema cannot say: one line naming the JSON pointer. */
function check(d: DataCodec, source: string): void {
  const lists: [string, Field[]][] = [['/request/fields', d.request.fields], ...(d.request.variants ?? []).map((v, i): [string, Field[]] => [`/request/variants/${i}/fields`, v.fields])];
  const bytesNames = new Set(lists.flatMap(([, fs]) => fs.filter((f) => f.type === 'bytes' && f.name).map((f) => f.name!)));
  for (const [at, fields] of lists) {
    fields.forEach((f, i) => {
      const p = `${at}/${i}`;
      if ((f.at === undefined) === (f.atRequest === undefined)) invalid(source, p, 'expected exactly one of "at" (a fixed offset) and "atRequest" (an offset from the request)');
      if (f.type === 'bit' && f.bit === undefined) invalid(source, `${p}/bit`, 'required for a bit field (0-7)');
      if (f.type !== 'bit' && f.bit !== undefined) invalid(source, `${p}/bit`, `only for a bit field, not ${f.type}`);
      if (f.type === 'bytes' && f.param && !f.paramAs) invalid(source, `${p}/paramAs`, 'required for a bytes field with a param: how the number is laid out');
      if (f.type !== 'bytes' && f.paramAs) invalid(source, `${p}/paramAs`, 'only for a bytes field');
      if (f.const === undefined && f.request === undefined && f.param === undefined && f.default === undefined) {
        invalid(source, p, 'expected a value: one of "const", "request", "param", "default"');
      }
      const def = f.default;
      if (typeof def === 'object' && !bytesNames.has(def.lengthOf)) invalid(source, `${p}/default/lengthOf`, `expected the name of a bytes field, got '${def.lengthOf}'`);
    });
  }
  d.command?.forEach((name, i) => {
    const f = d.request.fields.find((x) => x.request === name);
    if (!f || f.at === undefined || !(f.type in WIDTH)) invalid(source, `/command/${i}`, `expected the request name of an integer field of /request/fields with a fixed "at", got '${name}'`);
  });
  const { length, field, counts } = d.payload;
  if (length === 'field' && (!field || !counts)) invalid(source, `/payload/${field ? 'counts' : 'field'}`, "required with length 'field'");
  for (const k of ['field', 'counts', 'add'] as const) if (length !== 'field' && d.payload[k] !== undefined) invalid(source, `/payload/${k}`, `only with length 'field', not '${length}'`);
  d.values?.forEach((v, i) => {
    if (Boolean(v.all) === (v.ranges !== undefined)) invalid(source, `/values/${i}`, 'expected exactly one of "ranges" and "all"');
  });
  d.status.fields.forEach((f, i) => {
    if (f.at + WIDTH[f.type] > d.status.minLength) invalid(source, `/status/fields/${i}/at`, `expected the field to end within minLength (${d.status.minLength}); it ends at ${f.at + WIDTH[f.type]}`);
  });
}

/** A Codec from parsed codec JSON. `source` names the file in errors. */
export function dataCodec(json: unknown, source: string): DataCodecInstance {
  const d = validate<DataCodec>(json, 'codec', source);
  check(d, source);
  return build(d, source);
}

/** A Codec from a codec file (schemas/codec.schema.json). */
export function loadDataCodec(file: string): DataCodecInstance {
  const d = loadJson<DataCodec>(file, 'codec');
  check(d, file);
  return build(d, file);
}

function build(d: DataCodec, source: string): DataCodecInstance {
  const endian = (e: Endian | undefined): Endian => e ?? d.endian;
  const readScalar = (buf: Buffer, s: Scalar): bigint => {
    const v = readInt(buf, s.type, endian(s.endian), s.at);
    return s.mask === undefined ? v : v & BigInt(s.mask);
  };

  /** The value a field gets for this request, or undefined: left zero. */
  const valueOf = (f: Field, r: Req, params: Params, lengths: Map<string, number>): unknown => {
    if (f.requires !== undefined && r[f.requires] === undefined) return undefined;
    if (f.const !== undefined) return f.const;
    if (f.param !== undefined && typeof params[f.param] === 'number') return params[f.param];
    if (f.request !== undefined && r[f.request] !== undefined) return r[f.request];
    const def = f.default;
    if (typeof def === 'object') return (lengths.get(def.lengthOf) ?? 0) + (def.add ?? 0);
    return def;
  };
  const offsetOf = (f: Field, r: Req): number | undefined => (f.atRequest === undefined ? f.at : r[f.atRequest] === undefined ? undefined : num(r[f.atRequest]));

  /** A bytes or uuid field's bytes (param numbers laid out as paramAs says). */
  const bytesOf = (f: Field, r: Req, params: Params, lengths: Map<string, number>): Buffer | undefined => {
    if (f.type === 'uuid') {
      const v = valueOf(f, r, params, lengths);
      return v === undefined ? undefined : uuidBytes(v);
    }
    if (f.requires !== undefined && r[f.requires] === undefined) return undefined;
    if (f.param !== undefined && typeof params[f.param] === 'number' && f.paramAs) {
      const b = Buffer.alloc(WIDTH[f.paramAs.type]);
      writeInt(b, f.paramAs.type, endian(f.paramAs.endian), 0, params[f.param] as number);
      return b;
    }
    const v = f.const ?? (f.request !== undefined ? r[f.request] : undefined) ?? f.default;
    return v === undefined ? undefined : Buffer.from(String(v), 'hex');
  };

  // Each variant's whole field list, made once.
  const variants = (d.request.variants ?? []).map((v) => ({ ...v, all: [...d.request.fields, ...v.fields] }));
  function encode(request: Req, outLen: number, mem: Allocator, params: Params = {}): Encoded {
    const variant = variants.find((v) => matches(v.when, request));
    const fields = variant?.all ?? d.request.fields;
    // First the variable parts, so the request is allocated once at its full length.
    const lengths = new Map<string, number>();
    const blobs = new Map<Field, Buffer>();
    let size = variant?.size ?? d.request.size;
    for (const f of fields) {
      if (f.type !== 'bytes' && f.type !== 'uuid') continue;
      const b = bytesOf(f, request, params, lengths);
      const at = offsetOf(f, request);
      if (!b || at === undefined) continue;
      blobs.set(f, b);
      if (f.name) lengths.set(f.name, b.length);
      size = Math.max(size, at + b.length);
    }
    let input = Buffer.alloc(size);
    for (const f of fields) {
      const at = offsetOf(f, request);
      if (at === undefined) continue;
      if (f.type === 'bytes' || f.type === 'uuid') {
        blobs.get(f)?.copy(input, at);
        continue;
      }
      const v = valueOf(f, request, params, lengths);
      if (v === undefined) continue;
      if (f.type === 'bit') {
        if (v) input.writeUInt8(input.readUInt8(at) | (1 << f.bit!), at);
      } else writeInt(input, f.type, endian(f.endian), at, num(v));
    }
    const total = d.request.lengthFrom === undefined ? undefined : request[d.request.lengthFrom];
    if (total !== undefined) {
      const n = num(total);
      input = Buffer.concat([input, Buffer.alloc(Math.max(0, n - input.length))]).subarray(0, n);
    }
    const buf = d.request.buffers;
    const list = buf ? request[buf.request] : undefined;
    if (buf && Array.isArray(list)) {
      for (const e of list as { at: number; size?: number; bytes?: number; data?: string; valueAt?: number }[]) {
        const data = Buffer.alloc(e.size ?? e.bytes ?? 0);
        Buffer.from(e.data ?? '', 'hex').copy(data);
        if (buf.value && typeof params.value === 'number' && e.valueAt !== undefined) writeInt(data, buf.value.type, endian(buf.value.endian), e.valueAt, params.value);
        writeBig(input, buf.address.type, endian(buf.address.endian), e.at, mem.alloc(data).addr);
      }
    }
    return { input, outLen };
  }

  const show = (f: StatusField, v: bigint) => `${f.name} ${f.format === 'hex' ? `0x${v.toString(16)}` : v.toString()}`;

  const codec: DataCodecInstance = {
    name: d.id,
    data: d,
    source,
    encode,
    status(out) {
      if (out.length < d.status.minLength) return { ok: false, status: d.status.short.replace('{length}', String(out.length)) };
      let ok = true;
      const parts: string[] = [];
      for (const f of d.status.fields) {
        const v = readInt(out, f.type, endian(f.endian), f.at);
        if (f.ok && !f.ok.some((x) => BigInt(x) === v)) ok = false;
        if (f.min !== undefined && v < BigInt(f.min)) ok = false;
        parts.push(show(f, v));
      }
      return { ok, status: parts.join(' ') };
    },
    payload(response) {
      const { at, length } = d.payload;
      if (response.length < at) return Buffer.alloc(0);
      if (length === 'rest') return response.subarray(at);
      if (length === 'trim-zeros') {
        let end = response.length;
        while (end > at && response[end - 1] === 0) end--;
        return response.subarray(at, end);
      }
      const field = d.payload.field!;
      if (response.length < field.at + WIDTH[field.type]) return Buffer.alloc(0);
      const n = Number(readScalar(response, field));
      const end = Math.min((d.payload.counts === 'payload' ? at + n : n) + (d.payload.add ?? 0), response.length);
      return response.subarray(at, Math.max(at, end));
    },
    payloadOffset: d.payload.at,
    ...(d.growth && { growth: d.growth }),
    ...(d.volatileOut && { volatileOut: d.volatileOut as Range[] }),
    ...(d.infoVolatile && { infoVolatile: d.infoVolatile as Range[] }),
  };
  if (d.command) {
    const fields = d.command.map((name) => ({ name, f: d.request.fields.find((x) => x.request === name)! }));
    codec.identify = (input) => {
      const id: Record<string, number> = {};
      for (const { name, f } of fields) {
        const type = f.type as IntType;
        if (input.length < f.at! + WIDTH[type]) return undefined;
        id[name] = Number(readInt(input, type, endian(f.endian), f.at!));
      }
      return id;
    };
  }
  if (d.request.declaredLength) {
    const { field, add } = d.request.declaredLength;
    codec.declaredLength = (input) => (!field ? add : input.length < field.at + WIDTH[field.type] ? undefined : add + Number(readScalar(input, field)));
  }
  if (d.objectId) {
    const s = d.objectId;
    // Bytes past the payload's end read as zero: a short alloc answer is id 0, not a throw.
    codec.objectId = (payload) => {
      const b = Buffer.alloc(s.at + WIDTH[s.type]);
      payload.copy(b, s.at, s.at, Math.min(s.at + WIDTH[s.type], payload.length));
      return Number(readScalar(b, s));
    };
  }
  if (d.values) {
    const rules = d.values;
    codec.values = (request) => {
      const v = rules.find((x) => matches(x.when, request));
      return v?.all ? 'all' : ((v?.ranges as Range[] | undefined) ?? []);
    };
  }
  if (d.context) {
    const { info, request } = d.context;
    const fits = (b: Buffer, s: Scalar) => b.length >= s.at + WIDTH[s.type];
    (codec as { context?: Codec['context'] }).context = {
      fromInfo: (data) => (fits(data, info) ? Number(readScalar(data, info)) : 0),
      claim(input, id) {
        const b = Buffer.from(input);
        if (fits(b, request)) writeInt(b, request.type, endian(request.endian), request.at, id);
        return b;
      },
    };
  }
  return codec;
}
