/**
 * Turns `connect`'s user input (URL and options) into checked settings, or a
 * `BusinessError` with the documented code.
 *
 * @module
 */

import {
  type DeflateConfig,
  hasHeaderBreak,
  isToken,
  RESERVED_REQUEST_HEADERS,
} from "../protocol/mod.ts";
import { deflateOption } from "../ohos/deflate.ts";
import { TLS_VERSIONS } from "../transport/mod.ts";
import type { AbortSignalLike } from "../transport/types.ts";
import { BusinessError, ErrorCode, parameterError } from "../ohos/errors.ts";
import {
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_FRAGMENTS,
  DEFAULT_MAX_SEND_SIZE,
  positiveInteger,
  positiveNumber,
  timerValue,
} from "../ohos/option_values.ts";

export { DEFAULT_MAX_SEND_SIZE };

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

/** TLS client settings from `caPath`, `clientCert`, … (files not read yet). */
export interface TlsSettings {
  /** PEM bundle of extra trusted CAs. */
  caPath?: string;
  /** Client certificate for mutual TLS. */
  clientCert?: { certPath: string; keyPath: string; keyPassword?: string };
  /** Accept any server certificate (tests only). */
  skipServerCertVerification: boolean;
  /** Lowest TLS version: 0 = 1.0 … 3 = 1.3. */
  minTlsVersion?: number;
}

/** An HTTP proxy to tunnel through with `CONNECT`. */
export interface ProxySettings {
  /** Proxy host name or IP. */
  host: string;
  /** Proxy port. */
  port: number;
  /** `user:password` for Basic proxy authorization. */
  credentials?: string;
  /** Hosts that bypass the proxy: exact names or `*.domain` wildcards. */
  exclusionList: string[];
}

/** Checked `connect` settings. */
export interface ConnectSettings {
  /** Extra handshake headers, lower-cased names. */
  headers: [string, string][];
  /** Subprotocols to offer. */
  protocols: string[];
  /** TLS settings (used for wss only). */
  tls: TlsSettings;
  /** `'system'`, `'no-proxy'` or an explicit proxy. */
  proxy: "system" | "no-proxy" | ProxySettings;
  /** Seconds between heartbeat pings; 0 disables. */
  pingIntervalS: number;
  /** Seconds to wait for a pong. */
  pongTimeoutS: number;
  /** Send an `origin` header that includes a non-default port. */
  supportOriginPort: boolean;
  /** See `WebSocketRequestOptions.handshakeTimeoutMs`. */
  handshakeTimeoutMs: number;
  /** See `WebSocketRequestOptions.extSignal`. */
  signal: AbortSignalLike | undefined;
  /** See `WebSocketRequestOptions.closeTimeoutMs`. */
  closeTimeoutMs: number;
  /** See `WebSocketRequestOptions.maxMessageSize`. */
  maxMessageSize: number;
  /** See `WebSocketRequestOptions.maxMessageFragments`. */
  maxMessageFragments: number;
  /** See `WebSocketRequestOptions.maxSendSize`. */
  maxSendSize: number;
  /** See `WebSocketRequestOptions.maxBufferedBytes`. */
  maxBufferedBytes: number;
  /** See `WebSocketRequestOptions.perMessageDeflate` (undefined: off). */
  deflate?: DeflateConfig;
}

/** URLs must be shorter than this many bytes (platform rule). */
export const MAX_URL_BYTES = 8196;
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

/** Default heartbeat period and pong wait, in seconds (platform defaults). */
export const DEFAULT_PING_INTERVAL_S = 30;
/** Default time to wait for a pong, in seconds. */
export const DEFAULT_PONG_TIMEOUT_S = 30;

function optionalBoolean(options: Record<string, unknown>, name: string): boolean {
  const value = options[name];
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw parameterError(`${name} must be a boolean`);
  return value;
}

