import { WorkerPool } from '../harness/runner/pool.js';
import { buildPlan } from '../harness/plan/plan.js';
import { discoverSuites } from '../harness/plan/suites.js';
import { executePlan } from '../harness/runner/execute.js';
import { DEFECTS } from '../reference-driver/index.js';
const pool = new WorkerPool({ workers: 2, timeoutMs: 5000 });
const t0 = performance.now();
const targets = DEFECTS.map(d => `sim:cxl+${d.id}`);
const plan = await buildPlan(pool, { targets, suites: discoverSuites() });
const results = await executePlan(pool, plan);
let bad = 0;
for (const d of DEFECTS) {
  const rs = results.filter(r => r.target === `sim:cxl+${d.id}`);
  const failed = new Set(rs.filter(r => r.outcome !== 'pass').flatMap(r => r.rules));
  const exp = new Set(d.breaks);
  const ok = failed.size === exp.size && [...exp].every(x => failed.has(x));
  if (!ok) { bad++; console.log('MISMATCH', d.id, 'expected', [...exp], 'got', [...failed], rs.filter(r=>r.outcome!=='pass').map(r=>`${r.outcome}: ${r.error?.message ?? r.skipReason}`)); }
}
console.log(results.length, 'results', bad, 'mismatches', Math.round(performance.now()-t0), 'ms');
await pool.close();
