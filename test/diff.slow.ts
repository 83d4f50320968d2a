/**
 * `fwctl-cts diff` over the whole defect catalog (reference-driver/defects/*.json): the clean run of
 * every model against one run of every defect lists, on each defect's target, exactly the rules
 * the defect declares as regressions, pass→fail, and nothing else. test/diff.test.ts samples this.
 */
import { expect } from 'chai';
import { diffReports } from '../harness/diff/reports.js';
import { renderDiffMarkdown } from '../harness/diff/render.js';
import { WorkerPool } from '../harness/runner/pool.js';
import { runConformance } from '../harness/run.js';
import { MARKDOWN_LIMIT } from '../reports/markdown.js';
import { DEFECTS, MODELS } from '../reference-driver/index.js';

describe('diff: every defect of the catalogs', function () {
  this.timeout(900_000);

  it('clean → defect: each defect target regresses on exactly its declared rules', async () => {
    const models = Object.keys(MODELS);
    const target = (id: string) => `sim:${DEFECTS.find((d) => d.id === id)!.models?.[0] ?? models[0]}+${id}`;
    const pool = new WorkerPool({ workers: 2, timeoutMs: 10_000 });
    const started = Date.now();
    try {
      const clean = await runConformance({ targets: models.map((m) => `sim:${m}`), pool });
      const defects = await runConformance({ targets: DEFECTS.map((d) => target(d.id)), pool });
      const d = diffReports({ file: 'clean', report: clean }, { file: 'defects', report: defects });
      const got = new Map<string, string[]>();
      for (const r of d.rules) {
        expect([r.change, r.transition], `${r.rule} on ${r.b}`).to.deep.equal(['regression', 'pass→fail']);
        got.set(r.b!, [...(got.get(r.b!) ?? []), r.rule]);
      }
      const wrong = DEFECTS.filter((x) => JSON.stringify((got.get(target(x.id)) ?? []).sort()) !== JSON.stringify([...x.breaks].sort())).map((x) => `${x.id}: declared [${x.breaks.join(', ')}], regressed [${(got.get(target(x.id)) ?? []).join(', ')}]`);
      expect(d.pairs.filter((p) => p.by !== 'defects')).to.deep.equal([]);
      expect(d.added).to.deep.equal([]);
      expect(renderDiffMarkdown(d).length).to.be.at.most(MARKDOWN_LIMIT);
      console.log(`      diff: ${DEFECTS.length - wrong.length}/${DEFECTS.length} defects regress on exactly their rules (${d.counts.ruleRegressions} rule regressions, ${d.counts.regressions} test regressions, ${d.counts.unchanged} tests unchanged, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
      expect(wrong, wrong.join('\n')).to.deep.equal([]);
    } finally {
      await pool.close();
    }
  });
});