function optionalString(record: Record<string, unknown>, name: string): string | undefined {
  const value = record[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw parameterError(`${name} must be a non-empty string`);
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
    protocols: parseProtocols(record.protocol),
    tls: parseTls(record),
    proxy: parseProxy(record.proxy),
    pingIntervalS: timerValue(record, "pingInterval", DEFAULT_PING_INTERVAL_S, 1000, true),
    // A zero pong wait would drop every connection at its first ping.
    pongTimeoutS: timerValue(record, "pongTimeout", DEFAULT_PONG_TIMEOUT_S, 1000),
    supportOriginPort: optionalBoolean(record, "supportOriginPort"),
    handshakeTimeoutMs: timerValue(record, "handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS, 1),
    signal: parseSignal(record.extSignal),
    closeTimeoutMs: timerValue(record, "closeTimeoutMs", DEFAULT_CLOSE_TIMEOUT_MS, 1),
    maxMessageSize: positiveNumber(record, "maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE),
    maxMessageFragments: positiveInteger(
      record,
      "maxMessageFragments",
      DEFAULT_MAX_MESSAGE_FRAGMENTS,
    ),
    maxSendSize: positiveNumber(record, "maxSendSize", DEFAULT_MAX_SEND_SIZE),
    maxBufferedBytes: positiveNumber(record, "maxBufferedBytes", DEFAULT_MAX_BUFFERED_BYTES),
    deflate: deflateOption(record.perMessageDeflate),
  };
}

function parseProtocols(protocol: unknown): string[] {
  if (protocol === undefined || protocol === "") return [];
  if (typeof protocol !== "string") throw parameterError("protocol must be a string");
  const list = protocol.split(",").map((p) => p.trim());
  for (const name of list) {
    if (!isToken(name)) throw parameterError(`invalid subprotocol name ${JSON.stringify(name)}`);
  }
  if (new Set(list).size !== list.length) throw parameterError("a subprotocol is listed twice");
  return list;
}

function parseTls(record: Record<string, unknown>): TlsSettings {
  const tls: TlsSettings = {
    caPath: optionalString(record, "caPath"),
    skipServerCertVerification: optionalBoolean(record, "skipServerCertVerification"),
  };
  const cert = record.clientCert;
  if (cert !== undefined) {
    if (typeof cert !== "object" || cert === null || Array.isArray(cert)) {
      throw parameterError("clientCert must be {certPath, keyPath, keyPassword?}");
    }
    const c = cert as Record<string, unknown>;
    const certPath = optionalString(c, "certPath");
    const keyPath = optionalString(c, "keyPath");
    if (certPath === undefined || keyPath === undefined) {
      throw parameterError("clientCert needs certPath and keyPath");
    }
    const keyPassword = c.keyPassword;
    if (keyPassword !== undefined && typeof keyPassword !== "string") {
      throw parameterError("clientCert.keyPassword must be a string");
    }
    tls.clientCert = { certPath, keyPath, keyPassword };
  }
  const min = record.minSupportTlsProtocol;
  if (min !== undefined) {
    if (
      typeof min !== "number" || !Number.isInteger(min) || min < 0 || min >= TLS_VERSIONS.length
    ) {
      throw parameterError("minSupportTlsProtocol must be a TlsProtocol value (0-3)");
    }
    tls.minTlsVersion = min;
  }
  return tls;
}

function parseProxy(proxy: unknown): ConnectSettings["proxy"] {
  if (proxy === undefined || proxy === null || proxy === "no-proxy") return "no-proxy";
  if (proxy === "system") return "system";
  if (typeof proxy !== "object" || Array.isArray(proxy)) {
    throw parameterError("proxy must be 'system', 'no-proxy' or {host, port, exclusionList}");
  }
  const p = proxy as Record<string, unknown>;
  const host = optionalString(p, "host");
  if (host === undefined || hasHeaderBreak(host)) throw parameterError("proxy.host is required");
  const port = p.port;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw parameterError("proxy.port must be an integer 1-65535");
  }
  const exclusionList = p.exclusionList ?? [];
  if (!Array.isArray(exclusionList) || exclusionList.some((e) => typeof e !== "string")) {
    throw parameterError("proxy.exclusionList must be an array of strings");
  }
  const username = p.username, password = p.password;
  if (username !== undefined && typeof username !== "string") {
    throw parameterError("proxy.username must be a string");
  }
  if (password !== undefined && typeof password !== "string") {
    throw parameterError("proxy.password must be a string");
  }
  const credentials = username === undefined || username === ""
    ? undefined
    : `${username}:${password ?? ""}`;
  return { host, port, credentials, exclusionList: exclusionList as string[] };
}

/**
 * The handshake headers of a `header` option, read the way the platform reads it: any object
 * will do, each own enumerable property is a header, and only non-empty string values are
 * sent (others are skipped, as on the device); anything that is not an object is ignored.
 * Inherited properties are not read, so a polluted `Object.prototype` adds no header. What
 * would break the request is refused with a 401: a name that is not an HTTP token, CR/LF/NUL
 * in a value, and the handshake's own headers.
 */
function parseHeaders(header: unknown): [string, string][] {
  if (typeof header !== "object" || header === null) return [];
  const out: [string, string][] = [];
  for (const rawName of Object.keys(header)) {
    if (hasHeaderBreak(rawName)) throw parameterError(`header name holds CR, LF or NUL`);
    if (!isToken(rawName)) {
      throw parameterError(`invalid header name ${JSON.stringify(rawName)}`);
    }
    const value: unknown = (header as Record<string, unknown>)[rawName];
    if (typeof value !== "string" || value === "") continue;
    if (hasHeaderBreak(value)) throw parameterError(`header ${rawName} holds CR, LF or NUL`);
    const name = rawName.toLowerCase();
    if (RESERVED_REQUEST_HEADERS.has(name)) {
      throw parameterError(`header ${name} is part of the handshake and cannot be set`);
    }
    out.push([name, value]);
  }
  return out;
}

/** Checks `extSignal`: an `AbortSignal` (anything with `aborted` and `addEventListener`). */
function parseSignal(value: unknown): AbortSignalLike | undefined {
  if (value === undefined) return undefined;
  const signal = value as Partial<AbortSignalLike> | null;
  if (
    typeof signal !== "object" || signal === null || typeof signal.aborted !== "boolean" ||
    typeof signal.addEventListener !== "function" ||
    typeof signal.removeEventListener !== "function"
  ) {
    throw parameterError("extSignal must be an AbortSignal");
  }
  return signal as AbortSignalLike;
}
