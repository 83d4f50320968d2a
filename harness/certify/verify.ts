/**
 * `fwctl-cts verify DIR`: whether a certification bundle is what `certify` wrote and whether what
 * it claims follows from what it recorded. Nothing is taken from the bundle on trust: the digests
 * are recomputed, the verdicts are recomputed from the recorded per-test results under the
 * bundled policy (the code that made them: harness/results/report.ts, verdict.ts), the renderings
 * are rendered again from report.json, and the report's tests are held against the plan. Each
 * thing that does not hold is one line. Without a signature anyone can rewrite a bundle and its
 * manifest consistently; a good signature (ssh-keygen -Y verify) says who vouches for it.
 */
import { lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPORT_FILES } from '../../reports/index.js';
import { exitCode } from '../../reports/run-entries.js';
import { CtsError } from '../errors.js';
import type { BundlePlan } from '../generated/bundle-plan.js';
import type { Report, RuleResult, Summary } from '../generated/report.js';
import { buildPlan } from '../plan/plan.js';
import { discoverSuites } from '../plan/suites.js';
import { POLICIES_DIR } from '../paths.js';
import { loadPolicy, type LoadedPolicy } from '../policy/policy.js';
import { assembleReport } from '../results/report.js';
import { WorkerPool } from '../runner/pool.js';
import type { TestResult } from '../runner/types.js';
import { loadJson } from '../schema/validate.js';
import { parseTarget } from '../targets/spec.js';
import { VERSION } from '../version.js';
import { ENVIRONMENT_FILE, EXPECTATIONS_FILE, MANIFEST, PLAN_FILE, PLUGIN_PACK_FORMAT, POLICY_FILE, SIGNATURE, bundleEntries, pluginPackFile, readBytes, sha256, type BundleManifest, type PluginPack } from './bundle.js';
import { listingDigest } from '../plugins/load.js';
import { WEAKENING_ENV } from './certify.js';
import { checkSignature } from './sign.js';

export interface VerifyOptions {
  /** An OpenSSH allowed_signers file and the identity in it that must have signed. */
  allowedSigners?: string;
  identity?: string;
  /** Derive the plan again from the suites when every target is a simulator (default true). */
  replan?: boolean;
}

export interface Verification {
  /** What does not hold, one line each: any makes verify exit 1. */
  findings: string[];
  /** What was checked or could not be, for the reader. */
  notes: string[];
}

/** Files every bundle has. */
export const REQUIRED_FILES = [...Object.keys(REPORT_FILES), POLICY_FILE, PLAN_FILE, ENVIRONMENT_FILE];

const FAILED = new Set(['fail', 'timeout', 'crash', 'error']);
const short = (h: string) => `${h.slice(0, 12)}…`;
const key = (target: string, id: string) => `${target}|${id}`;

function checkFiles(dir: string, manifest: BundleManifest, findings: string[]): void {
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (listed.has(f.name)) findings.push(`manifest.json: lists ${f.name} twice`);
    listed.add(f.name);
    const st = lstatSync(join(dir, f.name), { throwIfNoEntry: false });
    if (!st) {
      findings.push(`missing: ${f.name} (manifest.json lists it)`);
      continue;
    }
    if (!st.isFile()) {
      findings.push(`not a plain file: ${f.name}`);
      continue;
    }
    const found = sha256(readBytes(dir, f.name) ?? '');
    if (found !== f.sha256) findings.push(`digest: ${f.name}: sha256 ${short(found)}, manifest.json records ${short(f.sha256)}`);
  }
  for (const name of bundleEntries(dir)) if (!listed.has(name)) findings.push(`added: ${name} (not in manifest.json)`);
  for (const name of REQUIRED_FILES) if (!listed.has(name)) findings.push(`manifest.json: does not list ${name} (every bundle has it)`);
}

