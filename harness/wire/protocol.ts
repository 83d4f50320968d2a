/**
 * The wire protocol's shared pieces (docs/wire-protocol.md): line framing,
 * message validation against schemas/wire.schema.json, hex and base64.
 */
import type { Readable, Writable } from 'node:stream';
import type { WireMessage } from '../generated/wire.js';
import { validate } from '../schema/validate.js';

export type { Call, Hello, ProtocolFailure, Reply, Segment, WireMessage } from '../generated/wire.js';

export const PROTOCOL = 1;

export const hex = (n: bigint | number): string => `0x${n.toString(16)}`;
export const unhex = (s: string): bigint => BigInt(s);

/** Parse and validate one line; throws with the line's start and what was wrong. */
export function parseMessage(line: string, from: string): WireMessage {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    throw new Error(`${from} sent a line that is not JSON: ${line.slice(0, 120)}`);
  }
  try {
    return validate<WireMessage>(data, 'wire', from);
  } catch (e) {
    throw new Error(`${(e as Error).message} in: ${line.slice(0, 160)}`);
  }
}

/** Call `onLine` for every complete line of `input`. */
export function readLines(input: Readable, onLine: (line: string) => void): void {
  let rest = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.length) onLine(p);
  });
}

/** Lines waiting to be written, per stream: flushed together once per event-loop turn. */
const queued = new WeakMap<Writable, string[]>();

/**
 * Write one message. Messages written in the same turn go out in one write:
 * with many calls in flight, a syscall per line would cost more than the calls.
 */
export function writeMessage(out: Writable, msg: WireMessage): void {
  const lines = queued.get(out);
  if (lines) return void lines.push(JSON.stringify(msg));
  const batch = [JSON.stringify(msg)];
  queued.set(out, batch);
  setImmediate(() => {
    queued.delete(out);
    if (!out.destroyed) out.write(`${batch.join('\n')}\n`);
  });
}
