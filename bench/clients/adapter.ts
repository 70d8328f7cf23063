/**
 * The shape every bench client hands to `main()` in `lib/driver.mjs`.
 *
 * @module
 */

/** What the driver sends: text, or a binary payload (a view over a whole buffer). */
export type Payload = string | Uint8Array;

/** An open connection as the driver sees it. */
export interface BenchConnection {
  /** Sends one message; a returned promise is not awaited, only checked for rejection. */
  send(data: Payload): unknown;
  /** Starts the close handshake and resolves when it is over. */
  close(): Promise<unknown>;
}

/** Opens connections; `onMessage` gets each echoed message. */
export interface Adapter {
  connect(
    url: string,
    onMessage: (data: string | ArrayBuffer | ArrayBufferView) => void,
  ): Promise<BenchConnection>;
}
