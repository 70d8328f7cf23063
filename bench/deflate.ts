/**
 * permessage-deflate workload (issue 16), opt-in: 1 KiB compressible JSON text messages
 * with compression on both ends, ours against npm `ws`, on each runtime in RUNTIMES.
 *
 * - Throughput: a client process sends MESSAGES messages with WINDOW in flight to an
 *   echo server process (both `bench/node/deflate_peer.mjs`, on the same runtime);
 *   messages/s, CPU per message of the client and of the server (`process.cpuUsage` of
 *   each, zlib's threads included), bytes on the wire per round trip (counted by the
 *   npm ws end's socket). Pairs: ws → ws, ours → ws (our client), ws → ours (our
 *   server), ours → ours. ROUNDS rounds, the pairs interleaved in each; the table gives
 *   medians, and the ratios are medians of the per-round ratios.
 * - Idle memory: IDLE npm ws clients (in this process) connect to a server process with
 *   compression, exchange one message each (so the contexts kept for context takeover
 *   exist) and go idle; the server's RSS growth per connection.
 *
 * Ours runs from `mod.ts` on Deno and from the npm build (rebuilt first unless
 * NO_BUILD=1) on Node and Bun. On Bun, `ws` is Bun's own implementation of the package.
 *
 * ```sh
 * npx -y deno@2.9.6 run -A bench/deflate.ts                 # 20000 16 300, ROUNDS=3
 * RUNTIMES=deno,node,bun ROUNDS=5 npx -y deno@2.9.6 run -A bench/deflate.ts 30000 16 500
 * ```
 *
 * @module
 */

import process from "node:process";
import { WebSocket as WsClient } from "ws";
import { message } from "./node/deflate_message.mjs";

type Impl = "ours" | "ws";
type Runtime = "deno" | "node" | "bun";

const ROOT = new URL("../", import.meta.url);
const PEER = new URL("node/deflate_peer.mjs", import.meta.url).pathname;
const BUN = new URL("node_modules/@oven/bun-linux-x64/bin/bun", import.meta.url).pathname;
const PIN = process.env.PIN !== "0";
const PAIRS: readonly [Impl, Impl][] = [["ws", "ws"], ["ours", "ws"], [
  "ws",
  "ours",
], [
  "ours",
  "ours",
]];

/** The command line of a peer; `gc` exposes `gc()` (only where no CPU is measured). */
function command(runtime: Runtime, args: string[], gc: boolean): [string, string[]] {
  if (runtime === "deno") {
    return [Deno.execPath(), [
      "run",
      "-A",
      ...(gc ? ["--v8-flags=--expose-gc"] : []),
      PEER,
      ...args,
    ]];
  }
  return [runtime === "node" ? "node" : BUN, [...(gc ? ["--expose-gc"] : []), PEER, ...args]];
}

/** A peer process: JSON lines out, a line in asks it for the next step. */
class Peer {
  readonly #proc: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = "";

  constructor(runtime: Runtime, args: string[], gc = false) {
    const [cmd, argv] = command(runtime, args, gc);
    // The server on CPU 1 and the client on CPU 0 (PIN=0 turns it off): neither takes
    // the other's core, which steadies both processes' CPU figures.
    const cpu = args[0] === "server" ? "1" : "0";
    const pin = PIN && navigator.hardwareConcurrency >= 2;
    this.#proc = new Deno.Command(pin ? "taskset" : cmd, {
      args: pin ? ["-c", cpu, cmd, ...argv] : argv,
      cwd: ROOT.pathname,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#proc.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#writer = this.#proc.stdin.getWriter();
  }

  async line(): Promise<Record<string, number>> {
    for (let i = 0; i < 10_000; i++) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const text = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return JSON.parse(text);
      }
      const { value, done } = await this.#lines.read();
      if (done) throw new Error("a peer process ended early");
      this.#buffer += value;
    }
    throw new Error("no line from a peer process");
  }

  async ask(): Promise<Record<string, number>> {
    await this.#writer.write(new TextEncoder().encode("\n"));
    return await this.line();
  }

  async end(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.line().catch(() => {});
    await this.#proc.status;
  }
}

interface PairResult {
  msgsPerS: number;
  clientCpuUsPerMsg: number;
  serverCpuUsPerMsg: number;
  wireBytesPerRoundTrip: number;
}

async function throughput(
  runtime: Runtime,
  client: Impl,
  server: Impl,
  count: number,
  window: number,
): Promise<PairResult> {
  const serverPeer = new Peer(runtime, ["server", server]);
  const { port } = await serverPeer.line();
  const clientPeer = new Peer(runtime, [
    "client",
    client,
    String(port),
    String(count),
    String(window),
  ]);
  await clientPeer.line(); // warmed up
  const s0 = await serverPeer.ask();
  const c = await clientPeer.ask(); // the timed run
  const s1 = await serverPeer.ask();
  await clientPeer.end();
  await serverPeer.end();
  return {
    msgsPerS: Math.round(count / (c.ms / 1000)),
    clientCpuUsPerMsg: c.cpuUs / count,
    serverCpuUsPerMsg: (s1.cpuUs - s0.cpuUs) / count,
    // Both directions (message and echo), counted by whichever end is npm ws.
    wireBytesPerRoundTrip: Math.max(c.wire, s1.wire - s0.wire) / count,
  };
}

