/**
 * Peers and fixtures for the server tests, on loopback addresses only:
 *
 * - {@linkcode startServer}: our server on 127.0.0.1 (a free port), echoing by
 *   default, with every event recorded in a bounded-wait {@linkcode Queue}.
 * - {@linkcode EchoPeer} adapters for our client, Deno's `WebSocket` and npm `ws`,
 *   so one round-trip routine checks all of them.
 * - {@linkcode RawClient}: a bare TCP client that writes exactly the bytes a
 *   test wants and parses the server's answer and (unmasked) frames.
 * - {@linkcode findPythonWithWebsockets}: which `python3` can import `websockets`.
 *
 * Every wait is bounded (see `within` and `Queue.next`).
 *
 * @module
 */

import WsWebSocket from "ws";
import webSocket, {
  type BusinessError,
  type CloseResult,
  type WebSocketConnection,
  type WebSocketMessage,
  type WebSocketServer,
  type WebSocketServerConfig,
} from "../../mod.ts";
import { Queue, within } from "./deno_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ------------------------------------------------------------------ harness

/** A `close` event of the server under test. */
export interface ServerClose {
  connection: WebSocketConnection;
  result: CloseResult;
}

/** A running server under test and everything it reported. */
export interface Harness {
  server: WebSocketServer;
  port: number;
  url: string;
  connects: Queue<WebSocketConnection>;
  messages: Queue<WebSocketMessage>;
  closes: Queue<ServerClose>;
  errors: Queue<BusinessError>;
  /** Stops the server if it still runs (bounded). */
  stop(): Promise<void>;
}

/**
 * Starts `server` (default: a new `createWebSocketServer()`) on 127.0.0.1, a free
 * port, echoing every message unless `echo` is false.
 */
export async function startServer(
  config: Partial<WebSocketServerConfig> = {},
  echo = true,
  server: WebSocketServer = webSocket.createWebSocketServer(),
): Promise<Harness> {
  const connects = new Queue<WebSocketConnection>();
  const messages = new Queue<WebSocketMessage>();
  const closes = new Queue<ServerClose>();
  const errors = new Queue<BusinessError>();
  server.on("connect", (connection) => connects.push(connection));
  server.on("messageReceive", (message) => {
    messages.push(message);
    if (echo) server.send(message.data, message.clientConnection).catch(() => {});
  });
  server.on("close", (connection, result) => closes.push({ connection, result }));
  server.on("error", (err) => errors.push(err));
  await within(
    server.start({ serverIP: "127.0.0.1", serverPort: 0, ...config }),
    "server start",
  );
  const port = server.address()!.serverPort;
  const scheme = config.serverCert === undefined ? "ws" : "wss";
  return {
    server,
    port,
    url: `${scheme}://127.0.0.1:${port}/`,
    connects,
    messages,
    closes,
    errors,
    async stop() {
      if (server.address() !== undefined) await within(server.stop(), "server stop", 8000);
    },
  };
}

// ------------------------------------------------------------- echo peers

/** What a client saw when its connection closed. */
export interface PeerClose {
  code: number;
  reason: string;
}

/** One WebSocket client library, reduced to what an echo test needs. */
export interface EchoPeer {
  readonly name: string;
  /** Sends a text (`string`) or binary (`Uint8Array`) message. */
  send(data: string | Uint8Array): Promise<void>;
  /** The next message: text as `string`, binary as `Uint8Array`. */
  next(label: string, ms?: number): Promise<string | Uint8Array>;
  /** Resolves with the close the client saw (whoever started it). */
  readonly closed: Promise<PeerClose>;
  /** Starts a close with `code` and `reason`. */
  close(code?: number, reason?: string): Promise<void>;
}

function toBytes(data: unknown): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  // ws hands fragmented binary messages as an array of Buffers when asked; it isn't here.
  throw new Error(`unexpected message type ${Object.prototype.toString.call(data)}`);
}

/** Our own client (`mod.ts`), connected to `url`. */
export async function connectOurClient(
  url: string,
  options: Record<string, unknown> = {},
): Promise<EchoPeer> {
  const ws = webSocket.createWebSocket();
  const messages = new Queue<string | Uint8Array>();
  ws.on("message", (_err, data) => messages.push(toBytes(data)));
  ws.on("error", () => {});
  const closed = new Promise<PeerClose>((resolve) =>
    ws.on("close", (_err, value) => resolve({ code: value.code, reason: value.reason }))
  );
  await within(ws.connect(url, options), `our client connects to ${url}`);
  return {
    name: "our client",
    send: async (data) => {
      await ws.send(data);
    },
    next: (label, ms) => messages.next(label, ms),
    closed,
    close: async (code = 1000, reason = "") => {
      await ws.close({ code, reason });
    },
  };
}

