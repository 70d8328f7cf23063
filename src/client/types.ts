/**
 * Public types of the ohos WebSocket client.
 *
 * @module
 */

import type { AsyncCallback, Callback, ErrorCallback } from "../ohos/callbacks.ts";
import type { CloseResult, WebSocketCloseOptions } from "../ohos/close.ts";
import type { AbortSignalLike } from "../transport/types.ts";
import type { PerMessageDeflateOptions } from "../ohos/deflate_options.ts";

export type { CloseResult, PerMessageDeflateOptions, WebSocketCloseOptions };

/** TLS versions for `minSupportTlsProtocol` (API 26). */
export const TlsProtocol = {
  TLS_V_1_0: 0,
  TLS_V_1_1: 1,
  TLS_V_1_2: 2,
  TLS_V_1_3: 3,
} as const;

/** One of the {@linkcode TlsProtocol} values. */
export type TlsProtocol = typeof TlsProtocol[keyof typeof TlsProtocol];

/** A client certificate for mutual TLS (API 11). */
export interface ClientCert {
  /** Path of the PEM certificate (chain). */
  certPath: string;
  /** Path of the PEM private key. */
  keyPath: string;
  /** Passphrase of an encrypted key. */
  keyPassword?: string;
}

/** An HTTP proxy reached with `CONNECT` (API 12). */
export interface HttpProxy {
  /** Proxy host. */
  host: string;
  /** Proxy port. */
  port: number;
  /** User name for Basic proxy authorization. */
  username?: string;
  /** Password for Basic proxy authorization. */
  password?: string;
  /** Hosts that bypass the proxy: exact names or `*.domain` wildcards. */
  exclusionList: string[];
}

/** `'system'` (environment variables), `'no-proxy'`, or an explicit proxy. */
export type ProxyConfiguration = "system" | "no-proxy" | HttpProxy;

/** Handshake response headers: lower-case names; repeated headers as arrays. */
export type ResponseHeaders = Record<string, string | string[]>;

/** Value of the `openInfo` event (API 26). */
export interface WebSocketOpenInfo {
  /** HTTP status, 101. */
  status: number;
  /** Reason phrase, e.g. `Switching Protocols`. */
  message: string;
  /** The subprotocol the server chose, `""` when none. */
  protocol: string;
}

/**
 * Options of `connect` (the seed's `WebSocketRequestOptions`), plus the
 * limits this library adds (all optional, with safe defaults).
 */
