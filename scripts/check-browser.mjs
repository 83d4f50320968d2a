// report.html in a real browser (issue 14): Debian's chromium driven by puppeteer-core
// (executablePath, nothing downloaded; scripts/browser-tools.sh installs chromium). For a clean
// run (the `npm start` targets) and a run with failures (defect targets), it checks that
//   - the page loads with no console error, no page error and no network request but itself;
//   - the verdict and every count shown equal report.json (and the number of failing tests);
//   - a failing test's evidence is hidden, then shown once its summary is clicked;
//   - report.html is under 2 MB;
//   - on a run of a driver whose strings carry markup, no script of theirs runs (no dialog);
// and saves a full-page screenshot per run in out/browser/ (a CI artefact, not committed).
// The check proves it can fail: a copy of the defect page with one count changed, and one that
// loads an image from the network, must each be rejected.
//
// Needs: chromium (FWCTL_CTS_CHROMIUM, or /usr/bin/chromium). Run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'out', 'browser');
const chromium = process.env.FWCTL_CTS_CHROMIUM ?? '/usr/bin/chromium';
const BUDGET = 2_000_000;

const DEFAULT_TARGETS = ['sim:cxl@*', 'sim:mlx5@*', 'sim:mlx5-7-3@*', 'sim:pds@*', 'sim:bnxt@*'];
const RUNS = [
  { name: 'clean', targets: DEFAULT_TARGETS, exit: 0, verdict: 'compliant' },
  { name: 'defect', targets: ['sim:cxl@*', 'sim:pds+unknown-scope-einval', 'sim:mlx5+info-flags-ignored+read-implemented', 'sim:cxl@2.0+cxl-any-scope-set'], exit: 1, verdict: 'non-compliant' },
  // A driver whose model, fw and device carry <script>, <img onerror> and terminal escapes: none may run.
  { name: 'hostile', targets: ['exec:node dist/test/fixtures/drivers/hostile-strings.js hello'], suite: 'uapi/info', exit: 0, verdict: 'compliant' },
];

function run(r) {
  const dir = join(outDir, r.name);
  rmSync(dir, { recursive: true, force: true });
  const args = ['bin/fwctl-cts.js', 'run', ...r.targets.flatMap((t) => ['--target', t]), '--report-dir', dir, '--no-progress', ...(r.suite ? ['--suite', r.suite] : [])];
  const p = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (p.status !== r.exit) throw new Error(`check-browser: ${r.name} run exited ${p.status}, expected ${r.exit}\n${p.stderr}`);
  return dir;
}

/** The value at a dotted path of report.json ('summary.rules.pass'); a missing count is 0. */
function at(report, path) {
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), report) ?? 0;
}

