/** Markdown for merge requests and SARIF for code scanning (issue #14). */
import { expect } from 'chai';
import type { Report } from '../harness/generated/report.js';
import { runConformance } from '../harness/run.js';
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

  it('SARIF declares every rule and has one result per failing rule and target', () => {
    const log = JSON.parse(renderSarif(report));
    expect(log.version).to.equal('2.1.0');
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).to.deep.equal(report.rules.map((r) => r.id));
    const failing = report.rules.flatMap((r) => Object.entries(r.byTarget).filter(([, v]) => v === 'fail').map(([t]) => `${t}/${r.id}`));
    expect(run.results.map((r: { locations: { logicalLocations: { fullyQualifiedName: string }[] }[] }) => r.locations[0]!.logicalLocations[0]!.fullyQualifiedName)).to.deep.equal(failing);
    expect(failing.length).to.be.greaterThan(0);
  });
});
