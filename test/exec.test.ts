/**
 * The exec target over the wire protocol: the reference driver in a separate
 * process gives the same verdicts as in-process; a driver that dies, hangs or
 * breaks the protocol costs only its own tests, and the run still reports.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../harness/generated/report.js';
import { ROOT } from '../harness/paths.js';
import { runConformance } from '../harness/run.js';
import { lentAgentProcess } from '../harness/targets/exec.js';
import { FWCTL_INFO, INFO_SIZE, encodeInfo } from '../uapi/fwctl.js';

const BAD = fileURLToPath(new URL('./fixtures/drivers/bad-driver.js', import.meta.url));
const LENT = fileURLToPath(new URL('./fixtures/drivers/lent-driver.js', import.meta.url));
const serveRef = (model: string) => `exec:node ${join(ROOT, 'bin/fwctl-cts.js')} serve-reference ${model}`;
const verdicts = (r: Report, target: string) => Object.fromEntries(r.rules.map((x) => [x.id, x.byTarget[target]]));

describe('exec target', function () {
  this.timeout(180_000);

  it('the reference driver over exec gives the same per-rule verdicts as in-process (clean and with a defect)', async () => {
    const pairs = [
      ['sim:cxl', serveRef('cxl')],
      ['sim:pds+pds-any-scope', serveRef('pds+pds-any-scope')],
      ['sim:mlx5+shared-context', serveRef('mlx5+shared-context')],
    ] as const;
    const report = await runConformance({ targets: pairs.flat(), workers: 2 });
    for (const [sim, exec] of pairs) expect(verdicts(report, exec), `${exec} vs ${sim}`).to.deep.equal(verdicts(report, sim));
  });

  for (const [mode, outcome, message] of [
    ['hang', 'timeout', /Timeout of 1500ms exceeded|gave no answer to a ioctl call/],
    ['garbage', 'crash', /protocol error: .* not JSON/],
    ['unknown-id', 'crash', /protocol error: a reply to unknown call 99999/],
  ] as const) {
    it(`a driver that ${mode === 'hang' ? 'hangs' : `sends ${mode}`}: its tests are ${outcome}, the run completes`, async () => {
      const report = await runConformance({ targets: [`exec:node ${BAD} ${mode}`], suites: ['uapi/info'], workers: 1, timeoutMs: 1500 });
      const bad = report.tests.filter((t) => t.outcome !== 'pass');
      expect(bad.length, 'affected tests').to.be.greaterThan(0);
      expect(bad.every((t) => t.outcome === outcome), `outcomes: ${bad.map((t) => t.outcome)}`).to.equal(true);
      expect(bad.some((t) => message.test(t.error?.message ?? '')), `messages: ${bad.map((t) => t.error?.message)}`).to.equal(true);
      expect(report.verdict).to.not.equal('compliant');
    });
  }

  for (const [mode, message] of [
    ['exit-after-hello', /exited with status 3/],
    ['no-hello', /did not answer hello/],
    ['wrong-protocol', /speaks protocol 7/],
  ] as const) {
    it(`a driver that fails at start (${mode}) is a clear target error`, async () => {
      const report = await runConformance({ targets: [`exec:node ${BAD} ${mode}`], suites: ['uapi/info'], workers: 1, timeoutMs: 1500 });
      const said = [...report.targets[0]!.errors, ...report.tests.map((t) => t.error?.message ?? '')].join('\n');
      expect(said).to.match(message);
      expect(report.verdict).to.not.equal('compliant');
    });
  }

  it('kill -9 of the driver mid-run: the report is written, affected tests are crashes, exit non-zero, no hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-kill-'));
    const pidfile = join(dir, 'driver.pid');
    const target = `exec:echo $$ > ${pidfile}; exec node ${join(ROOT, 'bin/fwctl-cts.js')} serve-reference mlx5`;
    const run = spawn(process.execPath, ['bin/fwctl-cts.js', 'run', '--target', target, '--report-dir', dir, '--workers', '1', '--no-progress'], { cwd: ROOT, stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => run.on('exit', resolve));
    // Mid-run: the journal (header, then one line per finished test) shows a few results, however
    // loaded the machine is (a fixed wait was flaky).
    const journal = join(dir, 'journal.jsonl');
    const finished = () => (existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').length - 2 : 0);
    while (!existsSync(pidfile) || finished() < 3) await new Promise((r) => setTimeout(r, 20));
    process.kill(Number(readFileSync(pidfile, 'utf8')), 'SIGKILL');
    expect(await exit, 'exit code').to.equal(1);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const crashed = report.tests.filter((t) => t.outcome === 'crash');
    expect(crashed.length, 'tests marked crash').to.be.greaterThan(0);
    expect(crashed[0]!.error?.message).to.match(/was killed by SIGKILL/);
    expect(report.tests.length, 'every planned test is reported').to.be.greaterThan(60);
  });

  describe('an agent lent to test after test (the process without CAP_SYS_RAWIO of dev: targets)', () => {
    const node = () => '/dev/fwctl/fwctl7';
    let starts: string;
    let command: string;
    beforeEach(() => {
      starts = join(mkdtempSync(join(tmpdir(), 'fwctl-cts-lent-')), 'starts');
      command = `node ${LENT} ${starts}`;
    });

    const lines = () => readFileSync(starts, 'utf8').trim().split('\n').length;

    it('is started once; each handle opens the node it names, and giving it back closes its descriptors', async () => {
      const a = await lentAgentProcess(command, command, node, 10_000);
      const fd = await a.open();
      const info = a.alloc(encodeInfo({ size: INFO_SIZE, device_data_len: 0 }));
      expect((await a.ioctl(fd, FWCTL_INFO, info.addr)).ret, 'FWCTL_INFO through the lent agent').to.equal(0);
      a.free(info); // as a test's cleanup does, just before it gives the process back
      await a.dispose();
      const b = await lentAgentProcess(command, command, node, 10_000);
      expect(await b.close(fd), "the first handle's descriptor after it was given back").to.deep.equal({ ret: -1, errno: 'EBADF' });
      const again = b.alloc(encodeInfo({ size: INFO_SIZE, device_data_len: 0 }));
      expect((await b.ioctl(await b.open(), FWCTL_INFO, again.addr)).ret, 'the same addresses, mapped afresh').to.equal(0);
      await b.dispose();
      expect(lines(), 'agent starts').to.equal(1);
    });

    it('two handles alive at once have an agent each', async () => {
      const a = await lentAgentProcess(command, command, node, 10_000);
      const b = await lentAgentProcess(command, command, node, 10_000);
      await Promise.all([a.open(), b.open()]);
      await Promise.all([a.dispose(), b.dispose()]);
      expect(lines(), 'agent starts').to.equal(2);
    });

    it('an agent that may be stuck (a call failed, or is still running), or that exited, is not lent again', async () => {
      const failed = await lentAgentProcess(command, command, () => '/dev/fwctl/hang', 1500);
      expect(await failed.open().then(() => 'opened', (e: Error) => e.name)).to.equal('TargetHung');
      await failed.dispose();
      const running = await lentAgentProcess(command, command, () => '/dev/fwctl/hang', 1500);
      const call = running.open().then(() => 'opened', (e: Error) => e.name);
      await running.dispose(); // as a test that timed out gives it back
      expect(await call, 'the call of a closed agent').to.equal('TargetDied');
      const exited = await lentAgentProcess(command, command, node, 1500);
      await exited.open();
      await exited.exit();
      const last = await lentAgentProcess(command, command, node, 1500);
      await last.open();
      await last.dispose();
      expect(lines(), 'agent starts').to.equal(4);
    });

    it('an idle lent agent does not keep the harness process alive', async () => {
      const script = `const m = await import(${JSON.stringify(new URL('../harness/targets/exec.js', import.meta.url).href)});
        const p = await m.lentAgentProcess(${JSON.stringify(command)}, 'k', () => '/dev/fwctl/fwctl7', 10000);
        await p.open();`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      const code = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => (child.kill('SIGKILL'), resolve('still running after 20 s')), 20_000);
        child.on('exit', (c) => (clearTimeout(timer), resolve(c ?? -1)));
      });
      expect(code).to.equal(0);
    });
  });
  it('an agent whose harness has gone (end of input) ends, and so does the exec: driver it serves', async () => {
    // A copy of the example's simulator under a path of its own, so that what is left running can be found.
    const dir = mkdtempSync(join(tmpdir(), 'cts-agent-end-'));
    try {
      cpSync(join(ROOT, 'examples/vendor-device/sim'), dir, { recursive: true });
      const sim = join(dir, 'acme_pctl_sim.py');
      const agent = spawn(process.execPath, [join(ROOT, 'bin/fwctl-cts.js'), '--plugin', join(ROOT, 'examples/vendor-device'), 'agent', '--target', `exec:python3 ${sim}`], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, FWCTL_CTS_NO_RELAUNCH: '1' } });
      // Its hello says the driver is up (the agent made its target), then the harness leaves.
      const hello = await new Promise<string>((resolve) => {
        agent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
        agent.once('exit', (c) => resolve(`the agent exited with ${c} before its hello`));
        agent.stdin.write(`${JSON.stringify({ type: 'hello', protocol: 1, harness: 'test' })}\n`);
      });
      expect(hello).to.match(/"type":"hello"/);
      const running = () => spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' }).stdout.trim();
      expect(running(), 'the driver runs while the harness is there').to.not.equal('');
      agent.stdin.end();
      const code = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => (agent.kill('SIGKILL'), resolve('still running 20 s after its input ended')), 20_000);
        agent.on('exit', (c) => (clearTimeout(timer), resolve(c ?? -1)));
      });
      expect(code).to.equal(0);
      expect(running(), 'the driver it served').to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
