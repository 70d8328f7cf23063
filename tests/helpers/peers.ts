/**
 * Third-party WebSocket servers for the interop tests (`tests/interop_test.ts`), all on
 * 127.0.0.1 port 0, behind one interface ({@linkcode InteropPeer}):
 *
 * - {@linkcode startPythonPeer}: Debian's `python3-websockets` (a strict implementation),
 *   `tests/helpers/python_ws_server.py` run by `/usr/bin/python3`.
 * - {@linkcode startWsPeer}: npm `ws`'s `WebSocketServer`, running inside Deno.
 * - {@linkcode startDenoPeer}: `Deno.serve` + `Deno.upgradeWebSocket`.
 *
 * Each one echoes every message, except a text message built by {@linkcode command}, which
 * asks the server to close, drop the transport, send a fragmented message or ping.
 * Every wait is bounded (see `within`); `shutdown()` always releases every resource.
 *
 * @module
 */

import { WebSocketServer } from "ws";
import { Queue, within } from "./deno_server.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a server saw when a connection ended (`code` is null when it had none). */
export interface SeenClose {
  code: number | null;
  reason: string;
}

/** A request for the server, sent by the client as a text message. */
export type Command =
  | { op: "close"; code: number; reason: string }
  | { op: "drop" }
  | { op: "fragments"; text: string[] }
  | { op: "fragments"; binary: number[][] }
  /** Text fragments as raw UTF-8 bytes, boundaries inside characters (npm ws only). */
  | { op: "fragments"; utf8: number[][] }
  | { op: "ping"; payload: string }
  /**
   * One message of `total` bytes sent as `fragment`-byte frames: text is
   * {@linkcode BULK_TEXT} repeated (cut to `total`), binary is bytes 0..255 repeated.
   */
  | { op: "bulk"; kind: "text" | "binary"; total: number; fragment: number }
  /** A text fragment (FIN clear), then close 1000 in the middle of the message (npm ws only). */
  | { op: "closeMidMessage" };

/** The text that `bulk` repeats (Autobahn's payload; ASCII, so any split is valid). */
export const BULK_TEXT = "BAsd7&jh23";

/** What a `bulk` command sends, as one message. */
export function bulkMessage(kind: "text" | "binary", total: number): string | Uint8Array {
  if (kind === "text") return BULK_TEXT.repeat(Math.ceil(total / BULK_TEXT.length)).slice(0, total);
  return Uint8Array.from({ length: total }, (_, i) => i & 255);
}

/** The text message that carries `cmd` to the server. */
export function command(cmd: Command): string {
  return "cmd:" + JSON.stringify(cmd);
}

function parseCommand(text: string): Command | undefined {
  return text.startsWith("cmd:") ? JSON.parse(text.slice(4)) as Command : undefined;
}

/** A running interop server. */
export interface InteropPeer {
  /** Which implementation this is (with its version when known). */
  readonly name: string;
  /** `ws://127.0.0.1:<port>/` */
  readonly url: string;
  /** One entry per connection that ended, as the server saw it. */
  readonly closes: Queue<SeenClose>;
  /** Commands the server could not carry out (a test expects none). */
  readonly failures: string[];
  /** Stops the server and releases everything (bounded). */
  shutdown(): Promise<void>;
}

/** Waits `ms` with a timer that always completes (no leak). */
export const delay = (ms: number): Promise<void> =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ------------------------------------------------------------------ python

/** Debian's interpreter: `apt-get install python3-websockets` installs the module for it. */
export const PYTHON = "/usr/bin/python3";
const PYTHON_SERVER = new URL("./python_ws_server.py", import.meta.url).pathname;

let pythonCheck: Promise<string> | undefined;

/**
 * The `websockets` version `/usr/bin/python3` imports; throws a clear error (the test fails,
 * it is not skipped) when the interpreter or the module is missing.
 */