/** The bundled policy against the report, the manifest and the pack fwctl-cts ships under that name. */
function checkPolicy(dir: string, policy: LoadedPolicy, report: Report, manifest: BundleManifest, findings: string[], notes: string[]): void {
  const p = policy.policy;
  const bytes = readBytes(dir, POLICY_FILE)!;
  if (report.policy.id !== p.id || report.policy.version !== p.version) {
    findings.push(`policy: report.json was judged under ${report.policy.id} ${report.policy.version}, policy.json is ${p.id} ${p.version}`);
  }
  if (manifest.policy.id !== p.id || manifest.policy.version !== p.version || manifest.policy.sha256 !== sha256(bytes)) {
    findings.push(`policy: manifest.json names ${manifest.policy.id} ${manifest.policy.version} (sha256 ${short(manifest.policy.sha256)}), policy.json is ${p.id} ${p.version} (sha256 ${short(sha256(bytes))})`);
  }
  const shipped = /^[a-z0-9-]+$/.test(p.id) ? readBytes(POLICIES_DIR, `${p.id}.json`) : undefined;
  if (!shipped) {
    findings.push(`policy: '${p.id}' is not a policy pack fwctl-cts ${VERSION} ships: a certification runs a shipped pack`);
    return;
  }
  const pack = loadPolicy(join(POLICIES_DIR, `${p.id}.json`)).policy;
  if (pack.version !== p.version) notes.push(`policy: fwctl-cts ${VERSION} ships ${p.id} ${pack.version}, the bundle has ${p.version}: its content was not compared`);
  else if (sha256(shipped) !== sha256(bytes)) findings.push(`policy: policy.json is not the ${p.id} ${p.version} pack fwctl-cts ${VERSION} ships (its text differs)`);
}

function checkRun(report: Report, manifest: BundleManifest, findings: string[]): void {
  if (report.interrupted) findings.push('run: report.json is of an interrupted run: not a certification');
  if (report.run.shard) findings.push(`run: report.json is shard ${report.run.shard} of a run: not a certification`);
  const sel = report.run.selection;
  if (sel) findings.push(`run: report.json is of a subset (${Object.entries(sel).map(([k, v]) => `${k} ${(v as string[]).join(',')}`).join('; ')}): not a certification`);
  if (report.tool.version !== manifest.tool.version) findings.push(`run: report.json was made by fwctl-cts ${report.tool.version}, manifest.json by ${manifest.tool.version}`);
  const specs = report.targets.map((t) => t.spec);
  if (JSON.stringify(specs) !== JSON.stringify(manifest.targets)) findings.push(`run: report.json has targets ${specs.join(', ')}, manifest.json ${manifest.targets.join(', ')}`);
}

/** Each recorded test on its own: an outcome that its own record contradicts (a hand-edited outcome). */
function checkTests(report: Report, findings: string[]): void {
  const targets = new Set(report.targets.map((t) => t.spec));
  const seen = new Set<string>();
  for (const t of report.tests) {
    const name = `test ${t.id} on ${t.target}`;
    if (!targets.has(t.target)) findings.push(`${name}: not a target of the run`);
    if (seen.has(key(t.target, t.id))) findings.push(`${name}: recorded twice`);
    seen.add(key(t.target, t.id));
    if ((t.outcome === 'pass' || t.outcome === 'unexpected-pass') && t.error) findings.push(`${name}: outcome ${t.outcome}, but it records a failure: ${t.error.message.split('\n')[0]!.slice(0, 120)}`);
    if (FAILED.has(t.outcome) && !t.error) findings.push(`${name}: outcome ${t.outcome}, but it records no error`);
    if (t.outcome === 'skip' && !t.skipReason) findings.push(`${name}: outcome skip, but it records no reason`);
    if (t.outcome !== 'skip' && t.skipReason) findings.push(`${name}: outcome ${t.outcome}, but it records a skip reason: ${t.skipReason.slice(0, 120)}`);
    if (['expected-fail', 'waived', 'unexpected-pass', 'flake'].includes(t.outcome) && !t.expectation && !t.attempts) findings.push(`${name}: outcome ${t.outcome}, but it names no expectations entry`);
  }
}

const RULE_FIELDS = ['title', 'area', 'severity', 'tier', 'clause', 'digest'] as const;

