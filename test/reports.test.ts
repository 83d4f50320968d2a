/**
 * Renderers: TAP (nested and flat), KTAP, JUnit XML and CSV, checked with real consumers where we
 * have them here (tap-parser, tap-junit); scripts/check-consumers.mjs runs prove, xmllint with
 * Jenkins' schema, junitparser, kunit.py and python3-tap in CI.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { Parser, type FinalResults, type Result } from 'tap-parser';
import type { Report, TestEntry } from '../harness/generated/report.js';
import { renderJunit } from '../reports/junit.js';
import { renderFailuresCsv, renderResultsCsv } from '../reports/csv.js';
import { runEntries } from '../reports/run-entries.js';
import { renderKtap, renderTap, renderTapFlat } from '../reports/tap.js';
import { TEST_ID, testId } from '../harness/results/test-id.js';

const STACK = 'AssertionError: expected EINVAL\n    at Context.<anonymous> (suites/uapi/info.ts:12:5)\n\n    at run (harness/runner/worker.ts:40:3)';
const SKIP_REASON = 'needs rpc.debugWrite #2 \\ scope';

let n = 0;
function entry(target: string, suite: string, title: string, rest: Partial<TestEntry>): TestEntry {
  return { id: testId('uapi.test', `case ${++n}`), suite, title, target, rules: ['FWCTL-INFO-001'], outcome: 'pass', durationMs: 2, evidence: [], ...rest };
}

const A = 'sim:cxl@2.0';
const B = 'sim:cxl+no-emsgsize';
const TESTS: TestEntry[] = [
  entry(A, 'uapi', 'info #1 returns <size> & "type"', { rules: ['FWCTL-INFO-001', 'FWCTL-INFO-002'], durationMs: 12.25 }),
  entry(A, 'uapi', "rpc with back\\slash and 'quotes'", {
    outcome: 'fail',
    durationMs: 3,
    error: { message: 'expected errno EINVAL, got 0\nsecond line', stack: STACK, expected: 'EINVAL', actual: '0' },
    evidence: [{ call: 'ioctl(FWCTL_RPC)', detail: 'scope=CONFIGURATION', ret: 0 }],
  }),
  entry(A, 'uapi', 'debug\u2028write', { outcome: 'skip', durationMs: 0, skipReason: SKIP_REASON }),
  entry(A, 'taint', 'taints on\nwrite', { outcome: 'timeout', durationMs: 5000, error: { message: 'timed out after 5000 ms' } }),
  entry(B, 'uapi', 'info #1 returns <size> & "type"', { outcome: 'crash', error: { message: 'worker exited: SIGSEGV' } }),
  entry(B, 'uapi', 'open\u0001close', {
    outcome: 'error',
    error: { message: 'harness error: <bad> & "worse"', stack: '  indented first line\u0000\nnext' },
    evidence: [{ call: 'open', detail: '/dev/fwctl/fwctl0', ret: -1, errno: 'ENOENT' }],
  }),
];

const REPORT: Report = {
  format: 'fwctl-cts-report/1',
  tool: { name: 'fwctl-cts', version: '0.1.0' },
  policy: { id: 'upstream', version: '1.0' },
  run: {
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:06.000Z',
    durationMs: 6000,
    workers: 2,
    host: { hostname: 'ci-1', kernelRelease: '6.15.0', node: 'v20.20.2' },
  },
  verdict: 'non-compliant',
  targets: [
    { spec: A, errors: [] },
    { spec: B, errors: [] },
  ],
  rules: [],
  tests: TESTS,
  summary: {
    tests: 6,
    outcomes: { pass: 1, fail: 1, skip: 1, timeout: 1, crash: 1, error: 1 },
    rules: { pass: 0, fail: 0, 'not-run': 0, 'not-applicable': 0, 'not-selected': 0 },
  },
};
const { outcomes: OUTCOMES } = REPORT.summary;
/** Every outcome that makes a test point `not ok`, plus the run's own verdict entry (the run failed). */
const FAILING = OUTCOMES.fail + OUTCOMES.timeout + OUTCOMES.crash + OUTCOMES.error + 1;
/** The report's tests and the run's own entries (here: only the failing verdict). */
const ENTRIES = [...TESTS, ...runEntries(REPORT)];

