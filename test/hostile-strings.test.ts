/**
 * Driver-supplied strings cannot attack the terminal or forge report lines
 * (issue 11): a driver whose hello, refusal and replies carry ANSI escapes and
 * newlines, run through the real CLI.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../harness/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-hostile-'));
const DRIVER = 'dist/test/fixtures/drivers/hostile-strings.js';
// Raw controls (ESC, BEL, CR, C1, U+2028) anywhere in terminal or line-format output.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/;

describe('hostile driver strings', function () {
  this.timeout(60_000);

  for (const mode of ['hello', 'error', 'reply']) {
    it(`${mode}: the summary, TAP, KTAP and report.html carry no raw control character, no forged verdict or result line and no driver markup`, () => {
      const out = join(dir, mode);
      const r = spawnSync(process.execPath, ['bin/fwctl-cts.js', 'run', '--target', `exec:node ${DRIVER} ${mode}`, '--suite', 'uapi/info', '--report-dir', out, '--no-progress'], { cwd: ROOT, encoding: 'utf8' });
      // What the run concludes (a --suite subset is judged on its own rules) is not what this test is about.
      expect(r.status, r.stderr).to.be.oneOf([0, 1, 2]);
      if (mode !== 'error') expect(r.stdout).to.include('Verdict: COMPLIANT'); // the driver's text is there, shown inert (an error shows its first line)…
      expect(r.stdout).to.match(/\\x1b\[2J/);
      expect(RAW_CONTROL.test(r.stdout), 'raw control in the summary').to.equal(false);
      // …and only our own verdict line starts a line.
      // (the forged one says "56 pass, 0 fail" and no more; ours always counts the rules not run too)
      const verdicts = r.stdout.split('\n').filter((l) => l.startsWith('Verdict:'));
      expect(verdicts).to.have.length(1);
      expect(verdicts[0]).to.match(/^Verdict: [A-Z-]+ — rules: \d+ pass, \d+ fail, \d+ not run, \d+ not applicable/);
      for (const f of ['report.tap', 'report.ktap']) {
        const text = readFileSync(join(out, f), 'utf8');
        expect(RAW_CONTROL.test(text), `raw control in ${f}`).to.equal(false);
        expect(text.split('\n').filter((l) => /^\s*(?:ok 1 forged|Verdict)/.test(l)), f).to.deep.equal([]);
      }
      // report.html: the driver's markup shown as text (escaped), its controls and bidi override visible, only our own script.
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).to.include('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;\\u202e');
      expect(html.match(/<script/g), 'scripts in report.html').to.have.length(1);
      expect(html).not.to.match(/<img|onerror=alert\(2\)>/);
      expect(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(html), 'raw control in report.html').to.equal(false);
    });
  }
});
