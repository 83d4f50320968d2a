/** reference-driver/catalog.ts: the models' names and firmware versions, without loading the models. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_VERSIONS, modelVersions } from '../reference-driver/catalog.js';
import { MODELS } from '../reference-driver/index.js';
import { ROOT } from '../harness/paths.js';

describe('the reference driver catalogue (reference-driver/catalog.ts)', () => {
  it('names every model of MODELS, in its order, with the same firmware versions', () => {
    expect(Object.keys(MODEL_VERSIONS)).to.deep.equal(Object.keys(MODELS));
    for (const [name, model] of Object.entries(MODELS)) expect(MODEL_VERSIONS[name], name).to.deep.equal(model.fwVersions);
    expect(modelVersions('__proto__')).to.equal(undefined);
  });

  it('parsing and expanding sim: and dev: targets loads no device model (the VM pays seconds for each)', function () {
    this.timeout(30_000);
    // A loader hook lists every module the child resolves.
    const hook = `data:text/javascript,${encodeURIComponent("export async function resolve(s, c, n) { const r = await n(s, c); process._rawDebug('MODULE ' + r.url); return r; }")}`;
    const spec = pathToFileURL(join(ROOT, 'dist/harness/targets/spec.js')).href;
    const script = `import { register } from 'node:module'; register(${JSON.stringify(hook)}); const { parseTarget, expandTargets } = await import(${JSON.stringify(spec)}); parseTarget('sim:cxl@1.0+driver-errno-rewritten'); expandTargets(['sim:mlx5@*', 'dev:/dev/fwctl/fwctl0']);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const loaded = r.stderr.split('\n').filter((l) => l.startsWith('MODULE '));
    expect(loaded.some((l) => l.includes('/harness/targets/spec.js')), 'the hook saw spec.js').to.equal(true);
    // The firmware files are data (versions); no device's code, no model table.
    expect(loaded.filter((l) => /\/reference-driver\/(devices\/.*\.js|models\.js|index\.js)$/.test(l))).to.deep.equal([]);
  });
});
