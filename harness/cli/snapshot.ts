/**
 * `fwctl-cts snapshot --target … -o before.json`: record what the abi rules
 * compare — FWCTL_INFO and every stable- and debug-scope read command of the
 * device's profile, at its minimum scope — so that after a firmware or kernel
 * update that cannot be undone, `run --abi-baseline before.json` compares the
 * device against the record (harness/targets/baseline.ts, suites/abi).
 *
 * Only what the run may send is sent: on real hardware by default the safe
 * probes at CONFIGURATION and DEBUG_READ_ONLY (never tainting, R-3), exactly
 * what a default `run` would send; a command left out is absent from the record.
 */
import { release } from 'node:os';
import { writeFileSync, renameSync } from 'node:fs';
import { codecFor } from '../codecs/index.js';
import { CtsError } from '../errors.js';
import type { DeviceRecord, ResponseRecord, Snapshot } from '../generated/snapshot.js';
import { loadProfile, presentAt, scopeValue, type Command } from '../profiles/profile.js';
import { validate } from '../schema/validate.js';
import { observeInfo, sendCommand } from '../targets/observe.js';
import { createTarget } from '../targets/registry.js';
import { expandTargets } from '../targets/spec.js';
import type { Allows, Target, TargetOptions } from '../targets/target.js';
import { VERSION } from '../version.js';

/** What the abi suite compares (suites/abi/firmware.spec.ts): stable commands, and debug-scope reads. */
export function abiCommands(commands: readonly Command[]): Command[] {
  return commands.filter((c) => (c.stability === 'stable' && c.minScope !== 'DEBUG_WRITE_FULL') || (c.stability === 'debug' && (c.effects === 'read-only' || c.effects === 'debug-read')));
}

/** Whether a run with these flags may send `c` (the suites' own guard: suites/support/fixture.ts). */
function mayDo(c: Command, allow: Allows): boolean {
  return (scopeValue(c.minScope) < 2 || allow.taint) && (c.safeProbe || allow.destructive);
}

/** One device's record. */
export async function recordDevice(target: Target): Promise<DeviceRecord> {
  const d = target.description;
  if (!d.profile) throw new CtsError('CTS_E_TARGET_SPEC', `target '${d.spec}': no device profile for a ${d.model} device, so nothing to record`);
  const profile = loadProfile(d.profile);
  const codec = codecFor(profile.codec)!;
  const fd = await target.open();
  try {
    const info = await observeInfo(target, fd);
    const responses: ResponseRecord[] = [];
    for (const c of abiCommands(profile.commands.filter((x) => presentAt(x, d.fw)))) {
      if (!mayDo(c, d.allows)) continue;
      const o = await sendCommand(target, fd, codec, c);
      responses.push({
        command: c.name,
        scope: o.scope,
        stability: c.stability,
        ret: o.ret,
        ...(o.errno !== undefined && { errno: o.errno }),
        ...(o.ok !== undefined && { ok: o.ok, status: o.status }),
        ...(o.payload && { payload: o.payload.toString('hex') }),
      });
    }
    return {
      target: d.spec,
      kind: d.kind,
      model: d.model,
      profile: profile.id,
      ...(d.kind === 'dev' && { kernel: release() }),
      ...(d.fw !== undefined && { fw: d.fw }),
      ...(d.device !== undefined && { device: d.device }),
      ...(d.serial !== undefined && { serial: d.serial }),
      info: {
        ret: info.ret,
        ...(info.errno !== undefined && { errno: info.errno }),
        ...(info.deviceType !== undefined && { deviceType: info.deviceType }),
        ...(info.data && { deviceData: info.data.toString('hex') }),
      },
      responses,
    };
  } finally {
    await target.close(fd);
  }
}

/** Record every target (dev:all and sim:…@* expand); one snapshot for all of them. */
export async function takeSnapshot(targets: readonly string[], options: TargetOptions): Promise<Snapshot> {
  const devices: DeviceRecord[] = [];
  for (const spec of expandTargets(targets)) {
    const target = await createTarget(spec, options);
    try {
      devices.push(await recordDevice(target));
    } finally {
      await target.dispose();
    }
  }
  return validate<Snapshot>({ format: 'fwctl-cts-snapshot/1', tool: { name: 'fwctl-cts', version: VERSION }, createdAt: new Date().toISOString(), devices }, 'snapshot', 'snapshot');
}

/** Write it whole or not at all. */
export function writeSnapshot(file: string, snapshot: Snapshot): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(snapshot, null, 2)}\n`);
    renameSync(temp, file);
  } catch (e) {
    throw new CtsError('CTS_E_USAGE', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The summary line per device. */
export function renderSnapshot(snapshot: Snapshot, file: string): string {
  const lines = snapshot.devices.map((r) => `  ${r.target}: ${r.profile}${r.fw ? ` fw ${r.fw}` : ''}${r.kernel ? ` kernel ${r.kernel}` : ''}${r.serial ? ` serial ${r.serial}` : ''}: INFO ${r.info.ret === 0 ? 'ok' : r.info.errno}, ${r.responses.length} response(s)`);
  return `${file}: ${snapshot.devices.length} device(s)\n${lines.join('\n')}\n`;
}
