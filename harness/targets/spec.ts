import { CtsError } from '../errors.js';
import { devTargets } from '../kernel/discovery.js';
// The catalogue and the defect lists, not the models: parsing a target must not load every device (reference-driver/catalog.ts).
import { MODEL_VERSIONS, modelVersions } from '../../reference-driver/catalog.js';
import { defectsFor, isKnownDefect } from '../../reference-driver/defects/defects.js';

/** A parsed target string. */
export type TargetSpec =
  | { kind: 'sim'; model: string; fw?: string; defects: string[]; text: string }
  | { kind: 'exec'; command: string; text: string }
  | { kind: 'dev'; path: string; text: string };

const SIM = /^sim:([a-z0-9_-]+)(?:@([A-Za-z0-9._*-]+))?((?:\+[a-z0-9-]+)*)$/;

/**
 * Parse `sim:<model>[@<fw>][+<defect>…]`, `exec:<command line>` or `dev:<path>|dev:all`.
 * `sim:<model>@*` stands for every firmware version of the model (see expandTargets).
 */
export function parseTarget(text: string): TargetSpec {
  if (text.startsWith('sim:')) {
    const m = SIM.exec(text);
    if (!m) {
      throw new CtsError('CTS_E_TARGET_SPEC', `malformed target '${text}': expected sim:<model>[@<fw>][+<defect>…]`);
    }
    const [, model, fw, defectPart] = m as unknown as [string, string, string | undefined, string];
    const versions = modelVersions(model);
    if (!versions) {
      throw new CtsError('CTS_E_UNKNOWN_MODEL', `unknown model '${model}' in target '${text}' (known: ${Object.keys(MODEL_VERSIONS).join(', ')})`);
    }
    if (fw !== undefined && fw !== '*' && !versions.includes(fw)) {
      throw new CtsError('CTS_E_UNKNOWN_FW', `model '${model}' has no firmware '${fw}' (known: ${versions.join(', ')}, or * for all)`);
    }
    const defects = defectPart ? defectPart.slice(1).split('+') : [];
    for (const d of defects) {
      if (!isKnownDefect(d)) {
        throw new CtsError('CTS_E_UNKNOWN_DEFECT', `unknown defect '${d}' in target '${text}'`, 'fwctl-cts defects lists them');
      }
      if (!defectsFor(model).some((e) => e.id === d)) {
        throw new CtsError('CTS_E_UNKNOWN_DEFECT', `defect '${d}' does not apply to model '${model}' (target '${text}')`, 'fwctl-cts defects lists them');
      }
    }
    return { kind: 'sim', model, fw, defects, text };
  }
  if (text.startsWith('exec:')) {
    const command = text.slice(5).trim();
    if (!command) throw new CtsError('CTS_E_TARGET_SPEC', `malformed target '${text}': exec: needs a command line`);
    return { kind: 'exec', command, text };
  }
  if (text.startsWith('dev:')) {
    const path = text.slice(4);
    if (path !== 'all' && !/^\/dev\/fwctl\/fwctl\d+$/.test(path)) {
      throw new CtsError('CTS_E_TARGET_SPEC', `malformed target '${text}': expected dev:/dev/fwctl/fwctlN or dev:all`);
    }
    return { kind: 'dev', path, text };
  }
  throw new CtsError('CTS_E_TARGET_SPEC', `malformed target '${text}': expected sim:…, exec:… or dev:…`);
}

/**
 * Expand `sim:<model>@*` into one target per firmware version and `dev:all`
 * into one per fwctl device on this machine, keeping order. A target named
 * twice (`--target sim:cxl --target sim:cxl`, or `sim:cxl@*` and `sim:cxl@1.0`)
 * is tested once: `onDuplicate` hears of each one dropped. Specs are compared
 * as written after expansion (`sim:cxl` and `sim:cxl@<newest>` stay two).
 */
export function expandTargets(texts: readonly string[], onDuplicate: (text: string) => void = () => {}): string[] {
  const out = new UniqueList(onDuplicate);
  for (const text of texts) {
    const spec = parseTarget(text);
    if (spec.kind === 'dev' && spec.path === 'all') {
      const found = devTargets();
      if (!found.length) throw new CtsError('CTS_E_NO_DEVICE', 'dev:all: no fwctl devices on this machine (nothing in /sys/class/fwctl)', 'fwctl-cts inventory shows what is there');
      out.push(...found);
    } else if (spec.kind === 'sim' && spec.fw === '*') {
      const suffix = spec.defects.map((d) => `+${d}`).join('');
      for (const fw of modelVersions(spec.model)!) out.push(`sim:${spec.model}@${fw}${suffix}`);
    } else {
      out.push(text);
    }
  }
  return out.items;
}

/** An ordered list that drops what it already holds. */
class UniqueList {
  readonly items: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly onDuplicate: (text: string) => void) {}
  push(...texts: string[]): void {
    for (const t of texts) {
      if (this.seen.has(t)) this.onDuplicate(t);
      else (this.seen.add(t), this.items.push(t));
    }
  }
}
