// One end of bench/deflate.ts's workload (issue 16), on Deno, Node or Bun: ours
// (mod.ts on Deno, the npm build elsewhere) or npm `ws`, both with permessage-deflate
// (threshold 0, default parameters: context takeover, 15-bit windows, level 6).
//
//   deflate_peer.mjs server <ours|ws>
//     prints {"port":n}; each line on stdin asks for {"cpuUs","rss","heap","external","wire"}
//     (heap and external after a full GC when the runtime exposes gc()); EOF ends it.
//   deflate_peer.mjs client <ours|ws> <port> <count> <window>
//     warms up, prints {"warm":true}, waits for a line on stdin, then sends <count>
//     1 KiB JSON messages with <window> in flight, prints {"cpuUs","ms","wire"} and ends.
//
// CPU is this process's `process.cpuUsage()` (zlib's threads included); bytes on the wire
// are counted by npm ws's socket (ours has none to ask), both directions.
import process from "node:process";
import { createInterface } from "node:readline";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import { profileOnSignals } from "../lib/signal_profiler.mjs";
import { message } from "./deflate_message.mjs";

const THRESHOLD = 0; // every message is compressed
const WARM_UP = 2000;

async function loadOurs() {
  const path = typeof Deno === "object" ? "../../mod.ts" : "../../npm/esm/mod.js";
  return (await import(path)).default;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const cpuUs = () => {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
};

function memory() {
  globalThis.gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heap: heapUsed, external };
}

async function serve(impl) {
  // BENCH_PROFILE=path: SIGUSR2 starts and stops a CPU profile of this server (as bench:server).
  if (process.env.BENCH_PROFILE) {
    await profileOnSignals(process.env.BENCH_PROFILE);
  }
  // Sockets of npm ws, whose byte counters give the bytes on the wire.
  const sockets = [];
  let port;
  if (impl === "ours") {
    const webSocket = await loadOurs();
    const server = webSocket.createWebSocketServer();
    // Text arrives as a string (the API's contract) and is sent back as one.
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
    port = server.address().serverPort;
  } else {
    const wss = new WsServer({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: { threshold: THRESHOLD },
    });
    await new Promise((resolve) => wss.once("listening", resolve));
    wss.on("connection", (socket) => {
      sockets.push(socket._socket);
      // A text message is decoded and sent back as text, as ours does (a user of ws who
      // wants the text calls toString; echoing the Buffer would skip the decode ours pays).
      socket.on(
        "message",
        (data, binary) => socket.send(binary ? data : data.toString()),
      );
    });
    port = wss.address().port;
  }
  console.log(JSON.stringify({ port }));
  for (;;) {
    const { done } = await lines.next();
    const wire = sockets.reduce(
      (sum, s) => sum + s.bytesRead + s.bytesWritten,
      0,
    );
    console.log(
      JSON.stringify({ cpuUs: cpuUs(), ...memory(), wire }),
    );
    if (done) process.exit(0);
  }
}

async function connect(impl, port) {
  const url = `ws://127.0.0.1:${port}/`;
  if (impl === "ours") {
    const webSocket = await loadOurs();
    const ws = webSocket.createWebSocket();
    await ws.connect(url, {
      perMessageDeflate: { threshold: THRESHOLD },
      pingInterval: 0,
    });
    let onMessage = () => {};
    ws.on("message", (_error, data) => onMessage(data));
    return {
      wire: () => 0,
      send: (text) => void ws.send(text).catch(() => {}),
      set onMessage(fn) {
        onMessage = fn;
      },
    };
  }
  const ws = new WsClient(url, { perMessageDeflate: { threshold: THRESHOLD } });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let onMessage = () => {};
  // Decoded to text, as ours delivers it.
  ws.on(
    "message",
    (data, binary) => onMessage(binary ? data : data.toString()),
  );
  return {
    wire: () => ws._socket.bytesRead + ws._socket.bytesWritten,
    send: (text) => ws.send(text),
    set onMessage(fn) {
      onMessage = fn;
    },
  };
}

function run(conn, payloads, count, window) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    conn.onMessage = (data) => {
      if (typeof data !== "string" || data.length !== 1024) {
        reject(new Error(`unexpected echo: ${typeof data} of ${data.length}`));
        return;
      }
      received++;
      if (received === count) resolve();
      else if (sent < count) conn.send(payloads[sent++ & 255]);
    };
    for (let i = 0; i < window && sent < count; i++) {
      conn.send(payloads[sent++ & 255]);
    }
  });
}

async function client(impl, port, count, window) {
  const conn = await connect(impl, port);
  const payloads = Array.from({ length: 256 }, (_, i) => message(i));
  await run(conn, payloads, WARM_UP, window); // JIT and both zlib contexts
  console.log(JSON.stringify({ warm: true }));
  await lines.next();
  const wire0 = conn.wire();
  const cpu0 = cpuUs();
  const t0 = performance.now();
  await run(conn, payloads, count, window);
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({ cpuUs: cpuUs() - cpu0, ms, wire: conn.wire() - wire0 }),
  );
  process.exit(0);
}

const [role, impl, port, count, window] = process.argv.slice(2);
if (role === "server") await serve(impl);
else if (role === "client") {
  await client(impl, Number(port), Number(count), Number(window));
} else {throw new Error(
    "usage: deflate_peer.mjs server <impl> | client <impl> <port> <count> <window>",
  );}
