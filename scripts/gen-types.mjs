// Generate harness/generated/*.ts from schemas/*.schema.json (json-schema-to-typescript).
// `node scripts/gen-types.mjs --check` fails when the committed files are stale.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { compileFromFile } from 'json-schema-to-typescript';

const check = process.argv.includes('--check');
const schemas = new URL('../schemas/', import.meta.url);
const out = new URL('../harness/generated/', import.meta.url);
let stale = 0;
for (const file of readdirSync(schemas).filter((f) => f.endsWith('.schema.json')).sort()) {
  const ts = await compileFromFile(new URL(file, schemas).pathname, {
    cwd: schemas.pathname,
    bannerComment: `/* Generated from schemas/${file} by scripts/gen-types.mjs: do not edit. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    // Pairs ([offset, length]) stay tuples; longer bounded lists (a profile's up to 8 DMA buffers)
    // are plain arrays, not a union of every tuple length.
    maxItems: 2,
  });
  const target = new URL(file.replace('.schema.json', '.ts'), out);
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current === ts) continue;
  if (check) {
    console.error(`stale: harness/generated/${file.replace('.schema.json', '.ts')} (run npm run gen:types)`);
    stale++;
  } else {
    writeFileSync(target, ts);
    console.log(`wrote harness/generated/${file.replace('.schema.json', '.ts')}`);
  }
}
process.exit(stale ? 1 : 0);
