/**
 * Ambient declarations of the OpenHarmony WebSocket surface in the SDK's **dynamic** view: the
 * ArkTS that applications compile today with a TypeScript-like checker (API 6 up to API 26).
 * Written for this project; the names, members, optionality, types and callback shapes follow
 * the platform's own SDK declarations, member by member.
 *
 * Module names declared here:
 *
 * - `@ohos.base` — the shared callback and error types;
 * - `@ohos.net.webSocket` — the `webSocket` namespace as its default export;
 * - `@ohos.net.connection` — the `connection` namespace, only as far as the WebSocket surface
 *   needs it (`connection.HttpProxy`);
 * - `@kit.NetworkKit` — `webSocket` and `connection` as named exports;
 * - `@kit.BasicServicesKit` — the `@ohos.base` types under the kit name.
 *
 * Every declaration carries `@since <level> dynamic`, the API level it appeared at in this view.
 * Members the SDK declares only for ArkTS 1.2 (`onOpen`, `onWebSocketClose`, ...) are not here:
 * they live in `ohos.static.d.ts`, the static view. In one place these declarations are
 * deliberately more precise than the SDK (the `open` event's value, typed
 * `{ status, message }` where the SDK says `Object`); that only lets more correct code through
 * and is listed in the project's `docs/differences.md`.
 *
 * This file is a global script (no top-level import or export) so that the `declare module`
 * blocks below declare ambient modules rather than augment a module.
 */

/**
 * Basic callback and error types shared by every OpenHarmony API.
 */
declare module "@ohos.base" {
  /**
   * A listener that is handed one value and returns nothing. `Callback<void>` is a listener
   * called without a meaningful value.
   *
   * @typeParam T - type of the value passed to the listener.
   * @since 6 dynamic
   */
  export interface Callback<T> {
    /**
     * Receives the value.
     *
     * @param data - the value.
     * @since 6 dynamic
     */
    (data: T): void;
  }

  /**
   * A listener that is handed an error.
   *
   * @typeParam T - the error type; a {@link BusinessError} unless stated otherwise.
   * @since 6 dynamic
   */
  export interface ErrorCallback<T extends Error = BusinessError> {
    /**
     * Receives the error.
     *
     * @param err - the error.
     * @since 6 dynamic
     */
    (err: T): void;
  }

  /**
   * Completion callback of an asynchronous API, called once with the error and the result. On
   * success it is called as `(undefined, result)`, on failure as `(error, undefined)`. Neither
   * parameter is typed with `undefined` (as on the platform), so test the error with
   * `if (err)` before using either.
   *
   * @typeParam T - the result type.
   * @typeParam E - the type of the optional `data` carried by the error.
   * @since 6 dynamic
   */
  export interface AsyncCallback<T, E = void> {
    /**
     * Receives the outcome.
     *
     * @param err - the error, or `undefined` on success.
     * @param data - the result, or `undefined` on failure.
     * @since 6 dynamic
     */
    (err: BusinessError<E>, data: T): void;
  }

  /**
   * The error every OpenHarmony API reports: a standard `Error` with a numeric code (401 bad
   * parameter, 201 permission denied, or a code of the module).
   *
   * @typeParam T - type of the optional extra `data`.
   * @since 6 dynamic
   */
  export interface BusinessError<T = void> extends Error {
    /**
     * Numeric error code.
     *
     * @since 6 dynamic
     */
    code: number;

    /**
     * Extra information some errors carry (for example the HTTP status of a refused WebSocket
     * handshake).
     *
     * @since 9 dynamic
     */
    data?: T;
  }
}

/**
 * Network connection management. Only the part the WebSocket surface refers to is declared
 * here: `connection.HttpProxy`, the type of an explicit proxy.
 */
declare module "@ohos.net.connection" {
  /**
   * Network connection management (declared here only as far as `HttpProxy`).
   *
   * @since 8 dynamic
   */
  namespace connection {
    /**
     * An HTTP proxy server and the hosts that bypass it.
     *
     * @since 10 dynamic
     */
    export interface HttpProxy {
      /**
       * Host name or IP address of the proxy.
       *
       * @since 10 dynamic
       */
      host: string;

