/**
 * The public shape of the `perMessageDeflate` option, shared by the client
 * and the server.
 *
 * @module
 */

/**
 * Extension (not on the platform): the settings of permessage-deflate (RFC 7692), the
 * `perMessageDeflate` option of the client and of the server. The four parameters keep
 * their RFC 7692 names. See docs/options.md.
 */
export interface PerMessageDeflateOptions {
  /**
   * Client: ask the server to compress each message with a fresh context. Server: always do
   * so (and say it in the answer).
   */
  server_no_context_takeover?: boolean;
  /**
   * Client: compress each of our messages with a fresh context (and say so). Server: ask
   * every client to.
   */
  client_no_context_takeover?: boolean;
  /** Client: ask the server for at most this LZ77 window (8–15). Server: use at most this. */
  server_max_window_bits?: number;
  /**
   * Client: `true` (the default) lets the server choose our window; a number (8–15) caps it.
   * Server: the window clients that allow it are told to use at most.
   */
  client_max_window_bits?: number | boolean;
  /** Messages shorter than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
}
