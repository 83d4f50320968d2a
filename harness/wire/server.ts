/**
 * The driver side of the wire protocol, over any Target: `serve-reference`
 * serves the reference driver, `agent` a real device (docs/wire-protocol.md).
 * Calls of one process run in order; processes run independently, so a call
 * that never returns blocks only its own process.
 */
import type { Readable, Writable } from 'node:stream';
import { ProcessKilled, SyscallError, type Target, type TargetProcess, type UserBuffer } from '../targets/target.js';
import { VERSION } from '../version.js';
import { MAX_LINE, PROTOCOL, hex, parseMessage, readLines, unhex, writeMessage, type Call, type Reply, type Segment } from './protocol.js';

type Process = TargetProcess & { exit?(): Promise<void>; dispose?(): Promise<void> };

interface Mapped {
  buf: UserBuffer;
  /** The content the harness last saw: after a call, only segments that differ travel back. */
  shadow: Buffer;
}

interface ProcState {
  proc: Process;
  memory: Map<bigint, Mapped>;
  /** Calls of this process, in order. */
  queue: Promise<void>;
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
  openPath?: (path: string) => Promise<number>;
}

export async function serve(first: Target, input: Readable, output: Writable, opts: ServeOptions = {}): Promise<void> {
  let target = first;
  const procs = new Map<number, ProcState>([[0, { proc: target, memory: new Map(), queue: Promise.resolve() }]]);
  let nextProc = 1;
  let greeted = false;
  const send = (r: Reply) => writeMessage(output, r);

  const handle = async (call: Call): Promise<Omit<Reply, 'type' | 'id'>> => {
    const st = procs.get(call.proc);
    if (!st) return { error: `no process ${call.proc}` };
    const { proc, memory } = st;
    switch (call.op) {
      case 'map': {
        const buf = proc.alloc(call.size ?? 0, unhex(call.addr!));
        memory.set(buf.addr, { buf, shadow: Buffer.alloc(buf.bytes.length) });
        return { ret: 0 };
      }
      case 'unmap': {
        const m = memory.get(unhex(call.addr!));
        if (m) (proc.free(m.buf), memory.delete(m.buf.addr));
        return { ret: 0 };
      }
      case 'open':
        if (call.path !== undefined && (!opts.openPath || proc !== target)) return { error: 'this driver opens only its own device' };
        try {
          return { ret: call.path !== undefined ? await opts.openPath!(call.path) : await proc.open() };
        } catch (e) {
          if (e instanceof SyscallError) return { ret: -1, errno: e.errno };
          throw e;
        }
      case 'close':
        return proc.close(call.fd!);
      case 'ioctl': {
        for (const seg of call.mem ?? []) {
          const m = memory.get(unhex(seg.addr));
          if (!m) return { error: `segment ${seg.addr} is not mapped` };
          m.shadow.set(Buffer.from(seg.data, 'base64'));
          m.buf.bytes.set(m.shadow);
        }
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
        const child = call.rawio === false ? await target.parts.credentials?.withoutRawio() : await target.parts.processes?.spawn();
        if (!child) return { error: `cannot spawn a process${call.rawio === false ? ' without CAP_SYS_RAWIO' : ''}` };
        const id = nextProc++;
        procs.set(id, { proc: child, memory: new Map(), queue: Promise.resolve() });
        return { value: id };
      }
      case 'exit':
        await (proc.exit ?? proc.dispose)?.call(proc);
        procs.delete(call.proc);
        return { ret: 0 };
      case 'reset': {
        if (!opts.fresh) return { error: 'this driver cannot start over' };
        await target.dispose();
        target = await opts.fresh();
        procs.clear();
        procs.set(0, { proc: target, memory: new Map(), queue: Promise.resolve() });
        nextProc = 1;
        return { ret: 0 };
      }
      case 'part': {
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
          allows: d.allows,
          ...(d.shared && { shared: true }),
        },
        // Optional methods are listed as '<part>.<method>'.
        parts: [...Object.keys(target.parts), ...(target.parts.taint?.reset ? ['taint.reset'] : []), ...(opts.fresh ? ['reset'] : [])],
      });
    } else if (msg.type === 'call' && greeted) {
      onCall(msg);
    } else {
      writeMessage(output, { type: 'error', message: `unexpected ${msg.type} message${greeted ? '' : ' before hello'}` });
    }
  }, { onOverflow: overflow });
  // End of input: the harness is done. Calls still running (a hung device) are abandoned.
  await new Promise<void>((resolve) => input.on('end', resolve).on('close', resolve));
  await target.dispose().catch(() => undefined);
}