export function requirePythonWebsockets(): Promise<string> {
  pythonCheck ??= (async () => {
    let result: Deno.CommandOutput;
    try {
      result = await new Deno.Command(PYTHON, {
        args: ["-c", "import websockets; print(websockets.__version__)"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      throw new Error(
        `${PYTHON} cannot run (${describe(error)}). The interop tests need Debian's python3 ` +
          `with the websockets module: apt-get install -y python3-websockets`,
      );
    }
    if (!result.success) {
      throw new Error(
        `${PYTHON} cannot import websockets: ${decoder.decode(result.stderr).trim()}\n` +
          `The interop tests need Debian's package: apt-get install -y python3-websockets`,
      );
    }
    return decoder.decode(result.stdout).trim();
  })();
  return pythonCheck;
}

/** Calls `onLine` for each line of `stream`; resolves at EOF. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") onLine(buffered);
}

interface PythonEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * Starts `python_ws_server.py` and waits (bounded) until it listens. The process is
 * stopped by closing its stdin, then SIGKILL if it has not exited within 3 s.
 */
export async function startPythonPeer(): Promise<InteropPeer> {
  const version = await requirePythonWebsockets();
  const child = new Deno.Command(PYTHON, {
    args: [PYTHON_SERVER],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const closes = new Queue<SeenClose>();
  const failures: string[] = [];
  let port: number | undefined;
  let listening!: { resolve: () => void; reject: (error: Error) => void };
  const started = new Promise<void>((resolve, reject) => {
    listening = { resolve, reject };
  });
  const stdoutDone = readLines(child.stdout, (line) => {
    let event: PythonEvent;
    try {
      event = JSON.parse(line);
    } catch {
      failures.push(`python server printed: ${line}`);
      return;
    }
    if (event.event === "listening") {
      port = event.port as number;
      listening.resolve();
    } else if (event.event === "closed") {
      closes.push({ code: event.code as number | null, reason: event.reason as string });
    } else if (event.event === "failed") {
      failures.push(`python server: ${event.op} failed: ${event.error}`);
    } else if (event.event === "error") {
      failures.push(`python server: ${event.message}`);
    }
  }).finally(() => listening.reject(new Error("python server ended its output")));
  let stderr = "";
  const stderrDone = readLines(child.stderr, (line) => {
    stderr += line + "\n";
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        await child.stdin.close();
      } catch {
        // the process is gone already
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 3000)),
      ]);
      clearTimeout(timer);
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
      }
      await within(child.status, "python server exit");
      await within(Promise.all([stdoutDone, stderrDone]), "python server output");
    })();

  try {
    await within(started, "python server to listen", 10_000);
  } catch (error) {
    await stop();
    throw new Error(`python websockets server did not start: ${describe(error)}\n${stderr}`);
  }
  return {
    name: `python websockets ${version}`,
    url: `ws://127.0.0.1:${port}/`,
    closes,
    failures,
    async shutdown() {
      await stop();
      // Tracebacks on stderr mean the server broke; asyncio noise about a dropped
      // transport does not.
      if (/Traceback/.test(stderr) && !/ConnectionClosed|ConnectionReset/.test(stderr)) {
        failures.push(`python server stderr:\n${stderr}`);
      }
    },
  };
}

// ------------------------------------------------------------------ npm ws

