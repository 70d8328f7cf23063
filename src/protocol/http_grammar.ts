/**
 * The pieces of HTTP/1.1 grammar (RFC 9110, RFC 9112) that the opening
 * handshake relies on, each defined once: what a token is, which characters
 * may never appear inside a header line, and what the first bytes of a
 * request line may be. Pure: strings and bytes in, answers out.
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

/** The outcome of {@linkcode RequestLineScanner.push}. */
export type RequestLineScan =
  /** Every byte so far can begin a request line; the line has not ended yet. */
  | { state: "partial" }
  /** The line ended with CRLF and has the request-line shape. */
  | { state: "complete" }
  /** These bytes can never become a request line; `reason` says why. */
  | { state: "invalid"; reason: string };

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

// Where in `method SP target SP HTTP/d.d CRLF` the scanner is.
const METHOD = 0;
const TARGET = 1;
const VERSION = 2;
const LINE_FEED = 3;
const DONE = 4;
const BAD = 5;

/**
 * Checks, byte by byte as they arrive, that the start of a stream can still
 * become an HTTP/1.1 request line: `method SP request-target SP HTTP/d.d
 * CRLF` (RFC 9112 section 3), the method a token, the target made of
 * visible characters (bytes 0x21–0x7E and, as many servers allow, 0x80–0xFF).
 * So a peer that sends a TLS hello, a binary blob or random bytes is told
 * apart from a slow client on its first bytes, instead of once a whole
 * head has arrived or the handshake deadline has passed. Each byte is looked
 * at once, however the input is split.
 *
 * @example
 * ```ts
 * import { RequestLineScanner } from "./http_grammar.ts";
 * const scanner = new RequestLineScanner();
 * scanner.push(new TextEncoder().encode("GET /chat HT")); // { state: "partial" }
 * new RequestLineScanner().push(new Uint8Array([0x16, 0x03, 0x01])); // { state: "invalid", … }
 * ```
 */
export class RequestLineScanner {
  #part = METHOD;
  /** Bytes seen in the current part (for the version: position in `HTTP/d.d`). */
  #count = 0;
  #failure = "";

  /** Scans `chunk`, which continues the bytes pushed before; stops looking once decided. */
  push(chunk: Uint8Array): RequestLineScan {
    for (let i = 0; i < chunk.length && this.#part < DONE; i++) this.#step(chunk[i]);
    if (this.#part === BAD) return { state: "invalid", reason: this.#failure };
    return this.#part === DONE ? { state: "complete" } : { state: "partial" };
  }

  #step(byte: number): void {
    switch (this.#part) {
      case METHOD:
        if (byte === SP && this.#count > 0) this.#next(TARGET);
        else if (isTokenChar(byte)) this.#count++;
        else this.#bad(byte, "the method");
        return;
      case TARGET:
        if (byte === SP && this.#count > 0) this.#next(VERSION);
        else if (byte > SP && byte !== 0x7f) this.#count++;
        else this.#bad(byte, "the request target");
        return;
      case VERSION: {
        // HTTP/d.d then CR: positions 0-4 "HTTP/", 5 digit, 6 ".", 7 digit, 8 CR.
        const at = this.#count;
        const fits = at < 5
          ? byte === HTTP_SLASH[at]
          : at === 6
          ? byte === 0x2e
          : at === 8
          ? byte === CR
          : byte >= 0x30 && byte <= 0x39;
        if (!fits) this.#bad(byte, "the HTTP version");
        else if (at === 8) this.#next(LINE_FEED);
        else this.#count++;
        return;
      }
      case LINE_FEED:
        if (byte === LF) this.#next(DONE);
        else this.#bad(byte, "the end of the request line");
        return;
    }
  }

  #next(part: number): void {
    this.#part = part;
    this.#count = 0;
  }

  #bad(byte: number, where: string): void {
    this.#part = BAD;
    const hex = byte.toString(16).padStart(2, "0");
    this.#failure = `not an HTTP request line: byte 0x${hex} cannot appear in ${where}`;
  }
}
