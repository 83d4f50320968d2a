/**
 * The defect gate: the clean reference driver passes every upstream rule on
 * every firmware, each named defect is caught by exactly the rules it declares
 * (and every other rule still passes), and no rule is left without a defect.
 */
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { WorkerPool } from '../harness/runner/pool.js';
import { runConformance } from '../harness/run.js';
import { loadPolicy } from '../harness/policy/policy.js';
import { DEFECTS, MODELS } from '../reference-driver/index.js';

describe('defect gate (upstream policy)', function () {
  this.timeout(300_000); // ~95 targets; on a loaded shared machine 2 minutes is not enough
  const policy = loadPolicy('upstream');
  let report: Report;
  const models = Object.keys(MODELS);
  const defectTarget = (id: string) => `sim:${DEFECTS.find((d) => d.id === id)!.models?.[0] ?? models[0]}+${id}`;

  before(async () => {
    const pool = new WorkerPool({ workers: 2, timeoutMs: 10_000 });
    try {
      const targets = [...models.map((m) => `sim:${m}@*`), ...DEFECTS.map((d) => defectTarget(d.id))];
      report = await runConformance({ targets, pool });
    } finally {
      await pool.close();
    }
  });

  const verdictsOn = (target: string) => new Map(report.rules.map((r) => [r.id, r.byTarget[target]]));

  it('the clean driver passes every applicable rule on every model and firmware', () => {
    const clean = report.targets.filter((t) => !t.defects);
    expect(clean.length).to.be.greaterThan(0);
    for (const t of clean) {
      expect(t.errors, t.spec).to.deep.equal([]);
      for (const [rule, verdict] of verdictsOn(t.spec)) expect(verdict, `${rule} on ${t.spec}`).to.be.oneOf(['pass', 'not-applicable']);
    }
  });

  it('every defect is caught by exactly its declared rules', () => {
    let caught = 0;
    const wrong: string[] = [];
    for (const d of DEFECTS) {
      const verdicts = verdictsOn(defectTarget(d.id));
      const failed = [...verdicts].filter(([, v]) => v === 'fail').map(([id]) => id).sort();
      const unsure = [...verdicts].filter(([, v]) => v === 'not-run').map(([id]) => id);
      if (JSON.stringify(failed) === JSON.stringify([...d.breaks].sort()) && unsure.length === 0) caught++;
      else wrong.push(`${d.id}: declared [${d.breaks.join(', ')}], failed [${failed.join(', ')}]${unsure.length ? `, not run [${unsure.join(', ')}]` : ''}`);
    }
    console.log(`      defect gate: ${caught}/${DEFECTS.length} defects caught by exactly their rules`);
    expect(wrong, wrong.join('\n')).to.deep.equal([]);
  });

  it('every defect makes its own target non-compliant (a single-target run exits 1)', () => {
    const mustIds = new Set(policy.policy.rules.filter((r) => r.severity === 'must').map((r) => r.id));
    for (const d of DEFECTS) expect(d.breaks.some((id) => mustIds.has(id)), `${d.id} breaks a must-rule`).to.equal(true);
  });

  it('every rule of the policy is proven by at least one defect', () => {
    const proven = new Set(DEFECTS.flatMap((d) => d.breaks));
    const unproven = policy.policy.rules.map((r) => r.id).filter((id) => !proven.has(id));
    console.log(`      rules proven by a defect: ${policy.policy.rules.length - unproven.length}/${policy.policy.rules.length}`);
    expect(unproven).to.deep.equal([]);
  });

  it('the distro-safe pack fails the reference models exactly on its own stricter rules', async function () {
    this.timeout(120_000);
    const distro = await runConformance({ targets: models.map((m) => `sim:${m}`), policy: 'distro-safe', workers: 2 });
    const upstream = new Set(policy.byId.keys());
    const failed = distro.rules.filter((r) => r.verdict === 'fail').map((r) => r.id);
    expect(failed.filter((id) => upstream.has(id)), 'upstream rules failing under distro-safe').to.deep.equal([]);
    expect(failed.sort(), 'distro-only rules caught').to.deep.equal(['abi.debug-commands-kept', 'scope.no-full-access', 'taint.never-needed']);
  });

  it('every defect names only rules that exist in the policy', () => {
    for (const d of DEFECTS) for (const id of d.breaks) expect(policy.byId.has(id), `${d.id} → ${id}`).to.equal(true);
  });
});
