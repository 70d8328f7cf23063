/**
 * Ambient ArkTS-style declarations for the OpenHarmony WebSocket surface that this
 * library implements (API 6 up to API 26), written for this project.
 *
 * Four module names are declared:
 *
 * - `@ohos.base` — the shared callback and error types;
 * - `@ohos.net.webSocket` — the `webSocket` namespace as its default export (the API 6 style
 *   `import webSocket from '@ohos.net.webSocket'`);
 * - `@kit.NetworkKit` — the same namespace as the named export `webSocket`;
 * - `@kit.BasicServicesKit` — the `@ohos.base` types under the kit name.
 *
 * Every declaration carries `@since` with the first API version that has it. Where the
 * platform documents a loose type (for example `Object` for the `open` event), these
 * declarations give the precise shape the platform actually delivers, so that strict
 * TypeScript can check application code without casts.
 *
 * This file is a global script (no top-level import or export) so that the `declare module`
 * blocks below declare ambient modules rather than augment a module.
 */

/**
 * Basic callback and error types shared by every OpenHarmony API.
 *
 * @since 6
 */
declare module "@ohos.base" {
  /**
   * A listener that is handed one value and returns nothing. `Callback<void>` is a
   * listener that is called without a meaningful value.
   *
   * @typeParam T - type of the value passed to the listener.
   * @since 6
   */
  export type Callback<T> = (data: T) => void;

  /**
   * A listener that is handed an error.
   *
   * @typeParam T - the error type; a {@link BusinessError} unless stated otherwise.
   * @since 6
   */
  export type ErrorCallback<T extends Error = BusinessError> = (err: T) => void;

  /**
   * Node-style completion callback of an asynchronous API: called once with the error and
   * the result. On success the platform calls it as `(undefined, result)`; on failure as
   * `(error, undefined)`. Both parameters are typed without `undefined` (as on the
   * platform), so test the error with `if (!err)` / `if (err)` before using either.
   *
   * @typeParam T - the result type.
   * @typeParam E - the type of the optional `data` carried by the error.
   * @since 6
   */
  export type AsyncCallback<T, E = void> = (err: BusinessError<E>, data: T) => void;

  /**
   * The error object every OpenHarmony API reports: a standard `Error` with a numeric
   * error code (401 parameter error, 201 permission denied, or a module-specific code).
   *
   * @typeParam T - type of the optional extra `data`.
   * @since 6
   */
  export interface BusinessError<T = void> extends Error {
    /**
     * Numeric error code.
     *
     * @since 6
     */
    code: number;

    /**
     * Extra information that some errors carry (for example the HTTP status of a refused
     * WebSocket handshake).
     *
     * @since 6
     */
    data?: T;
  }
}

/**
 * The WebSocket client (API 6) and server (API 19) module.
 *
 * @since 6
 */
declare module "@ohos.net.webSocket" {
  import type { AsyncCallback, Callback, ErrorCallback } from "@ohos.base";

  /**
   * WebSocket client and server APIs. Create a client with {@link webSocket.createWebSocket},
   * subscribe to its events with `on`, then `connect`, `send` and `close` it.
   *
   * @syscap SystemCapability.Communication.NetStack
   * @since 6
   */
  namespace webSocket {
    /**
     * Creates a new WebSocket client. It is not connected until `connect` is called.
     *
     * @returns a client offering connect, send, close, on and off.
     * @syscap SystemCapability.Communication.NetStack
     * @since 6
     */
    export function createWebSocket(): WebSocket;

    /**
     * Creates a new WebSocket server. It does not listen until `start` is called.
     *
     * @returns a server offering start, stop, send, close, listAllConnections, on and off.
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export function createWebSocketServer(): WebSocketServer;

    /**
     * Optional settings for `WebSocket.connect`.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 6
     */
    export interface WebSocketRequestOptions {
      /**
       * Extra HTTP headers sent with the opening handshake, as name/value pairs.
       *
       * @since 6
       */
      header?: Record<string, string>;

      /**
       * Path of a PEM file with the CA certificates to trust for `wss:` URLs. Without it the
       * system CA store is used.
       *
       * @since 11
       */
      caPath?: string;

      /**
       * Client certificate presented for mutual TLS.
       *
       * @since 11
       */
      clientCert?: ClientCert;

      /**
       * When `true`, any server certificate is accepted. For tests only; defaults to `false`.
       *
       * @since 20
       */
      skipServerCertVerification?: boolean;

      /**
       * Proxy to connect through: `'system'`, `'no-proxy'` or an explicit HTTP proxy.
       *
       * @since 12
       */
      proxy?: ProxyConfiguration;