function diffSummary(recorded: Summary, computed: Summary): string[] {
  const out: string[] = [];
  if (recorded.tests !== computed.tests) out.push(`${recorded.tests} tests (its tests give ${computed.tests})`);
  for (const group of ['outcomes', 'rules'] as const) {
    const r = recorded[group] as Record<string, number>;
    const c = computed[group] as Record<string, number>;
    for (const k of new Set([...Object.keys(r), ...Object.keys(c)])) if ((r[k] ?? 0) !== (c[k] ?? 0)) out.push(`${r[k] ?? 0} ${group === 'rules' ? 'rules' : 'tests'} ${k} (its tests give ${c[k] ?? 0})`);
  }
  return out;
}

/** Every verdict again, from the recorded results under the bundled policy, compared with what the report says. */
function checkVerdicts(policy: LoadedPolicy, report: Report, manifest: BundleManifest, findings: string[]): void {
  const planned = new Set(report.tests.flatMap((t) => t.rules.map((r) => key(t.target, r))));
  const again = assembleReport(policy, report.targets, planned, report.tests as TestResult[], {
    startedAt: new Date(report.run.startedAt),
    finishedAt: new Date(report.run.finishedAt),
    workers: report.run.workers,
    ...(report.expectations && { expectations: report.expectations }),
  });
  const recorded = new Map(report.rules.map((r) => [r.id, r]));
  for (const rule of again.rules) {
    const was = recorded.get(rule.id);
    recorded.delete(rule.id);
    if (!was) {
      findings.push(`rule ${rule.id}: policy.json has it, report.json does not`);
      continue;
    }
    if (was.verdict !== rule.verdict || JSON.stringify(was.byTarget) !== JSON.stringify(rule.byTarget)) {
      const several = report.targets.length > 1;
      const where = Object.keys({ ...was.byTarget, ...rule.byTarget })
        .filter((t) => was.byTarget[t] !== rule.byTarget[t])
        .map((t) => `${t}: ${was.byTarget[t] ?? 'absent'}, its tests give ${rule.byTarget[t] ?? 'absent'}`);
      findings.push(`rule ${rule.id}: report.json says ${was.verdict}, its recorded tests give ${rule.verdict}${several || was.verdict === rule.verdict ? ` (${where.join('; ')})` : ''}`);
    }
    for (const f of RULE_FIELDS) {
      const a = JSON.stringify((was as RuleResult)[f]);
      const b = JSON.stringify(rule[f]);
      if (a !== b) findings.push(`rule ${rule.id}: report.json gives ${f} ${a ?? 'none'}, policy.json ${b ?? 'none'}`);
    }
  }
  for (const id of recorded.keys()) findings.push(`rule ${id}: in report.json, not in policy.json`);
  if (again.verdict !== report.verdict) findings.push(`verdict: report.json says ${report.verdict}, its recorded tests under policy.json give ${again.verdict}`);
  if (again.verdict !== manifest.verdict) findings.push(`verdict: manifest.json says ${manifest.verdict}, the recorded tests give ${again.verdict}`);
  const diff = diffSummary(report.summary, again.summary);
  if (diff.length) findings.push(`summary: report.json counts ${diff.join(', ')}`);
  // exitCode reads the summary, the target errors, interruption and expired expectations.
  const code = exitCode(again);
  if (exitCode(report) !== code) findings.push(`exit code: report.json gives ${exitCode(report)}, its recorded tests give ${code}`);
  if (manifest.exitCode !== code) findings.push(`exit code: manifest.json says ${manifest.exitCode}, the recorded tests give ${code}`);
}

/** The report's tests against the plan the certification made: a removed test is named. */
function checkPlan(plan: BundlePlan, report: Report, findings: string[]): void {
  if (plan.policy !== report.policy.id) findings.push(`plan: plan.json was planned under policy ${plan.policy}, report.json judged under ${report.policy.id}`);
  const results = new Map(report.tests.map((t) => [key(t.target, t.id), t]));
  const planned = new Set<string>();
  for (const t of plan.targets) {
    if (!report.targets.some((r) => r.spec === t.spec)) findings.push(`plan: target ${t.spec} is in plan.json, not in report.json`);
    for (const test of t.tests) {
      planned.add(key(t.spec, test.id));
      const r = results.get(key(t.spec, test.id));
      if (!r) findings.push(`removed test: ${test.id} on ${t.spec} (plan.json plans it, report.json has no result)`);
      else if (JSON.stringify(r.rules) !== JSON.stringify(test.rules)) findings.push(`test ${test.id} on ${t.spec}: report.json says it proves ${r.rules.join(', ')}, plan.json ${test.rules.join(', ')}`);
    }
  }
  for (const t of report.tests) if (!planned.has(key(t.target, t.id))) findings.push(`added test: ${t.id} on ${t.target} (in report.json, not in plan.json)`);
}

