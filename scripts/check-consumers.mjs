// The tools that read our reports, run on fixture reports (issue #12): Jenkins' junit-10.xsd
// through xmllint, python3-junitparser, Perl's prove, tap-parser in strict mode, the kernel's
// kunit.py parse, and python3-tap on the kselftest-style flat TAP (what LAVA's and KernelCI's
// kselftest parsers read: top-level lines only). Each count must match report.json, and each
// tool must see a failed run as failed.
//
// Fixtures: all-pass (sim:cxl), failing (a defect), crashing (a driver that exits after hello)
// and harness error (a target that cannot start: exit 2).
//
// Also: report.kcidb.json against kernelci/kcidb-io's own validator (KCIDB v5), the LAVA test
// definition in examples/ci/lava against lava_common's test-definition schema (Debian
// lava-common), and examples/ci/lava/lava-results.sh run with stand-ins for lava-test-case.
//
// Needs: xmllint (libxml2-utils), prove (perl), /usr/bin/python3 with python3-junitparser,
// python3-tap, python3-jsonschema, python3-yaml and lava-common (Debian), junit-10.xsd
// (FWCTL_CTS_JUNIT_XSD, or the cache below), a kcidb-io checkout (FWCTL_CTS_KCIDB_IO, or the
// cache), the kernel source for kunit.py (FWCTL_CTS_KERNEL_SRC, or `vm/fwctl-vm source`).
// A missing tool fails the check unless FWCTL_CTS_CONSUMERS_OPTIONAL (comma-separated:
// junit-10.xsd, kcidb-io, kunit.py) names it: then it is a SKIP with the reason, never a pass.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'tap-parser';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'fwctl-cts.js');
const python = '/usr/bin/python3';
const optional = new Set((process.env.FWCTL_CTS_CONSUMERS_OPTIONAL ?? '').split(',').filter(Boolean));
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fwctl-cts', 'consumers');

const FIXTURES = [
  { name: 'all-pass', targets: ['sim:cxl'], exit: [0] },
  { name: 'failing', targets: ['sim:cxl+no-emsgsize'], exit: [1] },
  // A dead driver's tests are crashes (1); one that dies while a task starts is a target error (2).
  { name: 'crashing', targets: [`exec:node ${join(root, 'dist/test/fixtures/drivers/bad-driver.js')} exit-after-hello`], exit: [1, 2] },
  { name: 'harness-error', targets: ['sim:cxl', `exec:${join(root, 'no-such-driver')}`], exit: [2] },
];

let problems = 0;
const rows = [];
function check(fixture, tool, ok, detail) {
  rows.push(`${ok === null ? 'SKIP' : ok ? 'ok  ' : 'FAIL'}  ${fixture.padEnd(13)} ${tool.padEnd(24)} ${detail}`);
  if (ok === false) problems++;
}

function tool(name, find) {
  const found = find();
  if (found) return found;
  if (optional.has(name)) return null;
  throw new Error(`check-consumers: ${name} is missing (see the header of scripts/check-consumers.mjs)`);
}

function findXsd() {
  const p = process.env.FWCTL_CTS_JUNIT_XSD ?? join(cache, 'junit-10.xsd');
  return existsSync(p) ? p : undefined;
}

function findKunit() {
  let src = process.env.FWCTL_CTS_KERNEL_SRC;
  if (!src) {
    const r = spawnSync(join(root, 'vm', 'fwctl-vm'), ['source'], { encoding: 'utf8' });
    if (r.status === 0) src = r.stdout.trim().split('\n').pop();
  }
  const p = src && join(src, 'tools', 'testing', 'kunit', 'kunit.py');
  return p && existsSync(p) ? p : undefined;
}

function findKcidb() {
  const p = process.env.FWCTL_CTS_KCIDB_IO ?? join(cache, 'kcidb-io');
  return existsSync(join(p, 'kcidb_io', 'schema')) ? p : undefined;
}

const xsd = tool('junit-10.xsd', findXsd);
const kunit = tool('kunit.py', findKunit);
const kcidb = tool('kcidb-io', findKcidb);

// The LAVA test definition, once: lava_common's own schema for it.
{
  const def = join(root, 'examples', 'ci', 'lava', 'fwctl-cts.yaml');
  const r = spawnSync(python, ['-c', 'import sys, yaml\nfrom lava_common.schemas.test.testdef import validate\nvalidate(yaml.safe_load(open(sys.argv[1])))', def], { encoding: 'utf8' });
  check('examples', 'lava_common testdef', r.status === 0, r.status === 0 ? 'examples/ci/lava/fwctl-cts.yaml valid' : r.stderr.trim().split('\n').pop());
}
// Stand-ins for LAVA's helpers, recording each call.
const lavaBin = mkdtempSync(join(tmpdir(), 'fwctl-cts-lava-'));
for (const cmd of ['lava-test-case', 'lava-test-set']) {
  writeFileSync(join(lavaBin, cmd), `#!/bin/sh\necho "${cmd} $*" >> "$LAVA_CALLS"\n`, { mode: 0o755 });
}

