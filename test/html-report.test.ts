/** report.html (issue 14): counts from report.json, driver strings escaped, under 2 MB however much failed. */
import { expect } from 'chai';
import type { Report, TestEntry } from '../harness/generated/report.js';
import { runConformance } from '../harness/run.js';
import { htmlText } from '../reports/escape.js';
import { HTML_BUDGET, LEVELS, renderHtml, renderHtmlWith } from '../reports/html.js';

const HOSTILE = '</td></table><script>alert(1)</script><img src=x onerror="alert(2)">\x1b[2J\u202eevil\r\n"\'&';

describe('reports: HTML', function () {
  this.timeout(120_000);
  let report: Report;
  before(async () => (report = await runConformance({ targets: ['sim:cxl', 'sim:mlx5+shared-context'], workers: 2, suites: ['uapi', 'sharing'] })));

  it('shows the verdict, every count of report.json and each failing test with its evidence', () => {
    const page = renderHtml(report);
    expect(page).to.include(`<strong data-verdict>${report.verdict.toUpperCase()}</strong>`);
    for (const [k, n] of Object.entries(report.summary.rules)) expect(page).to.include(`<span data-count="summary.rules.${k}">${n}</span>`);
    for (const [k, n] of Object.entries(report.summary.outcomes)) expect(page).to.include(`<span data-count="summary.outcomes.${k}">${n}</span>`);
    const failing = report.tests.filter((t) => t.outcome === 'fail');
    expect(failing.length).to.be.greaterThan(0);
    expect(page.match(/<details class="test"/g)).to.have.length(failing.length);
    expect(page).to.include('<table class="evidence">');
    // No network: a CSP that allows nothing but our own inline style and script, and nothing that loads.
    expect(page).to.match(/content="default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'"/);
    expect(page).not.to.match(/\b(?:src|href)="(?!#)/);
  });

  it('the environment names the kernel, the inventory and the flags the run unlocked (run.allow)', async () => {
    const unlocked = await runConformance({ targets: ['sim:cxl'], workers: 1, suites: ['uapi/info'], options: { allow: { taint: true, destructive: false, hazards: true } } });
    expect(unlocked.run.allow).to.deep.equal({ taint: true, destructive: false, hazards: true });
    const page = renderHtml(unlocked);
    expect(page).to.include('<tr><th>unlocked flags</th><td>--allow-taint --allow-hazards</td></tr>');
    expect(page).to.include(`<tr><th>kernel release</th><td>${htmlText(unlocked.run.host.kernelRelease)}</td></tr>`);
    expect(page).to.include(`<td><code>sim:cxl</code></td><td>sim</td><td>cxl</td><td>${unlocked.targets[0]!.fw}</td><td>fwctl0</td>`);
  });

  it('escapes markup, controls and bidi overrides; keeps line breaks only in <pre>', () => {
    expect(htmlText(HOSTILE)).to.equal('&lt;/td&gt;&lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;\\x1b[2J\\u202eevil &quot;&#39;&amp;');
    expect(htmlText('a\r\nb\u2028c', true)).to.equal('a\nb\nc');
    expect(htmlText('a\rb\x00')).to.equal('a\\rb\\x00');
  });

  it('a report whose every driver string is hostile renders them inert', () => {
    const bad = (t: TestEntry): TestEntry => ({ ...t, id: HOSTILE, title: HOSTILE, suite: HOSTILE, outcome: 'fail', skipReason: HOSTILE, notices: [HOSTILE], error: { message: HOSTILE, expected: HOSTILE, actual: HOSTILE }, evidence: [{ call: HOSTILE, detail: HOSTILE, ret: -1, errno: HOSTILE }] });
    const evil: Report = {
      ...report,
      run: { ...report.run, host: { ...report.run.host, hostname: HOSTILE, kernelRelease: HOSTILE } },
      policy: { ...report.policy, id: HOSTILE },
      targets: report.targets.map((t) => ({ ...t, model: HOSTILE, fw: HOSTILE, device: HOSTILE, defects: [HOSTILE], errors: [HOSTILE] })),
      rules: report.rules.map((r) => ({ ...r, title: HOSTILE, clause: HOSTILE })),
      tests: report.tests.slice(0, 20).map(bad),
    };
    const page = renderHtml(evil);
    expect(page.match(/<script/g), 'only our own script').to.have.length(1);
    expect(page).not.to.match(/<img|<\/table><script|onerror="/);
    expect(page).not.to.match(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    expect(page).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('stays under 2 MB however much failed, capping the evidence per test and saying so', () => {
    const ev = Array.from({ length: 60 }, (_, i) => ({ call: 'FWCTL_RPC', detail: `${'x'.repeat(300)} ${i}`, ret: -1, errno: 'EINVAL' }));
    const tests = Array.from({ length: 800 }, (_, i): TestEntry => ({ ...report.tests[0]!, id: `t.${i}`, outcome: 'fail', error: { message: 'm'.repeat(5000), expected: 'e', actual: 'a' }, evidence: ev }));
    const huge: Report = { ...report, tests, summary: { ...report.summary, tests: tests.length } };
    expect(Buffer.byteLength(renderHtmlWith(huge, LEVELS[0]!))).to.be.greaterThan(HTML_BUDGET);
    const page = renderHtml(huge);
    expect(Buffer.byteLength(page)).to.be.below(HTML_BUDGET);
    expect(page).to.match(/each test shows at most \d+ syscalls/);
    expect(page).to.match(/Showing \d+ of 60 syscalls/);
    expect(page).to.include('<span data-failing>800</span>');
  });
});
