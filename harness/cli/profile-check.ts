/**
 * `fwctl-cts profile check <draft.json> --target T`: send every command of a
 * draft profile at every scope and set what the device answers beside what the
 * profile claims — the quickest way for a vendor to get a profile right
 * (docs/plugins.md). A command is accepted at a scope when the ioctl succeeds
 * (R-2: a scope refusal is an errno) and its device status is ok, as the scope
 * suite requires (suites/scope); the profile's minimum scope must be the lowest
 * accepted one, with every higher scope accepted too, and refusals below it must
 * carry the profile's `rejections.belowScope` errno.
 *
 * Safety as in a run (suites/support/fixture.ts guard): on real hardware only
 * safe probes, and DEBUG_WRITE and above only with --allow-taint; other cells
 * are not sent and say which flag would send them.
 */
import { codecFor } from '../codecs/index.js';
import { EFFECTS_FLOOR, loadProfile, presentAt, scopeValue, type Command, type Probe, type Profile } from '../profiles/profile.js';
import { sendCommand, type Observation } from '../targets/observe.js';
import { createTarget } from '../targets/registry.js';
import { endTarget, type Allows, type TargetOptions } from '../targets/target.js';
import { SCOPES } from '../../uapi/fwctl.js';

export type Cell =
  | { scope: string; sent: false; reason: string }
  | { scope: string; sent: true; accepted: boolean; errno?: string; status?: string };

export interface CommandCheck {
  name: string;
  /** 'catalogued' commands claim a minimum scope; 'uncatalogued' probes claim to be denied at every scope. */
  kind: 'catalogued' | 'uncatalogued';
  claimed: string;
  /** The lowest scope from which every scope sent was accepted; 'none' when the highest sent was refused. */
  observed: string;
  cells: Cell[];
  disagreements: string[];
}

export interface ProfileCheck {
  profile: string;
  file: string;
  target: string;
  commands: CommandCheck[];
  disagreements: number;
  notSent: number;
}

function cellOf(o: Observation): Cell {
  const scope = SCOPES[o.scope]!;
  if (o.ret !== 0) return { scope, sent: true, accepted: false, errno: o.errno ?? 'E?' };
  return { scope, sent: true, accepted: o.ok === true, ...(o.status !== undefined && { status: o.status }) };
}

/** Why a cell is not sent (the run's guard, suites/support/fixture.ts), or undefined when it may be. */
export function whyNotSent(item: Command | Probe, scope: number, allow: Allows): string | undefined {
  if (scope >= 2 && !allow.taint) return 'needs --allow-taint';
  const safe = 'safeProbe' in item && item.safeProbe;
  if (!safe && !allow.destructive) return 'needs --allow-destructive';
  return undefined;
}

/** The lowest scope from which every sent scope accepted the command. */
function observedMinimum(cells: Cell[]): string {
  let min = 'none';
  for (let s = cells.length - 1; s >= 0; s--) {
    const c = cells[s]!;
    if (!c.sent) continue;
    if (!c.accepted) break;
    min = c.scope;
  }
  return min;
}

function judgeCommand(profile: Profile, c: Command, cells: Cell[]): string[] {
  const claimed = scopeValue(c.minScope);
  const out: string[] = [];
  const floor = EFFECTS_FLOOR[c.effects];
  if (claimed < scopeValue(floor)) out.push(`the profile's own minScope ${c.minScope} is below what effects '${c.effects}' need (${floor})`);
  for (const [s, cell] of cells.entries()) {
    if (!cell.sent) continue;
    if (s < claimed && cell.accepted) out.push(`accepted at ${cell.scope}, below the claimed minimum ${c.minScope}`);
    if (s < claimed && !cell.accepted && cell.errno !== undefined && cell.errno !== profile.rejections.belowScope) {
      out.push(`refused at ${cell.scope} with ${cell.errno}; the profile says below-scope refusals are ${profile.rejections.belowScope}`);
    }
    if (s >= claimed && !cell.accepted) out.push(`refused at ${cell.scope} (${cell.errno ?? `device status ${cell.status}`}), at or above the claimed minimum ${c.minScope}`);
  }
  return out;
}

function judgeProbe(profile: Profile, cells: Cell[]): string[] {
  const out: string[] = [];
  for (const cell of cells) {
    if (!cell.sent) continue;
    if (cell.errno === undefined) out.push(`not refused at ${cell.scope} (device status ${cell.status}): the profile says it is outside the catalogue`);
    else if (cell.errno !== profile.rejections.uncatalogued) out.push(`refused at ${cell.scope} with ${cell.errno}; the profile says uncatalogued refusals are ${profile.rejections.uncatalogued}`);
  }
  return out;
}

export async function checkProfile(file: string, spec: string, options: TargetOptions): Promise<ProfileCheck> {
  const profile = loadProfile(file);
  const codec = codecFor(profile.codec)!;
  const target = await createTarget(spec, options);
  const d = target.description;
  const commands: CommandCheck[] = [];
  try {
    const fd = await target.open();
    try {
      const row = async (item: Command | Probe, kind: CommandCheck['kind']): Promise<CommandCheck> => {
        const cells: Cell[] = [];
        for (let s = 0; s < SCOPES.length; s++) {
          const reason = whyNotSent(item, s, d.allows);
          if (reason) cells.push({ scope: SCOPES[s]!, sent: false, reason });
          else cells.push(cellOf(await sendCommand(target, fd, codec, { outLen: 64, ...item } as Command, s)));
        }
        const claimed = kind === 'catalogued' ? (item as Command).minScope : 'denied';
        const disagreements = kind === 'catalogued' ? judgeCommand(profile, item as Command, cells) : judgeProbe(profile, cells);
        return { name: item.name, kind, claimed, observed: kind === 'catalogued' ? observedMinimum(cells) : cells.some((c) => c.sent && c.accepted) ? 'accepted' : 'denied', cells, disagreements };
      };
      for (const c of profile.commands.filter((x) => presentAt(x, d.fw))) commands.push(await row(c, 'catalogued'));
      for (const p of profile.uncatalogued) commands.push(await row(p, 'uncatalogued'));
    } finally {
      await target.close(fd);
    }
  } finally {
    await endTarget(target).catch(() => undefined);
  }
  return {
    profile: profile.id,
    file,
    target: spec,
    commands,
    disagreements: commands.reduce((n, c) => n + c.disagreements.length, 0),
    notSent: commands.reduce((n, c) => n + c.cells.filter((x) => !x.sent).length, 0),
  };
}

function cellText(c: Cell): string {
  if (!c.sent) return `- (${c.reason})`;
  if (c.errno) return c.errno;
  return c.accepted ? 'ok' : `status ${c.status}`;
}

/** The table: one row per command, one column per scope, then the disagreements. */
export function renderProfileCheck(r: ProfileCheck): string {
  const head = ['command', 'claims', ...SCOPES, 'observed', ''];
  const rows = r.commands.map((c) => [c.name, c.claimed, ...c.cells.map(cellText), c.observed, c.disagreements.length ? 'DISAGREES' : 'agrees']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cols: string[]) => cols.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`profile ${r.profile} (${r.file}) against ${r.target}`, line(head), ...rows.map(line), ''];
  for (const c of r.commands) for (const d of c.disagreements) out.push(`  ${c.name}: ${d}`);
  const sent = r.commands.length * SCOPES.length - r.notSent;
  out.push(`${r.commands.length} command(s), ${sent} call(s) sent, ${r.notSent} not sent; ${r.disagreements ? `${r.disagreements} disagreement(s)` : 'the device agrees with the profile'}`);
  return `${out.join('\n')}\n`;
}
