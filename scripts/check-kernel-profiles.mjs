#!/usr/bin/env node
/**
 * check:profiles — compare every kernel profile (profiles/kernel-*.json) with
 * the allow-list and scope table extracted from the kernel source it
 * describes, and fail on any difference (issue 10 item 1).
 *
 *   node scripts/check-kernel-profiles.mjs [<kernel-source-dir>] [--profiles <dir>] [--fixtures <dir>] [--fixtures-only]
 *
 * Without a directory the source comes from `vm/fwctl-vm source` (the pinned
 * Debian linux-source, unpacked in the VM cache). A profile whose `kernels`
 * range does not hold that source's version is checked against a recorded
 * table in test/fixtures/kernel/ (mlx5 as merged for 6.15: no local source).
 * --fixtures-only checks against the recorded tables alone (no source; a
 * profile needing the source is then a failure). Exit 0: all agree; 1: a
 * difference; 2: bad input.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bnxtTable, checksInLen, cxlTable, hex, inLenRefusal, makefileVersion, mlx5Table, pdsTable } from './kernel-tables.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function usage(message) {
  process.stderr.write(`check-kernel-profiles: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { profiles: join(ROOT, 'profiles'), fixtures: join(ROOT, 'test', 'fixtures', 'kernel') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--profiles' || a === '--fixtures') {
      if (!argv[i + 1]) usage(`${a} needs a directory`);
      o[a.slice(2)] = argv[++i];
    } else if (a === '--fixtures-only') o.fixturesOnly = true;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (o.source) usage(`one source directory, got '${o.source}' and '${a}'`);
    else o.source = a;
  }
  return o;
}

/** Versions compare part by part: "6.15" < "7.3". */
export function versionCmp(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

const inRange = (k, v) => (!k?.min || versionCmp(v, k.min) >= 0) && (!k?.max || versionCmp(v, k.max) <= 0);

/** Extract every table from a kernel source tree. */
/** The short-request check of each fw_rpc (cxl: both halves of 7.3's; pds: e7537735's). */
export const IN_LEN_CHECKS = {
  pds: { fn: 'pdsfc_fw_rpc', pattern: /in_len\s*<\s*sizeof\s*\(\s*\*rpc\s*\)/ },
  cxl: { fn: 'cxlctl_fw_rpc', pattern: /in_len\s*<\s*sizeof\s*\(\s*rpc_in->hdr\s*\)\s*\|\|\s*rpc_in->op_size\s*>\s*in_len\s*-\s*sizeof\s*\(\s*rpc_in->hdr\s*\)/ },
};

function fromSource(dir) {
  const read = (p) => {
    const f = join(dir, p);
    if (!existsSync(f)) usage(`${dir}: no ${p} (expected a Linux source tree)`);
    return readFileSync(f, 'utf8');
  };
  const version = makefileVersion(read('Makefile'));
  const pds = read('drivers/fwctl/pds/main.c');
  const cxl = read('drivers/cxl/core/features.c');
  return {
    version,
    origin: `Linux ${version} source`,
    tables: {
      mlx5: mlx5Table(read('drivers/fwctl/mlx5/main.c'), read('include/linux/mlx5/mlx5_ifc.h')),
      bnxt: bnxtTable(read('drivers/fwctl/bnxt/main.c'), read('include/linux/bnxt/hsi.h')),
      cxl: cxlTable(cxl, read('include/cxl/features.h'), read('drivers/cxl/cxlmem.h')),
      pds: pdsTable(pds),
    },
    // Short requests: does fw_rpc check in_len against its struct (cxl: the header and op_size, both halves
    // of 7.3's check) before reading it, and with which errno (hazards.refusal)?
    checksInLen: Object.fromEntries(
      Object.entries({ pds, cxl }).map(([type, src]) => {
        const { fn, pattern } = IN_LEN_CHECKS[type];
        return [type, { checked: checksInLen(src, fn, pattern), errno: inLenRefusal(src, fn, pattern) }];
      }),
    ),
  };
}

const num = (v) => (typeof v === 'string' ? Number(v) : v);

/** A profile's entries keyed like the extracted table. */
function profileEntries(p, table) {
  const split = new Set(table.filter((e) => e.opMod).map((e) => e.opcode));
  const keyOf = (request) => {
    switch (p.deviceType) {
      case 'mlx5': {
        const op = num(request.opcode);
        return split.has(op) ? `${hex(op)}/op_mod${num(request.opMod ?? 0) === 0 ? '=0' : '!=0'}` : hex(op);
      }
      case 'bnxt':
        return String(num(request.reqType));
      case 'cxl':
        return `opcode ${hex(num(request.opcode))}`;
      default:
        return undefined;
    }
  };
  const commands = p.commands.map((c) => ({
    key: p.deviceType === 'pds' ? /^attr-([A-Za-z_]+):/.exec(c.name)?.[1] : keyOf(c.request),
    name: c.name,
    scope: c.minScope,
    inLen: p.deviceType === 'bnxt' ? 16 + (c.request.body?.length ?? 0) / 2 : undefined,
  }));
  const probes = [...p.uncatalogued, ...p.denied].map((x) => ({ key: keyOf(x.request), name: x.name }));
  const exclusive = (p.kernelObjects?.probes ?? []).filter((x) => p.deviceType === 'cxl' && x.request.uuid).map((x) => ({ key: `exclusive ${x.request.uuid.toLowerCase()}`, name: x.name }));
  const objectProbes = p.deviceType === 'cxl' ? exclusive : (p.kernelObjects?.probes ?? []).map((x) => ({ key: keyOf(x.request), name: x.name }));
  if (p.deviceType !== 'cxl') probes.push(...objectProbes);
  return { commands, probes, exclusive, objectProbes };
}

/** Compare one profile with its table: [agreeing, total, problems]. */
export function compare(p, table, hazard) {
  const { commands, probes, exclusive, objectProbes } = profileEntries(p, table);
  const byKey = new Map();
  for (const c of commands) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  const problems = [];
  let agree = 0;
  for (const e of table) {
    const label = `${e.name} (${e.key})`;
    if (e.scope === 'never') {
      if (exclusive.some((x) => x.key === e.key)) agree++;
      else problems.push(`${label}: kernel-exclusive, but no kernelObjects probe sets it`);
      if (commands.some((c) => c.key === `opcode 0x502` && p.commands.find((x) => x.name === c.name)?.request.uuid?.toLowerCase() === e.uuid)) problems.push(`${label}: kernel-exclusive, but catalogued`);
      continue;
    }
    const cs = byKey.get(e.key);
    if (!cs) {
      problems.push(`${label}: allowed at ${e.scope} by the kernel, missing from the profile`);
      continue;
    }
    const wrong = cs.filter((c) => (e.scopes ? !e.scopes.includes(c.scope) : c.scope !== e.scope));
    const badLen = e.inLen === undefined ? [] : cs.filter((c) => c.inLen !== e.inLen);
    for (const c of wrong) problems.push(`${label}: profile '${c.name}' minScope ${c.scope}, kernel ${e.scopes ? e.scopes.join(' or ') : e.scope}`);
    for (const c of badLen) problems.push(`${label}: profile '${c.name}' request is ${c.inLen} bytes, the kernel demands in_len ${e.inLen} (DMA command)`);
    if (!wrong.length && !badLen.length) agree++;
  }
  const known = new Set(table.map((e) => e.key));
  for (const c of commands) if (!known.has(c.key)) problems.push(`profile '${c.name}' (${c.key}): not in the kernel's allow-list`);
  for (const x of probes) if (known.has(x.key)) problems.push(`probe '${x.name}' (${x.key}): expected refused, but the kernel allows it`);
  for (const x of exclusive) if (!known.has(x.key)) problems.push(`kernelObjects probe '${x.name}': ${x.key.slice(10)} is not kernel-exclusive in this kernel`);
  // Off the allow-list, or kernel-exclusive: the kernel driver refuses the probe itself, so a device
  // status would mean it reached the device (coupling.kernel-objects-unreachable, kernelObjects.refusal).
  const refusedByKernel = (x) => x.key !== undefined && (x.key.startsWith('exclusive ') ? known.has(x.key) : !known.has(x.key));
  if (objectProbes.length && objectProbes.every(refusedByKernel) && p.kernelObjects.refusal?.by !== 'kernel') {
    problems.push(`kernelObjects: the kernel refuses every probe itself (off its allow-list or kernel-exclusive), but refusal.by is ${p.kernelObjects.refusal?.by ?? 'unset (kernel-or-device)'}, not 'kernel'`);
  }
  let total = table.length;
  if (hazard) {
    total++;
    const listed = p.hazards?.minInLen !== undefined && (!p.hazards.before || versionCmp(hazard.version, p.hazards.before) < 0);
    const refusal = p.hazards?.refusal;
    if (listed === hazard.checked) problems.push(`short-request hazard: the ${hazard.version} driver ${hazard.checked ? 'checks' : 'does not check'} in_len, the profile's hazards ${listed ? 'apply' : 'do not apply'} there (hazards.before ${p.hazards?.before ?? 'unset'})`);
    else if (hazard.checked && refusal && hazard.errno !== refusal) problems.push(`short-request hazard: the ${hazard.version} driver refuses a short request with ${hazard.errno ?? 'no errno found'}, the profile says ${refusal} (hazards.refusal)`);
    else agree++;
  }
  return { agree, total, problems };
}

function loadFixtures(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));
}

