/**
 * Declarative codecs (issue 13 item 2): codecs/*.json through
 * harness/codecs/data.ts behave as the TypeScript codecs they re-express.
 * Quick here (every profile request's bytes, random responses, a sample of
 * targets' verdicts); every model, firmware and defect in
 * test/codec-equivalence.slow.ts. And the measure can fail: a data codec with
 * one field moved differs.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CODECS_DIR, codeCodecFor, codecFor, dataCodec, dataCodecFor, loadDataCodec, type Allocator, type Codec } from '../harness/codecs/index.js';
import { CtsError } from '../harness/errors.js';
import type { Profile } from '../harness/generated/profile.js';
import { ROOT } from '../harness/paths.js';
import { PROFILES_DIR } from '../harness/profiles/profile.js';
import { compare, runWith } from './fixtures/codec-runs.js';

/** An allocator that hands out made-up addresses and keeps the buffers, so both codecs' user buffers can be compared. */
function recorder(): Allocator & { seen: string[] } {
  let addr = 0x10000n;
  const seen: string[] = [];
  return {
    seen,
    alloc(x) {
      const bytes = typeof x === 'number' ? Buffer.alloc(x) : Buffer.from(x);
      seen.push(bytes.toString('hex'));
      return { addr: (addr += 0x1000n), bytes };
    },
  };
}

/** What a codec makes of one request: its bytes, out_len, user buffers, or the error it throws. */
function encoded(codec: Codec, request: Record<string, unknown>, outLen: number, params: Record<string, unknown>): string {
  const mem = recorder();
  try {
    const e = codec.encode(request, outLen, mem, params);
    return JSON.stringify({ input: e.input.toString('hex'), outLen: e.outLen, buffers: mem.seen, ctx: codec.context?.claim(e.input, 0x1234).toString('hex') ?? null, values: codec.values?.(request) ?? null });
  } catch (e) {
    return JSON.stringify({ throws: (e as Error).message });
  }
}

/** What a codec reads from one response: each reading, or the error it throws (a too short alloc answer throws in both). */
function decoded(codec: Codec, out: Buffer): string {
  const read = (f: () => unknown) => {
    try {
      return f() ?? null;
    } catch (e) {
      return { throws: (e as Error).message };
    }
  };
  const payload = codec.payload(out);
  return JSON.stringify({ status: read(() => codec.status(out)), payload: payload.toString('hex'), objectId: read(() => codec.objectId?.(payload)), info: read(() => codec.context?.fromInfo(out)) });
}

const profiles = readdirSync(PROFILES_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(PROFILES_DIR, f), 'utf8')) as Profile);
const PARAMS = [{}, { value: 7 }, { value: 0x12345 }, { objectId: 0xabcd }, { value: 3, objectId: 0x10002 }];

