/**
 * The harness side of the wire protocol: starts a driver program, greets it,
 * and pipelines calls. A driver that exits, hangs or says something invalid
 * fails the calls it owes with a clear error, and never takes the harness down.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TargetDied, TargetHung } from '../targets/target.js';
import { VERSION } from '../version.js';
import { MAX_LINE, PROTOCOL, ProtocolError, parseMessage, readLines, writeMessage, type Call, type Hello, type Reply } from './protocol.js';

type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void; sentAt: number; op: string };

/** What is kept of a driver's stderr for the report: its last lines, each cut at a bound. */
const STDERR_TAIL = 20;
const STDERR_LINE = 2048;

/** Process groups of drivers still running: they end with this process (or thread), whatever happens. */
const groups = new Set<number>();
process.once('exit', () => {
  for (const pgid of groups) killGroup(pgid);
});

/** SIGKILL a driver and everything it started (a child holding its pipes outlives it otherwise). */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export class WireClient {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly stderr: string[] = [];
  private hello?: (h: Hello) => void;
  /** When the driver last answered anything: tells a hung call from a hung driver. */
  private lastReply = 0;
  /** One sweep for every call's deadline (a timer per call costs more than the call). */
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly command: string,
    private readonly callTimeoutMs: number,
    /**
     * A driver kept between uses (an agent lent to test after test) must not keep
     * this process alive while no call is waiting on it.
     */
    private readonly holdOnlyWhileBusy = false,
  ) {
    // A shell runs the command line, so `ssh host fwctl-cts agent …` and pipelines work.
    // A process group of its own (detached), so that everything the driver starts can be ended with it.
    this.child = spawn('/bin/sh', ['-c', command], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FWCTL_CTS_NO_RELAUNCH: '1' },
      detached: true,
    });
    if (this.child.pid !== undefined) groups.add(this.child.pid);
    this.child.stdin.on('error', () => {}); // EPIPE after a crash: reported through 'exit'
    readLines(
      this.child.stderr,
      (line) => {
        this.stderr.push(line.length < STDERR_LINE ? line : `${line.slice(0, STDERR_LINE)}…`);
        if (this.stderr.length > STDERR_TAIL) this.stderr.shift();
      },
      { maxLine: STDERR_LINE + 1 },
    );
    readLines(this.child.stdout, (line) => this.onLine(line), {
      onOverflow: () => this.fail(new ProtocolError(`the driver (${command}) sent a line longer than ${MAX_LINE} bytes`)),
    });
    this.child.on('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      this.fail(new TargetDied(`the driver (${command}) ${how}${this.stderr.length ? `; its stderr ended: ${this.stderr.join(' | ')}` : ''}`));
      this.endGroup(); // what it started goes with it, and its pipes close
    });
    this.child.on('error', (e) => this.fail(new TargetDied(`cannot start the driver (${command}): ${e.message}`)));
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, callTimeoutMs / 4)));
    this.sweeper.unref();
    this.settle();
  }

  /** With holdOnlyWhileBusy, the child and its pipes keep the event loop alive only while calls wait. */
  private settle(): void {
    if (!this.holdOnlyWhileBusy) return;
    const busy = this.pending.size > 0;
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { ref(): void; unref(): void }[]) {
      if (busy) h.ref();
      else h.unref();
    }
  }

  /** Calls past their deadline: a hung call, or a hung driver when nothing was answered since. */
  private sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.pending) {
      if (id === 0 || now - p.sentAt < this.callTimeoutMs) continue;
      const hung = new TargetHung(`the driver (${this.command}) gave no answer to a ${p.op} call within ${this.callTimeoutMs} ms`);
      if (this.lastReply > p.sentAt) {
        this.pending.delete(id); // only this call's process is stuck
        this.settle();
        p.reject(hung);
      } else {
        return this.fail(hung); // the driver answers nothing: every later call fails at once
      }
    }
  }

  /** Greet the driver; resolves with its hello, rejects when it cannot speak our protocol. */
  async handshake(timeoutMs: number): Promise<Hello> {
    const answer = new Promise<Hello>((resolve, reject) => {
      this.hello = resolve;
      this.pending.set(0, { resolve: () => {}, reject, sentAt: Infinity, op: 'hello' });
      this.settle();
    });
    writeMessage(this.child.stdin, { type: 'hello', protocol: PROTOCOL, harness: `fwctl-cts ${VERSION}` });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TargetHung(`the driver (${this.command}) did not answer hello within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      this.pending.delete(0);
      this.settle();
    }
  }

  call(msg: Omit<Call, 'type' | 'id'>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sentAt: performance.now(), op: msg.op });
      this.settle();
      writeMessage(this.child.stdin, { type: 'call', id, ...msg } as Call);
    });
  }

  /** Calls sent and not answered yet, oldest first, with how long each has waited. */
  inFlight(): string[] {
    const now = performance.now();
    return [...this.pending].filter(([id]) => id !== 0).map(([, p]) => `${p.op} (${Math.round(now - p.sentAt)} ms)`);
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  /** End of input: a conforming driver exits; one that does not is killed, with its process group. */
  async close(): Promise<void> {
    this.fail(new TargetDied('the harness closed the driver'));
    this.child.stdin.end();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.endGroup();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => (this.endGroup(), resolve()), 2000);
      this.child.once('exit', () => (clearTimeout(timer), resolve()));
    });
  }

  /** SIGKILL the driver's process group (once it is over for the driver, or it was told to stop). */
  private endGroup(): void {
    const pgid = this.child.pid;
    if (pgid === undefined || !groups.delete(pgid)) return;
    killGroup(pgid);
  }

  /**
   * The driver said something that breaks the protocol (a bad segment, bad
   * base64): every call fails with it, and the driver is stopped.
   */
  protocolError(message: string): Error {
    this.fail(new ProtocolError(`protocol error: the driver (${this.command}) ${message}`));
    return this.failure!;
  }

  private onLine(line: string): void {
    let msg;
    try {
      msg = parseMessage(line, `the driver (${this.command})`);
    } catch (e) {
      return this.fail(new ProtocolError(`protocol error: ${(e as Error).message}`));
    }
    if (msg.type === 'hello') {
      if (msg.protocol !== PROTOCOL) return this.fail(new ProtocolError(`protocol error: the driver speaks protocol ${msg.protocol}, not ${PROTOCOL}`));
      this.hello?.(msg);
      this.hello = undefined;
    } else if (msg.type === 'error') {
      this.fail(new ProtocolError(`protocol error: the driver says: ${msg.message}`));
    } else if (msg.type === 'reply') {
      this.lastReply = performance.now();
      const p = this.pending.get(msg.id);
      if (!p || msg.id === 0) return this.fail(new ProtocolError(`protocol error: a reply to unknown call ${msg.id}`));
      this.pending.delete(msg.id);
      this.settle();
      p.resolve(msg);
    } else {
      this.fail(new ProtocolError(`protocol error: the driver sent a ${msg.type} message`));
    }
  }

  /** From now on every pending and later call fails with `e` (the first failure wins). */
  private fail(e: Error): void {
    this.failure ??= e;
    clearInterval(this.sweeper);
    for (const [id, p] of this.pending) {
      p.reject(this.failure);
      this.pending.delete(id);
    }
    this.settle();
    if (!(e instanceof TargetDied)) this.endGroup();
  }
}
