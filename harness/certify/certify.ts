/**
 * `fwctl-cts certify`: a certification run and its bundle. A certification runs every suite on
 * every target under a policy pack fwctl-cts ships, with nothing that weakens it: no --suite,
 * --test, --exclude, --shard, --resume or --retries (the command has no such options), and none
 * of the environment variables that change what the robustness tests send. The run itself is
 * the ordinary one (harness/run.ts), rendered by the ordinary renderers (reports/index.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { arch, hostname, platform, release } from 'node:os';
import { basename, join } from 'node:path';
import { renderReports } from '../../reports/index.js';
import { exitCode } from '../../reports/run-entries.js';
import { CtsError } from '../errors.js';
import type { BundlePlan } from '../generated/bundle-plan.js';
import type { Report } from '../generated/report.js';
import type { LoadedExpectations } from '../expectations/expectations.js';
import { buildPlan, type Plan } from '../plan/plan.js';
import { discoverSuites } from '../plan/suites.js';
import { POLICIES_DIR } from '../paths.js';
import { loadPolicy } from '../policy/policy.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers, runConformance } from '../run.js';
import type { TestResult } from '../runner/types.js';
import { WorkerPool } from '../runner/pool.js';
import { expandTargets, parseTarget } from '../targets/spec.js';
import { SAFE, type TargetOptions } from '../targets/target.js';
import { VERSION } from '../version.js';
import { loadedPluginDirs, pluginFiles } from '../plugins/load.js';
import { BUNDLE_FORMAT, ENVIRONMENT_FILE, EXPECTATIONS_FILE, PLAN_FILE, PLUGIN_PACK_FORMAT, POLICY_FILE, pluginPackFile, sha256, writeBundle, type BundleManifest, type PluginPack } from './bundle.js';
import { signManifest } from './sign.js';

export interface CertifyOptions {
  targets: readonly string[];
  /** The bundle directory to create. */
  dir: string;
  /** A pack name from policies/ (default upstream). */
  policy?: string;
  expectations?: LoadedExpectations;
  workers?: number;
  timeoutMs?: number;
  options?: TargetOptions;
  /** An OpenSSH private key: sign manifest.json with ssh-keygen -Y sign. */
  signKey?: string;
  onResult?: (r: TestResult, planned: number) => void;
}

export interface Certified {
  report: Report;
  manifest: BundleManifest;
  /** The exit code of the run (reports/run-entries.ts exitCode). */
  code: number;
  signed: boolean;
}

/** Variables that change what a run sends (harness/env.ts, harness/targets): a certification runs without them. */
export const WEAKENING_ENV = ['FWCTL_CTS_ROBUSTNESS_RUNS', 'FWCTL_CTS_SEED', 'FWCTL_CTS_PATH', 'FWCTL_CTS_PROFILE'] as const;

/** The pack names fwctl-cts ships (policies/*.json). */
export function shippedPacks(): string[] {
  return ['upstream', 'distro-safe'].filter((p) => existsSync(`${POLICIES_DIR}${p}.json`));
}

/** A certification is judged under a published pack, never a local file that could leave rules out. */
export function certificationPolicy(name: string): string {
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(`${POLICIES_DIR}${name}.json`)) {
    throw new CtsError('CTS_E_USAGE', `certify: policy '${name}': a certification runs a policy pack fwctl-cts ships (${shippedPacks().join(', ')}), not a file`);
  }
  return `${POLICIES_DIR}${name}.json`;
}

export function refuseWeakeningEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of WEAKENING_ENV) {
    if (env[name]) throw new CtsError('CTS_E_USAGE', `certify: environment variable ${name} is set: a certification runs the suites as shipped; unset it`);
  }
}

function planOf(plan: Plan, policy: string): BundlePlan {
  return {
    format: 'fwctl-cts-bundle-plan/1',
    policy,
    targets: plan.targets.map((t) => ({
      spec: t.spec,
      ...(t.description && { description: { ...t.description } }),
      errors: t.errors,
      tests: plan.groups.filter((g) => g.target === t.spec).flatMap((g) => g.tests.map((x) => ({ id: x.id, rules: x.rules }))),
    })),
  };
}

