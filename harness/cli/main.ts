/**
 * The fwctl-cts command line. Exit codes: 0 compliant, 1 non-compliant or
 * incomplete, 2 bad input or harness error. Errors are one line on stderr.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { DEFECTS } from '../../reference-driver/index.js';
import { prepareReportDir, renderSummary, writeReports } from '../../reports/index.js';
import { CtsError } from '../errors.js';
import type { Shard } from '../plan/plan.js';
import { loadPolicy } from '../policy/policy.js';
import { loadProfile } from '../profiles/profile.js';
import { hasHarnessErrors } from '../results/report.js';
import { DEFAULT_TIMEOUT_MS, defaultWorkers, runConformance } from '../run.js';
import { createTarget } from '../targets/registry.js';
import { SimTarget } from '../targets/sim.js';
import { expandTargets, parseTarget } from '../targets/spec.js';
import type { TargetOptions } from '../targets/target.js';
import { serveAgent } from '../wire/agent.js';
import { serve } from '../wire/server.js';
import { VERSION } from '../version.js';
import { runDifferential } from './differential.js';
import { renderDryRun } from './dry-run.js';
import { takeInventory, renderInventory } from './inventory.js';
import { ALL_MODELS, listRules } from './list.js';

const EXIT = { compliant: 0, failing: 1, badInput: 2, noDevice: 4 } as const;

const EXIT_HELP = `
Exit codes:
  0  compliant: every applicable core must-rule passed
  1  non-compliant (a must-rule failed) or incomplete (a core must-rule was not run)
  2  bad input (target, policy, options, report directory) or a harness error
  4  nothing to test: dev:all found no fwctl device (like kselftest's skip)

Targets:
  sim:<model>[@<fw>|@*][+<defect>…]   the bundled reference driver (models: cxl)
  exec:<command line>                  a driver speaking the wire protocol (docs/wire-protocol.md)
  dev:/dev/fwctl/fwctlN | dev:all      the real kernel

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

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function integer(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function shard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('expected k/n with 1 <= k <= n, e.g. 2/8');
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

  withAllowFlags(program
    .command('run'))
    .description('run the conformance suites against one or more targets and write the reports')
    .requiredOption('-t, --target <spec>', 'target to test (repeatable)', collect)
    .option('-p, --policy <pack|file>', 'policy pack name or policy file', 'upstream')
    .option('-o, --report-dir <dir>', 'where report.json, report.tap, report.ktap and junit.xml go', 'out')
    .option('-j, --workers <n>', 'worker threads', positiveInt, defaultWorkers())
    .option('--timeout <ms>', 'per-test timeout', positiveInt, DEFAULT_TIMEOUT_MS)
    .option('--shard <k/n>', 'run only shard k of n (deterministic by test id)', shard)
    .option('--suite <prefix>', 'only suites whose name starts with this (repeatable)', collect)
    .option('--dry-run', 'print every RPC and scope the run would issue, and issue none (no reports are written)')
    .option('--seed <n>', 'seed for the property-based robustness tests (default: fixed per test); a failure prints the seed and path to replay', integer)
    .option('--shuffle <seed>', 'run tests in a random order from this seed (recorded in the report); verdicts must not change', integer)
    .addOption(new Option('--no-progress', 'no progress bar'))
    .addHelpText('after', EXIT_HELP)
    .action(async (o: { target: string[]; policy: string; reportDir: string; workers: number; timeout: number; shard?: Shard; suite?: string[]; seed?: number; shuffle?: number; progress: boolean; dryRun?: boolean } & AllowFlags) => {
      loadPolicy(o.policy); // bad input fails before any work
      if (o.seed !== undefined) process.env.FWCTL_CTS_SEED = String(o.seed); // workers inherit the environment
      expandTargets(o.target);
      if (!o.dryRun) prepareReportDir(o.reportDir);
      const bar = o.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true, format: 'running {bar} {value}/{total} tests' }, cliProgress.Presets.shades_classic) : undefined;
      let done = 0;
      const report = await runConformance({
        targets: o.target,
        policy: o.policy,
        workers: o.workers,
        timeoutMs: o.timeout,
        shard: o.shard,
        shuffle: o.shuffle,
        suites: o.suite,
        options: { ...allowsFrom(o), dryRun: Boolean(o.dryRun) },
        onResult: (_r, planned) => {
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
      const files = writeReports(o.reportDir, report);
      process.stdout.write(`${renderSummary(report, files)}\n`);
      process.exitCode = hasHarnessErrors(report) ? EXIT.badInput : report.verdict === 'compliant' ? EXIT.compliant : EXIT.failing;
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

  program
    .command('inventory')
    .description('list the fwctl devices on this machine: type, parent, driver, PCI ids, firmware, and the kernel taint')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const inv = takeInventory();
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

  program
    .command('validate')
    .description('check a policy pack or device profile file against its schema (exit 0 valid, 2 invalid)')
    .option('--policy <file>', 'a policy pack file')
    .option('--profile <file>', 'a device profile file')
    .action((o: { policy?: string; profile?: string }) => {
      if (!o.policy && !o.profile) throw new CtsError('CTS_E_USAGE', 'validate needs --policy <file> or --profile <file>');
      if (o.policy) {
        const { policy, file } = loadPolicy(o.policy);
        process.stdout.write(`${file}: valid policy '${policy.id}' ${policy.version}, ${policy.rules.length} rules\n`);
      }
      if (o.profile) {
        const profile = loadProfile(o.profile);
        process.stdout.write(`${o.profile}: valid profile '${profile.id}', ${profile.commands.length} commands\n`);
      }
    });

  program
    .command('defects')
    .description('list the reference driver\'s named defects and the rules each must break')
    .action(() => {
      for (const d of DEFECTS) process.stdout.write(`${d.id}\n    ${d.summary}\n    breaks: ${d.breaks.join(', ')}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
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
