/**
 * The error types of the protocol core, and how any thrown value is put
 * into words in a message.
 *
 * @module
 */

/**
 * A violation of RFC 6455 by the peer (or of a configured limit). `closeCode`
 * is the status code the connection must be closed with.
 */
export class ProtocolError extends Error {
  /** Close code to send to the peer (1002, 1007, 1009 …). */
  readonly closeCode: number;

  /**
   * Creates the error with its close code and message.
   *
   * @param closeCode the close code that ends the connection
   * @param message what went wrong, for humans
   */
  constructor(closeCode: number, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.closeCode = closeCode;
  }
}

/** A handshake that must not succeed: bad status, headers or accept key. */
export class HandshakeError extends Error {
  /** HTTP status of the response when one was parsed. */
  readonly status: number | undefined;

  /**
   * Creates the error with its message and, when known, the HTTP status.
   *
   * @param message what went wrong, for humans
   * @param status HTTP status of the response, when known
   */
  constructor(message: string, status?: number) {
    super(message);
    this.name = "HandshakeError";
    this.status = status;
  }
}

/**
 * The message of an error, or the text form of any other thrown value: how
 * every layer quotes a cause inside its own message.
 */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
