// The server's own JavaScript per message, per broadcast delivery and per
// connection, measured in one process without the network: our server (the
// npm build) over stand-in sockets that are real Node streams (a Duplex: the
// reads go through Readable.push and 'data', the writes through Writable.write)
// but write nowhere. What the kernel, libuv and the load generator cost is left
// out, so two builds can be compared in seconds and with little noise; the
// network benchmark (server_bench.ts) stays the measure of the whole server.
//
//   node bench/server_path.mjs [echo|broadcast|churn|all] [trials]
//   (after `deno task build:npm`; runs on Node and Bun)
//
// Prints the median and the best of the trials in ns per unit.
import { Duplex } from "node:stream";
import process from "node:process";
import { BENCH_LIMITS, serveBench } from "./servers/ours_server.mjs";
import { clientFrame, UPGRADE } from "./lib/stand_in_frames.mjs";

const root = new URL("../npm/esm/src/", import.meta.url);
const { WebSocketServerImpl } = await import(new URL("server/websocket_server.js", root).href);
const { NodeByteStream } = await import(new URL("transport/node_stream.js", root).href);

/** A socket that is a real Node stream but writes into the void (counting the bytes). */
class StandInSocket extends Duplex {
  written = 0;
  remoteAddress = "127.0.0.1";
  remotePort;
  constructor(port) {
    super({ allowHalfOpen: true });
    this.remotePort = port;
  }
  _read() {}
  _write(chunk, _encoding, callback) {
    this.written += chunk.length;
    callback();
  }
  _writev(chunks, callback) {
    for (const { chunk } of chunks) this.written += chunk.length;
    callback();
  }
}

/** A listener whose accepts are ours to make. */
function standInListen() {
  const listener = {
    sink: null,
    address: { hostname: "127.0.0.1", port: 1 },
    finished: Promise.resolve(),
    startAccepting(sink) {
      listener.sink = sink;
    },
    close() {},
  };
  return { listener, listen: () => Promise.resolve(listener) };
}

const encoder = new TextEncoder();

async function startServer(mode) {
  const { listener, listen } = standInListen();
  const server = new WebSocketServerImpl(listen);
  serveBench(server, mode);
  await server.start({ serverIP: "127.0.0.1", serverPort: 1, ...BENCH_LIMITS });
  return { server, listener };
}

/** One macrotask turn: ticks and microtasks queued so far have run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

let nextPort = 1024;
function connect(listener) {
  const socket = new StandInSocket(nextPort++);
  listener.sink.accept(new NodeByteStream(socket));
  socket.push(UPGRADE.slice());
  return socket;
}

/** Ends every stand-in connection (EOF), then stops the server (nothing left to wait for). */
async function hangUp(server, sockets) {
  for (const socket of sockets) socket.push(null);
  await turn();
  await server.stop();
}

/** (s1) 50 connections, 20 frames of 16 B text per read: ns per echoed message. */
async function echo() {
  const { server, listener } = await startServer("echo");
  const sockets = Array.from({ length: 50 }, () => connect(listener));
  // Reading starts on the next tick: the upgrades are answered then.
  await turn();
  const batch = [];
  for (let i = 0; i < 20; i++) batch.push(clientFrame(1, encoder.encode("0123456789abcdef")));
  const template = new Uint8Array(batch.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const frame of batch) {
    template.set(frame, at);
    at += frame.length;
  }
  const reads = 4_000;
  const before = sockets.reduce((n, s) => n + s.written, 0);
  const started = process.hrtime.bigint();
  for (let r = 0; r < reads; r++) {
    // A fresh copy per read, as a socket's read is: the parser unmasks in place.
    for (const socket of sockets) socket.push(template.slice());
    // Now and then a macrotask turn, so that Node's ticks (its stream bookkeeping) run.
    if ((r & 63) === 63) await turn();
  }
  const elapsed = Number(process.hrtime.bigint() - started);
  const echoed = (sockets.reduce((n, s) => n + s.written, 0) - before) / 18;
  if (echoed !== reads * 50 * 20) throw new Error(`echoed ${echoed} of ${reads * 50 * 20}`);
  await hangUp(server, sockets);
  return elapsed / echoed;
}

/** (s4) 1,000 connections, one 64 B message to all: ns per delivery. */
async function broadcast() {
  const { server, listener } = await startServer("broadcast");
  const sockets = Array.from({ length: 1000 }, () => connect(listener));
  await turn();
  const frame = clientFrame(1, encoder.encode("x".repeat(64)));
  const rounds = 400;
  const before = sockets.reduce((n, s) => n + s.written, 0);
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    sockets[r % sockets.length].push(frame.slice());
    // The writes of one turn leave in a microtask; ticks run in the turn.
    await turn();
  }
  const elapsed = Number(process.hrtime.bigint() - started);
  const delivered = (sockets.reduce((n, s) => n + s.written, 0) - before) / 66;
  if (delivered !== rounds * 1000) throw new Error(`delivered ${delivered} of ${rounds * 1000}`);
  await hangUp(server, sockets);
  return elapsed / delivered;
}

/** (s5) accept, upgrade, one 16 B echo, client close, server close and end: ns per connection. */
async function churn() {
  const { server, listener } = await startServer("echo");
  const message = clientFrame(1, encoder.encode("0123456789abcdef"));
  const close = clientFrame(8, new Uint8Array([0x03, 0xe8]));
  const cycles = 3_000;
  const started = process.hrtime.bigint();
  for (let c = 0; c < cycles; c++) {
    const socket = connect(listener);
    socket.push(message.slice());
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.push(close.slice());
    await closed;
    // 101 answer + echo + close frame.
    if (socket.written < 129 + 18 + 4) throw new Error(`cycle ${c}: ${socket.written} bytes`);
  }
  const elapsed = Number(process.hrtime.bigint() - started);
  await server.stop();
  return elapsed / cycles;
}

const workloads = { echo, broadcast, churn };
const which = process.argv[2] ?? "all";
const trials = Number(process.argv[3] ?? "7");
for (const name of which === "all" ? Object.keys(workloads) : [which]) {
  const results = [];
  await workloads[name](); // warm-up
  for (let t = 0; t < trials; t++) results.push(await workloads[name]());
  results.sort((a, b) => a - b);
  const median = results[Math.floor(results.length / 2)];
  console.log(
    `${name.padEnd(9)} median ${median.toFixed(0).padStart(6)} ns, best ${
      results[0].toFixed(0).padStart(6)
    } ns per ${name === "churn" ? "connection" : name === "broadcast" ? "delivery" : "message"}`,
  );
}
