/**
 * The safety gate for requests the harness did not take verbatim from a
 * profile: a robustness mutation, or whatever an agent's peer sends. A
 * malformed read can become a write (one byte turns bnxt's HWRM_VER_GET into
 * HWRM_FUNC_RESET, a mlx5 query into a set, a pds attr-READ into attr-WRITE),
 * and those run at CONFIGURATION scope, which taints nothing: only the
 * operator's --allow-destructive may let them through (DESIGN.md "Security").
 *
 * A request is unsafe when its opcode (the first field the codec identifies)
 * is one of the profile's unsafe commands and its whole identity is none of
 * its safe ones. An opcode the profile does not list is sent: the kernel
 * profiles list every command the kernel's allow-list passes (npm run
 * check:profiles), so the kernel refuses it before it reaches the device,
 * which is what robustness probes for.
 */
import type { Codec } from '../codecs/codec.js';
import type { Command, Profile } from './profile.js';

export type WriteGate = (input: Buffer) => { unsafe: false } | { unsafe: true; why: string };

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined);

/** Does the request's identity match a command's request fields (those the command spells out)? */
function matches(id: Readonly<Record<string, number>>, c: Command, keys: readonly string[]): boolean {
  const r = c.request as Record<string, unknown>;
  return keys.every((k) => {
    const want = num(r[k]);
    return want === undefined ? k !== keys[0] : want === id[k];
  });
}

export function writeGate(profile: Profile, codec: Codec): WriteGate {
  const unsafe = profile.commands.filter((c) => !c.safeProbe);
  const safe = profile.commands.filter((c) => c.safeProbe);
  if (!unsafe.length) return () => ({ unsafe: false });
  if (!codec.identify) {
    // Nothing tells a mutated request's command: every request not sent verbatim could be a write.
    const why = `codec ${codec.name} cannot identify a request's command, and profile ${profile.id} has commands that change the device`;
    return () => ({ unsafe: true, why });
  }
  const identify = codec.identify.bind(codec);
  return (input) => {
    const id = identify(input);
    if (!id) return { unsafe: false }; // too short to name a command: the driver rejects it
    const keys = Object.keys(id);
    const opcode = keys[0]!;
    const hit = unsafe.find((c) => num((c.request as Record<string, unknown>)[opcode]) === id[opcode]);
    if (!hit || safe.some((c) => matches(id, c, keys))) return { unsafe: false };
    return { unsafe: true, why: `it may be ${hit.name} (${hit.effects}, not a safe probe)` };
  };
}
