/**
 * report.html (issue 14): one self-contained page a vendor, a maintainer or a support engineer can
 * read offline. No network: the style and the one small script are inline and a Content-Security-
 * Policy (`default-src 'none'`, both allowed by their SHA-256) forbids loading anything else.
 * Every string that did not come from us (a driver's model, fw and device, messages, expected and
 * actual, evidence, policy titles, target specs) goes through `h()` (reports/escape.ts htmlText).
 *
 * The page stays under HTML_BUDGET bytes: evidence is capped per test, and when even that is too
 * large the caps tighten level by level (LEVELS); the page says which cap it used.
 * The browser check (scripts/check-browser.mjs) reads the `data-verdict` and `data-count`
 * elements and compares them with report.json.
 */
import { createHash } from 'node:crypto';
import type { Evidence, Report, RuleResult, RuleVerdict, TestEntry } from '../harness/generated/report.js';
import { htmlText } from './escape.js';
import { exitCode } from './run-entries.js';

/** The size report.html must stay under (issue 14: 2 MB for the default run). */
export const HTML_BUDGET = 2_000_000;

/** How much evidence one test shows, from the most to the least. */
export interface HtmlCaps {
  /** Evidence entries (syscalls) shown per failing test. */
  evidence: number;
  /** Characters of a message, expected, actual or evidence detail. */
  text: number;
  /** Failing tests shown in full (the rest are counted). */
  failures: number;
  /** Whether every test is listed (collapsed, per target). */
  allTests: boolean;
}

export const LEVELS: readonly HtmlCaps[] = [
  { evidence: 200, text: 4000, failures: Infinity, allTests: true },
  { evidence: 40, text: 1000, failures: Infinity, allTests: true },
  { evidence: 10, text: 400, failures: 2000, allTests: false },
  { evidence: 3, text: 200, failures: 500, allTests: false },
];

const h = (s: string | number | undefined): string => htmlText(String(s ?? ''));
const pre = (s: string): string => htmlText(s, true);

/** Outcomes that are failures, whether or not an expectations entry excuses them. */
const FAILING = new Set(['fail', 'timeout', 'crash', 'error']);
const EXCUSED = new Set(['expected-fail', 'waived', 'flake']);

const MEANING: Record<Report['verdict'], string> = {
  compliant: 'Every applicable core must-rule passed on every target, and the harness hit no error.',
  'non-compliant': 'A must-rule failed on at least one target: the failing rules and the tests that show why are below.',
  incomplete: 'No must-rule failed, but the run cannot conclude: a core must-rule was not run, the harness hit an error, or the run was interrupted.',
};

