#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or npm start / npm test) compiles it.
//
// The worker pool is the parallelism: V8's own background threads (concurrent
// GC and compilation) then only compete with the workers for the same cores.
// Measured on 2 cores: a 2-worker run is ~15% faster under --single-threaded
// (docs/performance.md). The flag must be given at start-up, so re-launch.
//
// The launcher is the pid users and supervisors see, so it passes on the
// signals that ask a run to stop and waits for the child to finish (a SIGINT
// run writes its partial report), then exits as the child did.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const FLAG = '--single-threaded';
if (!process.execArgv.includes(FLAG) && !process.env.FWCTL_CTS_NO_RELAUNCH) {
  const args = [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.on(sig, () => child.kill(sig));
  const [code, signal] = await new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`fwctl-cts: cannot relaunch node: ${e.message}\n`);
      resolve([2, null]);
    });
    child.on('exit', (c, s) => resolve([c, s]));
  });
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
}

const entry = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('fwctl-cts: not built yet: run `npm run build` first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main(process.argv);
