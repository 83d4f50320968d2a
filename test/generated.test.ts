/** The TS types are generated from the JSON Schemas; the committed ones must be current. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../harness/paths.js';

describe('generated types', () => {
  it('harness/generated matches schemas/ (npm run gen:types)', function () {
    this.timeout(30_000);
    const r = spawnSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  });
});
