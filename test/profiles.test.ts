/** Device profiles: every shipped one validates; a malformed one names the file, the JSON pointer and what was expected. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codecFor } from '../harness/codecs/index.js';
import { CtsError } from '../harness/errors.js';
import { PROFILES_DIR, loadProfile } from '../harness/profiles/profile.js';
import { MODELS } from '../reference-driver/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-profile-'));
const sample = JSON.parse(readFileSync(`${PROFILES_DIR}reference-cxl.json`, 'utf8'));

function bad(name: string, mutate: (p: any) => void): string {
  const p = structuredClone(sample);
  mutate(p);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(p));
  return file;
}

function message(file: string): string {
  try {
    loadProfile(file);
  } catch (e) {
    expect(e).to.be.instanceOf(CtsError);
    return (e as Error).message;
  }
  throw new Error(`${file} was accepted`);
}

describe('profiles', () => {
  it('every profile in profiles/ validates and has a codec', () => {
    const files = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.greaterThan(3);
    for (const f of files) {
      const p = loadProfile(f.replace(/\.json$/, ''));
      expect(codecFor(p.codec), `${f}: codec ${p.codec}`).to.not.equal(undefined);
    }
  });

  it('every reference model has its profile', () => {
    for (const name of Object.keys(MODELS)) expect(() => loadProfile(`reference-${name}`), name).to.not.throw();
  });

  it('a wrong enum value names the file, the pointer and the allowed values', () => {
    const file = bad('scope', (p) => (p.commands[1].minScope = 'ROOT'));
    expect(message(file)).to.equal(`${file}: /commands/1/minScope: expected one of "CONFIGURATION", "DEBUG_READ_ONLY", "DEBUG_WRITE", "DEBUG_WRITE_FULL"`);
  });

  it('a missing or unknown field is named by pointer', () => {
    const missing = bad('missing', (p) => delete p.commands[0].effects);
    expect(message(missing)).to.equal(`${missing}: /commands/0/effects: required property is missing`);
    const unknown = bad('unknown', (p) => (p.resources.colour = 1));
    expect(message(unknown)).to.equal(`${unknown}: /resources/colour: unknown property (not in the schema)`);
  });

  it('semantic errors the schema cannot see: duplicate names, unsafe safe probes', () => {
    const dup = bad('dup', (p) => (p.commands[1].name = p.commands[0].name));
    expect(message(dup)).to.match(/\/commands\/1\/name: duplicate command/);
    const unsafe = bad('unsafe', (p) => (p.commands[3].safeProbe = true));
    expect(message(unsafe)).to.match(/\/commands\/3\/safeProbe: expected false for a command with effects 'config-after-reset'/);
  });

  it('kernelObjects.refusal: by is kernel or kernel-or-device; errnos only with by kernel', () => {
    const by = bad('refusal-by', (p) => (p.kernelObjects.refusal.by = 'device'));
    expect(message(by)).to.equal(`${by}: /kernelObjects/refusal/by: expected one of "kernel", "kernel-or-device"`);
    const errnos = bad('refusal-errnos', (p) => (p.kernelObjects.refusal = { by: 'kernel-or-device', errnos: ['EPERM'], source: 'x' }));
    expect(message(errnos)).to.equal(`${errnos}: /kernelObjects/refusal/errnos: expected only with by 'kernel' (a device's refusal is a status, not an errno), got by 'kernel-or-device'`);
    const source = bad('refusal-source', (p) => delete p.kernelObjects.refusal.source);
    expect(message(source)).to.equal(`${source}: /kernelObjects/refusal/source: required property is missing`);
  });
});
