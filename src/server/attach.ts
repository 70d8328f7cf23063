/**
 * Extension (not on the platform): one port for HTTP and WebSocket. A
 * {@linkcode StreamListener} over an HTTP server's `upgrade` events (Node's
 * `http`/`https`, and `node:http` on Deno and Bun), so an attached server
 * runs exactly the code of a server on its own port.
 *
 * The HTTP server has already parsed the request. Its head is written back
 * in front of the socket's unread bytes (`unshift`), as received — the
 * request line and `rawHeaders` in their order and case — so the server
 * reads it with the same bounded head reader and checks it with the same
 * RFC 6455 rules as on its own port: nothing the HTTP parser accepted
 * bypasses them.
 *
 * @module
 */

import { NodeByteStream } from "../transport/node_stream.ts";
import { KEEPALIVE_IDLE_MS } from "../transport/node_listener.ts";
import type { AcceptSink, StreamListener } from "../transport/listener.ts";
import type { UpgradeListener, UpgradeRequestHead, UpgradeSocket, UpgradeSource } from "./types.ts";

const encoder = new TextEncoder();

/** The request head as the client sent it, rebuilt from what the HTTP server parsed. */
export function rebuildHead(request: UpgradeRequestHead): string {
  let text = `${request.method ?? "GET"} ${request.url ?? "/"} HTTP/${request.httpVersion}\r\n`;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return text + "\r\n";
}

/** The answer to an upgrade that no running attached server takes. */
const UNAVAILABLE = encoder.encode(
  "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
);

/** Refuses an upgrade nobody serves and releases its socket. */
export function refuseUpgrade(socket: UpgradeSocket): void {
  socket.on("error", () => {});
  socket.write(UNAVAILABLE, () => socket.destroy());
  socket.end();
}

/** Upgrades handed over by an HTTP server, as accepted streams. */
export class AttachedListener implements StreamListener {
  readonly #source: UpgradeSource | null;
  #sink: AcceptSink | null = null;
  #closed = false;
  readonly #onUpgrade: UpgradeListener = (request, socket, head) =>
    this.handle(request, socket, head);

  /** @param source the HTTP server, or `null` when upgrades come only through `handle` */
  constructor(source: UpgradeSource | null) {
    this.#source = source;
  }

  /** The HTTP server's address (empty while it does not listen, or without a source). */
  get address(): { hostname: string; port: number } {
    const address = this.#source?.address?.() as { address?: unknown; port?: unknown } | null;
    if (typeof address?.address === "string" && typeof address.port === "number") {
      return { hostname: address.address, port: address.port };
    }
    return { hostname: "", port: 0 };
  }

  /** Always settled: there is no accept loop of our own. */
  get finished(): Promise<void> {
    return Promise.resolve();
  }

  /** Subscribes to the HTTP server's `upgrade` events. */
  startAccepting(sink: AcceptSink): void {
    this.#sink = sink;
    this.#source?.on("upgrade", this.#onUpgrade);
  }

  /** Takes one upgrade over; `false` (and a 503) once closed. */
  handle(request: UpgradeRequestHead, socket: UpgradeSocket, head: Uint8Array): boolean {
    if (this.#closed || this.#sink === null) {
      refuseUpgrade(socket);
      return false;
    }
    const headText = encoder.encode(rebuildHead(request));
    const bytes = new Uint8Array(headText.length + head.length);
    bytes.set(headText);
    bytes.set(head, headText.length);
    socket.unshift(bytes);
    // Small frames leave at once; keep-alive stays on here (our own listener sets it only
    // when the heartbeat is off), as the HTTP server's sockets may outlive our settings.
    socket.setNoDelay?.(true);
    socket.setKeepAlive?.(true, KEEPALIVE_IDLE_MS);
    socket.on("error", () => {});
    this.#sink.accept(new NodeByteStream(socket));
    return true;
  }

  /** Stops taking upgrades; the HTTP server and the streams already accepted stay. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source?.off("upgrade", this.#onUpgrade);
  }
}
