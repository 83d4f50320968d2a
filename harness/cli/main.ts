/**
 * The fwctl-cts command line. Exit codes: 0 compliant, 1 non-compliant or
 * incomplete, 2 bad input or harness error. Errors are one line on stderr.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { ALL_DEFECTS } from '../../reference-driver/defects/defects.js';
import { ReportsNotWritten, prepareReportDir, renderSummary, writeReports } from '../../reports/index.js';
import { exitCode } from '../../reports/run-entries.js';
import { ROBUSTNESS_RUNS_DEFAULT, ROBUSTNESS_RUNS_RANGE, SEED_RANGE, checkInt, robustnessEnv } from '../env.js';
import { CODEC_MODES, checkCodecs, loadDataCodec, type CodecMode } from '../codecs/index.js';
import { loadExpectations } from '../expectations/expectations.js';
import { loadReport, mergeReports } from '../results/merge.js';
import { JOURNAL, Journal, readJournal } from '../results/journal.js';
import type { TestResult } from '../runner/types.js';
import { CtsError } from '../errors.js';
import type { Shard } from '../plan/plan.js';
import { loadPolicy } from '../policy/policy.js';
import { loadProfile } from '../profiles/profile.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers, runConformance, selectSuites } from '../run.js';
import { createTarget } from '../targets/registry.js';
import { SimTarget } from '../targets/sim.js';
import { expandTargets, parseTarget } from '../targets/spec.js';
import type { TargetOptions } from '../targets/target.js';
import { serveAgent } from '../wire/agent.js';
import { serve } from '../wire/server.js';
import { VERSION } from '../version.js';
import { runDifferential } from './differential.js';
import type { MutateCliOptions } from './mutate.js';
import { renderDryRun } from './dry-run.js';
import { renderSnapshot, takeSnapshot, writeSnapshot } from './snapshot.js';
import { loadSnapshot } from '../targets/baseline.js';
import { takeInventory, targetInventory, renderInventory } from './inventory.js';
import { runDiff, type DiffCliOptions } from './diff.js';
import { loadBaselineReport } from '../diff/load.js';
import { diffReports } from '../diff/reports.js';
import { baselineSummary } from '../diff/render.js';
import { ALL_MODELS, listRules } from './list.js';
import { checkProfile, renderProfileCheck } from './profile-check.js';
import { CONFIG_FILE, journaledPlugins, loadCliPlugins, resumePlugins } from '../plugins/load.js';
import { UNKNOWN_DEVICE_TYPE } from '../plugins/registry.js';
import { addCertifyCommands } from './certify.js';

const EXIT = { compliant: 0, failing: 1, badInput: 2, noDevice: 4 } as const;

const EXIT_HELP = `
Exit codes:
  0  compliant: every applicable core must-rule passed
  1  non-compliant (a must-rule failed: a driver that crashed, hung or broke the wire protocol
     fails the rules of its tests), incomplete (a core must-rule was not run), or an expired
     expectations entry
  2  bad input (target, policy, profile, options, environment, report directory), a target that
     could not be run (e.g. a driver that never said hello), a harness error, or the run was
     interrupted (SIGINT or SIGTERM: the reports written hold the tests finished so far, the
     rest as skipped "not run", and report.json says "interrupted": true)
  4  nothing to test: dev:all found no fwctl device (like kselftest's skip)

Targets:
  sim:<model>[@<fw>|@*][+<defect>…]   the bundled reference driver (models: cxl)
  exec:<command line>                  a driver speaking the wire protocol (docs/wire-protocol.md)
  dev:/dev/fwctl/fwctlN | dev:all      the real kernel
  A target given twice (after @* and dev:all are expanded) is tested once, with a note on stderr.

Safety on real devices: by default only CONFIGURATION and DEBUG_READ_ONLY RPCs that the profile
marks as safe probes are sent. --allow-taint unlocks mutating scopes (taints the kernel),
--allow-destructive writes, resets and unbinding, --allow-hazards inputs that can crash a kernel.`;

interface AllowFlags {
  allowTaint?: boolean;
  allowDestructive?: boolean;
  allowHazards?: boolean;
}

function allowsFrom(o: AllowFlags): TargetOptions {
  return { allow: { taint: Boolean(o.allowTaint), destructive: Boolean(o.allowDestructive), hazards: Boolean(o.allowHazards) } };
}

function withAllowFlags(cmd: Command): Command {
  return cmd
    .option('--allow-taint', 'real devices: allow DEBUG_WRITE/DEBUG_WRITE_FULL RPCs (taints the kernel)')
    .option('--allow-destructive', 'real devices: allow writes, resets and unbinding the driver')
    .option('--allow-hazards', 'real devices: allow inputs known to crash some kernels (throw-away machines only)');
}

/** An integer option in [min, max]; commander names the option in the error. */
function intIn(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = checkInt(v, min, max);
    if (typeof n === 'string') throw new InvalidArgumentError(n);
    return n;
  };
}