      /**
       * Value of the `Sec-WebSocket-Protocol` request header (a comma-separated list of
       * subprotocols is allowed).
       *
       * @since 12
       */
      protocol?: string;

      /**
       * Seconds between heartbeat pings; 0 turns the heartbeat off. Defaults to 30.
       *
       * @since 21
       */
      pingInterval?: number;

      /**
       * Seconds to wait for the pong that answers a heartbeat ping before the connection is
       * treated as dead. Defaults to 30.
       *
       * @since 21
       */
      pongTimeout?: number;

      /**
       * Oldest TLS version the client accepts for `wss:` URLs.
       *
       * @since 26
       */
      minSupportTlsProtocol?: TlsProtocol;

      /**
       * When `true`, a non-default port is kept in the `Origin`/`Host` values sent with the
       * handshake.
       *
       * @since 26
       */
      supportOriginPort?: boolean;
    }

    /**
     * TLS protocol versions, oldest first.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 26
     */
    export enum TlsProtocol {
      /**
       * TLS 1.0.
       *
       * @since 26
       */
      TLS_V_1_0 = 0,

      /**
       * TLS 1.1.
       *
       * @since 26
       */
      TLS_V_1_1 = 1,

      /**
       * TLS 1.2.
       *
       * @since 26
       */
      TLS_V_1_2 = 2,

      /**
       * TLS 1.3.
       *
       * @since 26
       */
      TLS_V_1_3 = 3,
    }

    /**
     * Client certificate (and its private key) for mutual TLS.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 11
     */
    export interface ClientCert {
      /**
       * Path of the PEM certificate file.
       *
       * @since 11
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 11
       */
      keyPath: string;

      /**
       * Password of the private key, when it is encrypted.
       *
       * @since 11
       */
      keyPassword?: string;
    }

    /**
     * An explicit HTTP proxy, reached with `CONNECT`.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 12
     */
    export interface HttpProxy {
      /**
       * Host name or IP address of the proxy.
       *
       * @since 12
       */
      host: string;

      /**
       * TCP port of the proxy.
       *
       * @since 12
       */
      port: number;

      /**
       * User name for proxy authentication.
       *
       * @since 12
       */
      username?: string;

      /**
       * Password for proxy authentication.
       *
       * @since 12
       */
      password?: string;

      /**
       * Hosts reached directly, without the proxy.
       *
       * @since 12
       */
      exclusionList: string[];
    }

    /**
     * Proxy choice: `'system'` uses the system proxy settings, `'no-proxy'` connects
     * directly, an {@link HttpProxy} names the proxy to use.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 12
     */
    export type ProxyConfiguration = "system" | "no-proxy" | HttpProxy;

    /**
     * Optional close code and reason for `WebSocket.close`.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 6
     */
    export interface WebSocketCloseOptions {
      /**
       * Close code sent to the peer (1000 normal closure, 1001 going away, 3000-4999 for
       * applications). Defaults to 1000.
       *
       * @since 6
       */
      code?: number;

      /**
       * Close reason sent to the peer, at most 123 bytes in UTF-8. Defaults to `""`.
       *
       * @since 6
       */
      reason?: string;
    }

    /**
     * Code and reason of a finished connection, as reported by the `close` events.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 10
     */
    export interface CloseResult {
      /**
       * Close code (1006 when the connection dropped without a close handshake).
       *
       * @since 10
       */
      code: number;

      /**
       * Close reason.
       *
       * @since 10
       */
      reason: string;
    }

    /**
     * Value of the client's `open` event: the status line of the accepted handshake
     * response, for example `{ status: 101, message: "Switching Protocols" }`. The platform
     * documents this value only as `Object`; this is its actual shape, so `value.status` and
     * `value['status']` both type-check and code annotated with `value: Object` still does.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 6
     */
    export interface OpenResult {
      /**
       * HTTP status code of the handshake response (101).
       *
       * @since 6
       */
      status: number;

      /**
       * HTTP reason phrase of the handshake response.
       *
       * @since 6
       */
      message: string;
    }

    /**
     * Headers of the handshake response, keyed by lower-case header name. A header that
     * occurs more than once may be given as a list.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 12
     */
    export type ResponseHeaders = {
      [name: string]: string | string[] | undefined;
    };

    /**
     * Value of the client's `openInfo` event.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 26
     */
    export interface WebSocketOpenInfo {
      /**
       * HTTP status code of the handshake response (101).
       *
       * @since 26
       */
      status: number;

      /**
       * HTTP reason phrase of the handshake response.
       *
       * @since 26
       */
      message: string;

      /**
       * Subprotocol chosen by the server, when it chose one.
       *
       * @since 26
       */
      protocol?: string;
    }

