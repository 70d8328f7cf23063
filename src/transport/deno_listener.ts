/**
 * The Deno listening side: `Deno.listen` / `Deno.listenTls` handing out each
 * accepted connection as a {@linkcode ByteStream}, under the contract of
 * `listener.ts`.
 *
 * @module
 */

import { DenoByteStream } from "./deno_stream.ts";
import {
  type AcceptSink,
  ListenError,
  type ListenFailure,
  type ListenOptions,
  readPemPair,
  type StreamListener,
} from "./listener.ts";
import { describe } from "../protocol/errors.ts";

function classify(error: unknown): ListenFailure {
  if (error instanceof Deno.errors.AddrInUse) return "address-in-use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "address-unavailable";
  // A name that does not resolve surfaces as NotFound or a plain Error naming the lookup.
  if (error instanceof Deno.errors.NotFound) return "address-unavailable";
  if (error instanceof Error && /lookup|resolve|name or service/i.test(error.message)) {
    return "address-unavailable";
  }
  return "other";
}

/**
 * Binds `options.hostname:options.port` with `Deno.listen`, or with
 * `Deno.listenTls` when `options.tls` is given (the PEM files are read
 * first). Rejects with a {@linkcode ListenError}.
 *
 * @example
 * ```ts
 * import { listenDeno } from "./deno_listener.ts";
 * const listener = await listenDeno({ hostname: "127.0.0.1", port: 0 });
 * listener.startAccepting({ accept: (stream) => stream.close(), error: console.error });
 * listener.close();
 * await listener.finished;
 * ```
 */
export async function listenDeno(options: ListenOptions): Promise<StreamListener> {
  const tls = options.tls === undefined ? undefined : await readPemPair(options.tls);
  let listener: Deno.Listener;
  try {
    listener = tls === undefined
      ? Deno.listen({ hostname: options.hostname, port: options.port })
      : Deno.listenTls({ hostname: options.hostname, port: options.port, ...tls });
  } catch (error) {
    const kind = classify(error);
    // listenTls parses the PEM text; a parse failure is a certificate problem, not a port one.
    const certProblem = tls !== undefined && kind === "other" &&
      !(error instanceof Deno.errors.PermissionDenied);
    throw new ListenError(
      certProblem ? "certificate-invalid" : kind,
      `cannot listen on ${options.hostname}:${options.port}: ${describe(error)}`,
      error,
    );
  }
  return new DenoStreamListener(listener);
}

class DenoStreamListener implements StreamListener {
  readonly #listener: Deno.Listener;
  #closed = false;
  #finished: Promise<void> = Promise.resolve();
  readonly address: { hostname: string; port: number };

  constructor(listener: Deno.Listener) {
    this.#listener = listener;
    const addr = listener.addr as Deno.NetAddr;
    this.address = { hostname: addr.hostname, port: addr.port };
  }

  get finished(): Promise<void> {
    return this.#finished;
  }

  startAccepting(sink: AcceptSink): void {
    this.#finished = this.#acceptLoop(sink);
  }

  async #acceptLoop(sink: AcceptSink): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        // Closing the listener interrupts the pending accept: that is the normal end.
        if (this.#closed || error instanceof Deno.errors.BadResource) break;
        sink.error(error);
        // Out of file descriptors and the like: back off briefly instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (this.#closed) {
        conn.close();
        break;
      }
      try {
        // Small frames (pongs, close) should leave at once rather than wait for Nagle.
        if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // Not fatal: the connection works without it.
      }
      sink.accept(new DenoByteStream(conn));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed: the port is free either way.
    }
  }
}
