/** The TS types and the validators are generated from the JSON Schemas; both must be current. */
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';
import { AJV_OPTIONS } from '../harness/schema/validate.js';

describe('generated types', () => {
  it('harness/generated matches schemas/ (npm run gen:types)', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });
});

describe('precompiled validators (scripts/gen-validators.mjs)', () => {
  type Built = Record<string, unknown> & { schemaHashes: Record<string, string> };
  // Loaded in each test, so a build without them fails those tests rather than the whole file.
  const load = () => createRequire(import.meta.url)('../harness/generated/validators.cjs') as Built;
  const schemas = readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'));

  it('one per schema, built from the schema text as it is now', () => {
    const built = load();
    expect(schemas.length).to.be.greaterThan(0);
    for (const file of schemas) {
      const name = file.replace('.schema.json', '');
      const text = readFileSync(join(ROOT, 'schemas', file), 'utf8');
      expect(built[name], name).to.be.a('function');
      expect(built.schemaHashes[name], name).to.equal(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('give the same verdict and errors as compiling the schema now', () => {
    const built = load();
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
      const pre = built[name] as ValidateFunction;
      for (const doc of docs) {
        expect(pre(doc), `${name} ${JSON.stringify(doc).slice(0, 60)}`).to.equal(fresh(doc));
        expect(pre.errors ?? null).to.deep.equal(fresh.errors ?? null);
      }
    }
  });
});
