/**
 * Ambient declarations of the OpenHarmony WebSocket surface in the SDK's **static** view: ArkTS
 * 1.2 (API 23 and later), where events have one method pair each (`onOpen`/`offOpen`,
 * `onWebSocketClose`/`offWebSocketClose`, ...) instead of string-keyed `on`/`off`. Written for
 * this project; the names, members, optionality, types and callback shapes follow the
 * platform's own SDK declarations, member by member, with ArkTS's `int` written as `number`.
 *
 * Use this file *instead of* `ohos.d.ts` (the dynamic view): both declare the same module
 * names — `@ohos.base`, `@ohos.net.webSocket`, `@ohos.net.connection` (only `HttpProxy`),
 * `@kit.NetworkKit` and `@kit.BasicServicesKit`.
 *
 * Every declaration of the network modules carries `@since <level> static`, the API level it
 * appeared at in this view. The `@ohos.base` types carry the levels of the SDK's base file,
 * which tags them for the dynamic view only; the static view uses the same shapes.
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
   * @since 23 static
   */
  namespace connection {
    /**
     * An HTTP proxy server and the hosts that bypass it.
     *
     * @since 23 static
     */
    export interface HttpProxy {
      /**
       * Host name or IP address of the proxy.
       *
       * @since 23 static
       */
      host: string;

      /**
       * TCP port of the proxy.
       *
       * @since 23 static
       */
      port: number;

      /**
       * User name for proxy authentication.
       *
       * @since 23 static
       */
      username?: string;

      /**
       * Password for proxy authentication.
       *
       * @since 23 static
       */
      password?: string;

      /**
       * Hosts reached directly, without the proxy (`*` alone matches every host).
       *
       * @since 23 static
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
   * subscribe to its events with `onOpen`, `onMessage`, ..., then `connect`, `send` and `close` it.
   *
   * @since 23 static
   */
  namespace webSocket {
    /**
     * An explicit HTTP proxy: the network module's `connection.HttpProxy`.
     *
     * @since 23 static
     */
    export type HttpProxy = connection.HttpProxy;

    /**
     * Creates a new WebSocket client. It is not connected until `connect` is called.
     *
     * @returns a client offering connect, send, close and one onX/offX pair per event.
     * @since 23 static
     */
    export function createWebSocket(): WebSocket;

    /**
     * Optional settings for `WebSocket.connect`.
     *
     * @since 23 static
     */
    export interface WebSocketRequestOptions {
      /**
       * Extra HTTP headers for the opening handshake, as name/value pairs.
       *
       * @since 23 static
       */
      header?: Record<string, string>;

      /**
       * Path of a PEM file with the CA certificates to trust for `wss:` URLs. Without it the
       * system CA store is used.
       *
       * @since 23 static
       */
      caPath?: string;

      /**
       * When `true`, any server certificate is accepted. For tests only; defaults to `false`.
       *
       * @since 26.0.0 static
       */
      skipServerCertVerification?: boolean;

      /**
       * Client certificate presented for mutual TLS.
       *
       * @since 23 static
       */
      clientCert?: ClientCert;

      /**
       * Proxy to connect through: `'system'`, `'no-proxy'` or an explicit HTTP proxy.
       *
       * @since 23 static
       */
      proxy?: ProxyConfiguration;

      /**
       * Value of the `Sec-WebSocket-Protocol` request header (a comma-separated list of
       * subprotocols is allowed).
       *
       * @since 23 static
       */
      protocol?: string;

      /**
       * Seconds between heartbeat pings; 0 turns the heartbeat off. Defaults to 30.
       *
       * @since 26.0.0 static
       */
      pingInterval?: number;

      /**
       * Seconds to wait for the pong that answers a heartbeat ping before the connection is
       * treated as dead; at most `pingInterval`. Defaults to 30.
       *
       * @since 26.0.0 static
       */
      pongTimeout?: number;
    }

    /**
     * Proxy choice: `'system'` uses the system proxy settings, `'no-proxy'` connects directly,
     * an {@link HttpProxy} names the proxy to use.
     *
     * @since 23 static
     */
    export type ProxyConfiguration = "system" | "no-proxy" | HttpProxy;

    /**
     * Client certificate (and its private key) for mutual TLS.
     *
     * @since 23 static
     */
    export interface ClientCert {
      /**
       * Path of the PEM certificate file.
       *
       * @since 23 static
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 23 static
       */
      keyPath: string;

      /**
       * Password of the private key, when it is encrypted.
       *
       * @since 23 static
       */
      keyPassword?: string;
    }

    /**
     * Optional close code and reason for `WebSocket.close`.
     *
     * @since 23 static
     */
    export interface WebSocketCloseOptions {
      /**
       * Close code sent to the peer (1000 normal closure, 1001 going away, 3000-4999 for
       * applications). Defaults to 1000.
       *
       * @since 23 static
       */
      code?: number;

      /**
       * Close reason sent to the peer, at most 123 bytes in UTF-8. Defaults to `""`.
       *
       * @since 23 static
       */
      reason?: string;
    }

    /**
     * Code and reason of a finished connection, as the `close` events report them.
     *
     * @since 23 static
     */
    export interface CloseResult {
      /**
       * Close code (1006 when the connection dropped without a close handshake).
       *
       * @since 23 static
       */
      code: number;

      /**
       * Close reason.
       *
       * @since 23 static
       */
      reason: string;
    }

    /**
     * Value of the client's open event: the status line of the accepted handshake response,
     * for example `{ status: 101, message: "Switching Protocols" }`.
     *
     * @since 23 static
     */
    export interface OpenResult {
      /**
       * HTTP status code of the handshake response (101).
       *
       * @since 23 static
       */
      status: number;

      /**
       * HTTP reason phrase of the handshake response.
       *
       * @since 23 static
       */
      message: string;
    }

    /**
     * Headers of the handshake response, keyed by lower-case header name. A header that occurs
     * more than once may be given as a list.
     *
     * @since 23 static
     */
    export type ResponseHeaders = Record<string, string | string[] | undefined>;

    /**
     * A WebSocket client, made by {@link webSocket.createWebSocket}. Every asynchronous method
     * has a callback form (chosen when the last argument is a function) and a Promise form.
     * The error codes listed with `@throws` reach the caller through the callback or the
     * rejected Promise.
     *
     * @since 23 static
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
       * @since 23 static
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
       * @since 23 static
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
       * @since 23 static
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
       * @since 23 static
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
       * @since 23 static
       */
      send(data: string | ArrayBuffer): Promise<boolean>;

      /**
       * Closes the connection with code 1000 and an empty reason.
       *
       * @param callback - called with `true` on success, or with the error.
       * @throws {BusinessError} 401 - bad parameters.
       * @since 23 static
       */
      close(callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection with the given code and reason.
       *
       * @param options - close code and reason.
       * @param callback - called with `true` on success, or with the error.
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 23 static
       */
      close(options: WebSocketCloseOptions, callback: AsyncCallback<boolean>): void;

      /**
       * Closes the connection, with code 1000 and an empty reason unless `options` says
       * otherwise.
       *
       * @param options - close code and reason.
       * @returns resolves to `true` on success; rejects with the error.
       * @throws {BusinessError} 401 - bad parameters or a code that may not be sent.
       * @since 23 static
       */
      close(options?: WebSocketCloseOptions): Promise<boolean>;

      /**
       * Listens for the connection being opened.
       *
       * @param callback - called with the status line of the accepted handshake (one argument).
       * @since 23 static
       */
      onOpen(callback: Callback<OpenResult>): void;

      /**
       * Stops listening for the connection being opened: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onOpen`.
       * @since 23 static
       */
      offOpen(callback?: Callback<OpenResult>): void;

      /**
       * Listens for messages from the server.
       *
       * @param callback - called as `(undefined, message)`: text as `string`, binary as `ArrayBuffer`.
       * @since 23 static
       */
      onMessage(callback: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Stops listening for messages from the server: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onMessage`.
       * @since 23 static
       */
      offMessage(callback?: AsyncCallback<string | ArrayBuffer>): void;

      /**
       * Listens for the connection being closed. Only a connection that had opened
       * is reported.
       *
       * @param callback - called as `(undefined, { code, reason })`.
       * @since 23 static
       */
      onWebSocketClose(callback: AsyncCallback<CloseResult>): void;

      /**
       * Stops listening for the connection being closed: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onWebSocketClose`.
       * @since 23 static
       */
      offWebSocketClose(callback?: AsyncCallback<CloseResult>): void;

      /**
       * Listens for errors (failed handshake, network or protocol failure).
       *
       * @param callback - handed the error.
       * @since 23 static
       */
      onWebSocketError(callback: ErrorCallback): void;

      /**
       * Stops listening for errors (failed handshake, network or protocol failure): removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onWebSocketError`.
       * @since 23 static
       */
      offWebSocketError(callback?: ErrorCallback): void;

      /**
       * Listens for the end of each received message.
       *
       * @param callback - called without a value, after the message's listeners.
       * @since 23 static
       */
      onDataEnd(callback: Callback<void>): void;

      /**
       * Stops listening for the end of each received message: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onDataEnd`.
       * @since 23 static
       */
      offDataEnd(callback?: Callback<void>): void;

      /**
       * Listens for the headers of the handshake response.
       *
       * @param callback - handed the response headers, before the open listeners run.
       * @since 23 static
       */
      onHeaderReceive(callback: Callback<ResponseHeaders>): void;

      /**
       * Stops listening for the headers of the handshake response: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onHeaderReceive`.
       * @since 23 static
       */
      offHeaderReceive(callback?: Callback<ResponseHeaders>): void;
    }

    /**
     * Creates a new WebSocket server. It does not listen until `start` is called.
     *
     * @returns a server offering start, listAllConnections, send, close, stop and one onX/offX
     *   pair per event.
     * @since 23 static
     */
    export function createWebSocketServer(): WebSocketServer;

    /**
     * Settings for `WebSocketServer.start`.
     *
     * @since 23 static
     */
    export interface WebSocketServerConfig {
      /**
       * Most connections from one client IP address; further handshakes are refused.
       *
       * @since 23 static
       */
      maxConnectionsForOneClient: number;

      /**
       * Most clients connected at once; further handshakes are refused.
       *
       * @since 23 static
       */
      maxConcurrentClientsNumber: number;

      /**
       * TCP port to listen on.
       *
       * @since 23 static
       */
      serverPort: number;

      /**
       * Local address to listen on. Defaults to `"0.0.0.0"`.
       *
       * @since 23 static
       */
      serverIP?: string;

      /**
       * Certificate and key; when given the server speaks TLS (`wss:`).
       *
       * @since 23 static
       */
      serverCert?: ServerCert;

      /**
       * Subprotocol the server accepts.
       *
       * @since 23 static
       */
      protocol?: string;
    }

    /**
     * Certificate and private key a server presents when it serves `wss:`.
     *
     * @since 23 static
     */
    export interface ServerCert {
      /**
       * Path of the PEM certificate (chain) file.
       *
       * @since 23 static
       */
      certPath: string;

      /**
       * Path of the PEM private-key file.
       *
       * @since 23 static
       */
      keyPath: string;
    }

    /**
     * One client connected to a {@link WebSocketServer}.
     *
     * @since 23 static
     */
    export interface WebSocketConnection {
      /**
       * IP address of the client.
       *
       * @since 23 static
       */
      clientIP: string;

      /**
       * TCP port of the client.
       *
       * @since 23 static
       */
      clientPort: number;
    }

    /**
     * A message a {@link WebSocketServer} received.
     *
     * @since 23 static
     */
    export interface WebSocketMessage {
      /**
       * The connection the message came from.
       *
       * @since 23 static
       */
      clientConnection: WebSocketConnection;

      /**
       * The message: text as `string`, binary as `ArrayBuffer`.
       *
       * @since 23 static
       */
      data: string | ArrayBuffer;
    }

    /**
     * Listener of the server's `close` event: handed the connection that ended and its close
     * code and reason.
     *
     * @since 23 static
     */
    export type ClientConnectionCloseCallback = (
      clientConnection: WebSocketConnection,
      closeReason: CloseResult,
    ) => void;

    /**
     * A WebSocket server, made by {@link webSocket.createWebSocketServer}. The error codes
     * listed with `@throws` reach the caller through the rejected Promise.
     *
     * @since 23 static
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
       * @since 24 static
       */
      start(config: WebSocketServerConfig): Promise<boolean>;

      /**
       * Closes every client connection (code 1001) and stops listening.
       *
       * @returns resolves to `true` once stopped; rejects with the error.
       * @since 23 static
       */
      stop(): Promise<boolean>;

      /**
       * Lists the open client connections. (On the device the value is delivered
       * asynchronously, so code written for it uses `await`; awaiting this array works too.)
       *
       * @returns one entry per open connection.
       * @since 23 static
       */
      listAllConnections(): WebSocketConnection[];

      /**
       * Sends one message to one client.
       *
       * @param data - the message: a string as a text frame, an `ArrayBuffer` as binary.
       * @param connection - the client to send to.
       * @returns resolves to `true` once sent; rejects with the error.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 23 static
       */
      send(data: string | ArrayBuffer, connection: WebSocketConnection): Promise<boolean>;

      /**
       * Closes one client connection.
       *
       * @param connection - the client to close.
       * @param options - close code and reason; 1000 and `""` when left out.
       * @returns resolves to `true` once closed; rejects with the error.
       * @throws {BusinessError} 2302006 - no such connection.
       * @since 23 static
       */
      close(
        connection: WebSocketConnection,
        options?: webSocket.WebSocketCloseOptions,
      ): Promise<boolean>;

      /**
       * Listens for clients that complete the handshake.
       *
       * @param callback - handed the new connection.
       * @since 23 static
       */
      onConnect(callback: Callback<WebSocketConnection>): void;

      /**
       * Stops listening for clients that complete the handshake: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onConnect`.
       * @since 23 static
       */
      offConnect(callback?: Callback<WebSocketConnection>): void;

      /**
       * Listens for messages from clients.
       *
       * @param callback - handed each message with its connection.
       * @since 23 static
       */
      onMessageReceive(callback: Callback<WebSocketMessage>): void;

      /**
       * Stops listening for messages from clients: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onMessageReceive`.
       * @since 23 static
       */
      offMessageReceive(callback?: Callback<WebSocketMessage>): void;

      /**
       * Listens for clients leaving.
       *
       * @param callback - handed the connection and its close code and reason.
       * @since 26.0.0 static
       */
      onWebSocketServerClose(callback: ClientConnectionCloseCallback): void;

      /**
       * Stops listening for clients leaving: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onWebSocketServerClose`.
       * @since 26.0.0 static
       */
      offWebSocketServerClose(callback?: ClientConnectionCloseCallback): void;

      /**
       * Listens for server errors.
       *
       * @param callback - handed the error.
       * @since 23 static
       */
      onWebSocketServerError(callback: ErrorCallback): void;

      /**
       * Stops listening for server errors: removes `callback`, or every listener when it is left
       * out.
       *
       * @param callback - the listener given to `onWebSocketServerError`.
       * @since 23 static
       */
      offWebSocketServerError(callback?: ErrorCallback): void;
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
