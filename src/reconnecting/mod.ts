/**
 * The reconnecting WebSocket (an extension, not on the platform).
 *
 * @module
 */

export {
  createReconnectingWebSocket,
  defaultShouldReconnect,
  ReconnectingWebSocket,
} from "./reconnecting_websocket.ts";
export type {
  QueueOverflow,
  ReconnectAttempt,
  ReconnectCause,
  ReconnectClock,
  ReconnectGiveUp,
  ReconnectOptions,
  ReconnectState,
  ReconnectTimer,
} from "./types.ts";
