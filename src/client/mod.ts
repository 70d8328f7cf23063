/**
 * The ohos WebSocket client.
 *
 * @module
 */

export { WebSocketClient } from "./websocket.ts";
export type * from "./types.ts";
export { TlsProtocol } from "./types.ts";