interface Parsed {
  final: FinalResults;
  /** The test points at the requested nesting level. */
  leaves: Result[];
  /** Parse errors and bailouts from the stream and every child stream. */
  problems: string[];
}

/** Parse TAP in strict mode, collecting the test points at nesting `leafLevel` and every parse error, nested ones included. */
function parseTap(tap: string, leafLevel: number): Promise<Parsed> {
  const leaves: Result[] = [];
  const problems: string[] = [];
  const watch = (parser: Parser, level: number): void => {
    parser.on('bailout', (reason: string) => problems.push(`bailout: ${reason}`));
    parser.on('complete', (r: FinalResults) => problems.push(...r.failures.filter((f) => f.tapError).map((f) => String(f.tapError))));
    parser.on('child', (child: Parser) => watch(child, level + 1));
    if (level === leafLevel) parser.on('assert', (res: Result) => leaves.push(res));
  };
  return new Promise((resolve) => {
    const parser = new Parser({ strict: true }, (final) => resolve({ final, leaves, problems }));
    watch(parser, 0);
    parser.end(tap);
  });
}

function outcomes(leaves: readonly Result[]): { pass: number; fail: number; skip: number } {
  return {
    pass: leaves.filter((r) => r.ok && !r.skip).length,
    fail: leaves.filter((r) => !r.ok).length,
    skip: leaves.filter((r) => r.skip).length,
  };
}

describe('reports: TAP', () => {
  it('parses in strict mode with no errors, and its counts match the report', async () => {
    const { final, leaves, problems } = await parseTap(renderTap(REPORT), 1);
    expect(problems).to.deep.equal([]);
    expect(final.bailout).to.equal(false);
    // Three (target, suite) subtests, one of which (B uapi) has only failures, and the run's own.
    expect(final.count).to.equal(4);
    expect(final.ok).to.equal(false);
    expect(outcomes(leaves)).to.deep.equal({ pass: OUTCOMES.pass, fail: FAILING, skip: OUTCOMES.skip });
  });

  it('keeps escaped titles, skip reasons, durations and YAML diagnostics intact', async () => {
    const { leaves } = await parseTap(renderTap(REPORT), 1);
    // Points are named by id; the sentence is the YAML description.
    expect(leaves.map((r) => r.name)).to.deep.equal(ENTRIES.map((t) => t.id));
    expect(leaves.map((r) => r.diag.description)).to.deep.equal(ENTRIES.map((t) => t.title));
    expect(leaves[2]!.skip).to.equal(SKIP_REASON);
    expect(leaves[0]!.time).to.equal(12.25);
    expect(leaves[0]!.diag).to.deep.include({ rules: ['FWCTL-INFO-001', 'FWCTL-INFO-002'] });
    expect(leaves[1]!.diag).to.deep.include({ outcome: 'fail', message: TESTS[1]!.error!.message, expected: 'EINVAL', actual: '0', stack: STACK });
    expect(leaves[3]!.diag).to.deep.include({ severity: 'timeout' });
    // Stacks are quoted scalars (prove's YAMLish rejects block scalars); control characters survive escaped.
    expect(leaves[5]!.diag).to.deep.include({ stack: TESTS[5]!.error!.stack });
    expect(renderTap(REPORT)).not.to.match(/: \|-?$/m);
  });

  it('writes a # Subtest line, 4-space child streams and a closing parent point', () => {
    const lines = renderTap(REPORT).split('\n');
    // Version 13: Perl's prove rejects 14.
    expect(lines.slice(0, 4)).to.deep.equal(['TAP version 13', '1..4', `# Subtest: ${A} uapi`, '    1..3']);
    expect(lines).to.include(`not ok 3 - ${B} uapi`);
    expect(lines).to.include(`    ok 3 - ${TESTS[2]!.id} # SKIP needs rpc.debugWrite \\#2 \\\\ scope`);
    expect(lines).to.include('not ok 4 - fwctl-cts run');
  });

  it('flat form parses with the same counts, each point named <target>.<id> without white space', async () => {
    const { final, leaves, problems } = await parseTap(renderTapFlat(REPORT), 0);
    expect(problems).to.deep.equal([]);
    expect(final.count).to.equal(ENTRIES.length);
    expect(outcomes(leaves)).to.deep.equal({ pass: OUTCOMES.pass, fail: FAILING, skip: OUTCOMES.skip });
    expect(leaves[0]!.name).to.equal(`sim-cxl-2-0.${TESTS[0]!.id}`);
    for (const l of leaves) expect(l.name).to.match(TEST_ID);
  });

  it('a run that failed is not ok everywhere, even when every test passed', async () => {
    const broken: Report = { ...REPORT, verdict: 'incomplete', tests: [TESTS[0]!], targets: [{ spec: A, errors: ['suite uapi failed to load: SyntaxError'] }] };
    for (const tap of [renderTap(broken), renderTapFlat(broken)]) expect((await parseTap(tap, 0)).final.ok).to.equal(false);
    expect(renderKtap(broken)).to.match(/^not ok \d+ fwctl-cts run$/m);
    expect(renderJunit(broken)).to.match(/<error message="suite uapi failed to load: SyntaxError"/);
    expect(renderFailuresCsv(broken)).to.contain('fwctl-cts.run.target-error.sim-cxl-2-0.1,Fail');
    expect(renderFailuresCsv(broken)).to.contain('fwctl-cts.run.verdict,Fail');
  });
});

