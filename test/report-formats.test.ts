/** Markdown for merge requests and SARIF for code scanning (issue #14). */
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { runConformance } from '../harness/run.js';
import type { ReportDiff } from '../harness/generated/diff.js';
import { diffReports } from '../harness/diff/reports.js';
import { renderDiffMarkdown } from '../harness/diff/render.js';
import { MARKDOWN_LIMIT, renderMarkdown } from '../reports/markdown.js';
import { renderSarif } from '../reports/sarif.js';

describe('reports: Markdown and SARIF', function () {
  this.timeout(120_000);
  let report: Report;
  before(async () => (report = await runConformance({ targets: ['sim:cxl', 'sim:mlx5+shared-context'], workers: 2 })));

  it('Markdown: verdict, counts and each failing rule in one line', () => {
    const text = renderMarkdown(report);
    expect(text).to.match(/^### ❌ fwctl-cts: NON-COMPLIANT \(exit 1\)/);
    for (const r of report.rules.filter((x) => x.verdict === 'fail')) expect(text.split('\n').filter((l) => l.includes(`**${r.id.replace(/[_*]/g, (c) => `\\${c}`)}**`))).to.have.length(1);
  });

  it('Markdown stays under 65,536 characters however much failed, and escapes driver strings', () => {
    const huge: Report = { ...report, targets: [{ spec: 'exec:evil`x', errors: Array.from({ length: 5000 }, (_, i) => `err ${i} <img src=x onerror=alert(1)> [link](http://x) | cell`) }] };
    const text = renderMarkdown(huge);
    expect(text.length).to.be.at.most(MARKDOWN_LIMIT);
    expect(text).to.match(/… and \d+ more line\(s\)/);
    // Escaped (`\<`, `\]\(`), so Markdown shows them as text: no HTML, no link.
    expect(text).not.to.match(/(?<!\\)<img/);
    expect(text).not.to.match(/(?<!\\)\]\(/);
    expect(text).not.to.contain('`exec:evil`x`');
  });

  it('with a baseline, Markdown lists the regressions first and stays under 65,536 characters however many regressed', () => {
    const clean: Report = { ...report, verdict: 'compliant', rules: report.rules.map((r) => ({ ...r, verdict: 'pass', byTarget: Object.fromEntries(Object.keys(r.byTarget).map((t) => [t, 'pass'])) })), tests: report.tests.map((t) => ({ ...t, outcome: 'pass' })) };
    const real = diffReports({ file: 'clean.json', report: clean }, { file: 'report.json', report });
    const text = renderMarkdown(report, [], { baseline: real });
    const failing = report.rules.filter((r) => r.verdict === 'fail').length;
    expect(text).to.match(/#### 🔻 Against the baseline `clean\.json`/);
    expect(text.indexOf('#### Rule regressions')).to.be.lessThan(text.indexOf('#### Failing rules'));
    expect(real.counts.ruleRegressions).to.be.at.least(failing);
    // 20,000 regressions, each with hostile driver text: cut to fit, markup escaped.
    const hostile = 'x'.repeat(250) + ' <img src=x onerror=alert(1)> [link](http://x) | cell';
    const huge: ReportDiff = {
      ...real,
      rules: Array.from({ length: 10_000 }, (_, i) => ({ rule: `uapi.rule-${i}`, title: hostile, severity: 'must' as const, tier: 'core' as const, a: 'sim:cxl', b: `exec:evil\`${i}`, from: 'pass', to: 'fail', transition: 'pass→fail', change: 'regression' as const })),
      tests: Array.from({ length: 10_000 }, (_, i) => ({ id: `t.${i}`, a: 'sim:cxl', b: 'exec:evil', rules: [], from: 'pass', to: 'fail', transition: 'pass→fail', change: 'regression' as const, message: hostile })),
    };
    for (const md of [renderMarkdown(report, [], { baseline: huge }), renderDiffMarkdown(huge)]) {
      expect(md.length).to.be.at.most(MARKDOWN_LIMIT);
      expect(md).to.match(/… and \d+ more line\(s\)/);
      expect(md).not.to.match(/(?<!\\)<img/);
      expect(md).not.to.match(/(?<!\\)\]\(/);
    }
  });

  it('SARIF declares every rule and has one result per failing rule and target', () => {
    const log = JSON.parse(renderSarif(report));
    expect(log.version).to.equal('2.1.0');
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).to.deep.equal(report.rules.map((r) => r.id));
    const failing = report.rules.flatMap((r) => Object.entries(r.byTarget).filter(([, v]) => v === 'fail').map(([t]) => `${t}/${r.id}`));
    expect(run.results.map((r: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }) => r.locations[0]!.logicalLocations[0]!.fullyQualifiedName)).to.deep.equal(failing);
    expect(failing.length).to.be.greaterThan(0);
  });

  it('SARIF rule metadata comes from the policy: id, title, clause, severity, tier, help, a link to the clause', () => {
    const run = JSON.parse(renderSarif(report)).runs[0];
    for (const [i, r] of report.rules.entries()) {
      const d = run.tool.driver.rules[i];
      expect([d.id, d.shortDescription.text, d.properties.clause, d.properties.severity, d.properties.tier, d.defaultConfiguration.level]).to.deep.equal([r.id, r.title, r.clause, r.severity, r.tier, r.severity === 'must' ? 'error' : 'warning']);
      expect(d.help.text).to.contain(`Source: ${r.clause}.`);
      expect(d.help.markdown).to.match(/^\*\*.+\*\*\n\nSource: \[/);
      expect(d.helpUri).to.match(/^https:\/\/(docs\.kernel\.org\/userspace-api\/fwctl\/fwctl\.html|elixir\.bootlin\.com\/linux\/latest\/source\/(drivers|include|Documentation)\/)/);
      expect(d.properties.tags).to.include(r.area);
    }
    const scope = run.tool.driver.rules.find((d: { helpUri: string }) => d.helpUri.endsWith('#scope-of-action'));
    expect(scope, 'a rule citing fwctl.rst "Scope of Action" links to that section').to.not.equal(undefined);
    for (const res of run.results) expect(res.level).to.equal(run.tool.driver.rules[res.ruleIndex].defaultConfiguration.level);
  });
});