/** What report.json says, including the run's own entries every format carries (reports/run-entries.ts). */
function expected(report, code) {
  const out = { pass: 0, fail: 0, skip: 0 };
  for (const t of report.tests) out[t.outcome === 'pass' ? 'pass' : t.outcome === 'skip' ? 'skip' : 'fail']++;
  for (const t of report.targets) out.fail += t.errors.length;
  for (const r of report.rules.filter((x) => x.verdict === 'not-run')) out[r.severity === 'must' && r.tier === 'core' ? 'fail' : 'skip']++;
  out[code === 0 ? 'pass' : 'fail']++; // the verdict entry
  const groups = new Map();
  const add = (key, failing) => groups.set(key, (groups.get(key) ?? false) || failing);
  for (const t of report.tests) add(`${t.target} ${t.suite}`, !['pass', 'skip'].includes(t.outcome));
  add('fwctl-cts run', out.fail > report.tests.filter((t) => !['pass', 'skip'].includes(t.outcome)).length);
  return { ...out, total: out.pass + out.fail + out.skip, groups: groups.size, failedGroups: [...groups.values()].filter(Boolean).length };
}

function same(a, b) {
  return a.total === b.total && a.fail === b.fail && a.skip === b.skip;
}
const fmt = (c) => `${c.total} tests: ${c.total - c.fail - c.skip} pass, ${c.fail} fail, ${c.skip} skip`;

function tapParse(text) {
  return new Promise((resolve) => {
    const p = new Parser({ strict: true });
    const errors = [];
    p.on('bailout', (r) => errors.push(`bail out: ${r}`));
    p.on('complete', (res) => resolve({ res, errors: [...errors, ...(res.failures ?? []).filter((f) => f.tapError).map((f) => f.tapError)] }));
    p.end(text);
  });
}