      /**
       * TCP port of the proxy.
       *
       * @since 10 dynamic
       */
      port: number;

      /**
       * User name for proxy authentication.
       *
       * @since 12 dynamic
       */
      username?: string;

      /**
       * Password for proxy authentication.
       *
       * @since 12 dynamic
       */
      password?: string;

      /**
       * Hosts reached directly, without the proxy (`*` alone matches every host).
       *
       * @since 10 dynamic
       */
      exclusionList: Array<string>;
    }
  }

  export default connection;
}

/**
 * The WebSocket client (API 6) and server (API 19) module.
 */
declare module "@ohos.net.webSocket" {
  import type { AsyncCallback, Callback, ErrorCallback } from "@ohos.base";
  import type connection from "@ohos.net.connection";

  /**
   * WebSocket client and server APIs. Create a client with {@link webSocket.createWebSocket},
   * subscribe to its events with `on`, then `connect`, `send` and `close` it.
   *
   * @since 6 dynamic
   */
  namespace webSocket {
    /**
     * An explicit HTTP proxy: the network module's `connection.HttpProxy`.
     *
     * @since 12 dynamic
     */
    export type HttpProxy = connection.HttpProxy;

    /**
     * Creates a new WebSocket client. It is not connected until `connect` is called.
     *
     * @returns a client offering connect, send, close, on and off.
     * @since 6 dynamic
     */
    export function createWebSocket(): WebSocket;

    /**
     * Optional settings for `WebSocket.connect`.
     *
     * @since 6 dynamic
     */
    export interface WebSocketRequestOptions {
      /**
       * Extra HTTP headers for the opening handshake: each enumerable property is a header
       * name, each non-empty string value its value.
       *
       * @since 6 dynamic
       */
      // deno-lint-ignore ban-types -- the SDK's type, kept so that exactly its callers compile
      header?: Object;

      /**
       * Path of a PEM file with the CA certificates to trust for `wss:` URLs. Without it the
       * system CA store is used.
       *
       * @since 11 dynamic
       */
      caPath?: string;

      /**
       * When `true`, any server certificate is accepted. For tests only; defaults to `false`.
       *
       * @since 20 dynamic
       */
      skipServerCertVerification?: boolean;

      /**
       * Client certificate presented for mutual TLS.
       *
       * @since 11 dynamic
       */
      clientCert?: ClientCert;

      /**
       * Proxy to connect through: `'system'`, `'no-proxy'` or an explicit HTTP proxy.
       *
       * @since 12 dynamic
       */
      proxy?: ProxyConfiguration;

      /**
       * Value of the `Sec-WebSocket-Protocol` request header (a comma-separated list of
       * subprotocols is allowed).
       *
       * @since 12 dynamic
       */
      protocol?: string;

      /**
       * Seconds between heartbeat pings; 0 turns the heartbeat off. Defaults to 30.
       *
       * @since 21 dynamic
       */
      pingInterval?: number;

      /**
       * Seconds to wait for the pong that answers a heartbeat ping before the connection is
       * treated as dead; at most `pingInterval`. Defaults to 30.
       *
       * @since 21 dynamic
       */
      pongTimeout?: number;

      /**
       * Oldest TLS version the client accepts for `wss:` URLs.
       *
       * @since 26.0.0 dynamic
       */
      minSupportTlsProtocol?: TlsProtocol;

      /**
       * When `true`, a non-default port is kept in the `Origin` value sent with the handshake.
       *
       * @since 26.0.0 dynamic
       */
      supportOriginPort?: boolean;
    }

    /**
     * Proxy choice: `'system'` uses the system proxy settings, `'no-proxy'` connects directly,
     * an {@link HttpProxy} names the proxy to use.
     *
     * @since 12 dynamic
     */
    export type ProxyConfiguration = "system" | "no-proxy" | HttpProxy;

    /**
     * Client certificate (and its private key) for mutual TLS.
     *
     * @since 11 dynamic
     */
    export interface ClientCert {
      /**
       * Path of the PEM certificate file.
       *
       * @since 11 dynamic
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 11 dynamic
       */
      keyPath: string;