    /**
     * A WebSocket client, made by {@link webSocket.createWebSocket}. Every asynchronous
     * method has a callback form (chosen when the last argument is a function) and a
     * Promise form. The error codes listed with `@throws` reach the caller through the
     * callback or the rejected Promise.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 6
     */
    export interface WebSocket {
      /**
       * Opens a connection to a `ws:` or `wss:` URL.
       *
       * @param url - the server URL.
       * @param callback - called with `true` once the connection is open, or with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6
       */
      connect(url: string, callback: AsyncCallback<boolean>): void;

      /**
       * Opens a connection to a `ws:` or `wss:` URL with extra options.
       *
       * @param url - the server URL.
       * @param options - headers, TLS, proxy, subprotocol and heartbeat settings.
       * @param callback - called with `true` once the connection is open, or with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6
       */
      connect(
        url: string,
        options: WebSocketRequestOptions,
        callback: AsyncCallback<boolean>,
      ): void;

      /**
       * Opens a connection to a `ws:` or `wss:` URL, with optional extra options.
       *
       * @param url - the server URL.
       * @param options - headers, TLS, proxy, subprotocol and heartbeat settings.
       * @returns resolves to `true` once the connection is open; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6
       */
      connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;

      /**
       * Sends one message: a string as a text frame, an `ArrayBuffer` (API 8+) as a binary
       * frame.
       *
       * @param data - the message.
       * @param callback - called with `true` once the message is handed to the network, or
       *   with the error (-1 when the connection is not open).
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters or message too large.
       * @since 6
       */
      send(data: string | ArrayBuffer, callback: AsyncCallback<boolean>): void;

      /**
       * Sends one message: a string as a text frame, an `ArrayBuffer` (API 8+) as a binary
       * frame.
       *
       * @param data - the message.
       * @returns resolves to `true` once the message is handed to the network; rejects with
       *   the error (-1 when the connection is not open).
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters or message too large.
       * @since 6
       */
      send(data: string | ArrayBuffer): Promise<boolean>;

