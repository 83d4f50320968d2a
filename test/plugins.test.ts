/**
 * Plugins (docs/plugins.md): the worked example (examples/vendor-device) run
 * through the CLI, malformed plugins as one line with file and pointer (exit 2),
 * the digest in the report against sha256sum, an unknown device type, the
 * config file, and `profile check` with a deliberately wrong draft.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProfile, whyNotSent } from '../harness/cli/profile-check.js';
import { ROOT } from '../harness/paths.js';
import { validate } from '../harness/schema/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-plugins-'));
const EXAMPLE = join(ROOT, 'examples/vendor-device');
const SIM = `exec:python3 ${join(EXAMPLE, 'sim/acme_pctl_sim.py')}`;
const DEFECTS = JSON.parse(readFileSync(join(EXAMPLE, 'sim/defects.json'), 'utf8')) as Record<string, { breaks: string[] }>;

function cts(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/fwctl-cts.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function report(out: string) {
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
}

/** A copy of the example with one file replaced, to break it on purpose. */
function brokenExample(name: string, file: string, edit: (json: Record<string, unknown>) => unknown): string {
  const copy = join(dir, name);
  cpSync(EXAMPLE, copy, { recursive: true });
  const path = join(copy, file);
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')))));
  return copy;
}

describe('plugins', function () {
  this.timeout(180_000);

  it('the example plugin: the clean simulator is COMPLIANT and the report records the plugin with the digest sha256sum gives', () => {
    const out = join(dir, 'clean');
    const r = cts(['run', '--plugin', EXAMPLE, '--target', SIM, '-o', out, '--no-progress']);
    expect(r.code, r.err + r.out).to.equal(0);
    expect(r.out).to.match(/Verdict: COMPLIANT/);
    const rep = report(out);
    expect(() => validate(rep, 'report', 'report.json')).to.not.throw();
    // The digest is reproducible with coreutils, outside fwctl-cts (docs/plugins.md).
    const listing = spawnSync('bash', ['-c', "find . -type f ! -path '*/node_modules/*' ! -path '*/.*' ! -path '*/__pycache__/*' -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum"], { cwd: EXAMPLE, encoding: 'utf8' });
    expect(rep.plugins).to.deep.equal([{ name: 'acme-pctl', version: '1.0.0', apiVersion: 1, sha256: listing.stdout.split(' ')[0], files: rep.plugins[0].files }]);
    expect(rep.targets[0].deviceType).to.equal(65);
  });

  it('an example defect fails exactly the rules its catalogue names', () => {
    const out = join(dir, 'exact-scope');
    const r = cts(['run', '--plugin', EXAMPLE, '--target', `${SIM} --defect exact-scope`, '--suite', 'scope', '-o', out, '--no-progress']);
    expect(r.code, r.err).to.equal(1);
    const failed = report(out).rules.filter((x: { verdict: string }) => x.verdict === 'fail').map((x: { id: string }) => x.id);
    expect(failed).to.deep.equal(DEFECTS['exact-scope']!.breaks);
  });

  it('through an agent: a plugin device type is served when the agent loads the plugin, and refused, naming it, when not', () => {
    const flags = ['--allow-taint', '--allow-destructive'];
    const agent = (plugin: boolean) => `exec:node ${join(ROOT, 'bin/fwctl-cts.js')} ${plugin ? `--plugin ${EXAMPLE} ` : ''}agent ${flags.join(' ')} --target '${SIM}'`;
    const verdicts = (out: string) => Object.fromEntries(report(out).rules.map((x: { id: string; verdict: string }) => [x.id, x.verdict]));
    const run = (name: string, target: string) => {
      const out = join(dir, name);
      cts(['run', '--plugin', EXAMPLE, '--target', target, '--suite', 'uapi/rpc', ...flags, '-o', out, '--no-progress']);
      return out;
    };
    const direct = run('agent-direct', SIM);
    expect(verdicts(run('agent-plugin', agent(true))), 'through the agent with the plugin').to.deep.equal(verdicts(direct));
    const without = run('agent-no-plugin', agent(false));
    const messages = report(without).tests.map((t: { error?: { message: string } }) => t.error?.message ?? '').join('\n');
    expect(messages).to.match(/refused by the agent: device type 65: the agent does not know which pointers its requests carry \(a plugin/);
  });

  it('an unknown device type: one line naming what to provide; the uapi rules that need no device knowledge still run', () => {
    const out = join(dir, 'unknown');
    const r = cts(['run', '--target', SIM, '--suite', 'uapi/info', '--suite', 'scope', '-o', out, '--no-progress']);
    expect(r.code).to.equal(1); // incomplete
    const lines = r.err.trim().split('\n');
    expect(lines, r.err).to.have.length(1);
    expect(lines[0]).to.match(/unknown device type 65 \(the driver's hello\): no profile describes it; provide one in a plugin that declares the type \(--plugin/);
    const rep = report(out);
    const byId = (id: string) => rep.rules.find((x: { id: string }) => x.id === id).verdict;
    expect(byId('uapi.info.flags')).to.equal('pass');
    expect(byId('uapi.info.device-type')).to.equal('pass');
    expect(byId('scope.rejected-below-minimum')).to.equal('not-run');
    expect(rep.verdict).to.equal('incomplete');
  });

  for (const [what, make, pattern] of [
    ['a wrong apiVersion', () => brokenExample('api', 'fwctl-cts-plugin.json', (j) => ({ ...j, apiVersion: 2 })), /fwctl-cts-plugin\.json: \/apiVersion: expected 1/],
    ['a profile path leading outside', () => brokenExample('outside', 'fwctl-cts-plugin.json', (j) => ({ ...j, profiles: ['../../package.json'] })), /fwctl-cts-plugin\.json: \/profiles\/0: expected a string matching/],
    ['a missing profile file', () => brokenExample('missing', 'fwctl-cts-plugin.json', (j) => ({ ...j, profiles: ['profiles/nope.json'] })), /fwctl-cts-plugin\.json: \/profiles\/0: expected a file inside the plugin directory, got 'profiles\/nope\.json'/],
    ['a bad command in a profile', () => brokenExample('profile', 'profiles/acme-pctl.json', (j) => ({ ...j, commands: [{ ...(j.commands as object[])[0], minScope: 'ROOT' }] })), /profiles\/acme-pctl\.json: \/commands\/0\/minScope: expected one of "CONFIGURATION"/],
    ['an undeclared device type', () => brokenExample('type', 'fwctl-cts-plugin.json', (j) => ({ ...j, deviceTypes: [] })), /profiles\/acme-pctl\.json: \/deviceType: expected a uAPI device type .* or one a loaded plugin declares, got 'acme-pctl'/],
    ['a bad data codec', () => brokenExample('codec', 'codecs/acme-pctl.json', (j) => ({ ...j, endian: 'middle' })), /codecs\/acme-pctl\.json: \/endian: expected one of "le", "be"/],
  ] as const) {
    it(`a malformed plugin (${what}): one line naming the file and the JSON pointer, exit 2`, () => {
      const r = cts(['validate', '--plugin', make(), '--profile', 'acme-pctl']);
      expect(r.code, r.err).to.equal(2);
      expect(r.err.trim().split('\n'), r.err).to.have.length(1);
      expect(r.err).to.match(pattern);
    });
  }

  it('fwctl-cts.config.json in the working directory loads its plugins, relative to the file', () => {
    const cwd = join(dir, 'config');
    mkdirSync(cwd, { recursive: true });
    cpSync(EXAMPLE, join(cwd, 'vendor'), { recursive: true });
    writeFileSync(join(cwd, 'fwctl-cts.config.json'), JSON.stringify({ plugins: ['./vendor'] }));
    const r = cts(['validate', '--profile', 'acme-pctl'], cwd);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/valid profile 'acme-pctl', 6 commands/);
    writeFileSync(join(cwd, 'fwctl-cts.config.json'), JSON.stringify({ plugins: ['./absent'] }));
    const bad = cts(['validate', '--profile', 'acme-pctl'], cwd);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/fwctl-cts\.config\.json: \/plugins\/0: expected a plugin directory or installed package/);
  });

  it('profile check: the reference profile agrees with its model; a wrong draft disagrees where it is wrong, and only there', async () => {
    const clean = await checkProfile(join(ROOT, 'profiles/reference-cxl.json'), 'sim:cxl', { allow: { taint: true, destructive: true, hazards: true } });
    expect(clean.disagreements, JSON.stringify(clean.commands.flatMap((c) => c.disagreements))).to.equal(0);
    const draft = JSON.parse(readFileSync(join(ROOT, 'profiles/reference-cxl.json'), 'utf8'));
    draft.id = 'draft-cxl';
    draft.commands.find((c: { name: string }) => c.name === 'GET_FEATURE:test').minScope = 'DEBUG_READ_ONLY'; // the device takes it at CONFIGURATION
    draft.commands.find((c: { name: string }) => c.name === 'SET_FEATURE:test').minScope = 'CONFIGURATION'; // the device wants DEBUG_WRITE
    draft.rejections.uncatalogued = 'EOPNOTSUPP'; // the device says EINVAL
    const file = join(dir, 'draft-cxl.json');
    writeFileSync(file, JSON.stringify(draft));
    const r = cts(['profile', 'check', file, '--target', 'sim:cxl', '--json', join(dir, 'check.json')]);
    expect(r.code, r.err).to.equal(1);
    const result = JSON.parse(readFileSync(join(dir, 'check.json'), 'utf8'));
    const wrong = result.commands.filter((c: { disagreements: string[] }) => c.disagreements.length).map((c: { name: string }) => c.name);
    expect(wrong).to.deep.equal(['GET_FEATURE:test', 'SET_FEATURE:test', ...draft.uncatalogued.map((p: { name: string }) => p.name)]);
    const get = result.commands.find((c: { name: string }) => c.name === 'GET_FEATURE:test');
    expect(get.observed).to.equal('CONFIGURATION');
    expect(get.disagreements).to.deep.equal(['accepted at CONFIGURATION, below the claimed minimum DEBUG_READ_ONLY']);
    expect(r.out).to.match(/^SET_FEATURE:test +CONFIGURATION +EINVAL +EINVAL +ok +ok +DEBUG_WRITE +DISAGREES$/m);
  });

  it('profile check without the unlock flags sends only safe probes, and nothing at DEBUG_WRITE or above', () => {
    const none = { taint: false, destructive: false, hazards: false };
    const probe = { name: 'read', request: {}, outLen: 8, minScope: 'CONFIGURATION', effects: 'read-only', safeProbe: true, stability: 'stable' } as const;
    const write = { ...probe, name: 'write', effects: 'config-after-reset', safeProbe: false } as const;
    expect([0, 1, 2, 3].map((s) => whyNotSent(probe, s, none) ?? 'sent')).to.deep.equal(['sent', 'sent', 'needs --allow-taint', 'needs --allow-taint']);
    expect(whyNotSent(write, 0, none)).to.equal('needs --allow-destructive');
    expect(whyNotSent(write, 3, { ...none, taint: true, destructive: true })).to.equal(undefined);
  });
});
