/**
 * permessage-deflate workload (issue 16), opt-in and short: 1 KiB compressible JSON
 * messages with compression on both ends, ours against npm `ws`, all on Deno.
 *
 * - Throughput: one client sends MESSAGES messages with WINDOW in flight to an echo
 *   server in a child process; messages/s, CPU per message of the client (this
 *   process) and of the server (the child, `process.cpuUsage`), bytes on the wire per
 *   round trip (counted by the npm ws end's socket). Pairs: ws → ws, ours → ws
 *   (our client), ws → ours (our server), ours → ours.
 * - Idle memory: IDLE clients connect to each server with compression, exchange one
 *   message (so the contexts kept for context takeover exist) and go idle; the server
 *   child's RSS growth per connection.
 *
 * ```sh
 * npx -y deno@2.9.6 run -A bench/deflate.ts            # MESSAGES=20000 WINDOW=16 IDLE=500
 * npx -y deno@2.9.6 run -A bench/deflate.ts 50000 16 1000
 * ```
 *
 * @module
 */

import process from "node:process";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import webSocket from "../mod.ts";

type Impl = "ours" | "ws";

const THRESHOLD = 0; // compress every message (ws's default threshold of 1024 would too)

function message(i: number): string {
  const body = {
    id: i,
    type: "telemetry",
    device: `sensor-${i % 64}`,
    ts: 1_700_000_000_000 + i,
    values: Array.from({ length: 40 }, (_, k) => (i * 31 + k * 7) % 1000),
    tags: ["alpha", "beta", "gamma", "delta"],
    status: { ok: true, battery: 87, firmware: "4.2.1" },
  };
  return JSON.stringify(body).padEnd(1024, " ").slice(0, 1024);
}

// ------------------------------------------------------------------ child: server

async function serve(impl: Impl): Promise<void> {
  let port: number;
  // Bytes on the wire, where npm ws's node:net sockets can count them.
  const sockets: { bytesRead: number; bytesWritten: number }[] = [];
  if (impl === "ours") {
    const server = webSocket.createWebSocketServer();
    server.on(
      "messageReceive",
      (m) => server.send(m.data, m.clientConnection).catch(() => {}),
    );
    await server.start({
      serverIP: "127.0.0.1",
      serverPort: 0,
      perMessageDeflate: { threshold: THRESHOLD },
      maxConcurrentClientsNumber: 5000,
      maxConnectionsForOneClient: 5000,
      allowMoreThanPlatformLimit: true,
      pingIntervalMs: 0,
    });
    port = server.address()!.serverPort;
  } else {
    const wss = new WsServer({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: { threshold: THRESHOLD },
    });
    await new Promise((r) => wss.once("listening", r));
    wss.on("connection", (s: WsClient) => {
      sockets.push((s as unknown as { _socket: (typeof sockets)[0] })._socket);
      s.on("message", (d: Uint8Array, b: boolean) => s.send(d, { binary: b }));
    });
    port = (wss.address() as { port: number }).port;
  }
  console.log(JSON.stringify({ port }));
  const input = Deno.stdin.readable.getReader();
  // Each line on stdin asks for a report; EOF ends the child.
  for (;;) {
    const { done } = await input.read();
    const cpu = process.cpuUsage();
    console.log(
      JSON.stringify({
        cpuUs: cpu.user + cpu.system,
        rss: Deno.memoryUsage().rss,
        wire: sockets.reduce((sum, x) => sum + x.bytesRead + x.bytesWritten, 0),
      }),
    );
    if (done) Deno.exit(0);
  }
}

// ------------------------------------------------------------------ parent

class Child {
  readonly proc: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = "";
  constructor(impl: Impl) {
    this.proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", impl],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.proc.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#writer = this.proc.stdin.getWriter();
  }
  async line(): Promise<Record<string, number>> {
    for (let i = 0; i < 1000; i++) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const text = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return JSON.parse(text);
      }
      const { value, done } = await this.#lines.read();
      if (done) throw new Error("server child ended");
      this.#buffer += value;
    }
    throw new Error("no line from the server child");
  }
  async report(): Promise<{ cpuUs: number; rss: number; wire: number }> {
    await this.#writer.write(new TextEncoder().encode("\n"));
    const r = await this.line();
    return { cpuUs: r.cpuUs, rss: r.rss, wire: r.wire };
  }
  async end(): Promise<void> {
    await this.#writer.close();
    await this.line().catch(() => {});
    await this.proc.status;
  }
}