      /**
       * Password of the private key, when it is encrypted.
       *
       * @since 11 dynamic
       */
      keyPassword?: string;
    }

    /**
     * Optional close code and reason for `WebSocket.close`.
     *
     * @since 6 dynamic
     */
    export interface WebSocketCloseOptions {
      /**
       * Close code sent to the peer (1000 normal closure, 1001 going away, 3000-4999 for
       * applications). Defaults to 1000.
       *
       * @since 6 dynamic
       */
      code?: number;

      /**
       * Close reason sent to the peer, at most 123 bytes in UTF-8. Defaults to `""`.
       *
       * @since 6 dynamic
       */
      reason?: string;
    }

    /**
     * Code and reason of a finished connection, as the `close` events report them.
     *
     * @since 10 dynamic
     */
    export interface CloseResult {
      /**
       * Close code (1006 when the connection dropped without a close handshake).
       *
       * @since 10 dynamic
       */
      code: number;

      /**
       * Close reason.
       *
       * @since 10 dynamic
       */
      reason: string;
    }

    /**
     * Value of the client's `openInfo` event: the status line of the accepted handshake and
     * the subprotocol the server chose.
     *
     * @since 26.0.0 dynamic
     */
    export interface WebSocketOpenInfo {
      /**
       * HTTP status code of the handshake response (101).
       *
       * @since 26.0.0 dynamic
       */
      status: number;

      /**
       * HTTP reason phrase of the handshake response.
       *
       * @since 26.0.0 dynamic
       */
      message: string;

      /**
       * Subprotocol chosen by the server, when it chose one.
       *
       * @since 26.0.0 dynamic
       */
      protocol?: string;
    }

    /**
     * Headers of the handshake response, keyed by lower-case header name. A header that occurs
     * more than once may be given as a list.
     *
     * @since 12 dynamic
     */
    export type ResponseHeaders = {
      [name: string]: string | string[] | undefined;
    };

    /**
     * A WebSocket client, made by {@link webSocket.createWebSocket}. Every asynchronous method
     * has a callback form (chosen when the last argument is a function) and a Promise form.
     * The error codes listed with `@throws` reach the caller through the callback or the
     * rejected Promise.
     *
     * @since 6 dynamic
     */
    export interface WebSocket {
      /**
       * Opens a connection to a `ws:` or `wss:` URL.
       *
       * @param url - the server URL.
       * @param callback - called with `true` once the connection is open, or with the error.
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6 dynamic
       */
      connect(url: string, callback: AsyncCallback<boolean>): void;

      /**
       * Opens a connection to a `ws:` or `wss:` URL with extra options.
       *
       * @param url - the server URL.
       * @param options - headers, TLS, proxy, subprotocol and heartbeat settings.
       * @param callback - called with `true` once the connection is open, or with the error.
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6 dynamic
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
       * @throws {BusinessError} 401 - bad parameters.
       * @throws {BusinessError} 2302001 - bad URL.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302003 - already connected.
       * @since 6 dynamic
       */
      connect(url: string, options?: WebSocketRequestOptions): Promise<boolean>;

      /**
       * Sends one message: a string as a text frame, an `ArrayBuffer` (API 8+) as a binary
       * frame.
       *
       * @param data - the message.
       * @param callback - called with `true` once the message is handed to the network, or
       *   with the error (-1 when the connection is not open).
       * @throws {BusinessError} 401 - bad parameters or message too large.
       * @since 6 dynamic
       */
      send(data: string | ArrayBuffer, callback: AsyncCallback<boolean>): void;

      /**
       * Sends one message: a string as a text frame, an `ArrayBuffer` (API 8+) as a binary
       * frame.
       *
       * @param data - the message.
       * @returns resolves to `true` once the message is handed to the network; rejects with
       *   the error (-1 when the connection is not open).
       * @throws {BusinessError} 401 - bad parameters or message too large.
       * @since 6 dynamic
       */
      send(data: string | ArrayBuffer): Promise<boolean>;

