/** Escaping shared by the report renderers: TAP descriptions, YAML scalars, XML text and attributes. */

/**
 * Any line break, JavaScript's U+2028/U+2029 included: tap-parser's patterns stop at them,
 * so a test point containing one is silently lost.
 */
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/g;

/** TAP 14 description or directive reason: one line, with `\` and `#` escaped so `#` cannot start a directive. */
export function tapText(s: string): string {
  return oneLine(s).replace(/[\\#]/g, (c) => `\\${c}`);
}

/** Split text into lines, for formats that prefix every line. */
export function splitLines(s: string): string[] {
  return s.split(LINE_BREAK);
}

/**
 * Characters that act on a terminal or reorder text rather than print: C0
 * controls but tab (ESC starts ANSI sequences, BS and CR overwrite what is
 * shown), DEL, C1 controls (0x9b is a one-byte CSI) and the bidi overrides
 * and isolates (Trojan Source). Driver-supplied text may carry any of them.
 */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `s` with every control character shown as a visible escape (`\x1b`, `\n`, `\u202e`), so it prints as one inert line. */
export function visible(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return c === '\n' ? '\\n' : c === '\r' ? '\\r' : n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : unicodeEscape(c);
  });
}

/** One line for a terminal: line breaks become spaces, other controls visible escapes. */
export function terminalLine(s: string): string {
  return visible(s.replace(LINE_BREAK, ' ').trim());
}

/** Collapse line breaks to spaces, and show other controls as escapes, for line-oriented formats (TAP, KTAP). */
export function oneLine(s: string): string {
  return terminalLine(s);
}

/** Split text into lines with their controls made visible, for formats that prefix every line. */
export function splitVisibleLines(s: string): string[] {
  return splitLines(s).map(visible);
}

/** Plain YAML scalars we allow: a letter-led run of "boring" characters, so nothing can be read as a number, an indicator, a comment or a key. */
const YAML_PLAIN = /^[A-Za-z_][\w./@+-]*(?: [\w./@+-]+)*$/;
/** Plain words that YAML 1.1 parsers would turn into booleans or null. */
const YAML_KEYWORD = /^(?:true|false|null|yes|no|on|off|y|n)$/i;
/** Printable for JSON but not for YAML: DEL, C1 controls, Unicode line separators, BOM and non-characters. */
const YAML_UNPRINTABLE = /[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/g;

/** A YAML scalar for `s`: plain when unambiguous, otherwise a JSON string, which is a valid YAML double-quoted scalar once YAML-unprintable characters are \u-escaped. */
export function yamlString(s: string): string {
  if (YAML_PLAIN.test(s) && !YAML_KEYWORD.test(s)) return s;
  return JSON.stringify(s).replace(YAML_UNPRINTABLE, unicodeEscape);
}

/**
 * Characters XML 1.0 forbids anywhere (C0 controls other than tab/LF/CR, lone surrogates,
 * U+FFFE/U+FFFF); they are dropped because not even a character reference may name them.
 */
const XML_ILLEGAL = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

const XML_TEXT_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const XML_ATTR_ENTITY: Record<string, string> = {
  ...XML_TEXT_ENTITY,
  '"': '&quot;',
  "'": '&apos;',
  // Parsers normalise raw whitespace in attributes to spaces; references keep it.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** XML character data. Escaping `>` also covers a literal `]]>`. */
export function xmlText(s: string): string {
  return s.replace(XML_ILLEGAL, '').replace(/[&<>]/g, (c) => XML_TEXT_ENTITY[c]!);
}

/** An XML attribute value (without the surrounding quotes). */
export function xmlAttr(s: string): string {
  return s.replace(XML_ILLEGAL, '').replace(/[&<>"'\t\n\r]/g, (c) => XML_ATTR_ENTITY[c]!);
}

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** What HTML escapes: markup characters, and the controls and bidi overrides of `visible()` (LF and tab stay raw; `multiline` decides LF). */
const HTML_SPECIAL = /[&<>"'\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/**
 * HTML text or a quoted attribute value: `&<>"'` as references; controls and bidi overrides as
 * visible escapes (`\x1b`, `\u202e`), so driver text can neither open markup nor reorder what is
 * shown. Line breaks are kept only when `multiline` (text inside <pre>), spaces otherwise.
 */
export function htmlText(s: string, multiline = false): string {
  const text = s.replace(/\r\n/g, '\n').replace(multiline ? /[\u2028\u2029]/g : /[\n\u2028\u2029]/g, multiline ? '\n' : ' ');
  return text.replace(HTML_SPECIAL, (c) => HTML_ENTITY[c] ?? visible(c));
}
