/**
 * The pieces of HTTP/1.1 grammar (RFC 9110, RFC 9112) that the opening
 * handshake relies on, each defined once: what a token is, and which
 * characters may never appear inside a header line. Pure: strings in,
 * answers out.
 *
 * @module
 */

/** `tchar` of RFC 9110 section 5.6.2, apart from the letters and digits. */
const TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

/** `TOKEN_TABLE[c]` is 1 when the byte or char code `c` is a `tchar`. */
const TOKEN_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1; // 0-9
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1; // A-Z
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1; // a-z
  for (const ch of TOKEN_PUNCTUATION) table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** True when the byte (or UTF-16 code unit) `code` may appear in an HTTP token. */
export function isTokenChar(code: number): boolean {
  return code < 256 && TOKEN_TABLE[code] === 1;
}

/**
 * True when `text` is an HTTP token (RFC 9110 section 5.6.2): what header
 * names, methods and subprotocol names are made of.
 *
 * @example
 * ```ts
 * import { isToken } from "./http_grammar.ts";
 * isToken("chat.v2"); // true
 * isToken("two words"); // false
 * ```
 */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    if (!isTokenChar(text.charCodeAt(i))) return false;
  }
  return true;
}

/** CR, LF and NUL: each could end a header line early or truncate it. */
const HEADER_BREAK = /[\r\n\0]/;
const HEADER_BREAKS = /[\r\n\0]/g;

/** True when `text` holds CR, LF or NUL, which would let it break out of a header line. */
export function hasHeaderBreak(text: string): boolean {
  return HEADER_BREAK.test(text);
}

/** `text` with every CR, LF and NUL replaced by a space, safe inside one header or body line. */
export function replaceHeaderBreaks(text: string): string {
  return text.replace(HEADER_BREAKS, " ");
}