/** The parts of npm `ws`'s server-side socket these tests use. */
interface WsSocket {
  on(event: "message", listener: (data: Uint8Array, isBinary: boolean) => void): void;
  on(event: "close", listener: (code: number, reason: Uint8Array) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  on(event: "pong", listener: (data: Uint8Array) => void): void;
  send(data: Uint8Array | string, options?: { binary?: boolean; fin?: boolean }): void;
  ping(data: Uint8Array): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** The parts of npm `ws`'s `WebSocketServer` these tests use. */
interface WsServer {
  clients: Set<WsSocket>;
  address(): { port: number };
  on(event: "connection", listener: (socket: WsSocket) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  once(event: "listening", listener: () => void): void;
  close(callback: (error?: Error) => void): void;
}

/** Starts npm `ws`'s `WebSocketServer` (inside this Deno process). */
export async function startWsPeer(): Promise<InteropPeer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 }) as unknown as WsServer;
  await within(new Promise<void>((resolve) => server.once("listening", resolve)), "ws listens");
  const closes = new Queue<SeenClose>();
  const failures: string[] = [];
  server.on("error", (error) => failures.push(`ws server error: ${error.message}`));
  server.on("connection", (socket) => {
    socket.on("error", () => {});
    socket.on("close", (code, reason) => closes.push({ code, reason: decoder.decode(reason) }));
    // Payloads of pings sent and not answered yet; pongs must come back in order.
    const pings: string[] = [];
    socket.on("pong", (payload) => {
      const got = decoder.decode(payload);
      const expected = pings.shift();
      if (got === expected) socket.send("pong:" + got);
      else failures.push(`ws: pong carried ${JSON.stringify(got)}, expected ${expected}`);
    });
    socket.on("message", (data, isBinary) => {
      const cmd = isBinary ? undefined : parseCommand(decoder.decode(data));
      if (cmd === undefined) {
        socket.send(data, { binary: isBinary });
        return;
      }
      switch (cmd.op) {
        case "close":
          socket.close(cmd.code, cmd.reason);
          break;
        case "drop":
          socket.terminate(); // destroys the TCP socket: no close frame
          break;
        case "fragments": {
          // ws sends a continuation frame for every send after one with fin: false.
          const binary = "binary" in cmd;
          const parts = "text" in cmd
            ? cmd.text.map((part) => encoder.encode(part))
            : ("binary" in cmd ? cmd.binary : cmd.utf8).map((part) => new Uint8Array(part));
          parts.forEach((part, i) => socket.send(part, { binary, fin: i === parts.length - 1 }));
          break;
        }
        case "bulk": {
          const message = bulkMessage(cmd.kind, cmd.total);
          const whole = typeof message === "string" ? encoder.encode(message) : message;
          const binary = cmd.kind === "binary";
          for (let at = 0; at < whole.length; at += cmd.fragment) {
            const fin = at + cmd.fragment >= whole.length;
            socket.send(whole.subarray(at, at + cmd.fragment), { binary, fin });
          }
          break;
        }
        case "closeMidMessage":
          socket.send(encoder.encode("fragment1"), { binary: false, fin: false });
          socket.close(1000, "mid-message");
          break;
        case "ping":
          pings.push(cmd.payload);
          socket.ping(encoder.encode(cmd.payload));
          break;
      }
    });
  });
  return {
    name: "npm ws 8.23.0",
    url: `ws://127.0.0.1:${server.address().port}/`,
    closes,
    failures,
    async shutdown() {
      // close() stops listening but leaves open connections alone.
      for (const socket of server.clients) socket.terminate();
      await within(
        new Promise<void>((resolve) => server.close(() => resolve())),
        "ws server close",
      );
    },
  };
}

// ------------------------------------------------------------------ Deno.serve

/** Options of {@linkcode startDenoPeer}. */
export interface DenoPeerOptions {
  /** `Deno.upgradeWebSocket`'s `idleTimeout` (s): Deno pings when idle, closes without pong. */
  idleTimeout?: number;
  /**
   * Put a TCP relay in front of the server and make `drop` cut it: Deno's server API has no
   * way to abort a WebSocket's transport (aborting `Deno.serve` sends a close frame).
   */
  relay?: boolean;
}

