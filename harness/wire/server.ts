/**
 * The driver side of the wire protocol, over any Target: `serve-reference`
 * serves the reference driver, `agent` a real device (docs/wire-protocol.md).
 * Calls of one process run in order; processes run independently, so a call
 * that never returns blocks only its own process.
 */
import type { Readable, Writable } from 'node:stream';
import { ProcessKilled, SyscallError, endTarget, type Target, type TargetProcess, type UserBuffer } from '../targets/target.js';
import { VERSION } from '../version.js';
import { Refused, mappedBytes, type Guard, type GuardSegment } from './guard.js';
import { MAX_LINE, PROTOCOL, hex, parseMessage, readLines, unhex, writeMessage, type Call, type Reply, type Segment } from './protocol.js';

type Process = TargetProcess & { exit?(): Promise<void>; dispose?(): Promise<void> };

interface Mapped {
  buf: UserBuffer;
  /** The bytes the peer asked for. */
  size: number;
  /** The content the harness last saw: after a call, only segments that differ travel back. */
  shadow: Buffer;
}

interface ProcState {
  proc: Process;
  memory: Map<bigint, Mapped>;
  /** Calls of this process, in order. */
  queue: Promise<void>;
  /** Descriptors open() gave this process, with their device's uAPI type (which pointers its RPCs carry). */
  fds: Map<number, number | undefined>;
  /** Whether the process may have CAP_SYS_RAWIO (false: spawned without it). */
  rawio: boolean;
}

/** A descriptor on another device, and that device's uAPI type (FWCTL_INFO), which the guard needs. */
export interface Opened {
  fd: number;
  deviceType?: number;
}

export interface ServeOptions {
  /**
   * A throw-away driver can start over: a fresh device, as after a reboot.
   * The harness asks at the start of each task, so every task sees what an
   * in-process `sim:` task sees. Real devices have no such thing.
   */
  fresh?: () => Promise<Target>;
  /**
   * Open another device of the machine (`open` with a `path`): an agent that
   * serves every fwctl device, so one process without CAP_SYS_RAWIO does for
   * all of a worker's tests (harness/targets/exec.ts, lentAgentProcess).
   */
  openPath?: (path: string) => Promise<number | Opened>;
  /**
   * An agent's checks on every call (harness/wire/guard.ts): the operator's
   * flags, fwctl ioctls only, pointers only into segments mapped through it,
   * bounded memory, processes and descriptors. A refusal is an `error` reply.
   */
  guard?: Guard;
}

