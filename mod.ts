/**
 * `@ohos.net.webSocket` for Deno (and, through the npm package, Node and Bun): the OpenHarmony
 * WebSocket API — the client (`createWebSocket()`) and the server (`createWebSocketServer()`,
 * API 19) — on a strict RFC 6455 implementation.
 *
 * Import it the way device code imports the platform module (map `@ohos.net.webSocket`,
 * `@kit.NetworkKit`, `@kit.BasicServicesKit` and `@ohos.base` to this module in `deno.json`'s
 * `imports`, and device code runs unchanged):
 *
 * @example Client
 * ```ts
 * import webSocket from "./mod.ts";
 *
 * const ws = webSocket.createWebSocket();
 * ws.on("open", (_err, value) => {
 *   console.log("on open, status:" + value.status + ", message:" + value.message);
 * });
 * ws.on("message", (_err, value) => console.log("on message, message:" + value));
 * ws.on("close", (_err, value) => console.log("on close, code is " + value.code));
 * ws.on("error", (err) => console.log("on error, error:" + JSON.stringify(err)));
 * // ws.connect("ws://127.0.0.1:8080/", (err) => { if (!err) ws.send("Hello"); });
 * ```
 *
 * @example Server
 * ```ts
 * import webSocket from "./mod.ts";
 *
 * const server = webSocket.createWebSocketServer();
 * server.on("messageReceive", (message) => {
 *   server.send(message.data, message.clientConnection);
 * });
 * // await server.start({ serverIP: "127.0.0.1", serverPort: 8080 });
 * ```
 *
 * @module
 */

import * as webSocket from "./src/web_socket.ts";

export * from "./src/web_socket.ts";
/**
 * Extension (not on the platform): a `WebSocket` that reconnects with backoff, queues sends
 * while down, and reports its attempts (see docs/reconnecting.md). Not part of the `webSocket`
 * namespace, which mirrors the platform module.
 */
export * from "./src/reconnecting/mod.ts";
export { webSocket };
export default webSocket;
