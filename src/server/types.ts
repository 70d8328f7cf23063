/**
 * Public types of the ohos WebSocket server (API 19).
 *
 * @module
 */

import type { Callback, ErrorCallback } from "../ohos/callbacks.ts";
// Type-only: the server and the client report closes and take close options in the same
// shapes (`@ohos.net.webSocket` declares them once). Nothing of the client runs here.
import type { CloseResult, WebSocketCloseOptions } from "../ohos/close.ts";
import type { PerMessageDeflateOptions } from "../ohos/deflate_options.ts";

export type { PerMessageDeflateOptions };

/** Certificate and private key (PEM files) a server presents when it serves `wss:`. */
export interface ServerCert {
  /** Path of the PEM certificate (chain) file. */
  certPath: string;
  /** Path of the PEM private-key file. */
  keyPath: string;
}

/**
 * Settings of `WebSocketServer.start` (the platform's `WebSocketServerConfig`),
 * plus limits this library adds (all optional, with safe defaults).
 */
export interface WebSocketServerConfig {
  /** Local address to listen on (default `"0.0.0.0"`). */
  serverIP?: string;
  /** TCP port to listen on; 0 lets the system pick one (see `WebSocketServer.address`). */
  serverPort: number;
  /** Certificate and key; when given the server speaks TLS (`wss:`). */
  serverCert?: ServerCert;
  /**
   * Most clients connected at once (default 10); later handshakes get HTTP 503.
   * Values above 10 are lowered to 10, the platform's cap, unless
   * {@linkcode WebSocketServerConfig.allowMoreThanPlatformLimit} is set.
   * Required on the platform; optional here.
   */
  maxConcurrentClientsNumber?: number;
  /** Subprotocol the server accepts; a comma-separated list names several. */
  protocol?: string;
  /**
   * Most connections from one client IP address (default 10); later handshakes
   * from that address get HTTP 503. Capped at 10 like
   * {@linkcode WebSocketServerConfig.maxConcurrentClientsNumber}.
   * Required on the platform; optional here.
   */
  maxConnectionsForOneClient?: number;
  /**
   * Extension (not on the platform): lifts the platform's cap of 10 on both connection limits
   * (default `false`).
   */
  allowMoreThanPlatformLimit?: boolean;
  /**
   * Extension (not on the platform): milliseconds a client has, from TCP accept, to complete the
   * TLS handshake (for `wss:`) and send a complete upgrade request; slower ones are dropped
   * (default 10000).
   */
  handshakeTimeoutMs?: number;
  /**
   * Extension (not on the platform): milliseconds to wait for a client's close frame and TCP end
   * after the server closes, and to let a refusal reach its client (default 5000).
   */
  closeTimeoutMs?: number;
  /**
   * Extension (not on the platform), heartbeat: milliseconds from a client's upgrade, or from its
   * last pong, to the server's next ping (default 20000); 0 turns the heartbeat off. A client that
   * vanished without closing TCP is dropped at most `pingIntervalMs + pongTimeoutMs` after its last
   * pong.
   */
  pingIntervalMs?: number;
  /**
   * Extension (not on the platform): milliseconds a client has to answer a heartbeat ping (default
   * 20000); then it is dropped (`error` event, and its `close` event reports 1006).
   */
  pongTimeoutMs?: number;
  /**
   * Extension (not on the platform): largest incoming message in bytes; larger ones close with 1009
   * (default 16 MiB).
   */
  maxMessageSize?: number;
  /**
   * Extension (not on the platform): most frames one incoming message may arrive in, empty ones
   * included; more close with 1009 (default 131,072).
   */
  maxMessageFragments?: number;
  /**
   * Extension (not on the platform): largest outgoing message in bytes; larger `send`s fail with
   * 401 (default 5,242,864).
   */
  maxSendSize?: number;
  /**
   * Extension (not on the platform): most bytes queued for one client and not yet written (default
   * 64 MiB). A `send` that would exceed it fails with 2302999 and sends nothing; a client whose
   * automatic frames (pongs) push it more than 1 MiB past it has stopped reading and is dropped
   * (its `close` event reports 1006).
   */
  maxBufferedBytes?: number;
  /**
   * Extension (not on the platform): accept permessage-deflate compression (RFC 7692), off by
   * default. `true` accepts the first acceptable offer with the defaults; an object limits
   * what the server does (the four RFC 7692 parameters) and sets `threshold` (messages shorter
   * than it go uncompressed, default 1024 bytes). Offers the server cannot honour are ignored.
   * See docs/options.md.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/** One client connected to a {@linkcode WebSocketServer}. */
export interface WebSocketConnection {
  /** IP address of the client. */
  clientIP: string;
  /** TCP port of the client. */
  clientPort: number;
}

/** A message a {@linkcode WebSocketServer} received. */
export interface WebSocketMessage {
  /** The connection the message came from. */
  clientConnection: WebSocketConnection;
  /** The message: text as `string`, binary as `ArrayBuffer`. */
  data: string | ArrayBuffer;
}

/** Listener of the server's `close` event: the connection that ended and why. */
export type ClientConnectionCloseCallback = (
  clientConnection: WebSocketConnection,
  closeReason: CloseResult,
) => void;

/**
 * Data a server can send: text, or binary as an `ArrayBuffer` or (an extension, not on the
 * platform) a view of one.
 */
export type ServerSendData = string | ArrayBuffer | ArrayBufferView;

/**
 * A WebSocket server, as returned by `createWebSocketServer()`. Failures
 * reject the returned Promise with a `BusinessError`: 401 for bad arguments,
 * 2302002 for a missing certificate file, 2302004 when the address is not
 * on this machine, 2302005 when listening fails otherwise, 2302006 for a
 * connection that is not open, 2302007 when the port is taken.
 *
 * @example
 * ```ts
 * import webSocket from "../../mod.ts";
 * const server = webSocket.createWebSocketServer();
 * server.on("messageReceive", (message) => {
 *   server.send(message.data, message.clientConnection);
 * });
 * // await server.start({ serverIP: "127.0.0.1", serverPort: 8080 });
 * ```
 */
export interface WebSocketServer {
  /** Starts listening; resolves `true` once the port is bound. */
  start(config: WebSocketServerConfig): Promise<boolean>;
  /**
   * Closes every client with 1001 "server is going away", waits (bounded by
   * `closeTimeoutMs`) for them to answer, and releases the port.
   */
  stop(): Promise<boolean>;
  /** The open connections (those that have not started closing). */
  listAllConnections(): WebSocketConnection[];
  /** Sends one message to one client; resolves `true` once it is written. */
  send(data: ServerSendData, connection: WebSocketConnection): Promise<boolean>;
  /** Starts closing one client (default code 1000); resolves `true` once the close frame is written. */
  close(connection: WebSocketConnection, options?: WebSocketCloseOptions): Promise<boolean>;
  /**
   * Extension (not on the platform): where the server listens while it runs (`undefined`
   * otherwise); tells the real port after `serverPort: 0`.
   */
  address(): { serverIP: string; serverPort: number } | undefined;