/** Each worker is a thread with its own heap (1000 workers took 6 GB): more than this is a typo. */
export const MAX_WORKERS = 64;
/**
 * The per-test timeout's bound: node's timers take at most 2^31-1 ms, and the
 * pool's watchdog waits twice the timeout and a grace (harness/runner/pool.ts).
 */
export const MAX_TIMEOUT_MS = 24 * 3600_000;
const MAX_SHARDS = 100_000;

/** The parsed options of `run`; a journal keeps them for --resume (harness/results/journal.ts). */
type RunCliOptions = {
  target?: string[];
  policy: string;
  reportDir: string;
  resume?: string;
  workers: number;
  timeout: number;
  shard?: Shard;
  suite?: string[];
  test?: string[];
  exclude?: string[];
  junitLimit?: number;
  kcidbOrigin?: string;
  kcidbBuildId?: string;
  expectations?: string;
  retries: number;
  seed?: number;
  robustnessRuns?: number;
  shuffle?: number;
  progress: boolean;
  dryRun?: boolean;
  profile?: string;
  abiBaseline?: string;
  codec?: CodecMode;
  baseline?: string;
} & AllowFlags;

function kcidbOrigin(v: string): string {
  if (!/^[a-z0-9_]+$/.test(v)) throw new InvalidArgumentError('expected a KCIDB origin: lower-case letters, digits and _');
  return v;
}