export interface WebSocketRequestOptions {
  /**
   * Extra HTTP headers for the handshake request. Each own enumerable property is one header
   * (its name sent lower-cased) whose value is a non-empty string; other values are skipped,
   * as on the platform, and a `header` that is not an object is ignored. A name that is not
   * an HTTP token, a CR, LF or NUL anywhere, or a handshake header of our own (`upgrade`,
   * `sec-websocket-key`, ...) is a 401. The SDK types it `Object` (dynamic view) and
   * `Record<string, string>` (static view); both fit.
   */
  // deno-lint-ignore ban-types -- the SDK's dynamic type; any object's properties are read
  header?: Object;
  /** PEM bundle of CAs to trust besides the system store (API 11). Missing file → 2302002. */
  caPath?: string;
  /** Client certificate for mutual TLS (API 11). Missing file → 2302002. */
  clientCert?: ClientCert;
  /** Accept any server certificate; for tests only (API 20, default false). */
  skipServerCertVerification?: boolean;
  /** Proxy to use (API 12, default `'no-proxy'`). */
  proxy?: ProxyConfiguration;
  /** Subprotocols to offer, comma-separated (API 12). */
  protocol?: string;
  /** Seconds between heartbeat pings (API 21, default 30, 0 disables). */
  pingInterval?: number;
  /** Seconds to wait for a pong before giving up (API 21, default 30). */
  pongTimeout?: number;
  /** Lowest TLS version accepted (API 26). */
  minSupportTlsProtocol?: TlsProtocol;
  /** Send an `origin` header naming a non-default port (API 26, default false). */
  supportOriginPort?: boolean;
  /**
   * Extension (not on the platform): milliseconds allowed for TCP/TLS connect plus the opening
   * handshake (default 30000).
   */
  handshakeTimeoutMs?: number;
  /**
   * Extension (not on the platform): aborting this signal abandons the connect at once: the
   * Promise (or callback) fails with -1 ("connect aborted: …") and the `error` event fires, after
   * every socket opened for the attempt has been closed. An already aborted signal fails before
   * any socket is opened. No effect once the connection is open.
   */
  extSignal?: AbortSignalLike;
  /**
   * Extension (not on the platform): milliseconds to wait for the peer's close frame and TCP end
   * (default 5000).
   */
  closeTimeoutMs?: number;
  /**
   * Extension (not on the platform): largest incoming message in bytes; larger ones close with
   * 1009 (default 64 MiB).
   */
  maxMessageSize?: number;
  /**
   * Extension (not on the platform): most frames one incoming message may arrive in, empty ones
   * included; more close with 1009 (default 131,072).
   */
  maxMessageFragments?: number;
  /**
   * Extension (not on the platform): largest outgoing message in bytes; larger `send`s fail with
   * 401 (default 5,242,864, the platform's fixed limit).
   */
  maxSendSize?: number;
  /**
   * Extension (not on the platform): most bytes queued for sending but not yet written to the
   * socket (default 64 MiB). A `send` that would exceed it fails with 2302999 and sends nothing.
   */
  maxBufferedBytes?: number;
  /**
   * Extension (not on the platform): offer permessage-deflate compression (RFC 7692), off by
   * default. `true` offers the defaults; an object sets the four RFC 7692 parameters and
   * `threshold` (messages shorter than it go uncompressed, default 1024 bytes). A server
   * answer we did not offer, with an unknown, repeated or out-of-range parameter, fails the
   * connect (-1). See docs/options.md.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** Value of the `open` event: the status line of the accepted handshake. */
export interface OpenResult {
  /** HTTP status, 101. */
  status: number;
  /** Reason phrase, e.g. `Switching Protocols`. */
  message: string;
}

/**
 * Data a client can send: text, or binary as an `ArrayBuffer` or (an extension, not on the
 * platform) a view of one.
 */
export type SendData = string | ArrayBuffer | ArrayBufferView;

/**
 * The ohos WebSocket client, as returned by `createWebSocket()`.
 *
 * @example
 * ```ts
 * import webSocket from "../../mod.ts";
 * const ws = webSocket.createWebSocket();
 * ws.on("message", (_err, data) => console.log(data));
 * ```
 */
export interface WebSocket {
  /**
   * Extension (not on the platform): bytes of sent messages not yet handed to the operating
   * system (what `maxBufferedBytes` limits), like the browser's `bufferedAmount`; 0 when not
   * connected.
   */
  readonly extBufferedAmount: number;
  /**
   * Extension (not on the platform): resolves `true` once everything sent so far has been handed
   * to the operating system (at once when nothing is queued or not connected); rejects (-1) if
   * the connection fails first. Wait on it to slow down instead of hitting `maxBufferedBytes`.
   */
  extDrained(): Promise<boolean>;

  /** Connects; the callback gets `(undefined, true)` once the connection is open. */
  connect(url: string, callback: AsyncCallback<boolean>): void;
  /** Connects with options; the callback gets `(undefined, true)` once open. */
  connect(url: string, options: WebSocketRequestOptions, callback: AsyncCallback<boolean>): void;
  /** Connects; resolves `true` once the connection is open. */
  connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;

  /** Sends a message; the callback gets `(undefined, true)` once it is written. */
  send(data: SendData, callback: AsyncCallback<boolean>): void;
  /** Sends a message; resolves `true` once it is written. */
  send(data: SendData): Promise<boolean>;