function sourceDir(o) {
  if (o.source) return o.source;
  try {
    const out = execFileSync(join(ROOT, 'vm', 'fwctl-vm'), ['source'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return out.trim().split('\n').pop();
  } catch {
    return usage('no kernel source: pass its directory, or let `vm/fwctl-vm source` fetch the pinned one');
  }
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.fixturesOnly && o.source) usage('--fixtures-only takes no source directory');
  const src = o.fixturesOnly ? { version: '0.0', origin: 'no source', tables: {}, checksInLen: {} } : fromSource(sourceDir(o));
  const fixtures = loadFixtures(o.fixtures);
  const files = readdirSync(o.profiles).filter((f) => /^kernel-.*\.json$/.test(f)).sort();
  if (!files.length) usage(`${o.profiles}: no kernel-*.json profiles`);
  let failed = false;
  process.stdout.write(`${'profile'.padEnd(22)} ${'kernels'.padEnd(12)} ${'checked against'.padEnd(50)} source  profile  agreeing\n`);
  for (const f of files) {
    let p;
    try {
      p = JSON.parse(readFileSync(join(o.profiles, f), 'utf8'));
    } catch (e) {
      usage(`${join(o.profiles, f)}: not JSON (${e.message})`);
    }
    const range = `${p.kernels?.min ?? '?'}–${p.kernels?.max ?? ''}`;
    let table;
    let origin;
    let hazard;
    if (!o.fixturesOnly && inRange(p.kernels, src.version)) {
      table = src.tables[p.deviceType];
      origin = src.origin;
      if (p.deviceType in src.checksInLen) hazard = { version: src.version, ...src.checksInLen[p.deviceType] };
    } else {
      const fx = fixtures.find((x) => x.deviceType === p.deviceType && inRange(p.kernels, x.version));
      if (fx) {
        table = fx.entries;
        origin = `${fx.version} table (test/fixtures/kernel/${fx.file})`;
      }
    }
    if (!table) {
      process.stdout.write(`${f}: no kernel table for ${p.deviceType} kernels ${range} (source is ${src.version})\n`);
      failed = true;
      continue;
    }
    const r = compare(p, table, hazard);
    const pe = profileEntries(p, table);
    const entries = new Set(pe.commands.map((c) => c.key)).size + pe.exclusive.length + (hazard ? 1 : 0);
    process.stdout.write(`${p.id.padEnd(22)} ${range.padEnd(12)} ${origin.padEnd(50)} ${String(r.total).padStart(6)}  ${String(entries).padStart(7)}  ${r.agree} of ${r.total}\n`);
    for (const x of r.problems) process.stdout.write(`  ${x}\n`);
    if (r.problems.length) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
