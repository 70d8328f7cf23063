/**
 * The Node listening side: `net.createServer` / `tls.createServer` handing
 * out each accepted socket as a {@linkcode ByteStream}, with the contract of
 * `listener.ts`. Node modules load on first use only.
 *
 * @module
 */

import type * as NodeNet from "node:net";
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

function classify(error: unknown): ListenFailure {
  const code = (error as { code?: unknown }).code;
  if (code === "EADDRINUSE") return "address-in-use";
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return "address-unavailable";
  }
  return "other";
}

/**
 * Binds `options.hostname:options.port` with `node:net`, or `node:tls` when
 * `options.tls` is given. Rejects with a {@linkcode ListenError}.
 */
export async function listenNode(options: ListenOptions): Promise<StreamListener> {
  const { net, tls } = await loadNodeModules();
  let server: NodeNet.Server;
  let readyEvent = "connection";
  if (options.tls === undefined) {
    server = net.createServer({ allowHalfOpen: true });
  } else {
    const pem = await readPemPair(options.tls);
    try {
      server = tls.createServer({ ...pem, allowHalfOpen: true });
    } catch (error) {
      throw new ListenError("certificate-invalid", `serverCert: ${describe(error)}`, error);
    }
    readyEvent = "secureConnection";
  }
  const listener = new NodeStreamListener(server, readyEvent);
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
    server.listen({ host: options.hostname, port: options.port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  listener.bound();
  return listener;
}

class NodeStreamListener implements StreamListener {
  readonly #server: NodeNet.Server;
  #sink: AcceptSink | null = null;
  // Sockets accepted before startAccepting (the window is one turn at most).
  #early: NodeNet.Socket[] = [];
  #closed = false;
  #address = { hostname: "", port: 0 };

  constructor(server: NodeNet.Server, readyEvent: string) {
    this.#server = server;
    server.on(readyEvent, (socket: NodeNet.Socket) => this.#accepted(socket));
    // A failed TLS handshake or a socket error is one connection's problem, not the listener's.
    server.on("tlsClientError", (error: Error) => this.#sink?.error(error));
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

  #accepted(socket: NodeNet.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#sink === null) {
      this.#early.push(socket);
      return;
    }
    socket.setNoDelay(true);
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
