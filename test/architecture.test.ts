/**
 * The module boundaries DESIGN.md draws, checked on the sources: the
 * reference driver knows nothing of the harness, suites know the target
 * interface and never a target's internals, and uapi/ depends on nothing.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../harness/paths.js';

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Every relative import of a file, resolved to a project path. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => relative(ROOT, join(ROOT, file, '..', m[1]!)));
}

function offenders(dir: string, forbidden: RegExp): string[] {
  return sources(dir).flatMap((f) => imports(f).filter((i) => forbidden.test(i)).map((i) => `${f} imports ${i}`));
}

describe('architecture', () => {
  it('reference-driver/ imports only itself and uapi/', () => {
    expect(offenders('reference-driver', /^(?!reference-driver\/|uapi\/)/)).to.deep.equal([]);
  });

  it('suites/ never import the reference driver or a concrete target', () => {
    expect(offenders('suites', /^reference-driver\/|^harness\/targets\/(?!target\.js)/)).to.deep.equal([]);
  });

  it('uapi/ imports nothing but itself', () => {
    expect(offenders('uapi', /^(?!uapi\/)/)).to.deep.equal([]);
  });
});