      /**
       * Closes the connection with code 1000 and an empty reason.
       *
       * @param callback - called with `true` on success, or with the error.
       * @throws {BusinessError} 401 - bad parameters.
       * @since 6 dynamic
       */
      close(callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection with the given code and reason.
       *
       * @param options - close code and reason.
       * @param callback - called with `true` on success, or with the error.
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 6 dynamic
       */
      close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection, with code 1000 and an empty reason unless `options` says
       * otherwise.
       *
       * @param options - close code and reason.
       * @returns resolves to `true` on success; rejects with the error.
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 6 dynamic
       */
      close(options?: WebSocketCloseOptions): Promise<boolean>;

      /**
       * Listens for the connection being opened. The value is the status line of the accepted
       * handshake response, `{ status: 101, message: "Switching Protocols" }`. (The SDK types
       * it as `Object`; this is its actual shape, so a listener that takes `value: Object`
       * still fits.)
       *
       * @param type - `'open'`.
       * @param callback - called as `(undefined, value)`.
       * @since 6 dynamic
       */
      on(type: "open", callback: AsyncCallback<{ status: number; message: string }>): void;

      /**
       * Listens for messages from the server: text as `string`, binary (API 8+) as
       * `ArrayBuffer`.
       *
       * @param type - `'message'`.
       * @param callback - called as `(undefined, message)`.
       * @since 6 dynamic
       */
      on(type: "message", callback: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Listens for details of the opened connection, including the chosen subprotocol
       * (delivered right after `open`).
       *
       * @param type - `'openInfo'`.
       * @param callback - called as `(undefined, info)`.
       * @since 26.0.0 dynamic
       */
      on(type: "openInfo", callback: AsyncCallback<WebSocketOpenInfo>): void;

      /**
       * Listens for the connection being closed (only after it had opened).
       *
       * @param type - `'close'`.
       * @param callback - called as `(undefined, { code, reason })`.
       * @since 6 dynamic
       */
      on(type: "close", callback: AsyncCallback<CloseResult>): void;

      /**
       * Listens for errors (failed handshake, network or protocol failure).
       *
       * @param type - `'error'`.
       * @param callback - handed the error.
       * @since 6 dynamic
       */
      on(type: "error", callback: ErrorCallback): void;

      /**
       * Listens for the end of each received message (called after its `message` event).
       *
       * @param type - `'dataEnd'`.
       * @param callback - called without a value.
       * @since 11 dynamic
       */
      on(type: "dataEnd", callback: Callback<void>): void;

      /**
       * Listens for the headers of the handshake response (delivered before `open`).
       *
       * @param type - `'headerReceive'`.
       * @param callback - handed the response headers.
       * @since 12 dynamic
       */
      on(type: "headerReceive", callback: Callback<ResponseHeaders>): void;

      /**
       * Stops listening for the `open` event: removes `callback`, or every listener when it is
       * left out.
       *
       * @param type - `'open'`.
       * @param callback - the listener given to `on`.
       * @since 6 dynamic
       */
      off(type: "open", callback?: AsyncCallback<{ status: number; message: string }>): void;

      /**
       * Stops listening for the `openInfo` event: removes `callback`, or every listener when
       * it is left out.
       *
       * @param type - `'openInfo'`.
       * @param callback - the listener given to `on`.
       * @since 26.0.0 dynamic
       */
      off(type: "openInfo", callback?: AsyncCallback<WebSocketOpenInfo>): void;

      /**
       * Stops listening for the `message` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'message'`.
       * @param callback - the listener given to `on`.
       * @since 6 dynamic
       */
      off(type: "message", callback?: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Stops listening for the `close` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'close'`.
       * @param callback - the listener given to `on`.
       * @since 6 dynamic
       */
      off(type: "close", callback?: AsyncCallback<CloseResult>): void;

      /**
       * Stops listening for the `error` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'error'`.
       * @param callback - the listener given to `on`.
       * @since 6 dynamic
       */
      off(type: "error", callback?: ErrorCallback): void;

      /**
       * Stops listening for the `dataEnd` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'dataEnd'`.
       * @param callback - the listener given to `on`.
       * @since 11 dynamic
       */
      off(type: "dataEnd", callback?: Callback<void>): void;

      /**
       * Stops listening for the `headerReceive` event: removes `callback`, or every listener
       * when it is left out.
       *
       * @param type - `'headerReceive'`.
       * @param callback - the listener given to `on`.
       * @since 12 dynamic
       */
      off(type: "headerReceive", callback?: Callback<ResponseHeaders>): void;
    }

    /**
     * Creates a new WebSocket server. It does not listen until `start` is called.
     *
     * @returns a server offering start, listAllConnections, send, close, stop, on and off.
     * @since 19 dynamic
     */
    export function createWebSocketServer(): WebSocketServer;

    /**
     * Settings for `WebSocketServer.start`.
     *
     * @since 19 dynamic
     */
    export interface WebSocketServerConfig {
      /**
       * Most connections from one client IP address; further handshakes are refused.
       *
       * @since 19 dynamic
       */
      maxConnectionsForOneClient: number;

      /**
       * Most clients connected at once; further handshakes are refused.
       *
       * @since 19 dynamic
       */
      maxConcurrentClientsNumber: number;

      /**
       * TCP port to listen on.
       *
       * @since 19 dynamic
       */
      serverPort: number;

      /**
       * Local address to listen on. Defaults to `"0.0.0.0"`.
       *
       * @since 19 dynamic
       */
      serverIP?: string;

      /**
       * Certificate and key; when given the server speaks TLS (`wss:`).
       *
       * @since 19 dynamic
       */
      serverCert?: ServerCert;

      /**
       * Subprotocol the server accepts.
       *
       * @since 19 dynamic
       */
      protocol?: string;
    }

    /**
     * Certificate and private key a server presents when it serves `wss:`.
     *
     * @since 19 dynamic
     */
    export interface ServerCert {
      /**
       * Path of the PEM certificate (chain) file.
       *
       * @since 19 dynamic
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 19 dynamic
       */
      keyPath: string;
    }

    /**
     * One client connected to a {@link WebSocketServer}.
     *
     * @since 19 dynamic
     */
    export interface WebSocketConnection {
      /**
       * IP address of the client.
       *
       * @since 19 dynamic
       */
      clientIP: string;

      /**
       * TCP port of the client.
       *
       * @since 19 dynamic
       */
      clientPort: number;
    }

    /**
     * A message a {@link WebSocketServer} received.
     *
     * @since 19 dynamic
     */
    export interface WebSocketMessage {
      /**
       * The connection the message came from.
       *
       * @since 19 dynamic
       */
      clientConnection: WebSocketConnection;

      /**
       * The message: text as `string`, binary as `ArrayBuffer`.
       *
       * @since 19 dynamic
       */
      data: string | ArrayBuffer;
    }

    /**
     * Listener of the server's `close` event: handed the connection that ended and its close
     * code and reason.
     *
     * @since 19 dynamic
     */
    export type ClientConnectionCloseCallback = (
      clientConnection: WebSocketConnection,
      closeReason: CloseResult,
    ) => void;

    /**
     * A WebSocket server, made by {@link webSocket.createWebSocketServer}. The error codes
     * listed with `@throws` reach the caller through the rejected Promise.
     *
     * @since 19 dynamic
     */
    export interface WebSocketServer {
      /**
       * Starts listening.
       *
       * @param config - address, port, TLS certificate and connection limits.
       * @returns resolves to `true` once the server listens; rejects with the error.
       * @throws {BusinessError} 2302002 - a certificate file does not exist.
       * @throws {BusinessError} 2302004 - cannot listen on the given interface.
       * @throws {BusinessError} 2302005 - cannot listen on the port.
       * @throws {BusinessError} 2302007 - the port is already in use.
       * @throws {BusinessError} 2302999 - another failure.
       * @since 19 dynamic
       */
      start(config: WebSocketServerConfig): Promise<boolean>;

      /**
       * Closes every client connection (code 1001) and stops listening.
       *
       * @returns resolves to `true` once stopped; rejects with the error.
       * @since 19 dynamic
       */
      stop(): Promise<boolean>;

      /**
       * Lists the open client connections. (On the device the value is delivered
       * asynchronously, so code written for it uses `await`; awaiting this array works too.)
       *
       * @returns one entry per open connection.
       * @since 19 dynamic
       */
      listAllConnections(): WebSocketConnection[];

      /**
       * Sends one message to one client.
       *
       * @param data - the message: a string as a text frame, an `ArrayBuffer` as binary.
       * @param connection - the client to send to.
       * @returns resolves to `true` once sent; rejects with the error.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 19 dynamic
       */
      send(data: string | ArrayBuffer, connection: WebSocketConnection): Promise<boolean>;

      /**
       * Closes one client connection.
       *
       * @param connection - the client to close.
       * @param options - close code and reason; 1000 and `""` when left out.
       * @returns resolves to `true` once closed; rejects with the error.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 19 dynamic
       */
      close(
        connection: WebSocketConnection,
        options?: webSocket.WebSocketCloseOptions,
      ): Promise<boolean>;

      /**
       * Listens for clients that completed the handshake.
       *
       * @param type - `'connect'`.
       * @param callback - handed the new connection.
       * @since 19 dynamic
       */
      on(type: "connect", callback: Callback<WebSocketConnection>): void;

      /**
       * Listens for messages from clients.
       *
       * @param type - `'messageReceive'`.
       * @param callback - handed each message with its connection.
       * @since 19 dynamic
       */
      on(type: "messageReceive", callback: Callback<WebSocketMessage>): void;

      /**
       * Listens for clients leaving.
       *
       * @param type - `'close'`.
       * @param callback - handed the connection and its close code and reason.
       * @since 19 dynamic
       */
      on(type: "close", callback: ClientConnectionCloseCallback): void;

      /**
       * Listens for server errors.
       *
       * @param type - `'error'`.
       * @param callback - handed the error.
       * @since 19 dynamic
       */
      on(type: "error", callback: ErrorCallback): void;

      /**
       * Stops listening for the `connect` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'connect'`.
       * @param callback - the listener given to `on`.
       * @since 19 dynamic
       */
      off(type: "connect", callback?: Callback<WebSocketConnection>): void;

      /**
       * Stops listening for the `messageReceive` event: removes `callback`, or every listener
       * when it is left out.
       *
       * @param type - `'messageReceive'`.
       * @param callback - the listener given to `on`.
       * @since 19 dynamic
       */
      off(type: "messageReceive", callback?: Callback<WebSocketMessage>): void;

      /**
       * Stops listening for the `close` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'close'`.
       * @param callback - the listener given to `on`.
       * @since 19 dynamic
       */
      off(type: "close", callback?: ClientConnectionCloseCallback): void;

      /**
       * Stops listening for the `error` event: removes `callback`, or every listener when it
       * is left out.
       *
       * @param type - `'error'`.
       * @param callback - the listener given to `on`.
       * @since 19 dynamic
       */
      off(type: "error", callback?: ErrorCallback): void;
    }

    /**
     * TLS protocol versions, oldest first.
     *
     * @since 26.0.0 dynamic
     */
    export enum TlsProtocol {
      /**
       * TLS 1.0.
       *
       * @since 26.0.0 dynamic
       */
      TLS_V_1_0 = 0,

      /**
       * TLS 1.1.
       *
       * @since 26.0.0 dynamic
       */
      TLS_V_1_1 = 1,

      /**
       * TLS 1.2.
       *
       * @since 26.0.0 dynamic
       */
      TLS_V_1_2 = 2,

      /**
       * TLS 1.3.
       *
       * @since 26.0.0 dynamic
       */
      TLS_V_1_3 = 3,
    }
  }

  export default webSocket;
}

/**
 * Network kit: the kit-style names of the network modules. Of the kit's modules, `webSocket`
 * and (as far as `HttpProxy`) `connection` are declared here; the others (`http`, `socket`,
 * `mdns`, ...) are outside this library.
 */
declare module "@kit.NetworkKit" {
  import connection from "@ohos.net.connection";
  import webSocket from "@ohos.net.webSocket";

  export { connection, webSocket };
}

/**
 * Basic services kit: the kit-style name for the `@ohos.base` types.
 */
declare module "@kit.BasicServicesKit" {
  export type { AsyncCallback, BusinessError, Callback, ErrorCallback } from "@ohos.base";
}
