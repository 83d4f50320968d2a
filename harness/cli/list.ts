/** `fwctl-cts list`: per rule, the tests that prove it and the defects that break it. */
import { DEFECTS, MODELS } from '../../reference-driver/index.js';
import { buildPlan } from '../plan/plan.js';
import { discoverSuites } from '../plan/suites.js';
import { loadPolicy } from '../policy/policy.js';
import { WorkerPool } from '../runner/pool.js';
import { expandTargets } from '../targets/spec.js';

export interface RuleListing {
  id: string;
  severity: string;
  tier: string;
  digest: string[];
  title: string;
  tests: string[];
  defects: string[];
}

/** Every reference model at its newest firmware: tests are generated from each one's catalogue. */
export const ALL_MODELS = Object.keys(MODELS).map((m) => `sim:${m}`);

export async function collectListing(policyName: string, targets: readonly string[]): Promise<RuleListing[]> {
  const policy = loadPolicy(policyName);
  const pool = new WorkerPool({ workers: 2, timeoutMs: 10_000 });
  try {
    const plan = await buildPlan(pool, { targets: expandTargets(targets), suites: discoverSuites() });
    return policy.policy.rules.map((rule) => ({
      id: rule.id,
      severity: rule.severity,
      tier: rule.tier,
      digest: rule.digest ?? [],
      title: rule.title,
      tests: [...new Set(plan.groups.flatMap((g) => g.tests.filter((t) => t.rules.includes(rule.id)).map((t) => `${t.id}  ${g.target}  ${t.title}`)))],
      defects: DEFECTS.filter((d) => d.breaks.includes(rule.id)).map((d) => d.id),
    }));
  } finally {
    await pool.close();
  }
}

export async function listRules(policyName: string, targets: readonly string[], json: boolean): Promise<string> {
  const rules = await collectListing(policyName, targets);
  if (json) return `${JSON.stringify(rules, null, 2)}\n`;
  const out: string[] = [];
  for (const r of rules) {
    out.push(`${r.id}  [${r.severity} ${r.tier}${r.digest.length ? ` ${r.digest.join(' ')}` : ''}]  ${r.title}`);
    for (const t of r.tests) out.push(`    test   ${t}`);
    if (!r.tests.length) out.push('    test   (none)');
    for (const d of r.defects) out.push(`    defect ${d}`);
    if (!r.defects.length) out.push('    defect (none)');
  }
  return `${out.join('\n')}\n`;
}
