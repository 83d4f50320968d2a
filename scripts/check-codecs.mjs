#!/usr/bin/env node
/**
 * The data codecs against the kernel's own headers: every codecs/*.json field
 * below that mirrors a uapi (or hsi.h) struct member must sit at the member's
 * offsetof() and have its size, as the C compiler lays the struct out.
 *
 *   node scripts/check-codecs.mjs <kernel-source-dir>     (npm run check:codecs -- <dir>)
 *
 * Exit 0: all agree; 1: a field differs; 2: usage, or gcc or a header missing.
 * mlx5's mailbox is described by mlx5_ifc.h bit macros, not structs: only its
 * FWCTL_INFO data (struct fwctl_info_mlx5) is checked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const src = process.argv[2];
if (!src) {
  console.error('usage: node scripts/check-codecs.mjs <kernel-source-dir>');
  process.exit(2);
}
const codecs = new URL('../codecs/', import.meta.url);
const load = (id) => JSON.parse(readFileSync(new URL(`${id}.json`, codecs), 'utf8'));
const WIDTH = { u8: 1, u16: 2, u32: 4, u64: 8, uuid: 16 };

/** A request field of `codec`, in the variant for `opcode` (common fields when null). */
function field(codec, opcode, name) {
  const d = load(codec);
  const v = opcode === null ? { fields: [] } : d.request.variants.find((x) => x.when?.opcode === opcode);
  const f = [...d.request.fields, ...v.fields].find((x) => x.name === name);
  return { at: f.at, size: WIDTH[f.type] };
}
const scalar = (s) => ({ at: s.at, size: WIDTH[s.type] });
const cxl = load('cxl');
const bnxt = load('bnxt');
const mlx5 = load('mlx5');

// [what, the codec's {at, size}, C type, member]
const checks = [
  ['cxl opcode', field('cxl', null, 'opcode'), 'struct fwctl_rpc_cxl', 'opcode'],
  ...[0x500, 0x501, 0x502].map((op) => [`cxl op_size (0x${op.toString(16)})`, field('cxl', op, 'op_size'), 'struct fwctl_rpc_cxl', 'op_size']),
  ['cxl get_sup_feats_in.count', field('cxl', 0x500, 'count'), 'struct fwctl_rpc_cxl', 'get_sup_feats_in.count'],
  ['cxl get_sup_feats_in.start_idx', field('cxl', 0x500, 'start_idx'), 'struct fwctl_rpc_cxl', 'get_sup_feats_in.start_idx'],
  ['cxl get_feat_in.uuid', field('cxl', 0x501, 'uuid'), 'struct fwctl_rpc_cxl', 'get_feat_in.uuid'],
  ['cxl get_feat_in.offset', field('cxl', 0x501, 'offset'), 'struct fwctl_rpc_cxl', 'get_feat_in.offset'],
  ['cxl get_feat_in.count', field('cxl', 0x501, 'count'), 'struct fwctl_rpc_cxl', 'get_feat_in.count'],
  ['cxl get_feat_in.selection', field('cxl', 0x501, 'selection'), 'struct fwctl_rpc_cxl', 'get_feat_in.selection'],
  ['cxl set_feat_in.uuid', field('cxl', 0x502, 'uuid'), 'struct fwctl_rpc_cxl', 'set_feat_in.uuid'],
  ['cxl set_feat_in.flags', field('cxl', 0x502, 'flags'), 'struct fwctl_rpc_cxl', 'set_feat_in.flags'],
  ['cxl set_feat_in.offset', field('cxl', 0x502, 'offset'), 'struct fwctl_rpc_cxl', 'set_feat_in.offset'],
  ['cxl set_feat_in.feat_data', { at: field('cxl', 0x502, 'feat_data').at, size: 0 }, 'struct fwctl_rpc_cxl', 'set_feat_in.feat_data'],
  ['cxl out size', scalar(cxl.payload.field), 'struct fwctl_rpc_cxl_out', 'size'],
  ['cxl out retval', scalar(cxl.status.fields[0]), 'struct fwctl_rpc_cxl_out', 'retval'],
  ['cxl out payload', { at: cxl.payload.at, size: 0 }, 'struct fwctl_rpc_cxl_out', 'payload'],
  ['bnxt req_type', field('bnxt', null, 'req_type'), 'struct input', 'req_type'],
  ['bnxt cmpl_ring', field('bnxt', null, 'cmpl_ring'), 'struct input', 'cmpl_ring'],
  ['bnxt target_id', field('bnxt', null, 'target_id'), 'struct input', 'target_id'],
  ['bnxt request body (sizeof struct input)', { at: field('bnxt', null, 'body').at, size: 0 }, 'struct input', null],
  ['bnxt error_code', scalar(bnxt.status.fields[0]), 'struct output', 'error_code'],
  ['bnxt resp_len', scalar(bnxt.status.fields[1]), 'struct output', 'resp_len'],
  ['bnxt seq_id (volatileOut)', { at: bnxt.volatileOut[0][0], size: bnxt.volatileOut[0][1] }, 'struct output', 'seq_id'],
  ['bnxt payload (sizeof struct output)', { at: bnxt.payload.at, size: 0 }, 'struct output', null],
  ['mlx5 info uid', scalar(mlx5.context.info), 'struct fwctl_info_mlx5', 'uid'],
];

const dir = mkdtempSync(join(tmpdir(), 'fwctl-cts-check-codecs-'));
try {
  // size 0: a whole struct (its size is where the next part starts) or a flexible array (its offset).
  const line = ([what, ours, type, member], i) =>
    member === null
      ? `  printf("%d %zu 0\\n", ${i}, sizeof(${type})); /* ${what} */`
      : `  printf("%d %zu %zu\\n", ${i}, offsetof(${type}, ${member}), ${ours.size ? `sizeof(((${type} *)0)->${member})` : '(size_t)0'}); /* ${what} */`;
  const c = [
    '#include <stdio.h>',
    '#include <stddef.h>',
    '#include <linux/types.h>',
    // hsi.h is a kernel header: its kernel integer types.
    'typedef __u8 u8; typedef __u16 u16; typedef __u32 u32; typedef __u64 u64;',
    '#define __packed __attribute__((__packed__))',
    '#include <fwctl/cxl.h>',
    '#include <fwctl/mlx5.h>',
    '#include <linux/bnxt/hsi.h>',
    'int main(void) {',
    ...checks.map(line),
    '  return 0;',
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'offsets.c'), c);
  const cc = spawnSync('gcc', ['-w', '-I', join(src, 'include/uapi'), '-I', join(src, 'include'), '-o', join(dir, 'offsets'), join(dir, 'offsets.c')], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    console.error(`check-codecs: cannot compile against ${src}: ${cc.error?.message ?? cc.stderr.split('\n').slice(0, 3).join(' ')}`);
    process.exit(2);
  }
  const rows = execFileSync(join(dir, 'offsets'), { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' ').map(Number));
  const differ = [];
  for (const [i, at, size] of rows) {
    const [what, ours] = checks[i];
    if (ours.at !== at || (size !== 0 && ours.size !== size)) differ.push(`${what}: codec @${ours.at} (${ours.size} B), kernel @${at} (${size} B)`);
  }
  for (const d of differ) console.log(`differs: ${d}`);
  console.log(`${checks.length} codec fields checked against the kernel headers, ${differ.length} differ`);
  process.exit(differ.length ? 1 : 0);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
