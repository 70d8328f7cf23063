/**
 * Reads the head of an HTTP/1.1 message (start line + headers) from a byte
 * stream that may arrive split anywhere, with a hard size limit. Whatever
 * follows the blank line is returned untouched: on a WebSocket upgrade it is
 * already frame data.
 *
 * @module
 */

import { hasHeaderBreak, isToken } from "./http_grammar.ts";
import { isAsciiRange } from "./short_text.ts";
import { decodeCheckedUtf8 } from "./utf8.ts";

/** Header values by lower-case name; repeated headers become arrays. */
export type HeaderMap = Record<string, string | string[]>;

/** A parsed HTTP head. */
export interface HttpHead {
  /** The first line, e.g. `HTTP/1.1 101 Switching Protocols`. */
  startLine: string;
  /** Headers in arrival order, names lower-cased. */
  headers: [name: string, value: string][];
}

/** Default limit on the size of a handshake head. */
export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;

/** The outcome of {@linkcode HttpHeadReader.push}. */
export type HeadReadResult =
  | { done: false }
  | { done: true; head: HttpHead; rest: Uint8Array }
  | { done: true; error: string };

/**
 * Accumulates bytes until `\r\n\r\n`, then parses the head.
 *
 * @example
 * ```ts
 * import { HttpHeadReader } from "./http_head.ts";
 * const reader = new HttpHeadReader();
 * const result = reader.push(new TextEncoder().encode("HTTP/1.1 101 OK\r\n\r\n"));
 * ```
 */
export class HttpHeadReader {
  readonly #maxBytes: number;
  // Holds a head split across reads; grows by doubling, so a head sent one byte per
  // read costs linear copying. A head that arrives in one read never needs it.
  #buffer: Uint8Array | null = null;
  #length = 0;

  /** Creates a reader that gives up on heads over `maxBytes` (default 16 KiB). */
  constructor(maxBytes: number = DEFAULT_MAX_HEAD_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes; reports the head once complete, or an error. */
  push(chunk: Uint8Array): HeadReadResult {
    if (this.#length === 0) {
      // The common case: the whole head in one read, parsed where it lies.
      const end = findHeadEnd(chunk, 0);
      if (end >= 0) return this.#complete(chunk, end);
    }
    const searchFrom = Math.max(0, this.#length - 3);
    const needed = this.#length + chunk.length;
    let buffer = this.#buffer ?? new Uint8Array(256);
    if (needed > buffer.length) {
      const grown = new Uint8Array(Math.max(needed, buffer.length * 2));
      grown.set(buffer.subarray(0, this.#length));
      buffer = grown;
    }
    this.#buffer = buffer;
    buffer.set(chunk, this.#length);
    this.#length = needed;
    const joined = buffer.subarray(0, needed);
    const end = findHeadEnd(joined, searchFrom);
    if (end < 0) {
      if (needed > this.#maxBytes) {
        return { done: true, error: `HTTP head exceeds ${this.#maxBytes} bytes` };
      }
      return { done: false };
    }
    this.#buffer = null;
    this.#length = 0;
    return this.#complete(joined, end);
  }

  /** The head is `bytes[0, end)` (its blank line included); what follows is copied out. */
  #complete(bytes: Uint8Array, end: number): HeadReadResult {
    if (end > this.#maxBytes) {
      return { done: true, error: `HTTP head exceeds ${this.#maxBytes} bytes` };
    }
    const rest = end === bytes.length ? NOTHING_AFTER : bytes.slice(end);
    const parsed = parseHead(latin1(bytes.subarray(0, end - 4)));
    return typeof parsed === "string"
      ? { done: true, error: parsed }
      : { done: true, head: parsed, rest };
  }
}

// Shared by every head with nothing behind it: empty, so nobody can change it.
const NOTHING_AFTER = new Uint8Array(0);

function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

/**
 * The head's bytes as one char per byte (ISO-8859-1, as HTTP reads header
 * octets). A head is nearly always ASCII, whose UTF-8 decoding is the same
 * string: one decoder call, where `fromCharCode.apply` first copies the bytes
 * into an argument list (a few hundred nanoseconds and a kilobyte of garbage
 * per handshake).
 */
function latin1(bytes: Uint8Array): string {
  if (isAsciiRange(bytes, 0, bytes.length)) return decodeCheckedUtf8(bytes);
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    // apply() takes the typed array as it is; a spread would walk an iterator.
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

function parseHead(text: string): HttpHead | string {
  const lines = text.split("\r\n");
  const startLine = lines[0];
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon);
    if (!isToken(name)) return `invalid header name ${JSON.stringify(name.slice(0, 80))}`;
    const value = line.slice(colon + 1).trim();
    if (hasHeaderBreak(value)) return `invalid character in header ${name}`;
    headers.push([name.toLowerCase(), value]);
  }
  return { startLine, headers };
}

/** Collects headers into a map; repeated names become arrays in order. */
export function headerMap(headers: [string, string][]): HeaderMap {
  const map: HeaderMap = {};
  for (const [name, value] of headers) {
    const existing = map[name];
    if (existing === undefined) map[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else map[name] = [existing, value];
  }
  return map;
}

/** All values of header `name` joined with ", " (the HTTP list rule), or undefined. */
export function headerValue(headers: [string, string][], name: string): string | undefined {
  let joined: string | undefined;
  // An indexed loop: destructuring each pair would allocate an iterator per header.
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i];
    if (header[0] === name) joined = joined === undefined ? header[1] : `${joined}, ${header[1]}`;
  }
  return joined;
}

/**
 * True when the comma-separated header list `value` holds `token` (given in
 * lower case), compared without case and surrounding whitespace. Walks the
 * list in place: every handshake asks this twice, and arrays of tokens would
 * be garbage at once.
 *
 * @example
 * ```ts
 * import { headerHasToken } from "./http_head.ts";
 * headerHasToken("keep-alive, Upgrade", "upgrade"); // true
 * headerHasToken(undefined, "upgrade"); // false
 * ```
 */
export function headerHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  // Bounded: each pass moves `start` past a comma or to the end.
  for (let start = 0; start <= value.length;) {
    let end = value.indexOf(",", start);
    if (end < 0) end = value.length;
    if (value.slice(start, end).trim().toLowerCase() === token) return true;
    start = end + 1;
  }
  return false;
}
