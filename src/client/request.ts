/**
 * Turns `connect`'s user input (URL and options) into checked settings, or a
 * `BusinessError` with the documented code.
 *
 * @module
 */

import { hasHeaderBreak, RESERVED_REQUEST_HEADERS } from "../protocol/mod.ts";
import { BusinessError, ErrorCode, parameterError } from "../ohos/errors.ts";

/** Where to connect, derived from a ws:/wss: URL. */
export interface Target {
  /** `true` for wss. */
  secure: boolean;
  /** Host name or IP literal, IPv6 without brackets (for the socket). */
  hostname: string;
  /** TCP port (80/443 by default). */
  port: number;
  /** Host header value (brackets kept, port only when not default). */
  host: string;
  /** Path and query. */
  path: string;
}

/** Checked `connect` settings. */
export interface ConnectSettings {
  /** Extra handshake headers, lower-cased names. */
  headers: [string, string][];
  /** See `WebSocketRequestOptions.handshakeTimeoutMs`. */
  handshakeTimeoutMs: number;
  /** See `WebSocketRequestOptions.closeTimeoutMs`. */
  closeTimeoutMs: number;
  /** See `WebSocketRequestOptions.maxMessageSize`. */
  maxMessageSize: number;
  /** See `WebSocketRequestOptions.maxSendSize`. */
  maxSendSize: number;
}

/** URLs must be shorter than this many bytes (platform rule). */
export const MAX_URL_BYTES = 8196;
/** The platform's largest `send`: 5 MiB minus 16 bytes. */
export const DEFAULT_MAX_SEND_SIZE = 5 * 1024 * 1024 - 16;
/** Default limit on an incoming message. */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/** Default handshake timeout. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
/** Default close-handshake timeout. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** Parses and checks the URL: 401 when not a string, 2302001 when unusable. */
export function parseTarget(url: unknown): Target {
  if (typeof url !== "string") throw parameterError("url must be a string");
  const urlError = (why: string) => new BusinessError(ErrorCode.UrlError, `invalid URL: ${why}`);
  if (new TextEncoder().encode(url).length >= MAX_URL_BYTES) {
    throw urlError(`longer than ${MAX_URL_BYTES - 1} bytes`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw urlError(`cannot parse ${JSON.stringify(url.slice(0, 100))}`);
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    throw urlError(`scheme must be ws: or wss:, not ${parsed.protocol}`);
  }
  if (url.includes("#")) throw urlError("a WebSocket URL may not have a fragment");
  if (parsed.hostname === "") throw urlError("no host");
  const secure = parsed.protocol === "wss:";
  const hostname = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return {
    secure,
    hostname,
    port: parsed.port === "" ? (secure ? 443 : 80) : Number(parsed.port),
    host: parsed.host,
    path: (parsed.pathname || "/") + parsed.search,
  };
}

function positiveNumber(options: Record<string, unknown>, name: string, fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw parameterError(`${name} must be a positive number`);
  }
  return value;
}

/** Checks the options object: every problem is a 401. */
export function parseSettings(options: unknown): ConnectSettings {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw parameterError("options must be an object");
  }
  const record = options as Record<string, unknown>;
  return {
    headers: parseHeaders(record.header),
    handshakeTimeoutMs: positiveNumber(record, "handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS),
    closeTimeoutMs: positiveNumber(record, "closeTimeoutMs", DEFAULT_CLOSE_TIMEOUT_MS),
    maxMessageSize: positiveNumber(record, "maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE),
    maxSendSize: positiveNumber(record, "maxSendSize", DEFAULT_MAX_SEND_SIZE),
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parseHeaders(header: unknown): [string, string][] {
  if (header === undefined || header === null) return [];
  if (typeof header !== "object" || Array.isArray(header)) {
    throw parameterError("header must be an object of name/value strings");
  }
  const out: [string, string][] = [];
  for (const [rawName, rawValue] of Object.entries(header)) {
    if (hasHeaderBreak(rawName)) throw parameterError(`header name holds CR, LF or NUL`);
    if (!TOKEN.test(rawName)) {
      throw parameterError(`invalid header name ${JSON.stringify(rawName)}`);
    }
    if (!["string", "number", "boolean"].includes(typeof rawValue)) {
      throw parameterError(`header ${rawName} must have a string value`);
    }
    const value = String(rawValue);
    if (hasHeaderBreak(value)) throw parameterError(`header ${rawName} holds CR, LF or NUL`);
    const name = rawName.toLowerCase();
    if (RESERVED_REQUEST_HEADERS.has(name)) {
      throw parameterError(`header ${name} is part of the handshake and cannot be set`);
    }
    out.push([name, value]);
  }
  return out;
}
