/**
 * Test servers for the client tests, on loopback addresses only.
 *
 * - {@linkcode startServer}: `Deno.serve` + `Deno.upgradeWebSocket`, scriptable per test
 *   (echo by default), recording requests, messages and close events.
 * - {@linkcode startRawServer}: a bare `Deno.listen` server whose connection handler a test
 *   writes by hand (answer the handshake or not, drop TCP, never answer close, ...).
 *
 * Every wait is bounded: see {@linkcode within} and {@linkcode Queue.next}.
 */

import { acceptKey } from "../../src/protocol/handshake.ts";
import { sha1Base64 } from "../../src/transport/mod.ts";

/** Default bound for any wait in the tests. */
export const WAIT_MS = 3000;

/** Races `promise` against a timer (always cleared); rejects after `ms` with `label`. */
export async function within<T>(promise: Promise<T>, label: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${label}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A FIFO of recorded values that a test can await one by one. */
export class Queue<T> {
  readonly items: T[] = [];
  #taken = 0;
  #waiters: Array<() => void> = [];

  /** Adds a value and wakes a waiting reader. */
  push(item: T): void {
    this.items.push(item);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The next value not taken yet, waiting at most `ms`. */
  async next(label: string, ms = WAIT_MS): Promise<T> {
    while (this.#taken >= this.items.length) {
      await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), label, ms);
    }
    return this.items[this.#taken++];
  }
}

/** What the scripted server saw when a client closed. */
export interface ServerClose {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** A request as the handler saw it. */
export interface SeenRequest {
  url: string;
  headers: Headers;
}

/** Per-test behaviour of {@linkcode startServer}. */
export interface ServerScript {
  /** Interface to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Answer upgrade requests with this HTTP status instead of upgrading. */
  refuseWith?: number;
  /** Runs when a server-side socket opens (e.g. send then close). */
  onOpen?: (socket: WebSocket) => void;
  /** Runs for each message; default echoes it back. */
  onMessage?: (socket: WebSocket, data: string | ArrayBuffer) => void;
}

/** A running {@linkcode startServer}. */
export interface ScriptedServer {
  /** `ws://host:port/` of the server (IPv6 in brackets). */
  url: string;
  port: number;
  /** Every request that reached the handler (copied: a `Request` dies after upgrade). */
  requests: Queue<SeenRequest>;
  /** Messages received by the server, in order. */
  messages: Queue<string | ArrayBuffer>;
  /** Close events of server-side sockets. */
  closes: Queue<ServerClose>;
  /** Stops listening and waits until every connection is done. */
  shutdown(): Promise<void>;
}

/** Starts a `Deno.serve` WebSocket server on port 0. */
export function startServer(script: ServerScript = {}): ScriptedServer {
  const hostname = script.hostname ?? "127.0.0.1";
  const requests = new Queue<SeenRequest>();
  const messages = new Queue<string | ArrayBuffer>();
  const closes = new Queue<ServerClose>();
  const sockets = new Set<WebSocket>();
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, (request) => {
    requests.push({ url: request.url, headers: new Headers(request.headers) });
    if (script.refuseWith !== undefined) {
      return new Response("refused", { status: script.refuseWith });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    sockets.add(socket);
    socket.onopen = () => script.onOpen?.(socket);
    socket.onmessage = (event) => {
      const data = event.data as string | ArrayBuffer;
      messages.push(data);
      if (script.onMessage) script.onMessage(socket, data);
      else socket.send(data);
    };
    socket.onclose = (event) => {
      sockets.delete(socket);
      closes.push({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    };
    socket.onerror = () => {};
    return response;
  });
  const port = server.addr.port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `ws://${host}:${port}/`,
    port,
    requests,
    messages,
    closes,
    async shutdown() {
      // Only matters when a test failed before its client closed.
      for (const socket of sockets) socket.close();
      await within(server.shutdown(), "server shutdown");
    },
  };
}

/** A running {@linkcode startRawServer}. */
export interface RawServer {
  url: string;
  port: number;
  /** Stops accepting and waits for every connection handler to finish. */
  shutdown(): Promise<void>;
}

/**
 * Starts a raw TCP server on 127.0.0.1 port 0; `handle` owns each accepted
 * connection and must close it (it is closed for it if it throws).
 */
export function startRawServer(handle: (conn: Deno.Conn) => Promise<void>): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        handlers.push(
          handle(conn).catch(() => {
            try {
              conn.close();
            } catch {
              // already closed
            }
          }),
        );
      }
    } catch {
      // listener closed
    }
  })();
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    async shutdown() {
      listener.close();
      await within(accepting, "raw server accept loop");
      await within(Promise.all(handlers), "raw server connection handlers");
    },
  };
}

const decoder = new TextDecoder();

/** Reads an HTTP request head (up to the blank line); returns its text. */
export async function readRequestHead(conn: Deno.Conn): Promise<string> {
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("EOF before the end of the request head");
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text;
}

/** Reads the request head and answers `101` with the right accept key; returns the head. */
export async function acceptHandshake(conn: Deno.Conn): Promise<string> {
  const head = await readRequestHead(conn);
  const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head)?.[1];
  if (key === undefined) throw new Error("no sec-websocket-key in request");
  const response = "HTTP/1.1 101 Switching Protocols\r\n" +
    "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n\r\n`;
  await writeAll(conn, new TextEncoder().encode(response));
  return head;
}

/** Writes every byte of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads until EOF (or a reset); returns everything read. */
export async function drain(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: number[] = [];
  const buffer = new Uint8Array(4096);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      parts.push(...buffer.subarray(0, n));
    }
  } catch {
    // reset by peer: same as EOF here
  }
  return new Uint8Array(parts);
}

/** An unmasked server frame with a payload shorter than 126 bytes. */
export function serverFrame(opcode: number, payload: Uint8Array): Uint8Array {
  if (payload.length > 125) throw new RangeError("short frames only");
  const frame = new Uint8Array(2 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = payload.length;
  frame.set(payload, 2);
  return frame;
}

/** One frame as the client sent it, unmasked. */
export interface ClientFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** Reads client frames from a raw connection (after {@linkcode acceptHandshake}). */
export class ClientFrameReader {
  readonly #conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async #need(n: number): Promise<void> {
    const chunk = new Uint8Array(4096);
    while (this.#buffer.length < n) {
      const read = await this.#conn.read(chunk);
      if (read === null) throw new Error("EOF inside a frame");
      const grown = new Uint8Array(this.#buffer.length + read);
      grown.set(this.#buffer);
      grown.set(chunk.subarray(0, read), this.#buffer.length);
      this.#buffer = grown;
    }
  }

  /** The next complete frame. */
  async next(): Promise<ClientFrame> {
    await this.#need(2);
    const fin = (this.#buffer[0] & 0x80) !== 0;
    const opcode = this.#buffer[0] & 0x0f;
    const masked = (this.#buffer[1] & 0x80) !== 0;
    let length = this.#buffer[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      await this.#need(4);
      length = (this.#buffer[2] << 8) | this.#buffer[3];
      offset = 4;
    } else if (length === 127) {
      await this.#need(10);
      length = Number(new DataView(this.#buffer.buffer).getBigUint64(2));
      offset = 10;
    }
    const maskOffset = offset;
    if (masked) offset += 4;
    await this.#need(offset + length);
    const payload = this.#buffer.slice(offset, offset + length);
    if (masked) {
      for (let i = 0; i < payload.length; i++) payload[i] ^= this.#buffer[maskOffset + (i & 3)];
    }
    this.#buffer = this.#buffer.slice(offset + length);
    return { fin, opcode, masked, payload };
  }
}
