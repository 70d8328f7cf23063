/**
 * The close lifecycle of one connection, as rules without I/O: what the
 * close result is (first writer wins), whether an end of the stream is
 * expected, and what to do with TCP at each step. The owner of the socket
 * and the timers applies the answers.
 *
 * RFC 6455 section 7.1.1: the server ends TCP first, so that TIME_WAIT
 * lands on it; the client waits for the server's end and only closes the
 * socket itself when that takes too long. Once both close frames have
 * crossed, the peer sends nothing more, so the server closes its socket as
 * soon as its close frame is written (the FIN follows it) instead of
 * half-closing and waiting for the peer's end. After a protocol failure the
 * peer may still be sending: closing then would answer its bytes with a
 * reset, which can destroy our close frame before the peer reads it, so the
 * server half-closes and waits (bounded) for the peer's end.
 *
 * @module
 */

import { abnormalClose, type CloseInfo } from "./close.ts";
import { CloseCode } from "./constants.ts";
import type { ProtocolError } from "./errors.ts";
import type { Role } from "./connection.ts";

/**
 * What to do with TCP after a step. `wait`: keep the socket and wait for
 * the peer, bounded by the close timeout. `closeWrite`: half-close (FIN),
 * then wait the same way for the peer's end. `closeWhenWritten`: close the
 * socket once what is queued is written (bounded the same way, for a peer
 * that does not read). `close`: close the socket now.
 */
export type TcpAction = "wait" | "closeWrite" | "closeWhenWritten" | "close";

/** What an end of the stream means. */
export interface StreamEnd {
  /** The close result to report. */
  result: CloseInfo;
  /** True when the stream failed before any close was under way ("connection lost"). */
  unexpected: boolean;
}

/**
 * One connection's close lifecycle.
 *
 * @example
 * ```ts
 * import { CloseLifecycle } from "./close_lifecycle.ts";
 * const server = new CloseLifecycle("server");
 * server.peerClosed({ code: 1000, reason: "bye" }); // "closeWhenWritten": the server ends TCP first
 * server.ended(true).result; // { code: 1000, reason: "bye" }
 * ```
 */
export class CloseLifecycle {
  /** Which end this is; it decides who ends TCP first. */
  readonly role: Role;
  #result: CloseInfo | null = null;
  #closeExpected = false;

  /** @param role the end of the connection this lifecycle belongs to */
  constructor(role: Role) {
    this.role = role;
  }

  /** The close result recorded so far (null until a step records one). */
  get result(): CloseInfo | null {
    return this.#result;
  }

  /** True once a close is under way: an end of the stream is no surprise any more. */
  get closeExpected(): boolean {
    return this.#closeExpected;
  }

  /** Records a close result unless one is recorded already (the first writer wins). */
  record(code: number, reason: string): void {
    this.#result ??= { code, reason };
  }

  /** We sent a close frame first: wait (bounded) for the peer's close frame. */
  closeStarted(): TcpAction {
    this.#closeExpected = true;
    return "wait";
  }

  /**
   * The peer's close frame arrived and ours is out (the connection echoes it
   * before reporting), so the close handshake is complete and the peer will
   * send nothing more. The server closes TCP once its close frame is
   * written; the client waits for that.
   */
  peerClosed(info: CloseInfo): TcpAction {
    this.record(info.code, info.reason);
    this.#closeExpected = true;
    return this.role === "server" ? "closeWhenWritten" : "wait";
  }

  /**
   * We failed the connection and our close frame with `error.closeCode` is
   * out. The peer may still be sending, so the server half-closes and waits
   * for its end; the client waits for the server's.
   */
  failed(error: ProtocolError): TcpAction {
    this.record(error.closeCode, error.message);
    this.#closeExpected = true;
    return this.role === "server" ? "closeWrite" : "wait";
  }

  /** The link is given up on (peer not reading, no pong): 1006 with `reason`, close now. */
  dropped(reason: string): TcpAction {
    this.record(CloseCode.Abnormal, reason);
    this.#closeExpected = true;
    return "close";
  }

  /** The close timeout passed before the peer ended TCP: 1006, close now. */
  timedOut(closeTimeoutMs: number): TcpAction {
    this.record(
      CloseCode.Abnormal,
      `close handshake timed out: not completed within ${closeTimeoutMs} ms`,
    );
    this.#closeExpected = true;
    return "close";
  }

  /**
   * The stream ended (`error` undefined for a clean end). The result is the
   * recorded one, or 1006 saying whether the end came between frames.
   */
  ended(atFrameBoundary: boolean, error?: unknown): StreamEnd {
    const unexpected = error !== undefined && !this.#closeExpected;
    this.#closeExpected = true;
    return { result: this.#result ?? abnormalClose(atFrameBoundary), unexpected };
  }
}
