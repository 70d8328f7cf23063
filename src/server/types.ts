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
   * Extension (not on the platform): Linux `SO_REUSEPORT` (default `false`). Several processes
   * may then `start` on the same `serverIP` and `serverPort`, and the kernel spreads new
   * connections over them, so a server can use every core (docs/server.md, "Every core").
   * Node needs 22.12 or later; on Deno, `Deno.listen`'s `reusePort` needs `--unstable-net`, and
   * without it the server binds through Deno's `node:net`, which sets the option unflagged.
   */
  extReusePort?: boolean;
  /**
   * Extension (not on the platform): the origins (`scheme://host[:port]`, e.g.
   * `"https://chat.example"`) whose pages may open a WebSocket here. A request whose `Origin`
   * header is another origin (or `null`, or malformed) is refused with 403 before
   * {@linkcode WebSocketServerConfig.extUpgradeGate} runs: the guard against cross-site WebSocket
   * hijacking. A request without `Origin` (not a browser) is let through. Default: no check.
   */
  extAllowedOrigins?: string[];
  /**
   * Extension (not on the platform): decides each upgrade that passed the RFC 6455 checks (and
   * the Origin allow-list), from its path, query, headers, cookies, Origin and address; it may
   * accept with response headers and a subprotocol of its choosing, or refuse with a status,
   * headers and a body. It may return a Promise (the handshake deadline still runs). A gate that
   * throws, rejects or returns something invalid refuses with 500 and raises `error`.
   */
  extUpgradeGate?: UpgradeGate;
  /**
   * Extension (not on the platform): accept permessage-deflate compression (RFC 7692), off by
   * default. `true` accepts the first acceptable offer with the defaults; an object limits
   * what the server does (the four RFC 7692 parameters) and sets `threshold` (messages shorter
   * than it go uncompressed, default 1024 bytes). Offers the server cannot honour are ignored.
   * See docs/options.md.
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

/**
 * Extension (not on the platform): the parsed query of an upgrade request: the part of
 * `URLSearchParams` a gate reads, declared here so the published types need no DOM library.
 */
export interface UpgradeQuery {
  /** The first value of `name`, or `null`. */
  get(name: string): string | null;
  /** Every value of `name`. */
  getAll(name: string): string[];
  /** True when `name` occurs. */
  has(name: string): boolean;
}

/**
 * Extension (not on the platform): what an {@linkcode UpgradeGate} learns of an upgrade request.
 */
export interface UpgradeRequestInfo {
  /** Request target as sent: path and query, e.g. `/chat?room=1`. */
  readonly target: string;
  /** The path part of the target, e.g. `/chat`. */
  readonly pathname: string;
  /** The query of the target, parsed (a `URLSearchParams`). */
  readonly query: UpgradeQuery;
  /** Headers by lower-case name; a repeated header is an array of its values. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Cookies of the `Cookie` header(s) by name, values as sent (the first of a repeated name). */
  readonly cookies: Readonly<Record<string, string>>;
  /** The `Origin` header, if any (browsers always send it). */
  readonly origin: string | undefined;
  /** Subprotocols the client offered, in its order of preference. */
  readonly protocols: readonly string[];
  /** The client's address; on accept, the same object names the connection in events. */
  readonly connection: WebSocketConnection;
}

/** Extension (not on the platform): response headers; an array sends the header once per value. */
export type UpgradeHeaders = Record<string, string | string[]>;

/**
 * Extension (not on the platform): accept an upgrade. `headers` go into the 101 response (e.g.
 * `Set-Cookie`); handshake headers (`Upgrade`, `Connection`, `Sec-WebSocket-*`) cannot be set.
 * `protocol` is the subprotocol to answer with: one the client offered, `null` for none, or
 * absent for the server's usual choice from `WebSocketServerConfig.protocol`.
 */
export interface UpgradeAccept {
  /** `true`: accept. */
  accept: true;
  /** Extra headers of the 101 response. */
  headers?: UpgradeHeaders;
  /** The subprotocol to answer with (`null`: none; absent: the `protocol` config's choice). */
  protocol?: string | null;
}

/**
 * Extension (not on the platform): refuse an upgrade with `status` (300-599, default 403), extra
 * `headers` (e.g. `WWW-Authenticate`, `Location`) and a plain-text `body`. No `connect` event.
 */
export interface UpgradeRefuse {
  /** `false`: refuse. */
  accept: false;
  /** HTTP status of the refusal, 300-599 (default 403). */
  status?: number;
  /** Extra response headers. */
  headers?: UpgradeHeaders;
  /** Plain-text body (default: the status line's text). */
  body?: string;
}

/**
 * Extension (not on the platform): the verdict of an {@linkcode UpgradeGate}; `true` accepts as
 * the server would without a gate, `false` refuses with 403.
 */
