/**
 * The Deno counterpart of `server_path.mjs`: our server's own JavaScript per
 * broadcast delivery and per echoed message on Deno, measured in one process
 * without the network. The server runs from `src/` over stand-in connections
 * that have the shape of a `Deno.Conn` (reads answered from what the harness
 * pushes, writes that complete at once and go nowhere), so the kernel, the
 * runtime's ops and the load generator are left out and two versions of the
 * code can be compared in seconds; the network benchmark (server_bench.ts)
 * stays the measure of the whole server.
 *
 *   deno run -A bench/server_path_deno.ts [broadcast|echo|all] [trials]
 *
 * - broadcast: 1,000 connections, one 64 B text message from one of them to
 *   all (the (s4) handler), ns per delivery;
 * - echo: 1,000 connections, one 16 B text message on each, echoed (the
 *   (s1b) shape: one read and one write per message), ns per message.
 *
 * Prints the median and the best of the trials.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { WebSocketServerImpl } from "../src/server/websocket_server.ts";
import { DenoByteStream } from "../src/transport/deno_stream.ts";
import type { DenoConn } from "../src/transport/deno_conn.ts";
import type { AcceptSink, StreamListener } from "../src/transport/listener.ts";
import { BENCH_LIMITS, serveBench } from "./servers/ours_server.mjs";
import { clientFrame, UPGRADE } from "./lib/stand_in_frames.mjs";

/** A connection whose reads are answered from pushed bytes and whose writes complete at once. */
class StandInConn implements DenoConn {
  written = 0;
  readonly remoteAddr: { transport: string; hostname: string; port: number };
  readonly #pending: Uint8Array[] = [];
  #waiting: ((n: number | null) => void) | null = null;
  #target: Uint8Array | null = null;
  #ended = false;

  constructor(port: number) {
    this.remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port };
  }

  /** Bytes the peer sent (null: its end). */
  push(bytes: Uint8Array | null): void {
    if (bytes === null) this.#ended = true;
    else this.#pending.push(bytes);
    this.#answer();
  }

  #answer(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    if (this.#pending.length > 0) {
      const chunk = this.#pending[0];
      const n = Math.min(this.#target!.length, chunk.length);
      this.#target!.set(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (n === chunk.length) this.#pending.shift();
      else this.#pending[0] = chunk.subarray(n);
      this.#waiting = null;
      waiting(n);
    } else if (this.#ended) {
      this.#waiting = null;
      waiting(null);
    }
  }

  read(p: Uint8Array): Promise<number | null> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#target = p;
      this.#answer();
    });
  }

  write(p: Uint8Array): Promise<number> {
    this.written += p.length;
    return Promise.resolve(p.length);
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.#ended = true;
    this.#answer();
  }
}

const encoder = new TextEncoder();

/** One macrotask turn: the promise chains started so far have run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

let nextPort = 1024;

/** Our server over a stand-in listener, with 1,000 upgraded stand-in connections. */
async function startServer(mode: "echo" | "broadcast") {
  let sink: AcceptSink | null = null;
  const listener: StreamListener = {
    address: { hostname: "127.0.0.1", port: 1 },
    finished: Promise.resolve(),
    startAccepting(accepting: AcceptSink) {
      sink = accepting;
    },
    close() {},
  };
  const server = new WebSocketServerImpl(() => Promise.resolve(listener));
  serveBench(server, mode);
  await server.start({ serverIP: "127.0.0.1", serverPort: 1, ...BENCH_LIMITS });
  const conns = Array.from({ length: 1000 }, () => {
    const conn = new StandInConn(nextPort++);
    sink!.accept(new DenoByteStream(conn));
    conn.push(UPGRADE.slice());
    return conn;
  });
  // The upgrades are read and answered over the next turns.
  for (let i = 0; i < 3; i++) await turn();
  return { server, conns };
}

async function hangUp(server: WebSocketServerImpl, conns: StandInConn[]): Promise<void> {
  for (const conn of conns) conn.push(null);
  await turn();
  await server.stop();
}

const sum = (conns: StandInConn[]) => conns.reduce((n, conn) => n + conn.written, 0);

/** (s4) one 64 B message to 1,000 connections, 300 times: ns per delivery. */
async function broadcast(): Promise<number> {
  const { server, conns } = await startServer("broadcast");
  const frame = clientFrame(1, encoder.encode("x".repeat(64)));
  const rounds = 300;
  const before = sum(conns);
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    conns[r % conns.length].push(frame.slice());
    await turn();
  }
  const elapsed = performance.now() - started;
  const delivered = (sum(conns) - before) / 66;
  if (delivered !== rounds * 1000) throw new Error(`delivered ${delivered} of ${rounds * 1000}`);
  await hangUp(server, conns);
  return elapsed * 1e6 / delivered;
}

/** (s1b) one 16 B message on each of 1,000 connections, 60 times: ns per echoed message. */
async function echo(): Promise<number> {
  const { server, conns } = await startServer("echo");
  const frame = clientFrame(1, encoder.encode("0123456789abcdef"));
  const rounds = 60;
  const before = sum(conns);
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const conn of conns) conn.push(frame.slice());
    await turn();
  }
  const elapsed = performance.now() - started;
  const echoed = (sum(conns) - before) / 18;
  if (echoed !== rounds * 1000) throw new Error(`echoed ${echoed} of ${rounds * 1000}`);
  await hangUp(server, conns);
  return elapsed * 1e6 / echoed;
}

const workloads = { broadcast, echo };
const which = Deno.args[0] ?? "all";
const trials = Number(Deno.args[1] ?? "7");
for (const name of which === "all" ? ["broadcast", "echo"] as const : [which]) {
  const run = workloads[name as keyof typeof workloads];
  if (run === undefined) throw new Error(`unknown workload ${name}: broadcast, echo or all`);
  await run(); // warm-up
  const results: number[] = [];
  for (let t = 0; t < trials; t++) results.push(await run());
  results.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(9)} median ${results[results.length >> 1].toFixed(0).padStart(6)} ns, best ${
      results[0].toFixed(0).padStart(6)
    } ns per ${name === "broadcast" ? "delivery" : "message"}`,
  );
}
