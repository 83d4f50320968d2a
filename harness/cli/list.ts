/** `fwctl-cts list`: per rule, the tests that prove it and the defects that break it. */
import { DEFECTS } from '../../reference-driver/index.js';
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

export async function collectListing(policyName: string, target: string): Promise<RuleListing[]> {
  const policy = loadPolicy(policyName);
  const pool = new WorkerPool({ workers: 1, timeoutMs: 10_000 });
  try {
    const plan = await buildPlan(pool, { targets: expandTargets([target]), suites: discoverSuites() });
    const tests = plan.groups.flatMap((g) => g.tests);
    return policy.policy.rules.map((rule) => ({
      id: rule.id,
      severity: rule.severity,
      tier: rule.tier,
      digest: rule.digest ?? [],
      title: rule.title,
      tests: [...new Set(tests.filter((t) => t.rules.includes(rule.id)).map((t) => t.id))],
      defects: DEFECTS.filter((d) => d.breaks.includes(rule.id)).map((d) => d.id),
    }));
  } finally {
    await pool.close();
  }
}

export async function listRules(policyName: string, target: string, json: boolean): Promise<string> {
  const rules = await collectListing(policyName, target);
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