export type UpgradeVerdict = boolean | UpgradeAccept | UpgradeRefuse;

/** Extension (not on the platform): see {@linkcode WebSocketServerConfig.extUpgradeGate}. */
export type UpgradeGate = (request: UpgradeRequestInfo) => UpgradeVerdict | Promise<UpgradeVerdict>;

/**
 * Extension (not on the platform): the settings of {@linkcode WebSocketServer.extAttach}: those
 * of `start` without the ones about the port, which belongs to the HTTP server.
 */
export type WebSocketAttachConfig = Omit<
  WebSocketServerConfig,
  "serverIP" | "serverPort" | "serverCert" | "extReusePort"
>;

/**
 * Extension (not on the platform): the parts of a Node `http.IncomingMessage` an upgrade needs.
 */
export interface UpgradeRequestHead {
  /** Request method. */
  readonly method?: string;
  /** Request target. */
  readonly url?: string;
  /** HTTP version, e.g. `1.1`. */
  readonly httpVersion: string;
  /** Header names and values as received, alternating. */
  readonly rawHeaders: readonly string[];
}

/**
 * Extension (not on the platform): the socket of an HTTP server's `upgrade` event (a Node
 * `net.Socket` or `tls.TLSSocket`; also what Deno's and Bun's `node:http` hand out).
 */
export interface UpgradeSocket {
  /** Registers a listener. */
  on(event: string, listener: (...args: never[]) => void): unknown;
  /** Puts bytes back at the front of the read queue. */
  unshift(chunk: Uint8Array): void;
  /** Queues bytes. */
  write(data: Uint8Array, callback: (error?: Error | null) => void): boolean;
  /** Sends FIN after the queued writes. */
  end(): unknown;
  /** Releases the socket at once. */
  destroy(): unknown;
  /** Lets `data` events flow. */
  resume(): unknown;
  /** Holds writes until `uncork`. */
  cork(): void;
  /** Flushes held writes. */
  uncork(): void;
  /** True once destroyed. */
  readonly destroyed: boolean;
  /** Peer address. */
  readonly remoteAddress?: string;
  /** Peer port. */
  readonly remotePort?: number;
  /** Disables Nagle's algorithm (TCP sockets). */
  setNoDelay?(noDelay: boolean): unknown;
  /** TCP keep-alive (TCP sockets). */
  setKeepAlive?(enable: boolean, initialDelay: number): unknown;
}

/** Extension (not on the platform): the listener of an HTTP server's `upgrade` event. */
export type UpgradeListener = (
  request: UpgradeRequestHead,
  socket: UpgradeSocket,
  head: Uint8Array,
) => void;

/**
 * Extension (not on the platform): an HTTP server whose `upgrade` events a WebSocket server can
 * take over — Node's `http.Server` / `https.Server`, and the same from `node:http` on Deno and Bun.
 */
export interface UpgradeSource {
  /** Adds an `upgrade` listener. */
  on(event: "upgrade", listener: UpgradeListener): unknown;
  /** Removes an `upgrade` listener. */
  off(event: "upgrade", listener: UpgradeListener): unknown;
  /** Where the HTTP server listens (Node's `server.address()`). */
  address?(): unknown;
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
  /**
   * Extension (not on the platform): serves WebSocket on the port of an HTTP server the
   * application already runs, instead of `start`: every `upgrade` event of `httpServer` is
   * taken over and goes through the same RFC 6455 checks, limits, Origin allow-list and gate as
   * on a port of our own; plain HTTP requests stay with the HTTP server. With `null`, upgrades
   * come only through {@linkcode WebSocketServer.extHandleUpgrade} (routing by path yourself).
   * Resolves `true`; `stop()` detaches (the HTTP server keeps running) and closes the clients.
   */
  extAttach(httpServer: UpgradeSource | null, config?: WebSocketAttachConfig): Promise<boolean>;
  /**
   * Extension (not on the platform): hands one `upgrade` event (request, socket, head) to a
   * server running after {@linkcode WebSocketServer.extAttach}; returns `false` (and answers 503)
   * when it is not attached and running.
   */
  extHandleUpgrade(request: UpgradeRequestHead, socket: UpgradeSocket, head: Uint8Array): boolean;
  /**
   * Extension (not on the platform): bytes queued for `connection` and not yet handed to the
   * operating system (what `maxBufferedBytes` limits); 0 once it drained. A connection that is
   * not open is 2302006.
   */
  extBufferedAmount(connection: WebSocketConnection): number;
  /**
   * Extension (not on the platform): resolves `true` once everything queued for `connection` so
   * far has been handed to the operating system, so a broadcaster can wait instead of hitting
   * `maxBufferedBytes`; rejects (2302999) if the connection fails first, 2302006 if it is not
   * open.
   */
  extDrained(connection: WebSocketConnection): Promise<boolean>;

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
