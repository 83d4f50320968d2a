/**
 * Extract each fwctl driver's allow-list and scope table from Linux kernel
 * source text (issue 10 item 1). Only facts leave this module: opcode numbers,
 * names, minimum scopes, UUIDs, request sizes; never source text.
 *
 * Each extractor returns { version?, entries: [{ key, name, scope, ... }] },
 * `key` being what a profile entry is matched by.
 */

const SCOPE = /FWCTL_RPC_(CONFIGURATION|DEBUG_READ_ONLY|DEBUG_WRITE_FULL|DEBUG_WRITE)\b/;

/** Remove C comments (keeping line structure). */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

/** The body of the C function `name` (from its opening brace to the matching one). */
export function functionBody(text, name) {
  const at = text.search(new RegExp(`\\b${name}\\s*\\([^;{]*\\)\\s*\\{`));
  if (at < 0) throw new Error(`no function ${name}`);
  let i = text.indexOf('{', at);
  const start = i;
  for (let depth = 0; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unterminated function ${name}`);
}

/**
 * A `switch` of `case X:` groups each ending in a return: the cases of a group
 * get the scope its return names (`return true` / no scope test: CONFIGURATION,
 * the lowest). `if (op_mod == 0) return true; return scope >= S;` splits a
 * group by op_mod (mlx5 ACCESS_REG). `return false` and `default:` drop a group.
 */
export function switchTiers(body) {
  const out = [];
  let pending = [];
  let opModSplit = 0; // 1: inside `if (op_mod == 0)`, 2: after its return
  for (const raw of stripComments(body).split(/\n|(?<=;)/)) {
    const line = raw.trim();
    for (const m of line.matchAll(/\bcase\s+([A-Z0-9_]+)\s*:/g)) pending.push(m[1]);
    if (/^default\s*:/.test(line)) pending = [];
    if (/\bif\s*\(\s*op_mod\s*==\s*0\s*\)/.test(line)) opModSplit = 1;
    const ret = /\breturn\s+([^;]*);/.exec(line);
    if (!ret || pending.length === 0) continue;
    if (/^false$/.test(ret[1].trim())) {
      pending = [];
      continue;
    }
    const scope = SCOPE.exec(ret[1])?.[1] ?? (/^true$/.test(ret[1].trim()) ? 'CONFIGURATION' : undefined);
    if (!scope) throw new Error(`cannot read the scope of 'return ${ret[1]}' for ${pending.join(', ')}`);
    if (opModSplit === 1) {
      for (const name of pending) out.push({ name, opMod: 'write', scope });
      opModSplit = 2;
      continue;
    }
    for (const name of pending) out.push({ name, ...(opModSplit === 2 && { opMod: 'read' }), scope });
    pending = [];
    opModSplit = 0;
  }
  return out;
}

/** `NAME = 0x...` enum members and `#define NAME 0x...UL` macros. */
function constants(...texts) {
  const values = new Map();
  for (const t of texts) {
    for (const m of t.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\b/g)) values.set(m[1], Number(m[2]));
    for (const m of t.matchAll(/#define\s+([A-Z][A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)U?L?\b/g)) values.set(m[1], Number(m[2]));
  }
  return values;
}

function resolve(values, name) {
  const v = values.get(name);
  if (v === undefined) throw new Error(`no value for ${name}`);
  return v;
}

export const hex = (n) => `0x${n.toString(16)}`;

/** The kernel release of a source tree's top Makefile, "7.3". */
export function makefileVersion(makefile) {
  const v = /^VERSION\s*=\s*(\d+)/m.exec(makefile)?.[1];
  const p = /^PATCHLEVEL\s*=\s*(\d+)/m.exec(makefile)?.[1];
  if (!v || !p) throw new Error('no VERSION/PATCHLEVEL in Makefile');
  return `${v}.${p}`;
}

/**
 * mlx5: mlx5ctl_validate_rpc (drivers/fwctl/mlx5/main.c); opcode values from
 * main.c's own enum and include/linux/mlx5/mlx5_ifc.h. Key: the opcode, plus
 * `/op_mod=0` or `/op_mod!=0` where the rule depends on op_mod.
 */
export function mlx5Table(mainC, ifcH) {
  const values = constants(ifcH, mainC);
  return switchTiers(functionBody(mainC, 'mlx5ctl_validate_rpc')).map((e) => {
    const opcode = resolve(values, e.name);
    const suffix = e.opMod === undefined ? '' : e.opMod === 'write' ? '/op_mod=0' : '/op_mod!=0';
    return { key: `${hex(opcode)}${suffix}`, name: e.name.replace(/^MLX5_CMD_OP(CODE)?_/, ''), opcode, scope: e.scope, ...(e.opMod && { opMod: e.opMod }) };
  });
}

/** Byte layout of `struct name` in hsi.h: size from its "(size:...b/NB)" comment, field offsets summed. */
export function hsiStruct(hsiH, name) {
  const m = new RegExp(`/\\* ${name} \\(size:\\d+b/(\\d+)B\\) \\*/\\s*struct ${name} \\{([\\s\\S]*?)\\n\\};`).exec(hsiH);
  if (!m) throw new Error(`no struct ${name} in hsi.h`);
  const sizes = { u8: 1, __le16: 2, __le32: 4, __le64: 8, __be16: 2, __be32: 4, u16: 2, u32: 4, u64: 8 };
  const fields = new Map();
  let at = 0;
  for (const f of m[2].matchAll(/^\s*(\w+)\s+(\w+)(?:\[(\d+)\])?;/gm)) {
    const w = sizes[f[1]];
    if (!w) throw new Error(`struct ${name}: unknown field type ${f[1]}`);
    fields.set(f[2], { at, width: w });
    at += w * Number(f[3] ?? 1);
  }
  const size = Number(m[1]);
  if (at !== size) throw new Error(`struct ${name}: fields sum to ${at}, comment says ${size}`);
  return { size, fields };
}

/**
 * bnxt: bnxtctl_validate_rpc's switch and the bnxtctl_dma_cmds table
 * (drivers/fwctl/bnxt/main.c); request numbers and struct sizes from
 * include/linux/bnxt/hsi.h. Key: the request type. DMA entries carry the
 * input size the driver demands (in_len == sizeof) and their buffer fields.
 */
export function bnxtTable(mainC, hsiH) {
  const values = constants(hsiH);
  const code = stripComments(mainC);
  const out = switchTiers(functionBody(code, 'bnxtctl_validate_rpc')).map((e) => ({ key: String(resolve(values, e.name)), name: e.name, reqType: resolve(values, e.name), scope: e.scope }));
  const table = /bnxtctl_dma_cmds\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(code)?.[1];
  if (!table) throw new Error('no bnxtctl_dma_cmds table');
  // Split at each top-level CMD_DMAS( / CMD_DMA_LEN( entry.
  for (const m of table.split(/(?=\bCMD_DMA(?:S|_LEN)\s*\()/).filter((s) => /^CMD_DMA/.test(s))) {
    const head = /^CMD_DMA(S|_LEN)\s*\(\s*(HWRM_\w+)\s*,\s*FWCTL_RPC_(\w+)\s*,\s*(?:(DMA_\w+)\s*,\s*)?struct\s+(\w+)\s*,([\s\S]*)$/.exec(m.replace(/\s+/g, ' ').trim());
    if (!head) throw new Error(`cannot read DMA entry ${m.slice(0, 60)}`);
    const [, kind, name, scope, dir, struct, rest] = head;
    const layout = hsiStruct(hsiH, struct);
    const fields = [];
    if (kind === '_LEN') {
      const [data, len] = rest.replace(/\)\s*,?\s*$/, '').split(',').map((s) => s.trim());
      fields.push({ dir, addr: data, len, unit: 1 });
    } else {
      for (const f of rest.matchAll(/CMD_DATA_(UNIT|SIMPLE|FIXED)\s*\(\s*struct\s+\w+\s*,\s*(DMA_\w+)\s*,\s*(\w+)\s*,\s*(sizeof\s*\(\s*struct\s+\w+\s*\)|\w+)\s*(?:,\s*(\d+))?\s*\)/g)) {
        const [, k, fdir, addr, len, unit] = f;
        fields.push(k === 'FIXED' ? { dir: fdir, addr, fixed: len.trim() } : { dir: fdir, addr, len: len.trim(), unit: Number(unit ?? 1) });
      }
    }
    const dma = fields.map((f) => {
      const addr = layout.fields.get(f.addr);
      if (!addr) throw new Error(`${struct}: no field ${f.addr}`);
      const o = { addrAt: addr.at, dir: f.dir === 'DMA_TO_DEVICE' ? 'to-device' : 'from-device' };
      if (f.fixed) return { ...o, fixed: f.fixed };
      const len = layout.fields.get(f.len);
      if (!len) throw new Error(`${struct}: no field ${f.len}`);
      return { ...o, lenAt: len.at, lenWidth: len.width, lenUnit: f.unit };
    });
    const reqType = resolve(values, name);
    out.push({ key: String(reqType), name, reqType, scope, dma, inLen: layout.size });
  }
  return out;
}

/** The output size of an HWRM command (hsi.h "hwrm_x_output (size:...)"), or undefined. */
export function hsiOutputSize(hsiH, reqName) {
  const struct = `${reqName.toLowerCase()}_output`;
  const m = new RegExp(`/\\* ${struct} \\(size:\\d+b/(\\d+)B\\) \\*/`).exec(hsiH);
  return m ? Number(m[1]) : undefined;
}

/** The input size of an HWRM command, or undefined. */
export function hsiInputSize(hsiH, reqName) {
  const struct = `${reqName.toLowerCase()}_input`;
  const m = new RegExp(`/\\* ${struct} \\(size:\\d+b/(\\d+)B\\) \\*/`).exec(hsiH);
  return m ? Number(m[1]) : undefined;
}

/** UUID_INIT(a, b, c, d0..d7) as the usual string form. */
function uuidInit(args) {
  const n = args.split(',').map((s) => Number(s.trim()));
  const h = (v, w) => v.toString(16).padStart(w, '0');
  return `${h(n[0], 8)}-${h(n[1], 4)}-${h(n[2], 4)}-${h(n[3], 2)}${h(n[4], 2)}-${n.slice(5).map((v) => h(v, 2)).join('')}`;
}

/**
 * cxl: the hardware commands cxlctl_validate_hw_command allows (opcodes from
 * drivers/cxl/cxlmem.h; Get commands need no scope, Set Feature DEBUG_WRITE,
 * or DEBUG_WRITE_FULL for immediate effects) and the kernel-exclusive feature
 * UUIDs (cxl_exclusive_feats in features.c, defined in include/cxl/features.h).
 * Keys: `opcode 0x500`, `exclusive <uuid>`.
 */
export function cxlTable(featuresC, featuresH, cxlmemH) {
  const values = constants(cxlmemH);
  const code = stripComments(featuresC);
  const out = [];
  const sw = functionBody(code, 'cxlctl_validate_hw_command');
  const set = functionBody(code, 'cxlctl_validate_set_features');
  const setScopes = [...set.matchAll(SCOPE_G)].map((m) => m[1]);
  for (const m of sw.matchAll(/\bcase\s+(CXL_MBOX_OP_\w+)\s*:/g)) {
    const opcode = resolve(values, m[1]);
    const name = m[1].replace(/^CXL_MBOX_OP_/, '');
    // A group whose return takes no scope argument: any scope.
    const scope = /SET_FEATURE/.test(name) ? setScopes.sort(byScope)[0] : 'CONFIGURATION';
    out.push({ key: `opcode ${hex(opcode)}`, name, opcode, scope, ...(/SET_FEATURE/.test(name) && { scopes: [...new Set(setScopes)].sort(byScope) }) });
  }
  const defs = new Map();
  for (const m of stripComments(featuresH).matchAll(/#define\s+(CXL_FEAT_\w+_UUID)\s*\\?\s*UUID_INIT\(([^)]*)\)/g)) defs.set(m[1], uuidInit(m[2].replace(/\\/g, '')));
  const table = /cxl_exclusive_feats\[\]\s*=\s*\{([\s\S]*?)\};/.exec(code)?.[1];
  if (!table) throw new Error('no cxl_exclusive_feats table');
  for (const m of table.matchAll(/\b(CXL_FEAT_\w+_UUID)\b/g)) {
    const uuid = defs.get(m[1]);
    if (!uuid) throw new Error(`no definition of ${m[1]} in include/cxl/features.h`);
    out.push({ key: `exclusive ${uuid}`, name: m[1].replace(/^CXL_FEAT_|_UUID$/g, ''), uuid, scope: 'never' });
  }
  return out;
}

const SCOPE_G = new RegExp(SCOPE.source, 'g');
const ORDER = ['CONFIGURATION', 'DEBUG_READ_ONLY', 'DEBUG_WRITE', 'DEBUG_WRITE_FULL'];
const byScope = (a, b) => ORDER.indexOf(a) - ORDER.indexOf(b);

/**
 * pds: the firmware attribute → scope translation in pdsfc_get_operations
 * (drivers/fwctl/pds/main.c; attribute values from pds_adminq.h). Key: the
 * attribute class (READ, WRITE, SYNC, DEBUG_READ, DEBUG_WRITE, other).
 */
export function pdsTable(mainC) {
  const code = stripComments(mainC);
  const sw = /switch\s*\(\s*entries\[i\]\.scope\s*\)\s*\{([\s\S]*?)\n\t\t\}/.exec(code)?.[1];
  if (!sw) throw new Error('no attribute → scope switch in pdsfc_get_operations');
  const out = [];
  let pending = [];
  for (const line of sw.split('\n')) {
    for (const m of line.matchAll(/\bcase\s+PDSFC_FW_CMD_ATTR_(\w+)\s*:/g)) pending.push(m[1]);
    if (/\bdefault\s*:/.test(line)) pending.push('other');
    const s = /=\s*FWCTL_RPC_(\w+)\s*;/.exec(line)?.[1];
    if (s) {
      for (const name of pending) out.push({ key: name, name, scope: s });
      pending = [];
    }
  }
  return out;
}

/** Does the driver check in_len against its request struct before reading it? (the short-request hazard) */
export function checksInLen(mainC, fn, pattern) {
  return pattern.test(stripComments(functionBody(mainC, fn)));
}

/** The errno the driver returns when that check fires (`return ERR_PTR(-EINVAL)` or `return -EINVAL` right after it), if it has one. */
export function inLenRefusal(mainC, fn, pattern) {
  const body = stripComments(functionBody(mainC, fn));
  const m = pattern.exec(body);
  if (!m) return undefined;
  return /^\s*\)?\s*return\s+(?:ERR_PTR\s*\(\s*)?-\s*(E[A-Z0-9]+)/.exec(body.slice(m.index + m[0].length))?.[1];
}
