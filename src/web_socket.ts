/**
 * The members of the `webSocket` namespace, as `@ohos.net.webSocket`
 * exposes them. `mod.ts` re-exports this module both as a namespace object
 * (`webSocket`, also the default export) and as named exports.
 *
 * @module
 */

import { WebSocketClient } from "./client/mod.ts";
import type { WebSocket } from "./client/mod.ts";

export type {
  ClientCert,
  CloseResult,
  HttpProxy,
  OpenResult,
  PerMessageDeflateOptions,
  ProxyConfiguration,
  ResponseHeaders,
  SendData,
  WebSocket,
  WebSocketCloseOptions,
  WebSocketOpenInfo,
  WebSocketRequestOptions,
} from "./client/mod.ts";
export { TlsProtocol } from "./client/mod.ts";
export type { AbortSignalLike } from "./transport/types.ts";
export type { AsyncCallback, Callback, ErrorCallback } from "./ohos/callbacks.ts";
export { BusinessError, ErrorCode } from "./ohos/errors.ts";
import { WebSocketServerImpl } from "./server/mod.ts";
import type { WebSocketServer } from "./server/mod.ts";
export type {
  ClientConnectionCloseCallback,
  ServerCert,
  ServerSendData,
  UpgradeAccept,
  UpgradeGate,
  UpgradeHeaders,
  UpgradeListener,
  UpgradeQuery,
  UpgradeRefuse,
  UpgradeRequestHead,
  UpgradeRequestInfo,
  UpgradeSocket,
  UpgradeSource,
  UpgradeVerdict,
  WebSocketAttachConfig,
  WebSocketConnection,
  WebSocketMessage,
  WebSocketServer,
  WebSocketServerConfig,
} from "./server/mod.ts";

/**
 * Creates a WebSocket client. Connect it with `connect(url)`.
 *
 * @example
 * ```ts
 * import webSocket from "../mod.ts";
 * const ws = webSocket.createWebSocket();
 * ws.on("open", (_err, value) => console.log("open", value.status));
 * ws.on("message", (_err, data) => console.log("message", data));
 * // await ws.connect("ws://127.0.0.1:8080/");
 * ```
 */
export function createWebSocket(): WebSocket {
  return new WebSocketClient();
}

/**
 * Creates a WebSocket server (API 19). Start it with `start(config)`.
 *
 * @example
 * ```ts
 * import webSocket from "../mod.ts";
 * const server = webSocket.createWebSocketServer();
 * server.on("connect", (connection) => console.log("client", connection.clientIP));
 * server.on("messageReceive", (message) => {
 *   server.send(message.data, message.clientConnection);
 * });
 * // await server.start({ serverIP: "127.0.0.1", serverPort: 8080 });
 * ```
 */
export function createWebSocketServer(): WebSocketServer {
  return new WebSocketServerImpl();
}