  /** Starts the close handshake with code 1000. */
  close(callback: AsyncCallback<boolean>): void;
  /** Starts the close handshake with the given code and reason. */
  close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;
  /** Starts the close handshake; resolves `true` once the close frame is written. */
  close(options?: WebSocketCloseOptions): Promise<boolean>;

  /** The handshake succeeded. */
  on(type: "open", callback: AsyncCallback<OpenResult>): void;
  /** A message arrived: text as `string`, binary as `ArrayBuffer`. */
  on(type: "message", callback: AsyncCallback<string | ArrayBuffer>): void;
  /** The connection closed (only after it had opened). */
  on(type: "close", callback: AsyncCallback<CloseResult>): void;
  /** Something failed. */
  on(type: "error", callback: ErrorCallback): void;
  /** A complete message has been delivered (API 11). */
  on(type: "dataEnd", callback: Callback<void>): void;
  /** The handshake response headers arrived, before `open` (API 12). */
  on(type: "headerReceive", callback: Callback<ResponseHeaders>): void;
  /** Status line and chosen subprotocol, right after `open` (API 26.0.0). */
  on(type: "openInfo", callback: AsyncCallback<WebSocketOpenInfo>): void;

  /** Removes one `open` listener, or all of them. */
  off(type: "open", callback?: AsyncCallback<OpenResult>): void;
  /** Removes one `message` listener, or all of them. */
  off(type: "message", callback?: AsyncCallback<string | ArrayBuffer>): void;
  /** Removes one `close` listener, or all of them. */
  off(type: "close", callback?: AsyncCallback<CloseResult>): void;
  /** Removes one `error` listener, or all of them. */
  off(type: "error", callback?: ErrorCallback): void;
  /** Removes one `dataEnd` listener, or all of them. */
  off(type: "dataEnd", callback?: Callback<void>): void;
  /** Removes one `headerReceive` listener, or all of them. */
  off(type: "headerReceive", callback?: Callback<ResponseHeaders>): void;
  /** Removes one `openInfo` listener, or all of them. */
  off(type: "openInfo", callback?: AsyncCallback<WebSocketOpenInfo>): void;

  // The SDK's static view (ArkTS 1.2, API 23+): one method pair per event, sharing the
  // listener lists of on/off. `onOpen` listeners take the value alone.

  /** Like `on("open", …)`, but the listener is handed the value alone (static view, API 23). */
  onOpen(callback: Callback<OpenResult>): void;
  /** Removes one `onOpen` listener, or every `open` listener (static view, API 23). */
  offOpen(callback?: Callback<OpenResult>): void;
  /** Same as `on("message", callback)` (static view, API 23). */
  onMessage(callback: AsyncCallback<string | ArrayBuffer>): void;
  /** Same as `off("message", callback)` (static view, API 23). */
  offMessage(callback?: AsyncCallback<string | ArrayBuffer>): void;
  /** Same as `on("close", callback)` (static view, API 23). */
  onWebSocketClose(callback: AsyncCallback<CloseResult>): void;
  /** Same as `off("close", callback)` (static view, API 23). */
  offWebSocketClose(callback?: AsyncCallback<CloseResult>): void;
  /** Same as `on("error", callback)` (static view, API 23). */
  onWebSocketError(callback: ErrorCallback): void;
  /** Same as `off("error", callback)` (static view, API 23). */
  offWebSocketError(callback?: ErrorCallback): void;
  /** Same as `on("dataEnd", callback)` (static view, API 23). */
  onDataEnd(callback: Callback<void>): void;
  /** Same as `off("dataEnd", callback)` (static view, API 23). */
  offDataEnd(callback?: Callback<void>): void;
  /** Same as `on("headerReceive", callback)` (static view, API 23). */
  onHeaderReceive(callback: Callback<ResponseHeaders>): void;
  /** Same as `off("headerReceive", callback)` (static view, API 23). */
  offHeaderReceive(callback?: Callback<ResponseHeaders>): void;
}