interface Conn {
  /** Bytes read + written by the client's socket (npm ws only; 0 for ours). */
  wire(): number;
  send(data: string): void;
  onMessage(fn: () => void): void;
  close(): Promise<void>;
}

async function connect(impl: Impl, port: number): Promise<Conn> {
  const url = `ws://127.0.0.1:${port}/`;
  if (impl === "ours") {
    const ws = webSocket.createWebSocket();
    await ws.connect(url, {
      perMessageDeflate: { threshold: THRESHOLD },
      pingInterval: 0,
    });
    return {
      wire: () => 0,
      send: (d) => void ws.send(d).catch(() => {}),
      onMessage: (fn) => ws.on("message", () => fn()),
      close: async () => {
        const closed = new Promise((r) => ws.on("close", r));
        await ws.close();
        await closed;
      },
    };
  }
  const ws = new WsClient(url, { perMessageDeflate: { threshold: THRESHOLD } });
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  const socket = (ws as unknown as { _socket: { bytesRead: number; bytesWritten: number } })
    ._socket;
  return {
    wire: () => socket.bytesRead + socket.bytesWritten,
    send: (d) => ws.send(d),
    onMessage: (fn) => ws.on("message", () => fn()),
    close: () =>
      new Promise((r) => {
        ws.once("close", r);
        ws.close(1000);
      }),
  };
}

async function throughput(
  client: Impl,
  server: Impl,
  count: number,
  window: number,
) {
  const child = new Child(server);
  const { port } = await child.line();
  const conn = await connect(client, port);
  const payloads = Array.from({ length: 256 }, (_, i) => message(i));
  // Warm up (JIT, zlib contexts), then measure.
  await run(conn, payloads, 2000, window);
  const s0 = await child.report();
  const w0 = conn.wire();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run(conn, payloads, count, window);
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const s1 = await child.report();
  const wire = Math.max(conn.wire() - w0, s1.wire - s0.wire);
  await conn.close();
  await child.end();
  return {
    pair: `${client} client → ${server} server`,
    msgsPerS: Math.round(count / (ms / 1000)),
    clientCpuUsPerMsg: +((c1.user + c1.system) / count).toFixed(2),
    serverCpuUsPerMsg: +((s1.cpuUs - s0.cpuUs) / count).toFixed(2),
    // Both directions (message and echo), counted by whichever end is npm ws.
    wireBytesPerRoundTrip: wire === 0 ? "n/a" : Math.round(wire / count),
  };
}

function run(
  conn: Conn,
  payloads: string[],
  count: number,
  window: number,
): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    // Each run adds a listener; an earlier run's one stops sending once its count is reached.
    conn.onMessage(() => {
      received++;
      if (received === count) resolve();
      else if (sent < count) conn.send(payloads[sent++ & 255]);
    });
    for (let i = 0; i < window && sent < count; i++) {
      conn.send(payloads[sent++ & 255]);
    }
  });
}

async function idleMemory(server: Impl, clients: number) {
  const child = new Child(server);
  const { port } = await child.line();
  const before = await child.report();
  const conns: Conn[] = [];
  for (let i = 0; i < clients; i++) {
    const c = await connect("ws", port);
    await new Promise<void>((r) => {
      c.onMessage(r);
      c.send(message(i));
    });
    conns.push(c);
  }
  await new Promise((r) => setTimeout(r, 500)); // settle (a measurement pause, not a test wait)
  const after = await child.report();
  for (const c of conns) await c.close();
  await child.end();
  return {
    server,
    clients,
    rssPerConnKiB: +((after.rss - before.rss) / clients / 1024).toFixed(1),
  };
}

if (Deno.args[0] === "--serve") {
  await serve(Deno.args[1] as Impl);
} else {
  const count = Number(Deno.args[0] ?? 20000);
  const window = Number(Deno.args[1] ?? 16);
  const idle = Number(Deno.args[2] ?? 500);
  console.log(
    `deflate workload: ${count} × 1 KiB JSON, ${window} in flight, Deno ${Deno.version.deno}`,
  );
  for (
    const [c, s] of [["ws", "ws"], ["ours", "ws"], ["ws", "ours"], [
      "ours",
      "ours",
    ]] as const
  ) {
    console.log(JSON.stringify(await throughput(c, s, count, window)));
  }
  for (const s of ["ws", "ours"] as const) {
    console.log(JSON.stringify(await idleMemory(s, idle)));
  }
}
