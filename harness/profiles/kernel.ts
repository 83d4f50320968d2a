/**
 * Which kernel profile describes a real device: the profiles/kernel-*.json of
 * its FWCTL_INFO device type whose `kernels` range holds the running kernel
 * release (issue 10 item 1). `run --profile <id|file>` overrides the choice
 * (FWCTL_CTS_PROFILE, which worker threads inherit).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import type { Profile } from '../generated/profile.js';
import { PROFILES_DIR } from './profile.js';

/** "7.3.4-amd64" → "7.3"; undefined when it does not start with major.minor. */
export function kernelVersion(rel: string): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** Compare "6.15" and "7.3" part by part. */
export function versionCmp(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * A kernel release at or after a profile's `hazards.before` (digest §3): short requests are
 * refused there, never read past. An unknown release or no `before` is not fixed.
 */
export function hazardFixed(before: unknown, kernelRelease: string | undefined): boolean {
  const v = kernelRelease && kernelVersion(kernelRelease);
  return typeof before === 'string' && Boolean(v) && versionCmp(v as string, before) >= 0;
}

/** The running kernel's release (uname -r). */
export function runningKernel(): string {
  return release();
}

export interface KernelProfileChoice {
  id: string;
  /** Why this profile although none describes the release exactly. */
  note?: string;
}

/**
 * The kernel profile for `type` ('mlx5', 'cxl', ...) on kernel `rel`: the one
 * whose range holds it (the newest such); else the newest one older than it;
 * else the oldest. undefined when the type has none.
 */
export function kernelProfileFor(type: string, rel: string, dir: string = PROFILES_DIR): KernelProfileChoice | undefined {
  const candidates = kernelProfiles(dir)
    .filter((p) => p.deviceType === type)
    .sort((a, b) => versionCmp(a.kernels?.min ?? '0.0', b.kernels?.min ?? '0.0'));
  if (!candidates.length) return undefined;
  const v = kernelVersion(rel);
  if (!v) return { id: candidates[candidates.length - 1]!.id, note: `kernel release '${rel}' has no major.minor: using the newest ${type} profile` };
  const holds = (p: ProfileHead) => versionCmp(v, p.kernels?.min ?? '0.0') >= 0 && (!p.kernels?.max || versionCmp(v, p.kernels.max) <= 0);
  const exact = candidates.filter(holds).pop();
  if (exact) return { id: exact.id };
  const older = candidates.filter((p) => versionCmp(p.kernels?.min ?? '0.0', v) <= 0).pop();
  const pick = older ?? candidates[0]!;
  return { id: pick.id, note: `no ${type} profile describes kernel ${v}: using ${pick.id} (kernels ${pick.kernels?.min ?? '?'}–${pick.kernels?.max ?? ''}); --profile chooses another` };
}

type ProfileHead = Pick<Profile, 'id' | 'deviceType' | 'kernels'>;
const heads = new Map<string, ProfileHead[]>();

/**
 * What the choice reads of each kernel-*.json in `dir`, read once per process: every target a
 * worker makes asks (a target per suite and device), and the package's profiles do not change
 * during a run. Parsing them all each time was a quarter of a target's making in a CPU profile
 * of the VM's guest (issue 15).
 */
function kernelProfiles(dir: string): ProfileHead[] {
  let list = heads.get(dir);
  if (!list) {
    list = readdirSync(dir)
      .filter((f) => /^kernel-[a-z0-9-]+\.json$/.test(f))
      .map((f) => {
        const p = JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as Profile;
        return { id: p.id, deviceType: p.deviceType, kernels: p.kernels };
      });
    heads.set(dir, list);
  }
  return list;
}
