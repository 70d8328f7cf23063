/**
 * Public types of the ohos WebSocket client.
 *
 * @module
 */

import type { AsyncCallback, ErrorCallback } from "../ohos/callbacks.ts";

/**
 * Options of `connect` (the seed's `WebSocketRequestOptions`), plus the
 * limits this library adds (all optional, with safe defaults).
 */
export interface WebSocketRequestOptions {
  /** Extra HTTP headers for the handshake request; names are sent lower-cased. */
  header?: Record<string, string>;
  /** Milliseconds allowed for TCP/TLS connect plus the opening handshake (default 30000). */
  handshakeTimeoutMs?: number;
  /** Milliseconds to wait for the peer's close frame and TCP end (default 5000). */
  closeTimeoutMs?: number;
  /** Largest incoming message in bytes; larger ones close with 1009 (default 64 MiB). */
  maxMessageSize?: number;
  /** Largest outgoing message in bytes; larger `send`s fail with 401 (default 5,242,864). */
  maxSendSize?: number;
}

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

/** Value of the `open` event: the status line of the accepted handshake. */
export interface OpenResult {
  /** HTTP status, 101. */
  status: number;
  /** Reason phrase, e.g. `Switching Protocols`. */
  message: string;
}

/** Data a client can send: text, or binary as an `ArrayBuffer` or a view of one. */
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

  /** Removes one `open` listener, or all of them. */
  off(type: "open", callback?: AsyncCallback<OpenResult>): void;
  /** Removes one `message` listener, or all of them. */
  off(type: "message", callback?: AsyncCallback<string | ArrayBuffer>): void;
  /** Removes one `close` listener, or all of them. */
  off(type: "close", callback?: AsyncCallback<CloseResult>): void;
  /** Removes one `error` listener, or all of them. */
  off(type: "error", callback?: ErrorCallback): void;
}
