/**
 * Where the memory of an idle connection goes: opens N connections with our
 * client (or N raw `Deno.connect` sockets with a pending 1 KiB read) and
 * prints the growth per connection of RSS, V8's live heap, V8's reserved heap
 * and external (`ArrayBuffer`) memory. A diagnostic companion of workload (d),
 * not part of the benchmark's tables.
 *
 * ```sh
 * npx -y deno@2.9.6 run -A --v8-flags=--expose-gc bench/idle_heap.ts ours 1000
 * npx -y deno@2.9.6 run -A --v8-flags=--expose-gc bench/idle_heap.ts raw 1000
 * # add ,--max-semi-space-size=1 to the V8 flags to see what the young generation's growth costs
 * ```
 *
 * @module
 */

import webSocket from "../mod.ts";

const mode = Deno.args[0] === "raw" ? "raw" : "ours";
const count = Math.max(1, Math.min(10_000, Number(Deno.args[1] ?? 1000)));

// The Deno.serve echo server in a process of its own, so its memory is not ours.
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./servers/deno_serve.ts", import.meta.url).pathname],
  env: { BENCH_SERVER_LIFETIME_S: "120" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let banner = "";
for (let i = 0; i < 100 && !/PORT (\d+)/.test(banner); i++) {
  const { value, done } = await lines.read();
  if (done) break;
  banner += value;
}
const port = Number(/PORT (\d+)/.exec(banner)?.[1]);
if (!port) throw new Error("the echo server did not start");

async function open(): Promise<unknown> {
  if (mode === "raw") {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.read(new Uint8Array(1024)).catch(() => {});
    return conn;
  }
  const ws = webSocket.createWebSocket();
  ws.on("message", () => {});
  await ws.connect(`ws://127.0.0.1:${port}/`);
  return ws;
}

const gc = (globalThis as { gc?: () => void }).gc;
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const kept: unknown[] = [await open()]; // code loading and JIT are not charged to the N
await settle();
const before = Deno.memoryUsage();
for (let i = 0; i < count; i++) kept.push(await open());
await settle();
const after = Deno.memoryUsage();
const perConn = (key: keyof Deno.MemoryUsage) =>
  ((after[key] - before[key]) / count / 1024).toFixed(1);
console.log(
  `${mode}, ${count} connections, KiB per connection: RSS ${perConn("rss")}, ` +
    `heap used ${perConn("heapUsed")}, heap reserved ${perConn("heapTotal")}, ` +
    `external ${perConn("external")}${gc ? "" : " (no --expose-gc: run-to-run noise)"}`,
);
await lines.cancel();
server.kill();
await server.status;
Deno.exit(0); // the open connections are the point; no orderly shutdown needed