/** Deno's built-in `WebSocket`; `client` carries extra trusted CAs for wss. */
export async function connectDenoWebSocket(
  url: string,
  client?: Deno.HttpClient,
): Promise<EchoPeer> {
  const ws = client === undefined ? new WebSocket(url) : new WebSocket(url, { client });
  ws.binaryType = "arraybuffer";
  const messages = new Queue<string | Uint8Array>();
  ws.onmessage = (event) => messages.push(toBytes(event.data));
  const closed = new Promise<PeerClose>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  });
  await within(
    new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (event) => reject(new Error(`Deno WebSocket failed: ${String(event)}`));
    }),
    `Deno WebSocket opens ${url}`,
  );
  ws.onerror = () => {};
  return {
    name: "Deno WebSocket",
    send: (data) => {
      ws.send(data);
      return Promise.resolve();
    },
    next: (label, ms) => messages.next(label, ms),
    closed,
    close: (code = 1000, reason = "") => {
      ws.close(code, reason);
      return Promise.resolve();
    },
  };
}

/** Options for npm `ws` that the tests use. */
export interface WsOptions {
  /** PEM CA to trust for wss. */
  ca?: string;
  /** Subprotocols to offer. */
  protocols?: string[];
  /** Local address to connect from (e.g. 127.0.0.2, to look like another client). */
  localAddress?: string;
}

/** npm `ws` as a client. */
export async function connectWs(url: string, options: WsOptions = {}): Promise<
  EchoPeer & { protocol: string }
> {
  // deno-lint-ignore no-explicit-any
  const ws: any = new WsWebSocket(url, options.protocols ?? [], {
    ca: options.ca,
    localAddress: options.localAddress,
  });
  const messages = new Queue<string | Uint8Array>();
  ws.on("message", (data: Uint8Array, isBinary: boolean) => {
    messages.push(isBinary ? new Uint8Array(data) : decoder.decode(data));
  });
  const closed = new Promise<PeerClose>((resolve) => {
    ws.on("close", (code: number, reason: Uint8Array) => {
      resolve({ code, reason: decoder.decode(reason) });
    });
  });
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (error: Error) => reject(error));
    }),
    `ws opens ${url}`,
  );
  ws.on("error", () => {});
  return {
    name: "npm ws",
    protocol: ws.protocol as string,
    send: (data) =>
      new Promise<void>((resolve, reject) =>
        ws.send(data, { binary: typeof data !== "string" }, (error?: Error) => {
          if (error) reject(error);
          else resolve();
        })
      ),
    next: (label, ms) => messages.next(label, ms),
    closed,
    close: (code = 1000, reason = "") => {
      ws.close(code, reason);
      return Promise.resolve();
    },
  };
}

// -------------------------------------------------------------- raw client

/** A frame the server sent (servers never mask). */
export interface ServerFrame {
  fin: boolean;
  /** RSV1: set on the first frame of a compressed message (permessage-deflate). */
  rsv1: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** The server's HTTP answer to an upgrade request. */
export interface HttpAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Bytes after the head (a refusal's body, or frames after a 101). */
  rest: Uint8Array;
}

/**
 * A request line and headers for a valid upgrade to 127.0.0.1:`port`;
 * `replace` swaps or drops (`null`) headers by lower-case name.
 */
export function upgradeRequest(
  port: number,
  replace: Record<string, string | null> = {},
): string {
  const headers: Record<string, string | null> = {
    host: `127.0.0.1:${port}`,
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
    ...replace,
  };
  let text = "GET / HTTP/1.1\r\n";
  for (const [name, value] of Object.entries(headers)) {
    if (value !== null) text += `${name}: ${value}\r\n`;
  }
  return text + "\r\n";
}

/** A client frame: masked with a fixed key unless `masked` is false. */
export function clientFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; masked?: boolean; declaredLength?: number } = {},
): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const masked = options.masked ?? true;
  const length = options.declaredLength ?? data.length;
  const head: number[] = [(options.fin ?? true ? 0x80 : 0) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) head.push(maskBit | length);
  else if (length < 65536) head.push(maskBit | 126, length >> 8, length & 0xff);
  else {
    head.push(maskBit | 127, 0, 0, 0, 0);
    head.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  const key = [0x12, 0x34, 0x56, 0x78];
  if (masked) head.push(...key);
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  for (let i = 0; i < data.length; i++) {
    out[head.length + i] = masked ? data[i] ^ key[i & 3] : data[i];
  }
  return out;
}

