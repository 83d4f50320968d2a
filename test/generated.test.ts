/** The TS types and the validators are generated from the JSON Schemas; both must be current. */
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { CtsError } from '../harness/errors.js';
import { AJV_OPTIONS, loadJson } from '../harness/schema/validate.js';

describe('generated types', () => {
  it('harness/generated matches schemas/ (npm run gen:types)', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });
});

describe('precompiled validators (scripts/gen-validators.mjs)', () => {
  type Built = { validate: ValidateFunction; schemaHash: string };
  // Loaded in each test, so a build without them fails those tests rather than the whole file.
  const load = (name: string) => createRequire(import.meta.url)(`../harness/generated/validators/${name}.cjs`) as Built;
  const schemas = readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'));
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('one per schema, built from the schema text as it is now', () => {
    expect(schemas.length).to.be.greaterThan(0);
    for (const file of schemas) {
      const name = file.replace('.schema.json', '');
      const built = load(name);
      expect(built.validate, name).to.be.a('function');
      expect(built.schemaHash, name).to.equal(sha256(readFileSync(join(ROOT, 'schemas', file), 'utf8')));
    }
  });

  it('give the same verdict and errors as compiling the schema now', () => {
    const ajv = new Ajv(AJV_OPTIONS);
    const policy = JSON.parse(readFileSync(join(ROOT, 'policies/upstream.json'), 'utf8'));
    const profile = JSON.parse(readFileSync(join(ROOT, 'profiles/reference-cxl.json'), 'utf8'));
    const samples: Record<string, unknown[]> = {
      policy: [policy, { ...policy, rules: 'none' }, { ...policy, extra: 1 }, {}],
      profile: [profile, { ...profile, id: 7 }, { ...profile, commands: [{}] }],
      wire: [{ type: 'hello' }, { type: 'call', id: 1, op: 'ioctl' }, {}, []],
      report: [{}, { format: 'nope' }],
    };
    for (const [name, docs] of Object.entries(samples)) {
      const fresh = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', `${name}.schema.json`), 'utf8')));
      const pre = load(name).validate;
      for (const doc of docs) {
        expect(pre(doc), `${name} ${JSON.stringify(doc).slice(0, 60)}`).to.equal(fresh(doc));
        expect(pre.errors ?? null).to.deep.equal(fresh.errors ?? null);
      }
    }
  });

  describe('the shipped inputs validated at build (validated.json)', () => {
    type Validated = Record<string, { schemaHash: string; files: string[] }>;
    const validated = () => JSON.parse(readFileSync(join(ROOT, 'dist/harness/generated/validated.json'), 'utf8')) as Validated;
    const shipped = { profiles: 'profile', codecs: 'codec', policies: 'policy' } as const;

    it('lists every shipped profile, codec and policy as it is now, against the schema as it is now', () => {
      const v = validated();
      for (const [folder, schema] of Object.entries(shipped)) {
        expect(v[schema]!.schemaHash, schema).to.equal(sha256(readFileSync(join(ROOT, 'schemas', `${schema}.schema.json`), 'utf8')));
        const files = readdirSync(join(ROOT, folder)).filter((f) => f.endsWith('.json'));
        expect(files.length, folder).to.be.greaterThan(0);
        for (const f of files) expect(v[schema]!.files, `${folder}/${f}`).to.include(sha256(readFileSync(join(ROOT, folder, f), 'utf8')));
      }
    });

    it('a shipped file changed by one property is validated again, and its error names file and pointer', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cts-validated-'));
      try {
        const file = join(dir, 'reference-cxl.json');
        // The same text with one value changed to a wrong type: not in validated.json, so the schema decides.
        const text = readFileSync(join(ROOT, 'profiles/reference-cxl.json'), 'utf8');
        writeFileSync(file, text.replace(/"id": "[^"]*"/, '"id": 7'));
        expect(() => loadJson(file, 'profile')).to.throw(CtsError, `${file}: /id: expected string`);
        // The very shipped bytes under another name load (validated by content, never by path).
        writeFileSync(file, text);
        expect(loadJson<{ id: string }>(file, 'profile').id).to.equal(JSON.parse(text).id);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
