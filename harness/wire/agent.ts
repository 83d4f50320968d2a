/**
 * The agent: one target (a real device) served over the wire protocol on
 * stdin/stdout, so a harness elsewhere (`exec:ssh host fwctl-cts agent …`)
 * or another process on this machine can drive it. It is a security
 * boundary (docs/wire-protocol.md "Security"): its own flags decide, and
 * every call is checked (harness/wire/guard.ts), whatever the peer claims.
 */
import { readFileSync } from 'node:fs';
import { codecFor } from '../codecs/index.js';
import { ROOT } from '../paths.js';
import { hazardFixed, kernelProfileFor, runningKernel } from '../profiles/kernel.js';
import { loadProfile } from '../profiles/profile.js';
import { writeGate, type WriteGate } from '../profiles/writes.js';
import type { Allows, Target, TargetDescription } from '../targets/target.js';
import { deviceTypeName } from '../../uapi/fwctl.js';
import { pluginProfileForValue } from '../plugins/registry.js';
import type { DataCodecInstance } from '../codecs/data.js';
import { Guard } from './guard.js';
import { serve, type ServeOptions } from './server.js';

export async function serveAgent(target: Target, allow: Allows, opts: Omit<ServeOptions, 'guard'> = {}): Promise<void> {
  // The agent's operator decides what the harness may do, whatever the target would allow.
  const own = target.description.allows;
  const allows = { taint: own.taint && allow.taint, destructive: own.destructive && allow.destructive, hazards: own.hazards && allow.hazards };
  target.description.allows = allows;
  const guard = new Guard({
    allows,
    // Only a real kernel's release (uname -r) lifts a fixed hazard: an agent's operator still decides for a sim.
    minInLen: minInLen(target.description.profile, target.description.kind === 'dev' ? target.description.kernelRelease : undefined),
    plainBytes,
    ...(!allows.destructive && { writes: writeGates(target.description) }),
  });
  await serve(target, process.stdin, process.stdout, { ...opts, guard });
}

/**
 * The profile's hazard bound (requests shorter than this may crash the
 * kernel driver). Read directly, not through the profile loader: the agent
 * children of a dev: target load as little as they can (agent-process.ts).
 */
function minInLen(profile: string | undefined, kernelRelease: string | undefined): number | undefined {
  if (profile === undefined || !/^[a-z0-9-]+$/.test(profile)) return undefined;
  try {
    const json = JSON.parse(readFileSync(`${ROOT}profiles/${profile}.json`, 'utf8')) as { hazards?: { minInLen?: unknown; before?: unknown } };
    // As Device.minInLen: on a kernel at or after hazards.before short requests are only refused (digest §3).
    if (hazardFixed(json.hazards?.before, kernelRelease)) return 0;
    const n = json.hazards?.minInLen;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Per device type, which requests may change the device: from the target's
 * own profile, or the kernel profile of the type and the running kernel (a
 * node the peer opened by path). Without a profile nothing tells a write from
 * a read, so every request is one.
 */
function writeGates(d: TargetDescription): (deviceType: number | undefined) => WriteGate {
  const gates = new Map<number | undefined, WriteGate>();
  return (type) => {
    let gate = gates.get(type);
    if (!gate) {
      const own = type === undefined || type === d.expectedDeviceType;
      const id = own && d.profile ? d.profile : type === undefined ? undefined : (pluginProfileForValue(type) ?? kernelProfileFor(deviceTypeName(type).toLowerCase(), d.kernelRelease ?? runningKernel())?.id);
      const profile = id === undefined ? undefined : loadProfile(id);
      const codec = profile && codecFor(profile.codec);
      const why = `no profile describes device type ${type === undefined ? 'unknown' : deviceTypeName(type)}, so the agent cannot tell its reads from its writes`;
      gate = profile && codec ? writeGate(profile, codec) : () => ({ unsafe: true, why });
      gates.set(type, gate);
    }
    return gate;
  };
}

/** A plugin's device type whose data codec puts no user pointers in a request (no `request.buffers`). */
function plainBytes(type: number | undefined): boolean {
  const id = pluginProfileForValue(type);
  const codec = id === undefined ? undefined : codecFor(loadProfile(id).codec);
  const data = (codec as DataCodecInstance | undefined)?.data;
  return data !== undefined && data.request.buffers === undefined;
}