/** Close code and reason of a close frame's payload. */
export function closeOf(frame: ServerFrame): PeerClose {
  if (frame.payload.length < 2) return { code: 1005, reason: "" };
  return {
    code: (frame.payload[0] << 8) | frame.payload[1],
    reason: decoder.decode(frame.payload.subarray(2)),
  };
}

/** A bare TCP connection to the server under test. */
export class RawClient {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #eof = false;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(port: number): Promise<RawClient> {
    const conn = await within(
      Deno.connect({ hostname: "127.0.0.1", port }),
      `raw connect to ${port}`,
    );
    return new RawClient(conn);
  }

  /** Writes text (as UTF-8) or bytes. */
  async write(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    while (bytes.length > 0) bytes = bytes.subarray(await this.conn.write(bytes));
  }

  /** Reads more bytes into the buffer; false at EOF (or a reset, which counts as an end). */
  async #fill(label: string): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = new Uint8Array(64 * 1024);
    let n: number | null;
    try {
      n = await within(this.conn.read(chunk), label);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) n = null;
      else throw error;
    }
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  /** Reads the HTTP answer head. */
  async readAnswer(): Promise<HttpAnswer> {
    while (true) {
      const text = decoder.decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const headBytes = encoder.encode(text.slice(0, end + 4)).length;
        const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const rest = this.#buffer.slice(headBytes);
        this.#buffer = rest;
        return { status: Number(statusLine.split(" ")[1]), headers, rest };
      }
      if (!await this.#fill("HTTP answer")) throw new Error("connection ended before an answer");
    }
  }

  /** Reads everything until the server ends the connection; returns it as text. */
  async readToEnd(): Promise<string> {
    while (await this.#fill("end of stream"));
    const text = decoder.decode(this.#buffer);
    this.#buffer = new Uint8Array(0);
    return text;
  }

  /** True when the server has ended the connection (reads until EOF, bounded). */
  async ended(): Promise<boolean> {
    await this.readToEnd();
    return this.#eof;
  }

  /** Reads one server frame; throws at EOF or on a masked frame. */
  async readFrame(): Promise<ServerFrame> {
    while (true) {
      const frame = this.#parseFrame();
      if (frame !== null) return frame;
      if (!await this.#fill("server frame")) throw new Error("connection ended before a frame");
    }
  }

  #parseFrame(): ServerFrame | null {
    const b = this.#buffer;
    if (b.length < 2) return null;
    if (b[1] & 0x80) throw new Error("server sent a masked frame");
    let length = b[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = (b[2] << 8) | b[3];
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = ((b[6] << 24) >>> 0) + (b[7] << 16) + (b[8] << 8) + b[9];
      offset = 10;
    }
    if (b.length < offset + length) return null;
    const frame = {
      fin: (b[0] & 0x80) !== 0,
      rsv1: (b[0] & 0x40) !== 0,
      opcode: b[0] & 0x0f,
      payload: b.slice(offset, offset + length),
    };
    this.#buffer = b.slice(offset + length);
    return frame;
  }

  /** Sends a valid upgrade request and expects 101. */
  async upgrade(port: number): Promise<void> {
    await this.write(upgradeRequest(port));
    const answer = await this.readAnswer();
    if (answer.status !== 101) throw new Error(`expected 101, got ${answer.status}`);
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }
}

// ------------------------------------------------------------------ python

/**
 * The first of `python3` (PATH) and `/usr/bin/python3` that can import the
 * `websockets` library, or `undefined`. Debian's `python3-websockets`
 * installs it for `/usr/bin/python3`, which a pyenv `python3` on PATH does not see.
 */
export async function findPythonWithWebsockets(): Promise<string | undefined> {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      const result = await new Deno.Command(python, {
        args: ["-c", "import websockets"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (result.success) return python;
    } catch {
      // Not installed at this path.
    }
  }
  return undefined;
}
