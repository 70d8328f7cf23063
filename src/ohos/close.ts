/**
 * Close options and results, shared by the client and the server halves of
 * the API: the types and the argument check of `close(options)`.
 *
 * @module
 */

import { isValidCloseCode, MAX_CLOSE_REASON_BYTES, utf8Length } from "../protocol/mod.ts";
import { parameterError } from "./errors.ts";

/** Options of `close`. */
export interface WebSocketCloseOptions {
  /** Close code (default 1000). 1000–1003, 1007–1014 and 3000–4999 may be sent. */
  code?: number;
  /** Close reason (default `""`), at most 123 bytes in UTF-8. */
  reason?: string;
}

/** Value of the `close` event. */
export interface CloseResult {
  /** Close code: the peer's, the one we failed with, or 1006 when the link dropped. */
  code: number;
  /** Close reason text. */
  reason: string;
}

/**
 * Checks `close`'s options (a 401 for anything that may not be sent);
 * defaults to code 1000 and an empty reason.
 */
export function parseCloseOptions(options: unknown): { code: number; reason: string } {
  if (options === undefined || options === null) return { code: 1000, reason: "" };
  if (typeof options !== "object" || Array.isArray(options)) {
    throw parameterError("close options must be an object");
  }
  const { code = 1000, reason = "" } = options as Record<string, unknown>;
  if (typeof code !== "number" || !isValidCloseCode(code)) {
    throw parameterError(
      `close code ${String(code)} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`,
    );
  }
  if (typeof reason !== "string") throw parameterError("close reason must be a string");
  if (utf8Length(reason) > MAX_CLOSE_REASON_BYTES) {
    throw parameterError(`close reason is longer than ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`);
  }
  return { code, reason };
}

/**
 * A received message as the API hands it out: text as `string`, binary as
 * an `ArrayBuffer` of exactly the message (copied only when the bytes are a
 * view into a larger buffer).
 */
export function messageValue(data: string | Uint8Array): string | ArrayBuffer {
  if (typeof data === "string") return data;
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? data.buffer as ArrayBuffer
    : data.slice().buffer;
}