const work = mkdtempSync(join(tmpdir(), 'fwctl-cts-consumers-'));
try {
  for (const fx of FIXTURES) {
    const dir = join(work, fx.name);
    const run = spawnSync(process.execPath, [cli, 'run', ...fx.targets.flatMap((t) => ['--target', t]), '--report-dir', dir, '--no-progress'], { encoding: 'utf8' });
    check(fx.name, 'fwctl-cts exit code', fx.exit.includes(run.status), `exit ${run.status} (expected ${fx.exit.join(' or ')})`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const want = expected(report, run.status);
    const failed = run.status !== 0;

    // Jenkins: xunit-plugin validates against junit-10.xsd and skips a file that fails.
    if (xsd) {
      const x = spawnSync('xmllint', ['--noout', '--schema', xsd, join(dir, 'junit.xml')], { encoding: 'utf8' });
      check(fx.name, 'xmllint junit-10.xsd', x.status === 0, x.status === 0 ? 'valid' : x.stderr.trim().split('\n')[0]);
    } else check(fx.name, 'xmllint junit-10.xsd', null, 'junit-10.xsd not available');

    const jp = JSON.parse(execFileSync(python, ['-c', `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
c = {"total": 0, "fail": 0, "skip": 0}
for suite in xml:
    for case in suite:
        c["total"] += 1
        kinds = [type(r) for r in case.result]
        if Failure in kinds or Error in kinds: c["fail"] += 1
        elif Skipped in kinds: c["skip"] += 1
print(json.dumps(c))`, join(dir, 'junit.xml')], { encoding: 'utf8' }));
    check(fx.name, 'python3-junitparser', same(jp, want), `${fmt(jp)} (report.json: ${fmt(want)})`);

    // prove reads the parent points of report.tap (one per target and suite) and every point of the flat file.
    for (const [file, total, fails] of [['report.tap', want.groups, want.failedGroups], ['report.flat.tap', want.total, want.fail]]) {
      const pr = spawnSync('prove', ['--exec', 'cat', join(dir, file)], { encoding: 'utf8' });
      const out = pr.stdout + pr.stderr;
      const tests = Number(/Tests=(\d+)/.exec(out)?.[1] ?? -1);
      const bad = Number(/Failed (\d+)\/\d+ subtests/.exec(out)?.[1] ?? 0);
      const parseErrors = /Parse errors:|Badly formed|Bad plan|unknown TAP token|don't know about versions/i.test(out);
      const ok = tests === total && bad === fails && !parseErrors && (pr.status !== 0) === failed;
      check(fx.name, `prove ${file}`, ok, `Tests=${tests}, failed ${bad}, exit ${pr.status}${parseErrors ? ', parse errors' : ''} (report.json: ${total} points, ${fails} failing)`);
    }

    for (const [file, total] of [['report.tap', want.groups], ['report.flat.tap', want.total]]) {
      const { res, errors } = await tapParse(readFileSync(join(dir, file), 'utf8'));
      const ok = errors.length === 0 && res.count === total && res.ok === !failed;
      check(fx.name, `tap-parser strict ${file}`, ok, `${res.count} points, ok=${res.ok}, ${errors.length} parse errors`);
    }

    // kunit.py parse counts the leaves of the nested KTAP; SKIP is its only non-failing directive.
    if (kunit) {
      const k = spawnSync(python, [kunit, 'parse', join(dir, 'report.ktap')], { encoding: 'utf8' });
      const out = k.stdout + k.stderr;
      const m = /Ran (\d+) tests?: (.*)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
      const get = (what) => Number(new RegExp(`${what}: (\\d+)`).exec(m?.[2] ?? '')?.[1] ?? 0);
      const got = { total: Number(m?.[1] ?? -1), fail: get('failed') + get('crashed') + get('errors'), skip: get('skipped') };
      // Named subtests: kunit.py prints each group's `# Subtest:` name in its banner.
      const named = /=+ (\[\w+\] )?fwctl-cts run =+/.test(out);
      check(fx.name, 'kunit.py parse', same(got, want) && (k.status !== 0) === failed && named, `${fmt(got)}, exit ${k.status} (report.json: ${fmt(want)})`);
    } else check(fx.name, 'kunit.py parse', null, 'kernel source not available');

    // LAVA's and KernelCI's kselftest parsers read top-level lines only, as python3-tap does.
    const pt = JSON.parse(execFileSync(python, ['-c', `
import json, sys
from tap.parser import Parser
c = {"total": 0, "fail": 0, "skip": 0, "bad_names": 0}
for line in Parser().parse_file(sys.argv[1]):
    if line.category == "test":
        c["total"] += 1
        if line.skip: c["skip"] += 1
        elif not line.ok: c["fail"] += 1
        if not line.description or any(ch.isspace() for ch in line.description.strip()): c["bad_names"] += 1
print(json.dumps(c))`, join(dir, 'report.flat.tap')], { encoding: 'utf8' }));
    check(fx.name, 'python3-tap flat (LAVA)', same(pt, want) && pt.bad_names === 0, `${fmt(pt)}, ${pt.bad_names} names with white space (report.json: ${fmt(want)})`);

    // SARIF 2.1.0: Microsoft's validator (the npm @microsoft/sarif-multitool, a dev dependency).
    const sv = spawnSync(join(root, 'node_modules', '.bin', 'sarif-multitool'), ['validate', join(dir, 'report.sarif')], { encoding: 'utf8' });
    const sarifErrors = (sv.stdout.match(/: error /g) ?? []).length;
    const sarifResults = JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')).runs[0].results.length;
    const failingRules = report.rules.reduce((n, r) => n + Object.values(r.byTarget).filter((v) => v === 'fail' || v === 'waived').length, 0);
    check(fx.name, 'sarif-multitool validate', sv.status === 0 && sarifErrors === 0 && sarifResults === failingRules, `exit ${sv.status}, ${sarifErrors} errors, ${sarifResults} results (report.json: ${failingRules} failing rule x target)`);

    // KCIDB v5: kcidb-io's own validator, as kcidb-submit runs it.
    if (kcidb) {
      const k = spawnSync(python, ['-c', 'import json, sys\nfrom kcidb_io.schema import LATEST\nd = json.load(open(sys.argv[1]))\nLATEST.validate_exactly(d)\nprint(LATEST.major, LATEST.minor, len(d["tests"]))', join(dir, 'report.kcidb.json')], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: kcidb } });
      const [major, minor, n] = k.stdout.trim().split(' ');
      check(fx.name, 'kcidb-io validate', k.status === 0 && Number(n) === want.total, k.status === 0 ? `valid KCIDB v${major}.${minor}, ${n} tests` : k.stderr.trim().split('\n').pop());
    } else check(fx.name, 'kcidb-io validate', null, 'kcidb-io not available');

    // LAVA: examples/ci/lava/lava-results.sh, one lava-test-case per test, results matching report.json.
    const calls = join(work, `${fx.name}-lava-calls`);
    const lr = spawnSync('sh', [join(root, 'examples', 'ci', 'lava', 'lava-results.sh'), join(dir, 'results.csv')], { encoding: 'utf8', env: { ...process.env, PATH: `${lavaBin}:${process.env.PATH}`, LAVA_CALLS: calls } });
    const cases = lr.status === 0 ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.startsWith('lava-test-case ')) : [];
    const lava = { total: cases.length, fail: cases.filter((c) => c.endsWith('--result fail')).length, skip: cases.filter((c) => c.endsWith('--result skip')).length };
    const spaced = cases.filter((c) => c.split(' ').length !== 4).length;
    check(fx.name, 'lava-results.sh', lr.status === 0 && same(lava, want) && spaced === 0, `${fmt(lava)}, ${spaced} ids with white space (report.json: ${fmt(want)})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(lavaBin, { recursive: true, force: true });
}
console.log(rows.join('\n'));
console.log(problems ? `check-consumers: ${problems} problem(s)` : 'check-consumers: every consumer agrees with report.json');
process.exitCode = problems ? 1 : 0;