  /** A client completed the handshake. */
  on(type: "connect", callback: Callback<WebSocketConnection>): void;
  /** A client sent a message. */
  on(type: "messageReceive", callback: Callback<WebSocketMessage>): void;
  /** A client's connection ended (close handshake, failure or lost link). */
  on(type: "close", callback: ClientConnectionCloseCallback): void;
  /** Something went wrong that no Promise reports. */
  on(type: "error", callback: ErrorCallback): void;

  /** Removes one `connect` listener, or all of them. */
  off(type: "connect", callback?: Callback<WebSocketConnection>): void;
  /** Removes one `messageReceive` listener, or all of them. */
  off(type: "messageReceive", callback?: Callback<WebSocketMessage>): void;
  /** Removes one `close` listener, or all of them. */
  off(type: "close", callback?: ClientConnectionCloseCallback): void;
  /** Removes one `error` listener, or all of them. */
  off(type: "error", callback?: ErrorCallback): void;

  // The SDK's static view (ArkTS 1.2, API 23+): one method pair per event, sharing the
  // listener lists of on/off.

  /** Same as `on("connect", callback)` (static view, API 23). */
  onConnect(callback: Callback<WebSocketConnection>): void;
  /** Same as `off("connect", callback)` (static view, API 23). */
  offConnect(callback?: Callback<WebSocketConnection>): void;
  /** Same as `on("messageReceive", callback)` (static view, API 23). */
  onMessageReceive(callback: Callback<WebSocketMessage>): void;
  /** Same as `off("messageReceive", callback)` (static view, API 23). */
  offMessageReceive(callback?: Callback<WebSocketMessage>): void;
  /** Same as `on("close", callback)` (static view, API 26.0.0). */
  onWebSocketServerClose(callback: ClientConnectionCloseCallback): void;
  /** Same as `off("close", callback)` (static view, API 26.0.0). */
  offWebSocketServerClose(callback?: ClientConnectionCloseCallback): void;
  /** Same as `on("error", callback)` (static view, API 23). */
  onWebSocketServerError(callback: ErrorCallback): void;
  /** Same as `off("error", callback)` (static view, API 23). */
  offWebSocketServerError(callback?: ErrorCallback): void;
}
