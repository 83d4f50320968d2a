/**
 * Reading a stream line by line with a bound, for both ends of the wire
 * protocol and for a driver's stderr: a peer that never sends a newline, or
 * sends one huge line, costs at most `maxLine` bytes of memory, never all of
 * it (issue 11: 5.9 GB for stdout without a newline, 4.7 GB for a 200 MB line).
 * Linear: each chunk is scanned once, and pending text is joined only when its
 * line ends (re-joining it on every chunk was quadratic: 4.6 s for 32 MB).
 */
import type { Readable } from 'node:stream';

/**
 * The longest wire-protocol line either side accepts. The largest message is
 * an ioctl with every mapped segment in base64; the suites map a few pages.
 */
export const MAX_LINE = 8 * 2 ** 20;

/** The deepest JSON nesting a wire message or an input file may have (ours need fewer than 10). */
export const MAX_DEPTH = 64;

export interface LineOptions {
  /** Longest line, in UTF-16 code units (about bytes for the ASCII the protocol sends). */
  maxLine?: number;
  /**
   * A line passed the bound: called once, and the rest of the stream is
   * dropped. Without it the line's start (up to the bound) is delivered as
   * a line and reading goes on (stderr capture).
   */
  onOverflow?: (length: number) => void;
}

/** Call `onLine` for every complete, non-empty line of `input`. */
export function readLines(input: Readable, onLine: (line: string) => void, opts: LineOptions = {}): void {
  const max = opts.maxLine ?? MAX_LINE;
  let pending: string[] = [];
  let pendingLength = 0;
  /** Past the bound in the current line: drop text up to its newline. */
  let skipping = false;
  let stopped = false;
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    if (stopped) return;
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', from);
      const end = nl < 0 ? chunk.length : nl;
      if (!skipping) {
        if (pendingLength + end - from > max) {
          if (opts.onOverflow) {
            stopped = true;
            pending = [];
            input.resume(); // keep draining, so the peer is not left blocked on a full pipe
            return opts.onOverflow(pendingLength + end - from);
          }
          pending.push(chunk.slice(from, from + max - pendingLength));
          emit();
          skipping = true;
        } else if (nl >= 0) {
          pending.push(chunk.slice(from, end));
          emit();
        } else {
          pending.push(chunk.slice(from));
          pendingLength += chunk.length - from;
        }
      }
      if (nl < 0) return;
      skipping = false;
      from = nl + 1;
    }
  });

  function emit(): void {
    const line = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    pendingLength = 0;
    if (line.length) onLine(line);
  }
}

/** Outside a string, the characters that matter for nesting. */
const STRUCTURAL = /["[\]{}]/g;

/**
 * The deepest bracket nesting of a JSON text, outside strings; stops counting
 * past `limit`. JSON.parse itself takes 4 GB for 10 MB of '['. The scan jumps
 * to the next character that matters in native code (a regular expression
 * outside strings; indexOf inside them, where wire messages carry their
 * base64), not a character at a time in JS: every wire message is scanned,
 * and one carrying an 8 KiB segment took 4 ms per scan under V8's
 * interpreter (as the VM runs node), about 80 ms under emulation.
 */
export function jsonDepth(text: string, limit = MAX_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let i = 0;
  /** The next backslash at or after where it was last looked for; text.length when there is none. */
  let backslash = -1;
  for (;;) {
    STRUCTURAL.lastIndex = i;
    const m = STRUCTURAL.exec(text);
    if (!m) return deepest;
    i = m.index + 1;
    const c = text.charCodeAt(m.index);
    if (c === 0x22) {
      // A string: on to its closing quote, stepping over each backslash and the character it escapes.
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) return deepest;
        if (backslash < i) {
          backslash = text.indexOf('\\', i);
          if (backslash < 0) backslash = text.length;
        }
        if (backslash < quote) i = backslash + 2;
        else {
          i = quote + 1;
          break;
        }
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else depth--;
  }
}

/** JSON.parse, refusing text nested deeper than MAX_DEPTH first. */
export function parseBoundedJson(text: string): unknown {
  if (jsonDepth(text) > MAX_DEPTH) throw new SyntaxError(`nested deeper than ${MAX_DEPTH} levels`);
  return JSON.parse(text);
}