function shard(v: string): Shard {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) throw new InvalidArgumentError(`expected k/n with 1 <= k <= n <= ${MAX_SHARDS}, e.g. 2/8`);
  return { index, count };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export function buildProgram(): Command {
  const program = new Command('fwctl-cts')
    .description('Conformance and policy test suite for Linux fwctl drivers')
    .version(VERSION)
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  // Plugins (docs/plugins.md): --plugin and the config file, loaded before any command runs.
  program
    .option('--plugin <name|path>', 'load a plugin: a directory with fwctl-cts-plugin.json or an installed npm package (repeatable; docs/plugins.md)', collect)
    .option('--config <file>', `plugins to load, from a config file (default: ./${CONFIG_FILE} when present)`)
    .hook('preAction', async () => {
      const g = program.opts<{ plugin?: string[]; config?: string }>();
      await loadCliPlugins(g.plugin ?? [], g.config);
    });

  withAllowFlags(program
    .command('run'))
    .description('run the conformance suites against one or more targets and write the reports')
    .option('-t, --target <spec>', 'target to test (repeatable; required unless --resume)', collect)
    .option('-p, --policy <pack|file>', 'policy pack name or policy file', 'upstream')
    .option('-o, --report-dir <dir>', 'where report.json, report.tap, report.ktap and junit.xml go', 'out')
    .option('--resume <dir>', 'finish an interrupted run from the journal in its report directory: run only the missing tests, with the options it was started with')
    .option('-j, --workers <n>', `worker threads (1 to ${MAX_WORKERS})`, intIn(1, MAX_WORKERS), defaultWorkers())
    .option('--timeout <ms>', `per-test timeout (1 to ${MAX_TIMEOUT_MS})`, intIn(1, MAX_TIMEOUT_MS), DEFAULT_TIMEOUT_MS)
    .option('--shard <k/n>', 'run only shard k of n (deterministic by test id)', shard)
    .option('--suite <prefix>', 'only suites whose name starts with this (repeatable)', collect)
    .option('--test <glob>', 'only tests whose id matches this glob, e.g. \'uapi.rpc.*\' (repeatable; ids: fwctl-cts list)', collect)
    .option('--exclude <glob>', 'leave out tests whose id matches this glob (repeatable)', collect)
    .option('--expectations <file>', 'known failures, flakes, skips and waivers (schemas/expectations.schema.json); expired entries fail the run')
    .option('--retries <n>', 'rerun an unexpected failure up to n times (at most 20); a pass on retry is a flake, not a failure', intIn(0, 20), 0)
    .option('--junit-limit <n>', 'junit.xml: beyond n passing test cases, only failures and errors', intIn(0, 1_000_000_000))
    .option('--kcidb-origin <name>', 'report.kcidb.json: the KCIDB origin of your CI system', kcidbOrigin)
    .option('--kcidb-build-id <id>', 'report.kcidb.json: the KCIDB build id of the kernel under test (<origin>:<id>); made up when absent')
    .option('--dry-run', 'print every RPC and scope the run would issue, and issue none (no reports are written)')
    .option('--abi-baseline <file>', 'a snapshot (fwctl-cts snapshot) taken before a firmware or kernel update: the abi rules compare the devices against it')
    .option('--baseline <report>', 'an earlier report.json (or report directory, or bundle): report.md and the summary list the regressions and fixes against it (fwctl-cts diff)')
    .option('--seed <n>', 'seed for the property-based robustness tests (default: fixed per test; a 32-bit integer); a failure prints the seed and path to replay', intIn(...SEED_RANGE))
    .option('--robustness-runs <n>', `random inputs per robustness test (default ${ROBUSTNESS_RUNS_DEFAULT}, at most ${ROBUSTNESS_RUNS_RANGE[1]})`, intIn(...ROBUSTNESS_RUNS_RANGE))
    .option('--profile <id|file>', 'dev: targets: this profile instead of the kernel profile picked by device type and kernel release')
    .addOption(new Option('--codec <mode>', 'data: the data codecs (codecs/*.json, docs/codecs.md) where a device type has one (default); code: the TypeScript codecs').choices(CODEC_MODES))
    .option('--shuffle <seed>', 'run tests in a random order from this seed (recorded in the report); verdicts must not change', intIn(...SEED_RANGE))
    .addOption(new Option('--no-progress', 'no progress bar'))
    .addHelpText('after', EXIT_HELP)
    .action(async (given: RunCliOptions) => {
      let o = given;
      let journaled: TestResult[] = [];
      if (given.resume !== undefined) {
        if (given.target?.length) throw new CtsError('CTS_E_USAGE', 'run: --resume takes the targets and options of the run it resumes; give no --target');
        const journal = readJournal(given.resume);
        // The interrupted run's plugins, digest-checked, before its profiles and policy are looked up.
        await resumePlugins(join(given.resume, JOURNAL), journal.options.plugins);
        const { plugins: _plugins, ...options } = journal.options;
        o = { ...(options as unknown as RunCliOptions), reportDir: given.resume, progress: given.progress, workers: given.workers, resume: given.resume };
        journaled = journal.results;
      } else if (!given.target?.length) {
        throw new CtsError('CTS_E_USAGE', 'run: --target is required (or --resume DIR)');
      }
      loadPolicy(o.policy); // bad input fails before any work, and before the report directory is touched
      if (o.profile) process.env.FWCTL_CTS_PROFILE = loadProfile(o.profile) && o.profile; // workers inherit the environment
      if (o.codec) process.env.FWCTL_CTS_CODEC = o.codec;
      checkCodecs(); // FWCTL_CTS_CODEC and every data codec: a malformed one fails here (exit 2), not in a worker
      if (o.abiBaseline) loadSnapshot(o.abiBaseline);
      const baseline = o.baseline === undefined ? undefined : loadBaselineReport(o.baseline);
      const expectations = o.expectations === undefined ? undefined : loadExpectations(o.expectations);
      // Workers inherit the environment; a bad variable is an error here, not in a test.
      if (o.seed !== undefined) process.env.FWCTL_CTS_SEED = String(o.seed);
      if (o.robustnessRuns !== undefined) process.env.FWCTL_CTS_ROBUSTNESS_RUNS = String(o.robustnessRuns);
      robustnessEnv();
      const targets = expandTargets(o.target!, (t) => process.stderr.write(`fwctl-cts: note: target '${t}' given more than once; tested once\n`));
      for (const t of targets) {
        const spec = parseTarget(t);
        if (spec.kind === 'dev' && !existsSync(spec.path)) {
          throw new CtsError('CTS_E_NO_DEVICE_NODE', `target '${t}': no such device node ${spec.path}`, 'fwctl-cts inventory lists the fwctl devices here');
        }
      }
      selectSuites(o.suite);
      if (!o.dryRun) prepareReportDir(o.reportDir);
      // Every result is journaled as it ends, so a killed run can be resumed (--resume).
      const { progress: _p, workers: _w, resume: _r, ...planOptions } = o;
      const plugins = journaledPlugins();
      const journal = o.dryRun ? undefined : o.resume !== undefined ? Journal.append(o.reportDir) : Journal.create(o.reportDir, { ...planOptions, ...(plugins.length && { plugins }) });
      const stop = interruptOnSignals();
      const bar = o.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true, format: 'running {bar} {value}/{total} tests' }, cliProgress.Presets.shades_classic) : undefined;
      let done = 0;
      const report = await runConformance({
        targets,
        done: journaled,
        signal: stop.signal,
        policy: o.policy,
        workers: o.workers,
        timeoutMs: o.timeout,
        shard: o.shard,
        shuffle: o.shuffle,
        suites: o.suite,
        tests: o.test,
        exclude: o.exclude,
        expectations,
        retries: o.retries,
        options: { ...allowsFrom(o), dryRun: Boolean(o.dryRun), ...(o.abiBaseline && { abiBaseline: o.abiBaseline }) },
        onResult: (r, planned) => {
          journal?.record(r);
          if (!bar) return;
          if (done++ === 0) bar.start(planned, 0);
          bar.update(done);
        },
      });
      bar?.stop();
      if (o.dryRun) {
        process.stdout.write(renderDryRun(report));
        return;
      }
      // The same code every report format carries (reports/run-entries.ts).
      process.exitCode = exitCode(report);
      // --baseline: what changed since that run, in report.md and under the summary (the exit code stays the verdict's).
      const changes = baseline && diffReports(baseline, { file: join(o.reportDir, 'report.json'), report });
      const againstBaseline = changes ? `\n${baselineSummary(changes)}\n` : '';
      let files: string[];
      try {
        files = writeReports(o.reportDir, report, { limit: o.junitLimit, kcidbOrigin: o.kcidbOrigin, kcidbBuildId: o.kcidbBuildId, ...(changes && { baseline: changes }) });
      } catch (e) {
        // The results are kept (or at least summarised): the summary first, then the one-line error.
        if (!(e instanceof ReportsNotWritten)) throw e;
        process.stdout.write(`${renderSummary(report, e.kept)}\n${againstBaseline}`);
        throw e;
      }
      process.stdout.write(`${renderSummary(report, files)}\n${againstBaseline}`);
      for (const line of unknownDeviceTypes(report)) process.stderr.write(`fwctl-cts: ${line}\n`);
    });

  withAllowFlags(program
    .command('snapshot'))
    .description('record FWCTL_INFO and every stable-scope response of the devices, for run --abi-baseline after a firmware or kernel update')
    .requiredOption('-t, --target <spec>', 'target to record (repeatable; dev:all records every device)', collect)
    .requiredOption('-o, --output <file>', 'the snapshot file to write (JSON, schemas/snapshot.schema.json)')
    .action(async (o: { target: string[]; output: string } & AllowFlags) => {
      const snapshot = await takeSnapshot(o.target, allowsFrom(o));
      writeSnapshot(o.output, snapshot);
      process.stdout.write(renderSnapshot(snapshot, o.output));
    });

  program
    .command('list')
    .description('list the policy\'s rules with the tests that prove them and the defects that break them')
    .option('-p, --policy <pack|file>', 'policy pack name or policy file', 'upstream')
    .option('-t, --target <spec>', 'target whose tests to list (repeatable; default: every reference model)', collect)
    .option('--json', 'machine-readable output')
    .action(async (o: { policy: string; target?: string[]; json?: boolean }) => {
      process.stdout.write(await listRules(o.policy, o.target ?? ALL_MODELS, Boolean(o.json)));
    });

  withAllowFlags(program
    .command('inventory'))
    .description('list the fwctl devices on this machine: type, parent, driver, PCI ids, firmware, and the kernel taint')
    .option('--json', 'machine-readable output (schemas/inventory.schema.json; fwctl-cts diff compares two)')
    .option('-t, --target <spec>', 'describe these targets instead of this machine\'s devices (repeatable), e.g. sim:cxl@2.0', collect)
    .action(async (o: { json?: boolean; target?: string[] } & AllowFlags) => {
      const inv = o.target?.length ? await targetInventory(o.target, allowsFrom(o)) : takeInventory();
      process.stdout.write(o.json ? `${JSON.stringify(inv, null, 2)}\n` : renderInventory(inv));
      if (!inv.devices.length) process.exitCode = EXIT.noDevice;
    });

  program
    .command('serve-reference')
    .description('serve the reference driver over the wire protocol on stdin/stdout (for exec: targets)')
    .argument('<model>', 'model[@fw][+defect…], e.g. cxl, mlx5@2.0, pds+pds-any-scope')
    .action(async (model: string) => {
      const spec = parseTarget(`sim:${model}`);
      if (spec.kind !== 'sim' || spec.fw === '*') throw new CtsError('CTS_E_TARGET_SPEC', `serve-reference needs one model and firmware, not '${model}'`);
      await serve(new SimTarget(spec), process.stdin, process.stdout, { fresh: async () => new SimTarget(spec) });
    });

  withAllowFlags(program
    .command('agent'))
    .description('serve a target (a real device) over the wire protocol on stdin/stdout: `exec:ssh host fwctl-cts agent --target dev:…`')
    .requiredOption('-t, --target <spec>', 'the device to serve, e.g. dev:/dev/fwctl/fwctl0')
    .action(async (o: { target: string } & AllowFlags) => {
      const options = allowsFrom(o);
      await serveAgent(await createTarget(o.target, options), options.allow);
    });

  withAllowFlags(program
    .command('differential'))
    .usage('--b <target> [--a <target>] [--grep <text>] [--json <file>] [--kmsg] [--allow-taint] [--allow-destructive] [--allow-hazards]')
    .description('run the same probes against two targets and list every disagreement (errno, bytes, out_len, taint) by probe')
    .requiredOption('--b <target>', 'the target to compare, e.g. dev:/dev/fwctl/fwctl0, exec:…, sim:cxl+<defect>')
    .option('--a <target>', 'the target to compare it with', 'sim:cxl@1.0')
    .option('--grep <text>', 'only probes whose name contains this')
    .option('--json <file>', 'write the whole result (every transcript) to this JSON file')
    .option('--kmsg', 'write a marker to /dev/kmsg before each probe, to trace kernel warnings to probes')
    .addHelpText('after', `
Exit codes:
  0  the targets agree on every probe compared
  1  a disagreement, a probe that threw on either side, or no probe compared
  2  bad input (target, --grep matching nothing, --json file), a target that could not be run,
     or a real device without --allow-taint --allow-destructive (the probes taint and write)`)
    .action(async (o: { a: string; b: string; grep?: string; json?: string; kmsg?: boolean } & AllowFlags) => {
      process.exitCode = await runDifferential({ a: o.a, b: o.b, grep: o.grep, json: o.json, kmsg: Boolean(o.kmsg), allow: allowsFrom(o).allow }, process.stdout);
    });

  withAllowFlags(program
    .command('mutate'))
    .description('mutation testing: run the suites once per mutation operator applied to what the target answers, and print the kill rate and the surviving mutants (docs/mutate.md)')
    .option('-t, --target <spec>', 'target to mutate (repeatable; dev:all mutates every device)', collect)
    .option('--operator <id>', 'only this operator (repeatable; --list shows them)', collect)
    .option('--list', 'list the operators and the rule each should trip')
    .option('-p, --policy <pack|file>', 'policy pack name or policy file', 'upstream')
    .option('--suite <prefix>', 'only suites whose name starts with this (repeatable)', collect)
    .option('--test <glob>', 'only tests whose id matches this glob (repeatable)', collect)
    .option('--exclude <glob>', 'leave out tests whose id matches this glob (repeatable)', collect)
    .option('-j, --workers <n>', `worker threads (1 to ${MAX_WORKERS})`, intIn(1, MAX_WORKERS), defaultWorkers())
    .option('--timeout <ms>', `per-test timeout (1 to ${MAX_TIMEOUT_MS})`, intIn(1, MAX_TIMEOUT_MS), DEFAULT_TIMEOUT_MS)
    .option('--json', 'machine-readable output (schemas/mutate.schema.json)')
    .option('--baseline <report>', 'take the baseline from this report.json (or report directory) of an earlier run instead of running it: a taint rule on a real kernel needs a clean boot for the baseline and another for the mutant')
    .addHelpText('after', `
Exit codes:
  0  the mutants were scored (whatever the kill rate)
  2  bad input (target, operator, policy, suite), or a target that could not be run`)
    .action(async (o: MutateCliOptions & AllowFlags) => {
      // Loaded when used: `serve-reference` and `agent` start no slower for it.
      const { runMutateCli } = await import('./mutate.js');
      await runMutateCli(o, allowsFrom(o), process.stdout, process.stderr);
    });

  program
    .command('diff')
    .description('what changed between two runs (report.json, report directories, certification bundles) or two inventories: regressions, fixes, new and removed tests, rule verdicts per target')
    .argument('<a>', 'the earlier run or inventory')
    .argument('<b>', 'the later one')
    .option('--pair <a=b>', 'compare target a of A with target b of B (repeatable); otherwise targets pair by spec, by spec without +defects, by device, or as the only target of each', collect)
    .option('--json <file|->', 'write the whole diff as JSON (schemas/diff.schema.json)')
    .option('--markdown <file|->', 'write a Markdown summary (a merge-request comment, under 65,536 characters)')
    .addHelpText('after', `
A regression is a rule or test failing in B that did not fail in A (a new one that fails included),
or a worse run verdict; a fix, one that failed in A and passes in B. Inventories: a device that
disappeared or a taint flag newly set is a regression; firmware, driver, node and kernel changes
are listed.

Exit codes:
  0  no regression
  1  a regression
  2  an input that cannot be read (the file and the JSON pointer are named), or a bad --pair`)
    .action((a: string, b: string, o: DiffCliOptions) => {
      process.exitCode = runDiff(a, b, o, process.stdout);
    });

  program
    .command('validate')
    .description('check a policy pack, device profile or data codec file against its schema (exit 0 valid, 2 invalid)')
    .option('--policy <file>', 'a policy pack file')
    .option('--profile <file>', 'a device profile file')
    .option('--codec <file>', 'a data codec file (docs/codecs.md)')
    .action((o: { policy?: string; profile?: string; codec?: string }) => {
      if (!o.policy && !o.profile && !o.codec) throw new CtsError('CTS_E_USAGE', 'validate needs --policy <file>, --profile <file> or --codec <file>');
      if (o.policy) {
        const { policy, file } = loadPolicy(o.policy);
        process.stdout.write(`${file}: valid policy '${policy.id}' ${policy.version}, ${policy.rules.length} rules\n`);
      }
      if (o.profile) {
        const profile = loadProfile(o.profile);
        process.stdout.write(`${o.profile}: valid profile '${profile.id}', ${profile.commands.length} commands\n`);
      }
      if (o.codec) {
        const codec = loadDataCodec(o.codec);
        process.stdout.write(`${o.codec}: valid codec '${codec.name}'\n`);
      }
    });

  // Drafting a profile (issue 13 item 5): what the device answers against what the draft claims.
  withAllowFlags(program
    .command('profile')
    .description('work on a device profile: `profile check <file> --target T`')
    .command('check'))
    .description('send every command of a draft profile at every scope and list where the device disagrees with it (exit 1 on a disagreement)')
    .argument('<file>', 'the draft profile (schemas/profile.schema.json)')
    .requiredOption('-t, --target <spec>', 'the device to ask, e.g. exec:…, sim:cxl, dev:/dev/fwctl/fwctl0')
    .option('--json <file>', 'also write the whole result as JSON')
    .action(async (file: string, o: { target: string; json?: string } & AllowFlags) => {
      const result = await checkProfile(file, o.target, allowsFrom(o));
      if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
      process.stdout.write(renderProfileCheck(result));
      process.exitCode = result.disagreements ? EXIT.failing : EXIT.compliant;
    });

  program
    .command('merge')
    .description('merge shard reports (report.json of --shard 1/n .. n/n) into the report of the whole run, and write every format')
    .argument('<report...>', 'report.json files (or report directories)')
    .requiredOption('-o, --report-dir <dir>', 'where the merged reports go')
    .option('--junit-limit <n>', 'junit.xml: beyond n passing test cases, only failures and errors', intIn(0, 1_000_000_000))
    .option('--baseline <report>', 'an earlier report.json (or report directory, or bundle): report.md and the summary list the regressions and fixes of the merged run against it')
    .addHelpText('after', EXIT_HELP)
    .action((files: string[], o: { reportDir: string; junitLimit?: number; baseline?: string }) => {
      const baseline = o.baseline === undefined ? undefined : loadBaselineReport(o.baseline);
      const inputs = files.map((f) => {
        const file = existsSync(join(f, 'report.json')) ? join(f, 'report.json') : f;
        return { file, report: loadReport(file) };
      });
      const report = mergeReports(inputs);
      const changes = baseline && diffReports(baseline, { file: join(o.reportDir, 'report.json'), report });
      prepareReportDir(o.reportDir);
      const written = writeReports(o.reportDir, report, { limit: o.junitLimit, ...(changes && { baseline: changes }) });
      process.stdout.write(`${renderSummary(report, written)}\n${changes ? `\n${baselineSummary(changes)}\n` : ''}`);
      process.exitCode = exitCode(report);
    });

  program
    .command('defects')
    .description('list the reference driver\'s named defects and the rules each must break')
    .action(() => {
      for (const d of ALL_DEFECTS) process.stdout.write(`${d.id}\n    ${d.summary}\n    ${d.flaky ? 'flaky: fails at random (use --retries)' : `breaks: ${d.breaks.join(', ')}`}\n`);
    });

  addCertifyCommands(program, {
    withAllowFlags,
    allowsFrom,
    intIn,
    collect,
    maxWorkers: MAX_WORKERS,
    maxTimeoutMs: MAX_TIMEOUT_MS,
    defaultWorkers: defaultWorkers(),
    defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
  });

  return program;
}