/** Load `file` and return what is wrong with it as shown (empty: nothing). */
async function checkPage(browser, file, report, screenshot) {
  const problems = [];
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`a script the page did not bring ran: ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('request', (req) => {
    if (req.url() !== url) problems.push(`network request: ${req.url()}`);
  });
  page.on('requestfailed', (req) => {
    if (req.url() !== url) problems.push(`request failed: ${req.url()}`);
  });
  await page.goto(url, { waitUntil: 'load' });

  const shown = await page.evaluate(() => ({
    verdict: document.querySelector('[data-verdict]')?.textContent ?? null,
    counts: [...document.querySelectorAll('[data-count]')].map((e) => [e.getAttribute('data-count'), e.textContent]),
    failing: document.querySelector('[data-failing]')?.textContent ?? '0',
    failures: document.querySelectorAll('details.test').length,
    capped: document.querySelector('[data-failures-shown]')?.getAttribute('data-failures-shown') ?? null,
  }));
  if (shown.verdict?.toLowerCase() !== report.verdict) problems.push(`verdict shown ${shown.verdict}, report.json says ${report.verdict}`);
  const paths = new Set(shown.counts.map(([p]) => p));
  for (const need of ['summary.tests', ...Object.keys(report.summary.rules).map((k) => `summary.rules.${k}`), ...Object.keys(report.summary.outcomes).map((k) => `summary.outcomes.${k}`)]) {
    if (!paths.has(need)) problems.push(`count ${need} not shown`);
  }
  for (const [path, text] of shown.counts) {
    if (String(at(report, path)) !== text.trim()) problems.push(`${path} shown ${text}, report.json says ${at(report, path)}`);
  }
  const failing = report.tests.filter((t) => ['fail', 'timeout', 'crash', 'error', 'expected-fail', 'waived', 'flake'].includes(t.outcome)).length;
  if (Number(shown.failing) !== failing) problems.push(`failing tests shown ${shown.failing}, report.json has ${failing}`);
  // A page over budget shows the first failing tests and says how many (reports/html.ts LEVELS).
  const sections = shown.capped === null ? failing : Number(shown.capped);
  if (shown.failures !== sections) problems.push(`${shown.failures} failing-test sections, expected ${sections} (report.json has ${failing} failing tests)`);

  let expanded = 'no failing test';
  if (failing) {
    const visible = () => page.$eval('details.test .evidence', (e) => e.getBoundingClientRect().height > 0 && e.checkVisibility());
    if (await visible()) problems.push('evidence visible before it was expanded');
    await page.click('details.test > summary');
    if (!(await visible())) problems.push('evidence not shown after clicking the failing test');
    const rows = await page.$$eval('details.test[open] .evidence tr', (r) => r.length - 1);
    expanded = `clicked the first failing test: its evidence shows ${rows} syscall(s)`;
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { problems, shown, expanded };
}

const rows = [];
let failed = 0;
function line(ok, what) {
  rows.push(`${ok ? 'ok  ' : 'FAIL'}  ${what}`);
  if (!ok) failed++;
}

if (!existsSync(chromium)) {
  console.error(`check-browser: no chromium at ${chromium} (run scripts/browser-tools.sh, or set FWCTL_CTS_CHROMIUM)`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  // As root (CI containers) chromium's sandbox refuses to start.
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--no-first-run'],
});
try {
  console.log(`browser: ${await browser.version()} via puppeteer-core`);
  let defectPage;
  for (const r of RUNS) {
    const dir = run(r);
    const file = join(dir, 'report.html');
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const size = statSync(file).size;
    line(size < BUDGET, `${r.name}: report.html ${size} bytes (budget ${BUDGET}; report.json ${statSync(join(dir, 'report.json')).size})`);
    line(report.verdict === r.verdict, `${r.name}: report.json verdict ${report.verdict}`);
    const png = join(outDir, `${r.name}.png`);
    const { problems, shown, expanded } = await checkPage(browser, file, report, png);
    for (const p of problems) line(false, `${r.name}: ${p}`);
    if (!problems.length) line(true, `${r.name}: no console error, no network request; verdict ${shown.verdict} and ${shown.counts.length} counts equal report.json; ${shown.failing} failing test(s); ${expanded}`);
    console.log(`${r.name}: screenshot ${png}`);
    if (r.name === 'defect') defectPage = { file, report };
  }

  // The check must be able to fail: a page whose counts differ from report.json, and one that loads from the network.
  const html = readFileSync(defectPage.file, 'utf8');
  const pass = defectPage.report.summary.rules.pass;
  const tampered = [
    { name: 'a count changed', html: html.replace(`<span data-count="summary.rules.pass">${pass}</span>`, `<span data-count="summary.rules.pass">${pass + 1}</span>`), expect: /summary\.rules\.pass shown/ },
    { name: 'a network image', html: html.replace('</body>', '<img src="http://192.0.2.1/x.png"></body>'), expect: /network request|console error/ },
    { name: 'unescaped driver markup', html: html.replace('<h1>', '<h1><script>alert(1)</script>'), expect: /console error|script the page did not bring/ },
  ];
  for (const t of tampered) {
    if (t.html === html) throw new Error(`check-browser: could not tamper (${t.name}): the page changed shape`);
    const file = join(outDir, 'tampered.html');
    writeFileSync(file, t.html);
    const { problems } = await checkPage(browser, file, defectPage.report);
    line(problems.some((p) => t.expect.test(p)), `rejects a page with ${t.name}: ${problems.join('; ') || 'accepted'}`);
    rmSync(file);
  }
} finally {
  await browser.close();
}
console.log(rows.join('\n'));
console.log(failed ? `check-browser: ${failed} problem(s)` : 'check-browser: all checks passed');
process.exit(failed ? 1 : 0);
