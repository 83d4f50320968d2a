#!/usr/bin/env node
// The differential check between two targets (harness/differential), as a
// small runner for inside the VM (vm/test-kernel.mjs calls it there) or
// anywhere else. Needs the build (npm run build).
//
//   node vm/differential.mjs [--a sim:cxl@1.0] [--b dev:/dev/fwctl/fwctl0]
//        [--out FILE.json] [--grep TEXT] [--allow-taint] [--allow-destructive]
//        [--allow-hazards] [--kmsg]
//
// Prints one line per disagreement (the probe's name, what differs, both
// values) and a count; writes every transcript line to --out. --kmsg writes
// a marker to /dev/kmsg before each probe, so a kernel warning in the
// console can be traced to the probe that caused it. Exit status: 0 when the
// targets agree on every probe, 1 when they disagree, 2 on bad input or a
// harness error.
import { openSync, writeSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';

const usage = 'usage: node vm/differential.mjs [--a TARGET] [--b TARGET] [--out FILE] [--grep TEXT] [--allow-taint] [--allow-destructive] [--allow-hazards] [--kmsg]';

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      a: { type: 'string', default: 'sim:cxl@1.0' },
      b: { type: 'string', default: 'dev:/dev/fwctl/fwctl0' },
      out: { type: 'string' },
      grep: { type: 'string' },
      'allow-taint': { type: 'boolean', default: false },
      'allow-destructive': { type: 'boolean', default: false },
      'allow-hazards': { type: 'boolean', default: false },
      kmsg: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (e) {
  process.stderr.write(`differential: ${e.message}\n${usage}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

let differential, describeDisagreement;
try {
  ({ differential, describeDisagreement } = await import('../dist/harness/differential/compare.js'));
} catch (e) {
  process.stderr.write(`differential: cannot load the build (${e.message}); run npm run build first\n`);
  process.exit(2);
}

let kmsg;
if (args.kmsg) {
  try {
    kmsg = openSync('/dev/kmsg', 'w');
  } catch (e) {
    process.stderr.write(`differential: --kmsg: cannot open /dev/kmsg (${e.code}); no markers\n`);
  }
}
const mark = (text) => {
  if (kmsg === undefined) return;
  try {
    writeSync(kmsg, `<5>fwctl-cts: ${text.slice(0, 900)}\n`);
  } catch {
    // A marker is a convenience: never fail the check for one.
  }
};

const started = performance.now();
let n = 0;
let result;
try {
  mark('differential: begin');
  result = await differential(args.a, args.b, {
    target: { allow: { taint: args['allow-taint'], destructive: args['allow-destructive'], hazards: args['allow-hazards'] }, callTimeoutMs: 30_000 },
    ...(args.grep && { grep: args.grep }),
    onStart: (probe) => mark(`differential: probe ${++n}: ${probe.name}`),
  });
  mark('differential: end');
} catch (e) {
  process.stderr.write(`differential: ${e.message ?? e}${e.hint ? ` (${e.hint})` : ''}\n`);
  process.exit(2);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);

if (args.out) {
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify({ ...result, durationMs: Math.round(performance.now() - started) }, null, 2)}\n`);
}
const names = { a: args.a, b: args.b };
for (const d of result.disagreements) process.stdout.write(`DISAGREE ${describeDisagreement(d, names)}\n`);
const errors = [...result.transcripts.a, ...result.transcripts.b].filter((t) => t.error);
for (const t of errors) process.stdout.write(`ERROR ${t.probe}: ${t.error}\n`);
for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
process.stdout.write(
  `differential ${args.a} vs ${args.b}: ${result.probes} probes, ${result.disagreements.length} disagreement(s), ${result.skipped.length} skipped, taint ${result.taintCompared ? 'compared' : 'not compared'}, ${seconds} s\n`,
);
process.exitCode = result.disagreements.length ? 1 : 0;