      /**
       * Closes the connection with code 1000 and an empty reason.
       *
       * @param callback - called with `true` on success, or with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @since 6
       */
      close(callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection with the given code and reason.
       *
       * @param options - close code and reason.
       * @param callback - called with `true` on success, or with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 6
       */
      close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection, with code 1000 and an empty reason unless `options` says
       * otherwise.
       *
       * @param options - close code and reason.
       * @returns resolves to `true` on success; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 6
       */
      close(options?: WebSocketCloseOptions): Promise<boolean>;

      /**
       * Listens for the connection being opened.
       *
       * @param type - `'open'`.
       * @param callback - handed the status line of the handshake response.
       * @since 6
       */
      on(type: "open", callback: AsyncCallback<OpenResult>): void;

      /**
       * Listens for messages from the server: text as `string`, binary (API 8+) as
       * `ArrayBuffer`.
       *
       * @param type - `'message'`.
       * @param callback - handed each message.
       * @since 6
       */
      on(type: "message", callback: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Listens for the connection being closed. The value was the inline type
       * `{ code: number, reason: string }` before {@link CloseResult} got its name in API 10.
       *
       * @param type - `'close'`.
       * @param callback - handed the close code and reason.
       * @since 6
       */
      on(type: "close", callback: AsyncCallback<CloseResult>): void;

      /**
       * Listens for errors (failed handshake, network or protocol failure).
       *
       * @param type - `'error'`.
       * @param callback - handed the error.
       * @since 6
       */
      on(type: "error", callback: ErrorCallback): void;

      /**
       * Listens for the end of each received message (called after its `message` event).
       *
       * @param type - `'dataEnd'`.
       * @param callback - called without a value.
       * @since 11
       */
      on(type: "dataEnd", callback: Callback<void>): void;

      /**
       * Listens for the headers of the handshake response (delivered before `open`).
       *
       * @param type - `'headerReceive'`.
       * @param callback - handed the response headers.
       * @since 12
       */
      on(type: "headerReceive", callback: Callback<ResponseHeaders>): void;

      /**
       * Listens for details of the opened connection, including the chosen subprotocol
       * (delivered after `open`).
       *
       * @param type - `'openInfo'`.
       * @param callback - handed the handshake status and subprotocol.
       * @since 26
       */
      on(type: "openInfo", callback: Callback<WebSocketOpenInfo>): void;

      /**
       * Stops listening for the `open` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'open'`.
       * @param callback - the listener given to `on`.
       * @since 6
       */
      off(type: "open", callback?: AsyncCallback<OpenResult>): void;

      /**
       * Stops listening for the `message` event: removes `callback`, or every listener when
       * it is left out.
       *
       * @param type - `'message'`.
       * @param callback - the listener given to `on`.
       * @since 6
       */
      off(type: "message", callback?: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Stops listening for the `close` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'close'`.
       * @param callback - the listener given to `on`.
       * @since 6
       */
      off(type: "close", callback?: AsyncCallback<CloseResult>): void;

      /**
       * Stops listening for the `error` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'error'`.
       * @param callback - the listener given to `on`.
       * @since 6
       */
      off(type: "error", callback?: ErrorCallback): void;

      /**
       * Stops listening for the `dataEnd` event: removes `callback`, or every listener when
       * it is left out.
       *
       * @param type - `'dataEnd'`.
       * @param callback - the listener given to `on`.
       * @since 11
       */
      off(type: "dataEnd", callback?: Callback<void>): void;

      /**
       * Stops listening for the `headerReceive` event: removes `callback`, or every listener
       * when it is left out.
       *
       * @param type - `'headerReceive'`.
       * @param callback - the listener given to `on`.
       * @since 12
       */
      off(type: "headerReceive", callback?: Callback<ResponseHeaders>): void;

      /**
       * Stops listening for the `openInfo` event: removes `callback`, or every listener when
       * it is left out.
       *
       * @param type - `'openInfo'`.
       * @param callback - the listener given to `on`.
       * @since 26
       */
      off(type: "openInfo", callback?: Callback<WebSocketOpenInfo>): void;

      /**
       * Per-event form of `on('open', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - handed the status line of the handshake response.
       * @since 23
       */
      onOpen(callback: AsyncCallback<OpenResult>): void;

      /**
       * Per-event form of `off('open', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offOpen(callback?: AsyncCallback<OpenResult>): void;

      /**
       * Per-event form of `on('message', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - handed each message.
       * @since 23
       */
      onMessage(callback: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Per-event form of `off('message', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offMessage(callback?: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Per-event form of `on('close', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - handed the close code and reason.
       * @since 23
       */
      onClose(callback: AsyncCallback<CloseResult>): void;

      /**
       * Per-event form of `off('close', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offClose(callback?: AsyncCallback<CloseResult>): void;

      /**
       * Per-event form of `on('error', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - handed the error.
       * @since 23
       */
      onError(callback: ErrorCallback): void;

      /**
       * Per-event form of `off('error', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offError(callback?: ErrorCallback): void;

      /**
       * Per-event form of `on('dataEnd', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - called without a value.
       * @since 23
       */
      onDataEnd(callback: Callback<void>): void;

      /**
       * Per-event form of `off('dataEnd', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offDataEnd(callback?: Callback<void>): void;

      /**
       * Per-event form of `on('headerReceive', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - handed the response headers.
       * @since 23
       */
      onHeaderReceive(callback: Callback<ResponseHeaders>): void;

      /**
       * Per-event form of `off('headerReceive', callback)` (ArkTS 1.2 static style).
       *
       * @param callback - the listener to remove; every listener when left out.
       * @since 23
       */
      offHeaderReceive(callback?: Callback<ResponseHeaders>): void;
    }

    /**
     * Certificate and private key a server presents when it serves `wss:`.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export interface ServerCert {
      /**
       * Path of the PEM certificate (chain) file.
       *
       * @since 19
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 19
       */
      keyPath: string;
    }

    /**
     * Settings for `WebSocketServer.start`.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export interface WebSocketServerConfig {
      /**
       * Local address to listen on. Defaults to `"0.0.0.0"`.
       *
       * @since 19
       */
      serverIP?: string;

      /**
       * TCP port to listen on.
       *
       * @since 19
       */
      serverPort: number;

      /**
       * Certificate and key; when given the server speaks TLS (`wss:`).
       *
       * @since 19
       */
      serverCert?: ServerCert;

      /**
       * Most clients connected at once; further handshakes are refused. The platform caps
       * it at 10.
       *
       * @since 19
       */
      maxConcurrentClientsNumber: number;

      /**
       * Subprotocol the server accepts.
       *
       * @since 19
       */
      protocol?: string;

      /**
       * Most connections from one client IP address; further handshakes are refused. The
       * platform caps it at 10.
       *
       * @since 19
       */
      maxConnectionsForOneClient: number;
    }

    /**
     * One client connected to a {@link WebSocketServer}.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export interface WebSocketConnection {
      /**
       * IP address of the client.
       *
       * @since 19
       */
      clientIP: string;

      /**
       * TCP port of the client.
       *
       * @since 19
       */
      clientPort: number;
    }

    /**
     * A message a {@link WebSocketServer} received.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export interface WebSocketMessage {
      /**
       * The connection the message came from.
       *
       * @since 19
       */
      clientConnection: WebSocketConnection;

      /**
       * The message: text as `string`, binary as `ArrayBuffer`.
       *
       * @since 19
       */
      data: string | ArrayBuffer;
    }