describe('declarative codecs (codecs/*.json)', () => {
  const ids = readdirSync(CODECS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

  it('cxl, mlx5 and bnxt are data; pds stays code', () => {
    expect(ids).to.deep.equal(['bnxt', 'cxl', 'mlx5']);
    for (const id of ids) expect(codecFor(id, 'data'), id).to.equal(dataCodecFor(id)).and.not.equal(codeCodecFor(id));
    expect(codecFor('pds', 'data')).to.equal(codeCodecFor('pds'));
    expect(codecFor('cxl', 'code')).to.equal(codeCodecFor('cxl'));
  });

  it('every request of every profile (reference and kernel) encodes to the same bytes as the TypeScript codec', () => {
    let n = 0;
    const differ: string[] = [];
    for (const p of profiles.filter((x) => ids.includes(x.codec))) {
      const [data, code] = [dataCodecFor(p.codec)!, codeCodecFor(p.codec)!];
      const requests = [...p.commands, ...p.uncatalogued, ...p.denied, ...(p.kernelObjects?.probes ?? [])];
      for (const c of requests) {
        for (const params of PARAMS) {
          n++;
          const [a, b] = [encoded(code, c.request, c.outLen ?? 64, params), encoded(data, c.request, c.outLen ?? 64, params)];
          if (a !== b) differ.push(`${p.id} ${c.name} ${JSON.stringify(params)}:\n  code ${a}\n  data ${b}`);
        }
      }
    }
    console.log(`      ${n} encodings compared (${profiles.filter((x) => ids.includes(x.codec)).length} profiles × requests × ${PARAMS.length} parameter sets), ${differ.length} differences`);
    expect(n).to.be.greaterThan(1000);
    expect(differ, differ.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('status, payload, object id and context read the same from any response (fast-check)', () => {
    const response = fc.oneof(
      fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
      // Mostly zero, with a plausible length field: what devices answer.
      fc.tuple(fc.integer({ min: 0, max: 96 }), fc.array(fc.tuple(fc.nat(95), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([len, pokes]) => {
        const b = Buffer.alloc(len);
        for (const [at, v] of pokes) if (at < len) b[at] = v;
        return b;
      }),
    );
    for (const id of ids) {
      const [data, code] = [dataCodecFor(id)!, codeCodecFor(id)!];
      fc.assert(fc.property(response, (out) => decoded(data, out) === decoded(code, out)), { seed: 13, numRuns: 1000 });
      expect({ growth: data.growth, volatileOut: data.volatileOut, infoVolatile: data.infoVolatile, payloadOffset: data.payloadOffset }, id).to.deep.equal({
        growth: code.growth,
        volatileOut: code.volatileOut,
        infoVolatile: code.infoVolatile,
        payloadOffset: code.payloadOffset,
      });
      expect(Boolean(data.objectId), `${id} objectId`).to.equal(Boolean(code.objectId));
      expect(Boolean(data.context), `${id} context`).to.equal(Boolean(code.context));
      // The length a request declares for itself (robustness.short-request-refused), at every cut of the request bytes.
      expect(Boolean(data.declaredLength), `${id} declaredLength`).to.equal(Boolean(code.declaredLength));
      fc.assert(fc.property(response, (b) => data.declaredLength?.(b) === code.declaredLength?.(b)), { seed: 13, numRuns: 300 });
    }
  });

  it('a sample of targets gives the same rule verdicts and test outcomes with data and code codecs', async function () {
    this.timeout(300_000);
    // Each data codec: cxl and bnxt on their default firmware, mlx5 with a defect its context (the forced uid) shows.
    const targets = ['sim:cxl', 'sim:bnxt', 'sim:mlx5+mlx5-uid-not-forced'];
    const started = Date.now();
    const [code, data] = [await runWith('code', targets), await runWith('data', targets)];
    const c = compare(code, data, targets);
    console.log(`      ${c.targets} targets × ${c.rules} rules compared, ${c.ruleDiffs.length} differences; ${c.tests} tests, ${c.testDiffs.length} differences (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    expect(c.tests).to.be.greaterThan(100);
    expect(c.ruleDiffs, c.ruleDiffs.join('\n')).to.deep.equal([]);
    expect(c.testDiffs, c.testDiffs.slice(0, 10).join('\n')).to.deep.equal([]);
  });

  it('can fail: the cxl data codec with one field offset moved gives different verdicts (and none in code mode)', async function () {
    this.timeout(300_000);
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-codecs-'));
    try {
      for (const id of ids) writeFileSync(join(dir, `${id}.json`), readFileSync(join(CODECS_DIR, `${id}.json`)));
      const cxl = JSON.parse(readFileSync(join(CODECS_DIR, 'cxl.json'), 'utf8'));
      // Get Feature's count (u16 @34) moved onto selection (@36): every read asks for 0 bytes of the saved value.
      const getFeature = cxl.request.variants.find((v: { when?: { opcode: number } }) => v.when?.opcode === 0x501);
      const count = getFeature.fields.find((f: { name: string }) => f.name === 'count');
      expect(count.at).to.equal(34);
      count.at = 36;
      writeFileSync(join(dir, 'cxl.json'), JSON.stringify(cxl));
      const targets = ['sim:cxl'];
      const suites = ['scope'];
      const [code, data] = [await runWith('code', targets, { suites }), await runWith('data', targets, { dir, suites })];
      const c = compare(code, data, targets);
      console.log(`      moved field: ${c.ruleDiffs.length} rule and ${c.testDiffs.length} test differences, e.g. ${c.ruleDiffs[0]}`);
      expect(c.ruleDiffs.length).to.be.greaterThan(0);
      expect(c.testDiffs.length).to.be.greaterThan(0);
      // And code mode really is the TypeScript codecs: the moved field changes nothing there.
      const again = compare(code, await runWith('code', targets, { dir, suites }), targets);
      expect([...again.ruleDiffs, ...again.testDiffs]).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a malformed codec is one line: file, JSON pointer, what was expected', () => {
    const good = () => JSON.parse(readFileSync(join(CODECS_DIR, 'bnxt.json'), 'utf8'));
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(CtsError);
        expect((e as CtsError).code).to.equal('CTS_E_INVALID_FILE');
        return (e as Error).message;
      }
      throw new Error('no error');
    };

    it('schema errors name the pointer', () => {
      const d = good();
      d.status.fields[0].at = '0';
      expect(message(() => dataCodec(d, 'vendor.json'))).to.equal('vendor.json: /status/fields/0/at: expected integer');
      const e = good();
      e.request.fields[0].width = 2;
      expect(message(() => dataCodec(e, 'vendor.json'))).to.equal('vendor.json: /request/fields/0/width: unknown property (not in the schema)');
    });

    it('what the schema cannot say names the pointer too', () => {
      const d = good();
      delete d.request.fields[0].at;
      expect(message(() => dataCodec(d, 'v.json'))).to.equal('v.json: /request/fields/0: expected exactly one of "at" (a fixed offset) and "atRequest" (an offset from the request)');
      const e = good();
      e.status.minLength = 4;
      expect(message(() => dataCodec(e, 'v.json'))).to.equal('v.json: /status/fields/1/at: expected the field to end within minLength (4); it ends at 8');
      const f = JSON.parse(readFileSync(join(CODECS_DIR, 'cxl.json'), 'utf8'));
      f.request.variants[2].fields[0].default.lengthOf = 'nope';
      expect(message(() => dataCodec(f, 'v.json'))).to.equal("v.json: /request/variants/2/fields/0/default/lengthOf: expected the name of a bytes field, got 'nope'");
    });

    it('loadDataCodec reads a file; run and validate --codec say it in one line and exit 2', () => {
      const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-codecs-'));
      try {
        const d = good();
        d.payload.length = 'all';
        delete d.payload.field;
        writeFileSync(join(dir, 'bnxt.json'), JSON.stringify(d));
        expect(() => loadDataCodec(join(dir, 'bnxt.json'))).to.throw(CtsError, `${join(dir, 'bnxt.json')}: /payload/length:`);
        const r = spawnSync(process.execPath, [join(ROOT, 'bin/fwctl-cts.js'), 'run', '--target', 'sim:bnxt', '--dry-run'], { env: { ...process.env, FWCTL_CTS_CODEC_DIR: dir }, encoding: 'utf8' });
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr.split('\n')[0]).to.match(new RegExp(`^fwctl-cts: ${join(dir, 'bnxt.json')}: /payload/length: `));
        const v = spawnSync(process.execPath, [join(ROOT, 'bin/fwctl-cts.js'), 'validate', '--codec', join(dir, 'bnxt.json')], { encoding: 'utf8' });
        expect(v.status).to.equal(2);
        expect(v.stderr.trim().split('\n')).to.deep.equal([`fwctl-cts: ${join(dir, 'bnxt.json')}: /payload/length: expected one of "rest", "trim-zeros", "field" (the codec schema is schemas/codec.schema.json)`]);
        expect(spawnSync(process.execPath, [join(ROOT, 'bin/fwctl-cts.js'), 'validate', '--codec', join(CODECS_DIR, 'bnxt.json')], { encoding: 'utf8' }).stdout).to.match(/valid codec 'bnxt'/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
