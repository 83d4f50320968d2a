/**
 * Entry point of the agent children a dev: target starts for "another
 * process" and "a process without CAP_SYS_RAWIO" (under setpriv; that one is
 * started once per worker and serves every device, see lentAgentProcess):
 *
 *   node --single-threaded dist/harness/wire/agent-process.js dev:/dev/fwctl/fwctlN [--allow-…]
 *
 * The same agent as `fwctl-cts agent`, without the CLI: no relaunch, no
 * commander, no target registry (and so no reference driver), only what a
 * dev: target loads. Under the VM's emulated CPU, every module loaded costs
 * tens of milliseconds, and a test waits for its child.
 */
import { FWCTL_INFO, decodeInfo, encodeInfo } from '../../uapi/fwctl.js';
import { ioctlBuffer } from '../kernel/libc.js';
import { DevTarget } from '../targets/dev.js';
import { serveAgent } from './agent.js';

const spec = process.argv[2] ?? '';
if (!spec.startsWith('dev:') || spec === 'dev:all') {
  process.stderr.write(`agent-process: expected one dev: target, not '${spec}'\n`);
  process.exit(2);
}
// The parent's --allow-* flags: the child enforces them itself (harness/wire/guard.ts), as `fwctl-cts agent` does.
const flags = process.argv.slice(3);
const unknown = flags.filter((f) => !['--allow-taint', '--allow-destructive', '--allow-hazards'].includes(f));
if (unknown.length) {
  process.stderr.write(`agent-process: unknown option '${unknown[0]}'\n`);
  process.exit(2);
}
const allow = { taint: flags.includes('--allow-taint'), destructive: flags.includes('--allow-destructive'), hazards: flags.includes('--allow-hazards') };
let target: DevTarget;
try {
  target = await DevTarget.create({ kind: 'dev', path: spec.slice(4), text: spec }, { allow });
} catch (e) {
  process.stderr.write(`agent-process: ${(e as Error).message}\n`);
  process.exit(2);
}
// It also opens the machine's other fwctl nodes when asked: a worker lends one such child to all its tests.
// Each has its own device type, which says which pointers its RPCs carry (harness/wire/guard.ts).
await serveAgent(target, allow, {
  openPath: async (path) => {
    const fd = await target.openOther(path);
    return { fd, deviceType: deviceTypeOf(fd) };
  },
});

/** FWCTL_INFO on the agent's own buffer (no device data): the device's uAPI type, or undefined. */
function deviceTypeOf(fd: number): number | undefined {
  const info = encodeInfo({});
  return ioctlBuffer(fd, FWCTL_INFO, info).ret === 0 ? decodeInfo(info).out_device_type : undefined;
}
