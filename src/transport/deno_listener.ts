/**
 * The Deno listening side: `Deno.listen` handing out each accepted TCP
 * connection as a {@linkcode ByteStream}, under the contract of
 * `listener.ts`.
 *
 * TLS is served through `node:tls` (Deno's Node compatibility layer, the
 * same code as on Node), not `Deno.listenTls`: closing a connection that
 * `Deno.listenTls` accepted does not release its socket while the TLS
 * handshake has not finished (Deno 2.9 waits for the handshake to end before
 * it shuts the socket down, without a time limit, and `closeWrite` or
 * cancelling the readable change nothing), so a client that connects and
 * never sends a ClientHello would keep a file descriptor forever. A
 * `node:tls` socket is destroyed at once in every state.
 *
 * @module
 */

import { DenoByteStream } from "./deno_stream.ts";
import {
  type AcceptSink,
  ListenError,
  type ListenFailure,
  type ListenOptions,
  type StreamListener,
} from "./listener.ts";
import { listenNode } from "./node_listener.ts";
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
 * Binds `options.hostname:options.port` with `Deno.listen`; with
 * `options.tls`, hands over to the `node:tls` listener (see the module
 * notes for why). Rejects with a {@linkcode ListenError}.
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
export function listenDeno(options: ListenOptions): Promise<StreamListener> {
  if (options.tls !== undefined) return listenNode(options);
  // Deno.listen's reusePort needs --unstable-net (without it Deno ends the process, it does not
  // throw); Deno's node:net sets SO_REUSEPORT without a flag.
  if (options.reusePort && !unstableNet()) return listenNode(options);
  let listener: Deno.Listener;
  try {
    listener = options.reusePort
      ? Deno.listen({ hostname: options.hostname, port: options.port, reusePort: true })
      : Deno.listen({ hostname: options.hostname, port: options.port });
  } catch (error) {
    return Promise.reject(
      new ListenError(
        classify(error),
        `cannot listen on ${options.hostname}:${options.port}: ${describe(error)}`,
        error,
      ),
    );
  }
  return Promise.resolve(new DenoStreamListener(listener, options.keepAlive === true));
}

/**
 * True when Deno runs with `--unstable-net`: only then does the namespace
 * hold that flag's APIs, such as `Deno.listenDatagram` (Deno 2).
 */
function unstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

class DenoStreamListener implements StreamListener {
  readonly #listener: Deno.Listener;
  #closed = false;
  #finished: Promise<void> = Promise.resolve();
  readonly address: { hostname: string; port: number };
  readonly #keepAlive: boolean;

  constructor(listener: Deno.Listener, keepAlive: boolean) {
    this.#listener = listener;
    this.#keepAlive = keepAlive;
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
      tune(conn as Deno.TcpConn, this.#keepAlive);
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

/**
 * Small frames (pongs, close) leave at once rather than wait for Nagle; TCP
 * keep-alive (with the system's timing: Deno cannot set the idle time), when
 * asked for, lets the kernel notice a peer that vanished while nothing is
 * being sent.
 */
function tune(conn: Deno.TcpConn, keepAlive: boolean): void {
  try {
    conn.setNoDelay(true);
    if (keepAlive) conn.setKeepAlive(true);
  } catch {
    // Not fatal: the connection works without them.
  }
}
