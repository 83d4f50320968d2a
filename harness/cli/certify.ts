/** `fwctl-cts certify`, `verify` and `sign`: a certification bundle, checked and signed (harness/certify/). */
import type { Command } from 'commander';
import { join } from 'node:path';
import { visible } from '../../reports/escape.js';
import { renderSummary } from '../../reports/index.js';
import { MANIFEST, SIGNATURE } from '../certify/bundle.js';
import { certify } from '../certify/certify.js';
import { signManifest } from '../certify/sign.js';
import { verifyBundle } from '../certify/verify.js';
import { CtsError } from '../errors.js';
import { loadExpectations } from '../expectations/expectations.js';
import type { TargetOptions } from '../targets/target.js';

/** What main.ts shares with this file (kept there, where `run` uses them too). */
export interface CliHelpers {
  withAllowFlags: (cmd: Command) => Command;
  allowsFrom: (o: { allowTaint?: boolean; allowDestructive?: boolean; allowHazards?: boolean }) => TargetOptions;
  intIn: (min: number, max: number) => (v: string) => number;
  collect: (v: string, prev?: string[]) => string[];
  maxWorkers: number;
  maxTimeoutMs: number;
  defaultWorkers: number;
  defaultTimeoutMs: number;
}

const CERTIFY_HELP = `
A certification runs every suite on every target under a policy pack fwctl-cts ships: there is no
--suite, --test, --exclude, --shard, --resume or --retries, and FWCTL_CTS_ROBUSTNESS_RUNS,
FWCTL_CTS_SEED, FWCTL_CTS_PATH and FWCTL_CTS_PROFILE must be unset. The bundle directory (new)
holds report.json, every rendering, policy.json, plan.json, environment.json, expectations.json
(with --expectations) and manifest.json (SHA-256 of each file); --sign-key adds manifest.json.sig.
See docs/certification.md.

Exit codes: as for run (0 compliant, 1 non-compliant or incomplete, 2 bad input or harness error);
the bundle is written whatever the verdict.`;

const VERIFY_HELP = `
Checks: every digest in manifest.json (a file missing, added or changed is named); the signature
(with --allowed-signers and --identity, through ssh-keygen -Y verify); every rule verdict, the run
verdict, the counts and the exit code, recomputed from the recorded per-test results under the
bundled policy (a hand-edited outcome is named); the bundled policy against the pack fwctl-cts
ships (a swapped policy is named); the report's tests against plan.json, and for sim: targets
plan.json against the suites (a removed test is named); every rendering against report.json.

Exit codes:
  0  every check holds
  1  something does not hold (one line each)
  2  unreadable input (no such directory, a manifest, report, policy or plan that does not parse
     or fails its schema, a missing allowed-signers file, no ssh-keygen)`;

export function addCertifyCommands(program: Command, h: CliHelpers): void {
  h.withAllowFlags(program
    .command('certify'))
    .description('run a certification (every suite, a shipped policy pack) and write a verifiable bundle directory')
    .requiredOption('-t, --target <spec>', 'target to certify (repeatable)', h.collect)
    .requiredOption('-o, --output <dir>', 'the bundle directory to create (must not exist)')
    .option('-p, --policy <pack>', 'policy pack shipped in policies/', 'upstream')
    .option('--expectations <file>', 'waivers and known failures (copied into the bundle; every waived rule shows as waived)')
    .option('-j, --workers <n>', `worker threads (1 to ${h.maxWorkers})`, h.intIn(1, h.maxWorkers), h.defaultWorkers)
    .option('--timeout <ms>', `per-test timeout (1 to ${h.maxTimeoutMs})`, h.intIn(1, h.maxTimeoutMs), h.defaultTimeoutMs)
    .option('--sign-key <key>', 'sign manifest.json with this OpenSSH private key (ssh-keygen -Y sign -n fwctl-cts)')
    .addHelpText('after', CERTIFY_HELP)
    .action(async (o: { target: string[]; output: string; policy: string; expectations?: string; workers: number; timeout: number; signKey?: string; allowTaint?: boolean; allowDestructive?: boolean; allowHazards?: boolean }) => {
      const expectations = o.expectations === undefined ? undefined : loadExpectations(o.expectations);
      const done = await certify({ targets: o.target, dir: o.output, policy: o.policy, expectations, workers: o.workers, timeoutMs: o.timeout, options: h.allowsFrom(o), signKey: o.signKey });
      process.stdout.write(`${renderSummary(done.report, [])}\n`);
      process.stdout.write(`Bundle: ${o.output} (${done.manifest.files.length} files and ${MANIFEST}${done.signed ? `, signed: ${SIGNATURE}` : ''})\n`);
      process.exitCode = done.code;
    });

  program
    .command('verify')
    .description('check a certification bundle: digests, signature, and that every verdict follows from the recorded results')
    .argument('<dir>', 'the bundle directory (fwctl-cts certify -o)')
    .option('--allowed-signers <file>', 'OpenSSH allowed_signers file (ssh-keygen(1) ALLOWED SIGNERS): check manifest.json.sig')
    .option('--identity <id>', 'the signer identity in the allowed_signers file that must have signed, e.g. certify@vendor.example')
    .addHelpText('after', VERIFY_HELP)
    .action(async (dir: string, o: { allowedSigners?: string; identity?: string }) => {
      if (Boolean(o.allowedSigners) !== Boolean(o.identity)) throw new CtsError('CTS_E_USAGE', 'verify: --allowed-signers and --identity go together');
      const v = await verifyBundle(dir, o);
      // What a bundle says (test ids, error messages) may carry controls: each finding stays one inert line.
      const lines = [...v.findings, ...v.notes.map((n) => `note: ${n}`)].map(visible);
      lines.push(v.findings.length ? `verify: ${dir}: ${v.findings.length} finding${v.findings.length === 1 ? '' : 's'}` : `verify: ${dir}: ok`);
      process.stdout.write(`${lines.join('\n')}\n`);
      process.exitCode = v.findings.length ? 1 : 0;
    });

  program
    .command('sign')
    .description('sign a bundle\'s manifest.json with ssh-keygen -Y sign (writes manifest.json.sig)')
    .argument('<dir>', 'the bundle directory')
    .requiredOption('--key <file>', 'OpenSSH private key')
    .action((dir: string, o: { key: string }) => {
      signManifest(dir, o.key);
      process.stdout.write(`${join(dir, SIGNATURE)}\n`);
    });
}