const RULE_VERDICTS: readonly RuleVerdict[] = ['pass', 'fail', 'not-run', 'waived', 'not-applicable', 'not-selected'];
const SHORT: Record<RuleVerdict, string> = { pass: 'pass', fail: 'FAIL', 'not-run': 'not run', waived: 'waived', 'not-applicable': 'n/a', 'not-selected': 'n/s' };

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}h3{margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #d0d0d0;padding:.2em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,monospace}pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.4em;margin:.2em 0}
.verdict{padding:1em;border-radius:6px;margin:.8em 0;border:2px solid}.verdict strong{font-size:1.5em}
.compliant{background:#e7f6e7;border-color:#2e7d32}.non-compliant{background:#fdeaea;border-color:#c62828}.incomplete{background:#fff5e0;border-color:#ef6c00}
.v-pass{background:#e7f6e7}.v-fail{background:#f8c9c9;font-weight:bold}.v-not-run{background:#ffe3b3}.v-waived{background:#e3e3ff}.v-not-applicable,.v-not-selected{background:#f0f0f0;color:#666}
.matrix td{text-align:center;padding:.1em .3em;font-size:12px}.matrix td.id{text-align:left}.matrix a{color:inherit}
details.test{border:1px solid #ccc;border-radius:4px;margin:.4em 0;padding:.2em .6em}details.test[open]{background:#fcfcfc}
summary{cursor:pointer}.note{color:#555;font-style:italic}.cap{background:#fff5e0;padding:.3em .6em;border-left:4px solid #ef6c00}
nav a{margin-right:1em}button{margin-right:.5em}
`;

const SCRIPT = `
for (const b of document.querySelectorAll('button[data-expand]')) {
  b.addEventListener('click', () => {
    for (const d of document.querySelectorAll('details.test')) d.open = b.dataset.expand === 'open';
  });
}
function showTarget() {
  const el = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
}
window.addEventListener('hashchange', showTarget);
showTarget();
`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** `s` cut to `n` characters, saying how much was left out. */
function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… [${s.length - n} more characters in report.json]`;
}

function count(path: string, n: number | undefined): string {
  return `<span data-count="${path}">${n ?? 0}</span>`;
}

function verdictCell(v: RuleVerdict, extra = ''): string {
  return `<td class="v-${v}"${extra}>${SHORT[v]}</td>`;
}

export function renderHtml(report: Report): string {
  for (const caps of LEVELS) {
    const page = renderHtmlWith(report, caps);
    if (Buffer.byteLength(page) < HTML_BUDGET) return page;
  }
  return renderHtmlWith(report, LEVELS[LEVELS.length - 1]!, true);
}

/** The page under the given caps (exported for the size test). `over`: even the last level did not fit. */
export function renderHtmlWith(report: Report, caps: HtmlCaps, over = false): string {
  const failing = report.tests.filter((t) => FAILING.has(t.outcome) || EXCUSED.has(t.outcome));
  // Anchors are our own numbers, never driver text.
  const anchor = new Map<TestEntry, string>(failing.map((t, i) => [t, `f-${i + 1}`]));
  const targetNo = new Map(report.targets.map((t, i) => [t.spec, i + 1]));
  const title = `fwctl-cts ${report.verdict.toUpperCase()}: ${report.policy.id} ${report.policy.version}, ${report.targets.length} target(s)`;
  const body = [
    header(report),
    nav(),
    environment(report),
    rulesByArea(report),
    matrix(report, anchor, targetNo),
    failures(report, failing, anchor, caps, over),
    skips(report),
    notices(report),
    timings(report),
    caps.allTests ? allTests(report) : '<h2 id="tests">All tests</h2><p class="cap">The list of every test was left out to keep this page under 2 MB; report.json and results.csv have it.</p>',
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function header(report: Report): string {
  const r = report.summary.rules;
  const o = report.summary.outcomes;
  const cell = (path: string, n: number | undefined) => `<td class="n">${count(path, n)}</td>`;
  return `<h1>fwctl-cts compliance report</h1>
<div class="verdict ${report.verdict}"><strong data-verdict>${report.verdict.toUpperCase()}</strong> (exit ${exitCode(report)})
<p>${MEANING[report.verdict]}${report.interrupted ? ' <strong>The run was interrupted</strong>: tests it had not finished are skips.' : ''}</p>
<p>Policy <code>${h(report.policy.id)} ${h(report.policy.version)}</code>, ${report.targets.length} target(s), ${count('summary.tests', report.summary.tests)} tests, ${h(report.tool.name)} ${h(report.tool.version)}, ${h(report.run.startedAt)}.</p></div>
<table><tr><th>rules</th>${RULE_VERDICTS.map((v) => `<th>${v.replace('-', ' ')}</th>`).join('')}</tr>
<tr><td class="n">${report.rules.length}</td>${RULE_VERDICTS.map((v) => cell(`summary.rules.${v}`, r[v])).join('')}</tr></table>
<table><tr><th>tests</th>${OUTCOMES.map((k) => `<th>${k}</th>`).join('')}</tr>
<tr><td class="n">${report.summary.tests}</td>${OUTCOMES.map((k) => cell(`summary.outcomes.${k}`, o[k])).join('')}</tr></table>`;
}

const OUTCOMES = ['pass', 'fail', 'skip', 'timeout', 'crash', 'error', 'expected-fail', 'unexpected-pass', 'flake', 'waived'] as const;

function nav(): string {
  const parts = [['env', 'Environment'], ['rules', 'Rules by area'], ['matrix', 'Rules × targets'], ['failures', 'Failing tests'], ['skips', 'Skip reasons'], ['timings', 'Timings'], ['tests', 'All tests']];
  return `<nav>${parts.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`;
}

function environment(report: Report): string {
  const run = report.run;
  const allow = run.allow ? Object.entries(run.allow).filter(([, v]) => v).map(([k]) => `--allow-${k}`).join(' ') || 'none (read-only probes on real devices)' : 'not recorded';
  const rows: [string, string][] = [
    ['kernel release', h(run.host.kernelRelease)],
    ['host', h(run.host.hostname)],
    ['harness', `${h(report.tool.name)} ${h(report.tool.version)} on Node ${h(run.host.node)}, ${run.workers} worker(s)`],
    ['policy', `${h(report.policy.id)} ${h(report.policy.version)}${report.policy.file ? ` <code>${h(report.policy.file)}</code>` : ''}`],
    ['expectations', report.expectations ? `<code>${h(report.expectations.file)}</code> sha256 <code>${h(report.expectations.sha256)}</code>, ${report.expectations.unexpectedPasses} unexpected pass(es)${report.expectations.expired.length ? `, <strong>expired</strong>: ${report.expectations.expired.map(h).join('; ')}` : ''}` : 'none'],
    ['unlocked flags', allow],
  ];
  if (run.selection) rows.push(['selection', h(JSON.stringify(run.selection))]);
  if (run.shard) rows.push(['shard', h(run.shard)]);
  if (run.shuffle !== undefined) rows.push(['shuffle seed', String(run.shuffle)]);
  const inventory = report.targets.map((t) => {
    const tests = report.tests.filter((x) => x.target === t.spec);
    const n = (p: (x: TestEntry) => boolean) => tests.filter(p).length;
    return `<tr><td class="n">${report.targets.indexOf(t) + 1}</td><td><code>${h(t.spec)}</code></td><td>${h(t.kind)}</td><td>${h(t.model)}</td><td>${h(t.fw)}</td><td>${h(t.device)}</td><td>${h(t.deviceType)}</td><td>${(t.defects ?? []).map(h).join(', ')}</td>
<td class="n">${tests.length}</td><td class="n">${n((x) => x.outcome === 'pass')}</td><td class="n">${n((x) => FAILING.has(x.outcome))}</td><td class="n">${n((x) => x.outcome === 'skip')}</td><td>${t.errors.map((e) => `<pre>${pre(e)}</pre>`).join('')}</td></tr>`;
  });
  return `<h2 id="env">Environment</h2>
<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('\n')}</table>
<h3>Device inventory (targets: driver model, firmware, device)</h3>
<table><tr><th>#</th><th>target</th><th>kind</th><th>driver / model</th><th>firmware</th><th>device</th><th>device type</th><th>defects</th><th>tests</th><th>pass</th><th>failing</th><th>skip</th><th>harness errors</th></tr>
${inventory.join('\n')}</table>`;
}

function rulesByArea(report: Report): string {
  const areas = [...new Set(report.rules.map((r) => r.area))];
  const sections = areas.map((area) => {
    const rules = report.rules.filter((r) => r.area === area);
    const tally = RULE_VERDICTS.map((v) => [v, rules.filter((r) => r.verdict === v).length] as const).filter(([, n]) => n).map(([v, n]) => `${n} ${v}`).join(', ');
    return `<h3>${h(area)} <span class="note">(${rules.length} rules: ${tally})</span></h3>
<table><tr><th>rule</th><th>verdict</th><th>severity</th><th>title</th><th>clause</th><th>kernel contract</th></tr>
${rules.map((r) => `<tr><td><code>${h(r.id)}</code></td>${verdictCell(r.verdict)}<td>${r.severity} ${r.tier}</td><td>${h(r.title)}</td><td><code>${h(r.clause)}</code></td><td>${(r.digest ?? []).map(h).join(' ')}</td></tr>`).join('\n')}</table>`;
  });
  return `<h2 id="rules">Rules by area</h2>\n${sections.join('\n')}`;
}

function matrix(report: Report, anchor: Map<TestEntry, string>, targetNo: Map<string, number>): string {
  const first = (r: RuleResult, target: string) => [...anchor.keys()].find((t) => t.target === target && t.rules.includes(r.id) && FAILING.has(t.outcome));
  const rows = report.rules.map((r) => {
    const cells = report.targets.map((t) => {
      const v = r.byTarget[t.spec] ?? 'not-run';
      const f = v === 'fail' ? first(r, t.spec) : undefined;
      const tip = ` title="${h(`${r.id} on ${t.spec}: ${v}`)}"`;
      return f ? `<td class="v-fail"${tip}><a href="#${anchor.get(f)}">FAIL</a></td>` : verdictCell(v, tip);
    });
    return `<tr><td class="id"><code>${h(r.id)}</code></td>${verdictCell(r.verdict)}${cells.join('')}</tr>`;
  });
  return `<h2 id="matrix">Rules × targets</h2>
<p class="note">Columns are the targets of the inventory above, by number; a FAIL links to the first test that shows it. n/a: not applicable to the device type; n/s: not selected by this run (--suite, --test, --shard).</p>
<table class="matrix"><tr><th>rule</th><th>all</th>${report.targets.map((t) => `<th title="${h(t.spec)}">${targetNo.get(t.spec)}</th>`).join('')}</tr>
${rows.join('\n')}</table>`;
}

function evidenceTable(ev: readonly Evidence[], caps: HtmlCaps): string {
  if (!ev.length) return '<p class="note">No syscalls recorded.</p>';
  const shown = ev.slice(0, caps.evidence);
  const rows = shown.map((e, i) => `<tr><td class="n">${i + 1}</td><td><code>${h(e.call)}</code></td><td><code>${h(cut(e.detail ?? '', caps.text))}</code></td><td class="n">${e.ret}</td><td>${h(e.errno)}</td></tr>`);
  const more = ev.length > shown.length ? `<p class="cap">Showing ${shown.length} of ${ev.length} syscalls (capped at ${caps.evidence} per test); report.json has them all.</p>` : '';
  return `<table class="evidence"><tr><th>#</th><th>call</th><th>detail</th><th>ret</th><th>errno</th></tr>\n${rows.join('\n')}</table>${more}`;
}

function failures(report: Report, failing: readonly TestEntry[], anchor: Map<TestEntry, string>, caps: HtmlCaps, over: boolean): string {
  if (!failing.length) return '<h2 id="failures">Failing tests</h2><p>None: no test failed.</p>';
  const shown = failing.slice(0, caps.failures);
  const items = shown.map((t) => {
    const e = t.error;
    const field = (label: string, v: string | undefined) => (v === undefined ? '' : `<tr><th>${label}</th><td><pre>${pre(cut(v, caps.text))}</pre></td></tr>`);
    return `<details class="test" id="${anchor.get(t)}" data-outcome="${t.outcome}"><summary><strong>${t.outcome}</strong> <code>${h(t.target)}</code> <code>${h(t.id)}</code> — ${h(cut(t.title, 300))}</summary>
<table><tr><th>claim</th><td>${h(t.title)}</td></tr><tr><th>rules</th><td>${t.rules.map((r) => `<code>${h(r)}</code>`).join(' ')}</td></tr><tr><th>suite</th><td><code>${h(t.suite)}</code></td></tr>
${field('expected', e?.expected)}${field('actual', e?.actual)}${field('message', e?.message)}${t.expectation ? `<tr><th>expectation</th><td>${h(t.expectation)}</td></tr>` : ''}${t.attempts ? `<tr><th>attempts</th><td>${t.attempts.join(' then ')}</td></tr>` : ''}<tr><th>time</th><td>${t.durationMs.toFixed(1)} ms</td></tr></table>
<h4>Evidence: the syscalls and their results</h4>
${evidenceTable(t.evidence, caps)}
</details>`;
  });
  const capNote = caps === LEVELS[0] ? '' : `<p class="cap">This run's evidence is large: each test shows at most ${caps.evidence} syscalls and ${caps.text} characters per field${Number.isFinite(caps.failures) ? `, and the first ${caps.failures} failing tests` : ''}, to keep this page under 2 MB${over ? ' (it is over even so)' : ''}. report.json has everything.</p>`;
  const rest = failing.length > shown.length ? `<p class="cap" data-failures-shown="${shown.length}">… and ${failing.length - shown.length} more failing test(s): see report.json.</p>` : '';
  return `<h2 id="failures">Failing tests (<span data-failing>${failing.length}</span>)</h2>
<p class="note">Failures, timeouts, crashes and harness errors, and failures an expectations entry excused (expected-fail, waived, flake). Click one to see its claim, expected and actual, and its evidence.</p>
${capNote}<p><button type="button" data-expand="open">Expand all</button><button type="button" data-expand="close">Collapse all</button></p>
${items.join('\n')}${rest}`;
}

function skips(report: Report): string {
  const groups = new Map<string, TestEntry[]>();
  for (const t of report.tests) if (t.outcome === 'skip') groups.set(t.skipReason ?? '', [...(groups.get(t.skipReason ?? '') ?? []), t]);
  if (!groups.size) return '<h2 id="skips">Skip reasons</h2><p>No test was skipped.</p>';
  const rows = [...groups].sort((a, b) => b[1].length - a[1].length).map(([reason, tests]) => {
    const targets = [...new Set(tests.map((t) => t.target))];
    const ids = [...new Set(tests.map((t) => t.id))];
    return `<tr><td>${h(reason || '(no reason given)')}</td><td class="n">${tests.length}</td><td>${targets.map((x) => `<code>${h(x)}</code>`).join(' ')}</td><td>${ids.slice(0, 20).map((x) => `<code>${h(x)}</code>`).join(' ')}${ids.length > 20 ? ` … and ${ids.length - 20} more` : ''}</td></tr>`;
  });
  return `<h2 id="skips">Skip reasons</h2>
<p class="note">A skip is never a pass: a rule whose tests all skipped is "not run" (or "not applicable" when every skip says so).</p>
<table><tr><th>reason</th><th>tests</th><th>targets</th><th>tests skipped</th></tr>\n${rows.join('\n')}</table>`;
}

function notices(report: Report): string {
  const seen = new Map<string, Set<string>>();
  for (const t of report.tests) for (const n of t.notices ?? []) seen.set(n, (seen.get(n) ?? new Set()).add(t.target));
  if (!seen.size) return '';
  return `<h2 id="notices">Notices</h2><p class="note">Findings that are not failures.</p><ul>${[...seen].map(([n, t]) => `<li>${h(n)} <span class="note">(seen on ${[...t].map(h).join(', ')})</span></li>`).join('\n')}</ul>`;
}

function timings(report: Report): string {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const perTarget = report.targets.map((t) => {
    const tests = report.tests.filter((x) => x.target === t.spec);
    return `<tr><td><code>${h(t.spec)}</code></td><td class="n">${tests.length}</td><td class="n">${ms(tests.reduce((a, x) => a + x.durationMs, 0))}</td></tr>`;
  });
  const suites = new Map<string, number>();
  for (const t of report.tests) suites.set(t.suite, (suites.get(t.suite) ?? 0) + t.durationMs);
  const slowest = [...report.tests].sort((a, b) => b.durationMs - a.durationMs).slice(0, 10);
  return `<h2 id="timings">Timings</h2>
<p>Started ${h(report.run.startedAt)}, finished ${h(report.run.finishedAt)}: ${(report.run.durationMs / 1000).toFixed(1)} s on ${report.run.workers} worker(s). Test times below add up the time each test took, across workers.</p>
<h3>Per target</h3><table><tr><th>target</th><th>tests</th><th>test time</th></tr>\n${perTarget.join('\n')}</table>
<h3>Per suite</h3><table><tr><th>suite</th><th>test time</th></tr>\n${[...suites].sort((a, b) => b[1] - a[1]).map(([s, n]) => `<tr><td><code>${h(s)}</code></td><td class="n">${ms(n)}</td></tr>`).join('\n')}</table>
<h3>Slowest tests</h3><table><tr><th>target</th><th>test</th><th>outcome</th><th>time</th></tr>\n${slowest.map((t) => `<tr><td><code>${h(t.target)}</code></td><td><code>${h(t.id)}</code></td><td>${t.outcome}</td><td class="n">${ms(t.durationMs)}</td></tr>`).join('\n')}</table>`;
}

function allTests(report: Report): string {
  const lists = report.targets.map((target) => {
    const tests = report.tests.filter((x) => x.target === target.spec);
    return `<details><summary><code>${h(target.spec)}</code>: ${tests.length} tests</summary><table><tr><th>test</th><th>outcome</th><th>ms</th></tr>
${tests.map((t) => `<tr><td><code>${h(t.id)}</code></td><td class="o-${t.outcome}">${t.outcome}</td><td class="n">${t.durationMs.toFixed(1)}</td></tr>`).join('\n')}</table></details>`;
  });
  return `<h2 id="tests">All tests</h2><p class="note">Every test by target, collapsed. Evidence is shown for failing tests only; report.json has it for every test.</p>\n${lists.join('\n')}`;
}
