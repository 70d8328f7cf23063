/**
 * The Node listening side (also Deno's for TLS, see `deno_listener.ts`):
 * `net.createServer` handing out each accepted socket as a
 * {@linkcode ByteStream} under the contract of `listener.ts`. For TLS each
 * accepted TCP socket is wrapped in a server-side `tls.TLSSocket` at once
 * and handed over before its handshake, so that the server's handshake
 * deadline and caps cover the TLS handshake too, and `close()` destroys the
 * socket in whatever state the handshake is (a `tls.Server` would keep
 * sockets in the handshake to itself, under its own 120 s timeout). Node
 * modules load on first use only.
 *
 * @module
 */

import type * as NodeNet from "node:net";
import type * as NodeTls from "node:tls";
import {
  type AcceptSink,
  ListenError,
  type ListenFailure,
  type ListenOptions,
  readPemPair,
  type StreamListener,
} from "./listener.ts";
import { loadNodeModules, NodeByteStream } from "./node_stream.ts";
import { describe } from "../protocol/errors.ts";

/**
 * Idle time before TCP keep-alive probes start on an accepted socket. The
 * server's heartbeat is the real dead-peer check; this is the kernel's,
 * for when the heartbeat is off.
 */
export const KEEPALIVE_IDLE_MS = 30_000;

function classify(error: unknown): ListenFailure {
  const code = (error as { code?: unknown }).code;
  if (code === "EADDRINUSE") return "address-in-use";
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return "address-unavailable";
  }
  return "other";
}

/** Turns an accepted TCP socket into the socket the stream reads (itself, or TLS over it). */
type Wrap = (raw: NodeNet.Socket) => NodeNet.Socket;

/**
 * Binds `options.hostname:options.port` with `node:net`; with `options.tls`
 * every accepted socket speaks TLS (server side) with that certificate and
 * key. Rejects with a {@linkcode ListenError}.
 */
export async function listenNode(options: ListenOptions): Promise<StreamListener> {
  const { net, tls } = await loadNodeModules();
  let wrap: Wrap = (raw) => raw;
  if (options.tls !== undefined) {
    const pem = await readPemPair(options.tls);
    let secureContext: NodeTls.SecureContext;
    try {
      secureContext = tls.createSecureContext(pem);
    } catch (error) {
      throw new ListenError("certificate-invalid", `serverCert: ${describe(error)}`, error);
    }
    wrap = (raw) => {
      const secured = new tls.TLSSocket(raw, { isServer: true, secureContext });
      // The TLS socket reports the failures; the TCP socket below goes with it.
      secured.once("close", () => raw.destroy());
      return secured;
    };
  }
  const server = net.createServer({ allowHalfOpen: true });
  const listener = new NodeStreamListener(server, wrap, options.keepAlive === true);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        new ListenError(
          classify(error),
          `cannot listen on ${options.hostname}:${options.port}: ${describe(error)}`,
          error,
        ),
      );
    };
    server.once("error", onError);
    const where = { host: options.hostname, port: options.port };
    // `reusePort` needs Node 22.12+ (or Bun, or Deno's node:net); older Node ignores it.
    server.listen(options.reusePort ? { ...where, reusePort: true } : where, () => {
      server.off("error", onError);
      resolve();
    });
  });
  listener.bound();
  return listener;
}

class NodeStreamListener implements StreamListener {
  readonly #server: NodeNet.Server;
  readonly #wrap: Wrap;
  readonly #keepAlive: boolean;
  #sink: AcceptSink | null = null;
  // Sockets accepted before startAccepting (the window is one turn at most).
  #early: NodeNet.Socket[] = [];
  #closed = false;
  #address = { hostname: "", port: 0 };

  constructor(server: NodeNet.Server, wrap: Wrap, keepAlive: boolean) {
    this.#server = server;
    this.#wrap = wrap;
    this.#keepAlive = keepAlive;
    server.on("connection", (socket: NodeNet.Socket) => this.#accepted(socket));
    // A socket error is one connection's problem, not the listener's.
    server.on("error", (error: Error) => this.#sink?.error(error));
  }

  /** Records the bound address once `listen` succeeded. */
  bound(): void {
    const address = this.#server.address() as NodeNet.AddressInfo;
    this.#address = { hostname: address.address, port: address.port };
  }

  get address(): { hostname: string; port: number } {
    return this.#address;
  }

  get finished(): Promise<void> {
    return Promise.resolve();
  }

  startAccepting(sink: AcceptSink): void {
    this.#sink = sink;
    for (const socket of this.#early.splice(0)) this.#accepted(socket);
  }

  #accepted(raw: NodeNet.Socket): void {
    if (this.#closed) {
      raw.destroy();
      return;
    }
    if (this.#sink === null) {
      // Until a stream listens for them, errors must not be unhandled ones.
      raw.on("error", () => {});
      this.#early.push(raw);
      return;
    }
    // Small frames (pongs, close) leave at once rather than wait for Nagle; keep-alive,
    // when asked for, lets the kernel notice a vanished peer while nothing is sent.
    raw.setNoDelay(true);
    if (this.#keepAlive) raw.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    const socket = this.#wrap(raw);
    // The stream listens for the errors of the socket it reads; a TCP socket under TLS
    // needs a listener of its own (its failures reach the stream through the TLS socket).
    if (socket !== raw) raw.on("error", () => {});
    this.#sink.accept(new NodeByteStream(socket));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Stops listening at once; accepted sockets stay open (they belong to the server's clients).
    this.#server.close();
    for (const socket of this.#early.splice(0)) socket.destroy();
  }
}
