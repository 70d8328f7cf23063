/**
 * Reads the head of an HTTP/1.1 message (start line + headers) from a byte
 * stream that may arrive split anywhere, with a hard size limit. Whatever
 * follows the blank line is returned untouched: on a WebSocket upgrade it is
 * already frame data.
 *
 * @module
 */

import { hasHeaderBreak, isToken } from "./http_grammar.ts";

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
  // Grows by doubling, so a head sent one byte per read costs linear copying.
  #buffer = new Uint8Array(256);
  #length = 0;

  /** Creates a reader that gives up on heads over `maxBytes` (default 16 KiB). */
  constructor(maxBytes: number = DEFAULT_MAX_HEAD_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Adds bytes; reports the head once complete, or an error. */
  push(chunk: Uint8Array): HeadReadResult {
    const searchFrom = Math.max(0, this.#length - 3);
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
    const joined = this.#buffer.subarray(0, needed);
    const end = findHeadEnd(joined, searchFrom);
    if (end < 0) {
      if (needed > this.#maxBytes) {
        return { done: true, error: `HTTP head exceeds ${this.#maxBytes} bytes` };
      }
      return { done: false };
    }
    if (end > this.#maxBytes) {
      return { done: true, error: `HTTP head exceeds ${this.#maxBytes} bytes` };
    }
    const rest = joined.slice(end);
    const parsed = parseHead(latin1(joined.subarray(0, end - 4)));
    this.#buffer = new Uint8Array(0);
    this.#length = 0;
    return typeof parsed === "string"
      ? { done: true, error: parsed }
      : { done: true, head: parsed, rest };
  }
}

function findHeadEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
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

/** Splits a comma-separated header list into trimmed, non-empty lower-case tokens. */
export function headerTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== "");
}
