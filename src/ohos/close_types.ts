/**
 * Close types shared by the client and the server halves of the API.
 *
 * @module
 */

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