/**
 * The plan derived again from this fwctl-cts's suites: possible without the device only for the
 * reference driver (sim:), and meaningful only for the fwctl-cts version that made the bundle.
 */
async function replan(plan: BundlePlan, report: Report, manifest: BundleManifest, findings: string[], notes: string[]): Promise<void> {
  const specs = plan.targets.map((t) => t.spec);
  const sims = specs.every((s) => {
    try {
      return parseTarget(s).kind === 'sim';
    } catch {
      return false;
    }
  });
  if (!sims) return void notes.push('plan: not derived again (targets other than sim: need their device); plan.json is vouched for by the digests and the signature');
  if (manifest.tool.version !== VERSION) return void notes.push(`plan: not derived again: the bundle is from fwctl-cts ${manifest.tool.version}, this is ${VERSION}`);
  // Planned under the pack the report names, as shipped: a swapped policy.json is named on its own (checkPolicy).
  if (!/^[a-z0-9-]+$/.test(report.policy.id) || !readBytes(POLICIES_DIR, `${report.policy.id}.json`)) return void notes.push(`plan: not derived again: fwctl-cts ${VERSION} ships no pack '${report.policy.id}'`);
  const policy = loadPolicy(join(POLICIES_DIR, `${report.policy.id}.json`));
  const pool = new WorkerPool({ workers: 2, timeoutMs: 10_000 });
  try {
    const fresh = await buildPlan(pool, { targets: specs, suites: discoverSuites(), rules: new Set(policy.byId.keys()) });
    for (const t of plan.targets) {
      const want = new Set(fresh.groups.filter((g) => g.target === t.spec).flatMap((g) => g.tests.map((x) => x.id)));
      const have = new Set(t.tests.map((x) => x.id));
      for (const id of want) if (!have.has(id)) findings.push(`plan: ${id} on ${t.spec} is a test of fwctl-cts ${VERSION}'s suites, plan.json leaves it out`);
      for (const id of have) if (!want.has(id)) findings.push(`plan: ${id} on ${t.spec} is in plan.json, fwctl-cts ${VERSION}'s suites have no such test`);
    }
    notes.push(`plan: derived again from fwctl-cts ${VERSION}'s suites for ${specs.join(', ')}`);
  } finally {
    await pool.close();
  }
}

/** Every rendering, rendered again from report.json: a format edited on its own is named. */
function checkRenderings(dir: string, report: Report, findings: string[]): void {
  for (const [name, render] of Object.entries(REPORT_FILES)) {
    if (name === 'report.json') continue;
    const bytes = readBytes(dir, name);
    if (!bytes) continue; // named as missing already
    const want = render(report, {}).split('\n');
    const have = bytes.toString('utf8').split('\n');
    const line = want.findIndex((l, i) => have[i] !== l);
    if (line >= 0 || have.length !== want.length) findings.push(`${name}: does not match report.json (rendered again, line ${(line >= 0 ? line : want.length) + 1} differs)`);
  }
}

function checkExpectations(dir: string, report: Report, findings: string[]): void {
  const bytes = readBytes(dir, EXPECTATIONS_FILE);
  if (report.expectations && !bytes) findings.push(`expectations: report.json applied ${report.expectations.file}, the bundle has no ${EXPECTATIONS_FILE}`);
  else if (!report.expectations && bytes) findings.push(`expectations: the bundle has ${EXPECTATIONS_FILE}, report.json applied none`);
  else if (report.expectations && bytes && sha256(bytes) !== report.expectations.sha256) findings.push(`expectations: ${EXPECTATIONS_FILE} is not the file the run applied (sha256 ${short(sha256(bytes))}, report.json records ${short(report.expectations.sha256)})`);
}