describe('reports: tap-junit on flat TAP', () => {
  it('yields one testcase per test and the right failure count', () => {
    const require = createRequire(import.meta.url);
    const bin = require.resolve('tap-junit/bin/tap-junit');
    // tap-junit exits the process from its API when a test failed, so it runs as a subprocess.
    const xml = execFileSync(process.execPath, [bin], { input: renderTapFlat(REPORT), encoding: 'utf8' });
    // tap-junit copies control characters into the XML raw, which is not well-formed; drop them to count.
    const root = parseXml(xml.replace(XML_ILLEGAL, ''));
    const cases = findAll(root, 'testcase');
    expect(cases).to.have.length(ENTRIES.length);
    expect(root.attrs.failures).to.equal(String(FAILING));
    // Every failing outcome is a <failure>; the flat form is kselftest-style (`# ` diagnostics, no YAML), so untyped.
    expect(findAll(root, 'failure')).to.have.length(FAILING);
    expect(findAll(root, 'skipped')).to.have.length(1);
  });
});

describe('reports: JUnit XML', () => {
  // Parsed in a hook: the XML helpers below are not initialised while describe() bodies run.
  let root: XmlElement, suites: XmlElement[], cases: XmlElement[];
  before(() => {
    root = parseXml(renderJunit(REPORT));
    suites = findAll(root, 'testsuite');
    cases = findAll(root, 'testcase');
  });

  it('is well-formed, and its counts add up', () => {
    expect(root.name).to.equal('testsuites');
    // Jenkins' junit-10.xsd allows no `skipped` or `timestamp` on <testsuites>.
    expect(root.attrs).to.deep.equal({ name: 'fwctl-cts', tests: '7', failures: '3', errors: '2', time: '6.000' });
    expect(suites.map((s) => s.attrs.name)).to.deep.equal([`${A} uapi`, `${A} taint`, `${B} uapi`, 'fwctl-cts run']);
    for (const key of ['tests', 'failures', 'errors'] as const) {
      const sum = suites.reduce((n, s) => n + Number(s.attrs[key]), 0);
      expect(sum, key).to.equal(Number(root.attrs[key]));
    }
    expect(suites.reduce((n, s) => n + Number(s.attrs.skipped), 0)).to.equal(1);
    expect(cases).to.have.length(ENTRIES.length);
  });

  it('keeps durations, classnames, properties and escaped names', () => {
    expect(cases.map((c) => c.attrs.time)).to.deep.equal(['0.012', '0.003', '0.000', '5.000', '0.002', '0.002', '0.000']);
    expect(cases[0]!.attrs).to.include({ classname: 'sim-cxl-2-0.uapi', name: TESTS[0]!.id });
    // The sentence leads system-out; newlines survive, the control character is dropped.
    expect(findAll(cases[3]!, 'system-out')[0]!.text.split('\n')[0]).to.equal('taints on');
    expect(findAll(cases[5]!, 'system-out')[0]!.text.split('\n')[0]).to.equal('openclose');
    const props = findAll(suites[0]!, 'property').map((p) => [p.attrs.name, p.attrs.value]);
    expect(props).to.deep.equal([['target', A], ['policy.id', 'upstream'], ['policy.version', '1.0'], ['verdict', 'non-compliant']]);
  });

  it('keeps skip reasons, failure messages, stacks, expected/actual and evidence', () => {
    const [skipped] = findAll(cases[2]!, 'skipped');
    expect(skipped!.attrs.message).to.equal(SKIP_REASON);
    const [failure] = findAll(cases[1]!, 'failure');
    expect(failure!.attrs).to.include({ message: TESTS[1]!.error!.message, type: 'fail' });
    expect(failure!.text).to.equal(`${STACK}\nexpected: EINVAL\nactual: 0`);
    expect(findAll(cases[3]!, 'failure')[0]!.attrs.type).to.equal('timeout');
    expect(findAll(cases[4]!, 'error')[0]!.attrs.type).to.equal('crash');
    const [error] = findAll(cases[5]!, 'error');
    expect(error!.attrs).to.include({ message: 'harness error: <bad> & "worse"', type: 'error' });
    expect(error!.text).to.equal('  indented first line\nnext');
    expect(findAll(cases[5]!, 'system-out')[0]!.text).to.equal('openclose\nrules: FWCTL-INFO-001\nopen /dev/fwctl/fwctl0 → -1 ENOENT');
  });

  it('--junit-limit keeps every failure and at most N passes, with the counts of the whole run', () => {
    const limited = parseXml(renderJunit(REPORT, { limit: 0 }));
    expect(findAll(limited, 'testcase').map((c) => c.attrs.name)).to.deep.equal(ENTRIES.filter((t) => !['pass', 'skip'].includes(t.outcome)).map((t) => t.id));
    expect(limited.attrs.tests).to.equal(root.attrs.tests);
  });
});