function environmentOf(o: CertifyOptions, targets: readonly string[], workers: number, timeoutMs: number): object {
  return {
    format: 'fwctl-cts-bundle-environment/1',
    tool: { name: 'fwctl-cts', version: VERSION },
    node: process.version,
    platform: platform(),
    arch: arch(),
    host: { hostname: hostname(), kernelRelease: release() },
    command: {
      targets,
      policy: o.policy ?? 'upstream',
      workers,
      timeoutMs,
      allow: (o.options ?? SAFE).allow,
      ...(o.expectations && { expectations: { file: basename(o.expectations.file), sha256: o.expectations.sha256 } }),
    },
    // Every FWCTL_CTS_* variable, so a reader sees there were none that change what runs.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FWCTL_CTS_'))),
  };
}

export async function certify(o: CertifyOptions): Promise<Certified> {
  refuseWeakeningEnv();
  const policyName = o.policy ?? 'upstream';
  const policyFile = certificationPolicy(policyName);
  const policy = loadPolicy(policyFile);
  if (existsSync(o.dir)) throw new CtsError('CTS_E_REPORT_DIR', `bundle directory '${o.dir}' already exists: a bundle holds one certification run`, 'give a new directory');
  const targets = expandTargets(o.targets);
  for (const t of targets) {
    const spec = parseTarget(t);
    if (spec.kind === 'dev' && !existsSync(spec.path)) throw new CtsError('CTS_E_NO_DEVICE_NODE', `target '${t}': no such device node ${spec.path}`, 'fwctl-cts inventory lists the fwctl devices here');
  }
  const workers = o.workers ?? defaultWorkers();
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const options = o.options ?? SAFE;
  const pool = new WorkerPool({ workers, timeoutMs, options });
  let report: Report;
  let plan: Plan;
  try {
    // The plan as the certification requires it (every suite, the policy's rules), kept apart
    // from the report so that verify can name a planned test the report lost.
    plan = await buildPlan(pool, { targets, suites: discoverSuites(), rules: new Set(policy.byId.keys()) });
    report = await runConformance({ targets, policy: policyFile, pool, options, timeoutMs, expectations: o.expectations, onResult: o.onResult });
  } finally {
    await pool.close();
  }
  const files = new Map<string, string | Buffer>();
  for (const f of renderReports(report)) files.set(f.name, f.content);
  const policyText = readFileSync(policyFile);
  files.set(POLICY_FILE, policyText);
  files.set(PLAN_FILE, `${JSON.stringify(planOf(plan, policy.policy.id), null, 2)}\n`);
  files.set(ENVIRONMENT_FILE, `${JSON.stringify(environmentOf(o, targets, workers, timeoutMs), null, 2)}\n`);
  if (o.expectations) files.set(EXPECTATIONS_FILE, readFileSync(o.expectations.file));
  // The plugins the run used, whole: verify recomputes each one's digest against report.json.
  for (const { record, root } of loadedPluginDirs()) {
    const pack: PluginPack = { format: PLUGIN_PACK_FORMAT, name: record.name, version: record.version, files: pluginFiles(root).map((path) => ({ path, base64: readFileSync(join(root, path)).toString('base64') })) };
    files.set(pluginPackFile(record.name), `${JSON.stringify(pack, null, 2)}\n`);
  }
  const code = exitCode(report);
  const manifest = writeBundle(o.dir, files, {
    format: BUNDLE_FORMAT,
    tool: { name: 'fwctl-cts', version: VERSION },
    createdAt: new Date().toISOString(),
    policy: { id: policy.policy.id, version: policy.policy.version, sha256: sha256(policyText) },
    targets,
    verdict: report.verdict,
    exitCode: code,
  });
  if (o.signKey) signManifest(o.dir, o.signKey);
  return { report, manifest, code, signed: Boolean(o.signKey) };
}
