/** Policy files: the packs validate; a malformed file names the file, the JSON pointer and what was expected. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtsError } from '../harness/errors.js';
import { loadPolicy } from '../harness/policy/policy.js';
import { POLICIES_DIR } from '../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-policy-'));
const upstream = JSON.parse(readFileSync(`${POLICIES_DIR}upstream.json`, 'utf8'));

function badPolicy(name: string, mutate: (p: any) => void): string {
  const p = structuredClone(upstream);
  mutate(p);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}

function errorOf(file: string): CtsError {
  try {
    loadPolicy(file);
  } catch (e) {
    expect(e).to.be.instanceOf(CtsError);
    return e as CtsError;
  }
  throw new Error(`${file} was accepted`);
}

describe('policy', () => {
  it('the upstream pack validates and every rule cites a clause', () => {
    const { policy } = loadPolicy('upstream');
    expect(policy.rules.length).to.be.greaterThan(30);
    for (const r of policy.rules) expect(r.clause, r.id).to.not.equal('');
  });

  it('a wrong enum value names the file, the pointer and the allowed values', () => {
    const file = badPolicy('enum', (p) => (p.rules[2].severity = 'may'));
    expect(errorOf(file).message).to.equal(`${file}: /rules/2/severity: expected one of "must", "should"`);
  });

  it('a missing field and an unknown field are named by pointer', () => {
    const missing = badPolicy('missing', (p) => delete p.rules[0].clause);
    expect(errorOf(missing).message).to.equal(`${missing}: /rules/0/clause: required property is missing`);
    const unknown = badPolicy('unknown', (p) => (p.rules[1].colour = 'red'));
    expect(errorOf(unknown).message).to.equal(`${unknown}: /rules/1/colour: unknown property (not in the schema)`);
  });

  it('duplicate ids and an area that does not match the id are rejected', () => {
    const dup = badPolicy('dup', (p) => (p.rules[1].id = p.rules[0].id));
    expect(errorOf(dup).message).to.match(/\/rules\/1\/id: duplicate rule id/);
    const area = badPolicy('area', (p) => (p.rules[0].area = 'taint'));
    expect(errorOf(area).message).to.match(/\/rules\/0\/area: expected 'uapi'/);
  });

  it('a file that is not JSON, or not there, is a clear error', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "id": ');
    expect(errorOf(file).message).to.match(new RegExp(`^${file}: not valid JSON`));
    expect(() => loadPolicy(join(dir, 'absent.json'))).to.throw(CtsError, /no such pack/);
  });
});
