/**
 * The ohos WebSocket server (API 19).
 *
 * @module
 */

export { WebSocketServerImpl } from "./websocket_server.ts";
export type * from "./types.ts";
