/**
 * Turns the user's `start` config, `send` data and `close` options into
 * checked values, or a 401 `BusinessError` naming the bad field.
 *
 * @module
 */

import { type DeflateConfig, isToken } from "../protocol/mod.ts";
import { parameterError } from "../ohos/errors.ts";
import { parseAllowedOrigins, parseGateFunction } from "./upgrade_gate.ts";
import type { UpgradeGate } from "./types.ts";
import { deflateOption } from "../ohos/deflate.ts";
import {
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_MESSAGE_FRAGMENTS,
  DEFAULT_MAX_SEND_SIZE,
  positiveInteger,
  positiveNumber,
  timerValue,
} from "../ohos/option_values.ts";

export { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_SEND_SIZE };

/** The platform's cap on both connection limits, also their default. */
export const PLATFORM_CONNECTION_CAP = 10;
/** Default time a client has to complete the opening handshake. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default time to wait for a client's close frame / TCP end. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/**
 * Default time between the server's heartbeat pings: like python `websockets`,
 * whose 20 s have proven gentle on mobile links and idle-timeout proxies alike.
 */
export const DEFAULT_PING_INTERVAL_MS = 20_000;
/** Default time a client has to answer a heartbeat ping with a pong. */
export const DEFAULT_PONG_TIMEOUT_MS = 20_000;
/** Default limit on an incoming message. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
/** Default `serverIP`: every IPv4 interface. */
export const DEFAULT_SERVER_IP = "0.0.0.0";

/** Checked `start` settings. */
export interface ServerSettings {
  /** Address to bind. */
  hostname: string;
  /** Port to bind (0: any free one). */
  port: number;
  /** PEM file paths when serving TLS. */
  tls?: { certPath: string; keyPath: string };
  /** Subprotocols the server accepts (empty: none). */
  protocols: string[];
  /** Effective limit on open connections. */
  maxClients: number;
  /** Effective limit on open connections from one IP address. */
  maxPerClient: number;
  /** See `WebSocketServerConfig.handshakeTimeoutMs`. */
  handshakeTimeoutMs: number;
  /** See `WebSocketServerConfig.closeTimeoutMs`. */
  closeTimeoutMs: number;
  /** See `WebSocketServerConfig.pingIntervalMs` (0: no heartbeat). */
  pingIntervalMs: number;
  /** See `WebSocketServerConfig.pongTimeoutMs`. */
  pongTimeoutMs: number;
  /** See `WebSocketServerConfig.maxMessageSize`. */
  maxMessageSize: number;
  /** See `WebSocketServerConfig.maxMessageFragments`. */
  maxMessageFragments: number;
  /** See `WebSocketServerConfig.maxSendSize`. */
  maxSendSize: number;
  /** See `WebSocketServerConfig.maxBufferedBytes`. */
  maxBufferedBytes: number;
  /** See `WebSocketServerConfig.extReusePort`. */
  reusePort: boolean;
  /** See `WebSocketServerConfig.extAllowedOrigins` (normalized); `undefined`: no check. */
  allowedOrigins: Set<string> | undefined;
  /** See `WebSocketServerConfig.extUpgradeGate`. */
  gate: UpgradeGate | undefined;
  /** See `WebSocketServerConfig.perMessageDeflate` (undefined: off). */
  deflate?: DeflateConfig;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A connection limit: a positive integer, lowered to the platform cap unless lifted. */
function connectionLimit(config: Record<string, unknown>, name: string, uncapped: boolean): number {
  const value = config[name];
  if (value === undefined) return PLATFORM_CONNECTION_CAP;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw parameterError(`${name} must be an integer >= 1`);
  }
  return uncapped ? value : Math.min(value, PLATFORM_CONNECTION_CAP);
}