    /**
     * Listener of the server's `close` event: handed the connection that ended and the
     * close code and reason.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export type ClientConnectionCloseCallback = (
      clientConnection: WebSocketConnection,
      closeReason: CloseResult,
    ) => void;

    /**
     * A WebSocket server, made by {@link webSocket.createWebSocketServer}. The error codes
     * listed with `@throws` reach the caller through the rejected Promise.
     *
     * @syscap SystemCapability.Communication.NetStack
     * @since 19
     */
    export interface WebSocketServer {
      /**
       * Starts listening.
       *
       * @param config - address, port, TLS certificate and connection limits.
       * @returns resolves to `true` once the server listens; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302004 - cannot listen on the given interface.
       * @throws {BusinessError} 2302005 - cannot listen on the port.
       * @throws {BusinessError} 2302007 - the port is already in use.
       * @since 19
       */
      start(config: WebSocketServerConfig): Promise<boolean>;

      /**
       * Closes every client connection (code 1001) and stops listening.
       *
       * @returns resolves to `true` once stopped; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @since 19
       */
      stop(): Promise<boolean>;

      /**
       * Lists the open client connections.
       *
       * @returns one entry per open connection.
       * @since 19
       */
      listAllConnections(): WebSocketConnection[];

      /**
       * Sends one message to one client.
       *
       * @param data - the message: a string as a text frame, an `ArrayBuffer` as binary.
       * @param connection - the client to send to.
       * @returns resolves to `true` once sent; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 19
       */
      send(data: string | ArrayBuffer, connection: WebSocketConnection): Promise<boolean>;

      /**
       * Closes one client connection.
       *
       * @param connection - the client to close.
       * @param options - close code and reason; 1000 and `""` when left out.
       * @returns resolves to `true` once closed; rejects with the error.
       * @permission ohos.permission.INTERNET
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 19
       */
      close(connection: WebSocketConnection, options?: WebSocketCloseOptions): Promise<boolean>;

      /**
       * Listens for clients that completed the handshake.
       *
       * @param type - `'connect'`.
       * @param callback - handed the new connection.
       * @since 19
       */
      on(type: "connect", callback: Callback<WebSocketConnection>): void;

      /**
       * Listens for messages from clients.
       *
       * @param type - `'messageReceive'`.
       * @param callback - handed each message with its connection.
       * @since 19
       */
      on(type: "messageReceive", callback: Callback<WebSocketMessage>): void;

      /**
       * Listens for clients leaving.
       *
       * @param type - `'close'`.
       * @param callback - handed the connection and its close code and reason.
       * @since 19
       */
      on(type: "close", callback: ClientConnectionCloseCallback): void;

      /**
       * Listens for server errors.
       *
       * @param type - `'error'`.
       * @param callback - handed the error.
       * @since 19
       */
      on(type: "error", callback: ErrorCallback): void;

      /**
       * Stops listening for the `connect` event: removes `callback`, or every listener when
       * it is left out.
       *
       * @param type - `'connect'`.
       * @param callback - the listener given to `on`.
       * @since 19
       */
      off(type: "connect", callback?: Callback<WebSocketConnection>): void;

      /**
       * Stops listening for the `messageReceive` event: removes `callback`, or every
       * listener when it is left out.
       *
       * @param type - `'messageReceive'`.
       * @param callback - the listener given to `on`.
       * @since 19
       */
      off(type: "messageReceive", callback?: Callback<WebSocketMessage>): void;

      /**
       * Stops listening for the `close` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'close'`.
       * @param callback - the listener given to `on`.
       * @since 19
       */
      off(type: "close", callback?: ClientConnectionCloseCallback): void;

      /**
       * Stops listening for the `error` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'error'`.
       * @param callback - the listener given to `on`.
       * @since 19
       */
      off(type: "error", callback?: ErrorCallback): void;
    }
  }

  export default webSocket;
}

/**
 * Network kit: the kit-style name for the network modules; here, `webSocket`.
 *
 * @since 11
 */
declare module "@kit.NetworkKit" {
  import webSocket from "@ohos.net.webSocket";

  export { webSocket };
}

/**
 * Basic services kit: the kit-style name for the `@ohos.base` types.
 *
 * @since 11
 */
declare module "@kit.BasicServicesKit" {
  export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from "@ohos.base";
}