/** One line per target whose device type nothing describes: the skip reason its tests carry (docs/plugins.md). */
function unknownDeviceTypes(report: { tests: { target: string; skipReason?: string }[] }): string[] {
  const lines = new Map<string, string>();
  for (const r of report.tests) {
    if (r.skipReason?.startsWith(UNKNOWN_DEVICE_TYPE) && !lines.has(r.target)) lines.set(r.target, `target '${r.target}': ${r.skipReason}; the uapi rules that need no device knowledge ran`);
  }
  return [...lines.values()];
}

/**
 * SIGINT/SIGTERM stop a run gracefully: the signal aborts, the run reports what
 * it finished. The launcher forwards the signal it got, and a terminal's ^C
 * also reaches this process directly, so a repeat within a second is the same
 * request; a later one ends the process at once.
 */
function interruptOnSignals(): AbortController {
  const ac = new AbortController();
  let first = 0;
  const on = (sig: NodeJS.Signals) => {
    if (!first) {
      first = Date.now();
      process.stderr.write(`fwctl-cts: ${sig}: stopping; writing a partial report (send it again to quit at once)\n`);
      ac.abort();
    } else if (Date.now() - first > 1000) {
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    }
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return ac;
}

/** A reader that went away (`fwctl-cts defects | head -1`) ends the output quietly, not with an EPIPE stack. */
function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

export async function main(argv: string[]): Promise<void> {
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.stderr.write(`fwctl-cts: ${e.message.replace(/^error: /, '')}\n`);
    } else if (e instanceof CtsError) {
      process.stderr.write(`fwctl-cts: ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`);
      if (e.code === 'CTS_E_NO_DEVICE') {
        process.exitCode = EXIT.noDevice;
        return;
      }
    } else {
      process.stderr.write(`fwctl-cts: internal error: ${(e as Error).stack ?? e}\n`);
    }
    process.exitCode = EXIT.badInput;
  }
}