/** Checks `start`'s config; throws a 401 `BusinessError` for the first bad field. */
export function parseServerConfig(config: unknown): ServerSettings {
  if (!isRecord(config)) throw parameterError("config must be an object");
  const { serverIP = DEFAULT_SERVER_IP, serverPort, serverCert, protocol } = config;
  if (typeof serverIP !== "string" || serverIP === "") {
    throw parameterError("serverIP must be a non-empty string");
  }
  if (
    typeof serverPort !== "number" || !Number.isInteger(serverPort) || serverPort < 0 ||
    serverPort > 65535
  ) {
    throw parameterError("serverPort must be an integer from 0 to 65535");
  }
  let tls: ServerSettings["tls"];
  if (serverCert !== undefined) {
    if (
      !isRecord(serverCert) || typeof serverCert.certPath !== "string" ||
      typeof serverCert.keyPath !== "string"
    ) {
      throw parameterError("serverCert must be { certPath: string, keyPath: string }");
    }
    tls = { certPath: serverCert.certPath, keyPath: serverCert.keyPath };
  }
  let protocols: string[] = [];
  if (protocol !== undefined) {
    if (typeof protocol !== "string") throw parameterError("protocol must be a string");
    protocols = protocol.split(",").map((p) => p.trim()).filter((p) => p !== "");
    const bad = protocols.find((p) => !isToken(p));
    if (bad !== undefined) {
      throw parameterError(`protocol ${JSON.stringify(bad)} is not a valid subprotocol name`);
    }
  }
  const reusePort = config.extReusePort;
  if (reusePort !== undefined && typeof reusePort !== "boolean") {
    throw parameterError("extReusePort must be a boolean");
  }
  const lift = config.allowMoreThanPlatformLimit;
  if (lift !== undefined && typeof lift !== "boolean") {
    throw parameterError("allowMoreThanPlatformLimit must be a boolean");
  }
  return {
    // Deno binds an IPv6 literal given with or without brackets only without them.
    hostname: serverIP.startsWith("[") && serverIP.endsWith("]") ? serverIP.slice(1, -1) : serverIP,
    port: serverPort,
    tls,
    protocols,
    maxClients: connectionLimit(config, "maxConcurrentClientsNumber", lift === true),
    maxPerClient: connectionLimit(config, "maxConnectionsForOneClient", lift === true),
    handshakeTimeoutMs: timerValue(config, "handshakeTimeoutMs", DEFAULT_HANDSHAKE_TIMEOUT_MS, 1),
    closeTimeoutMs: timerValue(config, "closeTimeoutMs", DEFAULT_CLOSE_TIMEOUT_MS, 1),
    pingIntervalMs: timerValue(config, "pingIntervalMs", DEFAULT_PING_INTERVAL_MS, 1, true),
    pongTimeoutMs: timerValue(config, "pongTimeoutMs", DEFAULT_PONG_TIMEOUT_MS, 1),
    maxMessageSize: positiveNumber(config, "maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE),
    maxMessageFragments: positiveInteger(
      config,
      "maxMessageFragments",
      DEFAULT_MAX_MESSAGE_FRAGMENTS,
    ),
    maxSendSize: positiveNumber(config, "maxSendSize", DEFAULT_MAX_SEND_SIZE),
    maxBufferedBytes: positiveNumber(config, "maxBufferedBytes", DEFAULT_MAX_BUFFERED_BYTES),
    reusePort: reusePort === true,
    allowedOrigins: parseAllowedOrigins(config.extAllowedOrigins),
    gate: parseGateFunction(config.extUpgradeGate),
    deflate: deflateOption(config.perMessageDeflate),
  };
}

/** The fields of `start`'s config that `extAttach` does not take: the port is the HTTP server's. */
const PORT_FIELDS = ["serverIP", "serverPort", "serverCert", "extReusePort"] as const;

/** Checks `extAttach`'s config (optional: the defaults of `start`); a 401 for a bad field. */
export function parseAttachConfig(config: unknown): ServerSettings {
  if (config === undefined) config = {};
  if (!isRecord(config)) throw parameterError("config must be an object");
  for (const field of PORT_FIELDS) {
    if (config[field] !== undefined) {
      throw parameterError(`${field} does not apply to extAttach: the HTTP server owns the port`);
    }
  }
  return parseServerConfig({ ...config, serverPort: 0 });
}

/** Checks a connection argument: `{ clientIP: string, clientPort: number }`. */
export function parseConnection(connection: unknown): { clientIP: string; clientPort: number } {
  if (
    !isRecord(connection) || typeof connection.clientIP !== "string" ||
    typeof connection.clientPort !== "number"
  ) {
    throw parameterError("connection must be { clientIP: string, clientPort: number }");
  }
  return { clientIP: connection.clientIP, clientPort: connection.clientPort };
}