async function idleMemory(
  runtime: Runtime,
  server: Impl,
  clients: number,
): Promise<{ rss: number; heap: number; external: number }> {
  const peer = new Peer(runtime, ["server", server], true);
  const { port } = await peer.line();
  const open = async (count: number) => {
    const sockets: WsClient[] = [];
    for (let i = 0; i < count; i++) {
      const ws = new WsClient(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: { threshold: 0 },
      });
      await new Promise<void>((resolve, reject) => {
        ws.once("error", reject);
        ws.once("open", () => ws.send(message(i)));
        ws.once("message", () => resolve());
      });
      sockets.push(ws);
    }
    return sockets;
  };
  const closeAll = (sockets: WsClient[]) =>
    Promise.all(sockets.map((ws) =>
      new Promise((resolve) => {
        ws.once("close", resolve);
        ws.close(1000);
      })
    ));
  // The first connections compile the server's code, which is no connection's cost.
  await closeAll(await open(WARM_UP_CONNECTIONS));
  const before = await peer.ask();
  const sockets = await open(clients);
  // Let the server settle (a measurement pause, not a test wait).
  await new Promise((r) => setTimeout(r, 500));
  const after = await peer.ask();
  await closeAll(sockets);
  await peer.end();
  const perConnection = (key: string) => (after[key] - before[key]) / clients / 1024;
  return {
    rss: perConnection("rss"),
    heap: perConnection("heap"),
    external: perConnection("external"),
  };
}

const WARM_UP_CONNECTIONS = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

async function buildNpm(): Promise<void> {
  if (process.env.NO_BUILD === "1") return;
  console.log("building the npm package (deno task build:npm --no-smoke) …");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("scripts/build_npm.ts", ROOT).pathname,
      "--no-smoke",
    ],
    cwd: ROOT.pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `the npm build failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function main(): Promise<void> {
  const count = Number(Deno.args[0] ?? 20000);
  const window = Number(Deno.args[1] ?? 16);
  const idle = Number(Deno.args[2] ?? 300);
  const rounds = Number(process.env.ROUNDS ?? 3);
  const runtimes = (process.env.RUNTIMES ?? "deno,node").split(
    ",",
  ) as Runtime[];
  if (runtimes.some((r) => r !== "deno")) await buildNpm();
  const commit = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"] })
      .output()).stdout,
  ).trim();
  console.log(
    `deflate workload: ${count} × 1 KiB JSON, ${window} in flight, ${rounds} rounds, ` +
      `${new Date().toISOString()}, commit ${commit}, load ${Deno.loadavg().join(" ")}`,
  );
  for (const runtime of runtimes) {
    const results = new Map<string, PairResult[]>();
    const clientRatios: number[] = [];
    const serverRatios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const byPair = new Map<string, PairResult>();
      for (const [c, s] of PAIRS) {
        const result = await throughput(runtime, c, s, count, window);
        byPair.set(`${c} → ${s}`, result);
        results.set(`${c} → ${s}`, [
          ...(results.get(`${c} → ${s}`) ?? []),
          result,
        ]);
      }
      const wsWs = byPair.get("ws → ws")!;
      clientRatios.push(
        byPair.get("ours → ws")!.clientCpuUsPerMsg / wsWs.clientCpuUsPerMsg,
      );
      serverRatios.push(
        byPair.get("ws → ours")!.serverCpuUsPerMsg / wsWs.serverCpuUsPerMsg,
      );
    }
    console.log(
      `\n${runtime}: client → server | msg/s | client CPU µs/msg | server CPU µs/msg | wire B/round trip`,
    );
    for (const [pair, list] of results) {
      const wire = median(list.map((r) => r.wireBytesPerRoundTrip));
      console.log(
        `| ${pair} | ${Math.round(median(list.map((r) => r.msgsPerS)))} | ` +
          `${fixed(median(list.map((r) => r.clientCpuUsPerMsg)))} | ` +
          `${fixed(median(list.map((r) => r.serverCpuUsPerMsg)))} | ${
            wire > 0 ? Math.round(wire) : "n/a"
          } |`,
      );
    }
    console.log(
      `${runtime}: ours ÷ ws CPU per message, client ${fixed(median(clientRatios))}× ` +
        `(per round ${clientRatios.map((r) => fixed(r)).join(", ")}), server ${
          fixed(median(serverRatios))
        }× ` +
        `(per round ${serverRatios.map((r) => fixed(r)).join(", ")})`,
    );
    if (idle > 0) {
      const ws = await idleMemory(runtime, "ws", idle);
      const ours = await idleMemory(runtime, "ours", idle);
      const show = (m: typeof ws) =>
        `RSS ${fixed(m.rss, 1)}, live heap ${fixed(m.heap, 1)}, external ${fixed(m.external, 1)}`;
      console.log(
        `${runtime}: idle compressed connection, server KiB per connection (${idle} connections): ` +
          `ws ${show(ws)}; ours ${show(ours)}`,
      );
    }
  }
}

await main();
