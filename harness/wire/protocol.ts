/**
 * The wire protocol's shared pieces (docs/wire-protocol.md): line framing,
 * message validation against schemas/wire.schema.json, hex and base64.
 */
import type { Writable } from 'node:stream';
import type { WireMessage } from '../generated/wire.js';
import { validate } from '../schema/validate.js';
import { parseBoundedJson } from './lines.js';

export { MAX_LINE, readLines } from './lines.js';

export type { Call, Hello, ProtocolFailure, Reply, Segment, WireMessage } from '../generated/wire.js';

export const PROTOCOL = 1;

/**
 * The driver broke the protocol (a line that is not a valid message, a reply
 * to no call, bytes that are not base64, memory it was never given). The
 * driver is at fault, as when it crashes: its tests are crashes, not rule
 * failures, and the run exits 1 (docs/wire-protocol.md, "Errors").
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export const hex = (n: bigint | number): string => `0x${n.toString(16)}`;
export const unhex = (s: string): bigint => BigInt(s);

/** Parse and validate one line; throws with the line's start and what was wrong. */
export function parseMessage(line: string, from: string): WireMessage {
  let data: unknown;
  try {
    data = parseBoundedJson(line);
  } catch (e) {
    throw new Error(`${from} sent a line that is not JSON (${(e as Error).message}): ${line.slice(0, 120)}`);
  }
  try {
    return validate<WireMessage>(data, 'wire', from);
  } catch (e) {
    throw new Error(`${(e as Error).message} in: ${line.slice(0, 160)}`);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648 with padding): Buffer.from would decode garbage leniently. */
export function fromBase64(data: string, what: string): Buffer {
  if (!BASE64.test(data)) throw new Error(`${what} is not base64 (RFC 4648, with padding): ${data.slice(0, 40)}`);
  return Buffer.from(data, 'base64');
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