/** Each plugin report.json records is in the bundle, whole: its files give the recorded digest. */
function checkPlugins(dir: string, report: Report, findings: string[]): void {
  const recorded = new Set<string>();
  for (const r of report.plugins ?? []) {
    const name = pluginPackFile(r.name);
    recorded.add(name);
    const bytes = readBytes(dir, name);
    if (!bytes) {
      findings.push(`plugin ${r.name} ${r.version}: report.json records it, the bundle has no ${name}`);
      continue;
    }
    let pack: PluginPack;
    try {
      pack = JSON.parse(bytes.toString('utf8')) as PluginPack;
      if (pack.format !== PLUGIN_PACK_FORMAT || !Array.isArray(pack.files)) throw new Error(`expected format ${PLUGIN_PACK_FORMAT} with a files list`);
    } catch (e) {
      findings.push(`${name}: not a plugin copy: ${(e as Error).message}`);
      continue;
    }
    const digest = listingDigest(pack.files.map((f) => [String(f.path), Buffer.from(String(f.base64), 'base64')]));
    if (digest.sha256 !== r.sha256) findings.push(`plugin ${r.name}: ${name} holds files with sha256 ${short(digest.sha256)}, report.json records ${short(r.sha256)}`);
  }
  for (const name of bundleEntries(dir)) if (/^plugin-.*\.json$/.test(name) && !recorded.has(name)) findings.push(`${name}: a plugin report.json does not record`);
}

function checkEnvironment(dir: string, findings: string[]): void {
  const bytes = readBytes(dir, ENVIRONMENT_FILE);
  if (!bytes) return;
  let env: { env?: Record<string, string> };
  try {
    env = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return void findings.push(`${ENVIRONMENT_FILE}: not valid JSON: ${(e as Error).message}`);
  }
  for (const name of WEAKENING_ENV) if (env.env?.[name]) findings.push(`${ENVIRONMENT_FILE}: the run had ${name}=${env.env[name]}: not a certification`);
}

export async function verifyBundle(dir: string, o: VerifyOptions = {}): Promise<Verification> {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new CtsError('CTS_E_READ_FILE', `${dir}: no such bundle directory`);
  if (!readBytes(dir, MANIFEST)) throw new CtsError('CTS_E_READ_FILE', `${join(dir, MANIFEST)}: no manifest: not a certification bundle (fwctl-cts certify writes one)`);
  const manifest = loadJson<BundleManifest>(join(dir, MANIFEST), 'bundle');
  const findings: string[] = [];
  const notes: string[] = [];
  if (o.allowedSigners && o.identity) {
    const sig = checkSignature(dir, o.allowedSigners, o.identity);
    (sig.ok ? notes : findings).push(sig.line);
  } else if (readBytes(dir, SIGNATURE)) {
    notes.push(`signature: ${SIGNATURE} not checked (give --allowed-signers FILE --identity ID)`);
  }
  checkFiles(dir, manifest, findings);
  const has = (name: string) => manifest.files.some((f) => f.name === name) && readBytes(dir, name) !== undefined;
  if (!has('report.json') || !has(POLICY_FILE)) {
    notes.push('verdicts: not checked (report.json or policy.json is missing)');
    return { findings, notes };
  }
  const report = loadJson<Report>(join(dir, 'report.json'), 'report');
  const policy = loadPolicy(join(dir, POLICY_FILE));
  checkPolicy(dir, policy, report, manifest, findings, notes);
  checkRun(report, manifest, findings);
  checkTests(report, findings);
  checkVerdicts(policy, report, manifest, findings);
  if (has(PLAN_FILE)) {
    const plan = loadJson<BundlePlan>(join(dir, PLAN_FILE), 'bundle-plan');
    checkPlan(plan, report, findings);
    if (o.replan !== false) await replan(plan, report, manifest, findings, notes);
  }
  checkRenderings(dir, report, findings);
  checkExpectations(dir, report, findings);
  checkPlugins(dir, report, findings);
  checkEnvironment(dir, findings);
  notes.unshift(`checked: ${manifest.files.length} files against manifest.json; ${report.rules.length} rule verdicts and the run verdict (${report.verdict}, exit ${manifest.exitCode}) from ${report.tests.length} recorded tests under ${policy.policy.id} ${policy.policy.version}`);
  return { findings, notes };
}
