/**
 * The agent: one target (a real device) served over the wire protocol on
 * stdin/stdout, so a harness elsewhere (`exec:ssh host fwctl-cts agent …`)
 * or another process on this machine can drive it.
 */
import type { Allows, Target } from '../targets/target.js';
import { serve, type ServeOptions } from './server.js';

export async function serveAgent(target: Target, allow: Allows, opts: ServeOptions = {}): Promise<void> {
  // The agent's operator decides what the harness may do, whatever the target would allow.
  const own = target.description.allows;
  target.description.allows = { taint: own.taint && allow.taint, destructive: own.destructive && allow.destructive, hazards: own.hazards && allow.hazards };
  await serve(target, process.stdin, process.stdout, opts);
}