/** Starts `Deno.serve` + `Deno.upgradeWebSocket`; `fragments` and `ping` are not possible. */
export function startDenoPeer(options: DenoPeerOptions = {}): InteropPeer {
  const closes = new Queue<SeenClose>();
  const failures: string[] = [];
  const sockets = new Set<WebSocket>();
  let relay: Relay | undefined;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: options.idleTimeout,
    });
    socket.binaryType = "arraybuffer";
    sockets.add(socket);
    socket.onmessage = (event) => {
      const data = event.data as string | ArrayBuffer;
      const cmd = typeof data === "string" ? parseCommand(data) : undefined;
      if (cmd === undefined) socket.send(data);
      else if (cmd.op === "close") socket.close(cmd.code, cmd.reason);
      else if (cmd.op === "drop" && relay !== undefined) relay.cut();
      else failures.push(`Deno.serve cannot carry out ${JSON.stringify(cmd)}`);
    };
    socket.onclose = (event) => {
      sockets.delete(socket);
      closes.push({ code: event.code, reason: event.reason });
    };
    socket.onerror = () => {};
    return response;
  });
  if (options.relay) relay = startRelay(server.addr.port);
  return {
    name: `Deno ${Deno.version.deno} Deno.serve`,
    url: `ws://127.0.0.1:${relay?.port ?? server.addr.port}/`,
    closes,
    failures,
    async shutdown() {
      await relay?.shutdown();
      for (const socket of sockets) socket.close(); // only after a failed test
      await within(server.shutdown(), "Deno.serve shutdown");
    },
  };
}

/** A loopback TCP relay to `targetPort`. */
interface Relay {
  port: number;
  /** Closes both sides of every relayed connection at once (no FIN handshake, no frames). */
  cut(): void;
  /** Stops accepting, cuts what is left, and waits for every pump. */
  shutdown(): Promise<void>;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Copies `from` to `to` until EOF, then half-closes `to`; errors end the copy. */
async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await to.write(buffer.subarray(offset, n));
    }
    await to.closeWrite();
  } catch {
    // cut, or the other side went away
  }
}

function startRelay(targetPort: number): Relay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pairs = new Set<[Deno.Conn, Deno.Conn]>();
  const pumps: Promise<void>[] = [];
  const cut = () => {
    for (const [a, b] of pairs) {
      closeQuietly(a);
      closeQuietly(b);
    }
    pairs.clear();
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        pumps.push((async () => {
          let upstream: Deno.Conn;
          try {
            upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
          } catch {
            closeQuietly(conn);
            return;
          }
          const pair: [Deno.Conn, Deno.Conn] = [conn, upstream];
          pairs.add(pair);
          await Promise.all([pump(conn, upstream), pump(upstream, conn)]);
          if (pairs.delete(pair)) {
            closeQuietly(conn);
            closeQuietly(upstream);
          }
        })());
      }
    } catch {
      // listener closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cut,
    async shutdown() {
      listener.close();
      await within(accepting, "relay accept loop");
      cut();
      await within(Promise.all(pumps), "relay pumps");
    },
  };
}

/**
 * A raw client that completes the handshake with `url` and then never answers anything;
 * resolves with the close code of the first close frame the server sends (or null at EOF).
 */
export async function silentClientCloseCode(url: string, ms: number): Promise<number | null> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    const request = `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    await conn.write(encoder.encode(request));
    let bytes = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    const read = async (): Promise<boolean> => {
      const n = await conn.read(chunk);
      if (n === null) return false;
      const grown = new Uint8Array(bytes.length + n);
      grown.set(bytes);
      grown.set(chunk.subarray(0, n), bytes.length);
      bytes = grown;
      return true;
    };
    const work = (async () => {
      let head = -1;
      while ((head = decoder.decode(bytes).indexOf("\r\n\r\n")) < 0) {
        if (!await read()) throw new Error("EOF during the handshake");
      }
      if (!decoder.decode(bytes).startsWith("HTTP/1.1 101")) throw new Error("not upgraded");
      bytes = bytes.slice(head + 4);
      // Unmasked server frames with payloads < 126 bytes (pings and close).
      while (true) {
        while (bytes.length < 2 || bytes.length < 2 + (bytes[1] & 0x7f)) {
          if (!await read()) return null;
        }
        const opcode = bytes[0] & 0x0f;
        const length = bytes[1] & 0x7f;
        if (opcode === 0x8) return length >= 2 ? (bytes[2] << 8) | bytes[3] : null;
        bytes = bytes.slice(2 + length);
      }
    })();
    try {
      return await within(work, "silent client: server close", ms);
    } finally {
      closeQuietly(conn);
      await work.catch(() => {});
    }
  } catch (error) {
    closeQuietly(conn);
    throw error;
  }
}