export async function serve(first: Target, input: Readable, output: Writable, opts: ServeOptions = {}): Promise<void> {
  let target = first;
  const guard = opts.guard;
  const fresh = (proc: Process, rawio = true): ProcState => ({ proc, memory: new Map(), queue: Promise.resolve(), fds: new Map(), rawio });
  const procs = new Map<number, ProcState>([[0, fresh(target, target.description.capSysRawio !== false)]]);
  let nextProc = 1;
  let greeted = false;
  const send = (r: Reply) => writeMessage(output, r);

  const handle = async (call: Call): Promise<Omit<Reply, 'type' | 'id'>> => {
    const st = procs.get(call.proc);
    if (!st) return { error: `no process ${call.proc}` };
    const { proc, memory } = st;
    switch (call.op) {
      case 'map': {
        const size = call.size ?? 0;
        guard?.map(unhex(call.addr!), size, segments(memory));
        const buf = proc.alloc(size, unhex(call.addr!));
        memory.set(buf.addr, { buf, size, shadow: Buffer.alloc(buf.bytes.length) });
        return { ret: 0 };
      }
      case 'unmap': {
        const m = memory.get(unhex(call.addr!));
        if (m) (proc.free(m.buf), memory.delete(m.buf.addr));
        return { ret: 0 };
      }
      case 'open': {
        if (call.path !== undefined && (!opts.openPath || proc !== target)) return { error: 'this driver opens only its own device' };
        guard?.opening();
        try {
          const own = target.description.expectedDeviceType;
          const opened = call.path !== undefined ? await opts.openPath!(call.path) : { fd: await proc.open(), deviceType: own };
          const { fd, deviceType } = typeof opened === 'number' ? { fd: opened, deviceType: undefined } : opened;
          st.fds.set(fd, deviceType);
          return { ret: fd };
        } catch (e) {
          guard?.closed();
          if (e instanceof SyscallError) return { ret: -1, errno: e.errno };
          throw e;
        }
      }
      case 'close': {
        const r = await proc.close(call.fd!);
        if (st.fds.delete(call.fd!)) guard?.closed();
        return r;
      }
      case 'ioctl': {
        for (const seg of call.mem ?? []) {
          const m = memory.get(unhex(seg.addr));
          if (!m) return { error: `segment ${seg.addr} is not mapped` };
          m.shadow.set(Buffer.from(seg.data, 'base64'));
          m.buf.bytes.set(m.shadow);
        }
        // Checked after the peer's bytes are in place, and nothing changes them until the call returns.
        guard?.ioctl(unhex(call.request!), unhex(call.arg!), (addr) => segmentAt(memory, addr), { rawio: st.rawio, deviceType: st.fds.get(call.fd!) });
        const res = await proc.ioctl(call.fd!, Number(unhex(call.request!)), unhex(call.arg!));
        const mem: Segment[] = [];
        for (const [addr, m] of memory) {
          if (m.buf.bytes.equals(m.shadow)) continue;
          m.buf.bytes.copy(m.shadow);
          mem.push({ addr: hex(addr), data: m.buf.bytes.toString('base64') });
        }
        return { ...res, mem };
      }
      case 'fileop': {
        const ops = target.parts.fileOps;
        if (!ops || proc !== target) return { error: 'fileOps is not available for this process' };
        return ops.call(call.fd!, call.name!);
      }
      case 'spawn': {
        guard?.spawning();
        let child: Process | undefined;
        try {
          child = call.rawio === false ? await target.parts.credentials?.withoutRawio() : await target.parts.processes?.spawn();
        } finally {
          if (!child) guard?.exited();
        }
        if (!child) return { error: `cannot spawn a process${call.rawio === false ? ' without CAP_SYS_RAWIO' : ''}` };
        const id = nextProc++;
        procs.set(id, fresh(child, call.rawio !== false));
        return { value: id };
      }
      case 'exit':
        // Accounted at once: the process is gone for the peer even while its exit runs.
        if (procs.delete(call.proc)) {
          guard?.closed(st.fds.size);
          if (call.proc !== 0) guard?.exited();
        }
        await (proc.exit ?? proc.dispose)?.call(proc);
        return { ret: 0 };
      case 'reset': {
        if (!opts.fresh) return { error: 'this driver cannot start over' };
        await target.dispose();
        target = await opts.fresh();
        procs.clear();
        guard?.forget();
        procs.set(0, fresh(target, target.description.capSysRawio !== false));
        nextProc = 1;
        return { ret: 0 };
      }
      case 'part': {
        guard?.part(call.part!, call.method!);
        const part = (target.parts as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>> | undefined>)[call.part!];
        const method = part?.[call.method!];
        if (!method) return { error: `no part method ${call.part}.${call.method}` };
        const value = await method.apply(part, call.args ?? []);
        return value === undefined ? { value: null } : { value };
      }
    }
  };

  const onCall = (call: Call) => {
    const st = procs.get(call.proc);
    const run = async () => {
      try {
        send({ type: 'reply', id: call.id, ...(await handle(call)) });
      } catch (e) {
        if (e instanceof ProcessKilled) send({ type: 'reply', id: call.id, killed: e.reason });
        else if (e instanceof Refused) send({ type: 'reply', id: call.id, error: e.message, refused: true });
        else send({ type: 'reply', id: call.id, error: (e as Error).message });
      }
    };
    // A reset is a reboot and an exit kills the process: both run at once, and
    // calls still in flight (a process stuck in a hung firmware call) are abandoned.
    if (call.op === 'reset' || call.op === 'exit') return void run();
    if (st) st.queue = st.queue.then(run);
    else void run();
  };

  // A line past MAX_LINE (harness/wire/lines.ts) ends the session: nothing the peer sends can grow without bound.
  const overflow = () => (writeMessage(output, { type: 'error', message: `a line longer than ${MAX_LINE} bytes` }), input.destroy());
  readLines(input, (line) => {
    let msg;
    try {
      msg = parseMessage(line, 'the harness');
    } catch (e) {
      writeMessage(output, { type: 'error', message: (e as Error).message });
      return;
    }
    if (msg.type === 'hello') {
      if (msg.protocol !== PROTOCOL) {
        writeMessage(output, { type: 'error', message: `protocol ${msg.protocol} is not supported (this driver speaks ${PROTOCOL})` });
        return;
      }
      greeted = true;
      const d = target.description;
      // Optional methods are listed as '<part>.<method>'; an agent lists only what its flags let it serve.
      const all = [...Object.keys(target.parts), ...(target.parts.taint?.reset ? ['taint.reset'] : []), ...(opts.fresh ? ['reset'] : [])];
      const { parts, unavailable } = guard ? guard.offered(all) : { parts: all, unavailable: {} };
      writeMessage(output, {
        type: 'hello',
        protocol: PROTOCOL,
        driver: {
          name: `fwctl-cts ${VERSION} (${d.kind}:${d.model})`,
          model: d.model,
          ...(d.fw !== undefined && { fw: d.fw }),
          ...(d.device !== undefined && { device: d.device }),
          ...(d.defects?.length && { defects: d.defects }),
          ...(d.expectedDeviceType !== undefined && { deviceType: d.expectedDeviceType }),
          ...(d.profile !== undefined && { profile: d.profile }),
          ...(d.capSysRawio !== undefined && { capSysRawio: d.capSysRawio }),
          ...(d.kernelRelease !== undefined && { kernelRelease: d.kernelRelease }),
          allows: d.allows,
          ...(d.shared && { shared: true }),
          ...(Object.keys(unavailable).length && { unavailable }),
        },
        parts,
      });
    } else if (msg.type === 'call' && greeted) {
      onCall(msg);
    } else {
      writeMessage(output, { type: 'error', message: `unexpected ${msg.type} message${greeted ? '' : ' before hello'}` });
    }
  }, { onOverflow: overflow });
  // End of input: the harness is done. Calls still running (a hung device) are abandoned. The target
  // ends for good: an exec: target's driver, kept between tasks, would keep this process alive for ever.
  await new Promise<void>((resolve) => input.on('end', resolve).on('close', resolve));
  await endTarget(target).catch(() => undefined);
}

function segments(memory: Map<bigint, Mapped>): GuardSegment[] {
  return [...memory.values()].map((m) => ({ addr: m.buf.addr, size: m.size, bytes: m.buf.bytes }));
}

/** The segment holding `addr`, if any. */
function segmentAt(memory: Map<bigint, Mapped>, addr: bigint): GuardSegment | undefined {
  for (const m of memory.values()) {
    if (addr >= m.buf.addr && addr < m.buf.addr + BigInt(mappedBytes(m.size))) return { addr: m.buf.addr, size: m.size, bytes: m.buf.bytes };
  }
  return undefined;
}
