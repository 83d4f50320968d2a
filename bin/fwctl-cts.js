#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or npm start / npm test) compiles it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('fwctl-cts: not built yet: run `npm run build` first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main(process.argv);