describe('reports: CSV (deqp-runner shape)', () => {
  it('results.csv lists every test, failures.csv the failing ones', () => {
    const all = renderResultsCsv(REPORT).trim().split('\n');
    expect(all).to.have.length(ENTRIES.length);
    expect(all[0]).to.equal(`sim-cxl-2-0.${TESTS[0]!.id},Pass,0.012`);
    expect(renderFailuresCsv(REPORT).trim().split('\n').map((l) => l.split(',')[1])).to.deep.equal(['Fail', 'Timeout', 'Crash', 'Fail', 'Fail']);
  });
});

describe('reports: KTAP', () => {
  const lines = renderKtap(REPORT).split('\n');

  it('has version lines at every level and 2-space nesting', () => {
    // kunit.py names a subtest by the `# Subtest:` line after its version line.
    expect(lines.slice(0, 5)).to.deep.equal(['KTAP version 1', '1..4', '  KTAP version 1', `  # Subtest: ${A} uapi`, '  1..3']);
    expect(lines).to.include(`not ok 1 ${A} uapi`);
    expect(lines.filter((l) => l.trim() === 'KTAP version 1')).to.have.length(5);
  });

  it('uses directives and # diagnostic lines, and keeps # out of descriptions', () => {
    expect(lines).to.include(`  ok 3 ${TESTS[2]!.id} # SKIP ${SKIP_REASON}`);
    expect(lines).to.include(`  not ok 1 ${TESTS[3]!.id} # TIMEOUT`);
    expect(lines).to.include(`  # ${TESTS[3]!.id}: timeout: timed out after 5000 ms`);
    expect(lines).to.include(`  not ok 1 ${TESTS[4]!.id} # ERROR`);
    expect(lines.filter((l) => /^\s*(not )?ok /.test(l) && l.replace(/ # (SKIP|TIMEOUT|ERROR).*$/, '').includes('#'))).to.deep.equal([]);
    // KTAP recommends against YAML.
    expect(lines.some((l) => l.trim() === '---')).to.equal(false);
  });
});

/** A parsed element: enough of a DOM to assert on. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const XML_ILLEGAL = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
const XML_NAME = '[A-Za-z_:][\\w.:-]*';
const XML_REF = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
const XML_TOKEN = new RegExp(`<\\?xml[^>]*\\?>|<(/?)(${XML_NAME})((?:\\s+${XML_NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>|([^<]+)|(<)`, 'gy');
const XML_ATTR = new RegExp(`(${XML_NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');

/**
 * A small strict XML parser for the tests: it throws on anything not well-formed that our
 * renderer could get wrong (unbalanced tags, a raw `<` or `&`, illegal characters, repeated
 * attributes, content outside the root). xmlbuilder2, which tap-junit brings, accepts all of those.
 */
function parseXml(xml: string): XmlElement {
  checkChars(xml);
  const doc: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack = [doc];
  XML_TOKEN.lastIndex = 0;
  for (let m = XML_TOKEN.exec(xml); m; m = XML_TOKEN.exec(xml)) {
    const [, close, name, rawAttrs, selfClose, text, stray] = m;
    const top = stack.at(-1)!;
    if (stray) throw new Error(`stray < at ${m.index}`);
    if (text !== undefined) {
      if (top === doc && text.trim()) throw new Error('text outside the root element');
      if (text.includes(']]>')) throw new Error(']]> in text');
      top.text += decode(text);
    } else if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else if (name) {
      if (top === doc && doc.children.length) throw new Error('second root element');
      const el: XmlElement = { name, attrs: parseAttrs(rawAttrs ?? ''), children: [], text: '' };
      top.children.push(el);
      if (!selfClose) stack.push(el);
    }
  }
  // Every character matches some token, so the loop always reaches the end of the input.
  if (stack.length !== 1 || doc.children.length !== 1) throw new Error('truncated XML');
  return doc.children[0]!;
}

function parseAttrs(raw: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const [, name, dq, sq] of raw.matchAll(XML_ATTR)) {
    if (name! in attrs) throw new Error(`repeated attribute ${name}`);
    attrs[name!] = decode(dq ?? sq ?? '');
  }
  return attrs;
}

function decode(s: string): string {
  if (s.replace(XML_REF, '').includes('&')) throw new Error(`bare & in ${JSON.stringify(s)}`);
  if (s.includes('<')) throw new Error('< in attribute');
  // Character references may not name illegal characters either.
  return checkChars(
    s.replace(XML_REF, (ref) => {
      if (ref[1] !== '#') return { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" }[ref]!;
      return String.fromCodePoint(parseInt(ref.slice(ref[2] === 'x' ? 3 : 2, -1), ref[2] === 'x' ? 16 : 10));
    }),
  );
}

function checkChars(s: string): string {
  const [bad] = s.match(XML_ILLEGAL) ?? [];
  if (bad !== undefined) throw new Error(`illegal XML character U+${bad.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  return s;
}

function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
