/**
 * The project's own tests: every dist/test/**\/*.test.js under mocha's spec
 * reporter, closed by the plain "N passed, N failed" line CI reads.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';

// `--slow` runs the long suites (*.slow.js, `npm run test:slow`) instead of the quick ones.
const slow = process.argv.includes('--slow');
const args = process.argv.slice(2).filter((a) => a !== '--slow');
const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith(slow ? '.slow.js' : '.test.js'))
  .sort()
  .map((f) => join(dir, f));

const grep = args[0];
const mocha = new Mocha({ reporter: 'spec', timeout: slow ? 1_800_000 : 60_000, ...(grep ? { grep } : {}) });
for (const f of files) mocha.addFile(f);
await mocha.loadFilesAsync();
const stats = await new Promise<Mocha.Stats>((resolve) => {
  const runner = mocha.run(() => resolve(runner.stats!));
});
console.log(`\ntests: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped`);
process.exitCode = stats.failures > 0 || stats.tests === 0 ? 1 : 0;
