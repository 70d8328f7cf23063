/**
 * Extension: `extReusePort` lets several processes serve one port, and the
 * kernel spreads connections over them (Linux `SO_REUSEPORT`). Two child
 * processes bind the same port; clients connect until both have greeted
 * one (bounded: 64 connections; with a fair spread the chance that all go
 * to one process is 2^-63). On Deno both ways are tested: `Deno.listen`
 * with `--unstable-net`, and the `node:net` fallback without it.
 */

import assert from "node:assert/strict";
import webSocket, { type BusinessError } from "../mod.ts";
import { Queue, within } from "./helpers/deno_server.ts";

const CHILD = new URL("./helpers/reuse_port_child.ts", import.meta.url).pathname;

/** A child server process; `port` once it printed `ready`. */
async function spawnChild(port: number, flags: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-env", ...flags, CHILD, String(port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/ready (\d+)\n/.test(text)) {
    const { value, done } = await within(lines.read(), "child ready", 20_000);
    if (done) throw new Error(`child ended before it was ready: ${text}`);
    text += value;
  }
  return {
    port: Number(/ready (\d+)\n/.exec(text)![1]),
    async stop() {
      await child.stdin.close();
      // Read stdout to its end so the pipe is released.
      while (!(await lines.read()).done);
      const status = await within(child.status, "child exit", 10_000);
      assert.equal(status.code, 0);
    },
  };
}

/** Connects our client until both pids have greeted one; returns how many connected per pid. */
async function spread(port: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 64 && seen.size < 2; i++) {
    const ws = webSocket.createWebSocket();
    const greeting = new Queue<string>();
    const closed = new Queue<void>();
    ws.on("message", (_err, data) => greeting.push(String(data)));
    ws.on("close", () => closed.push());
    ws.on("error", () => {});
    await within(ws.connect(`ws://127.0.0.1:${port}/`, { pingInterval: 0 }), "connect");
    const pid = await greeting.next("greeting");
    seen.set(pid, (seen.get(pid) ?? 0) + 1);
    await ws.close();
    await closed.next("close");
  }
  return seen;
}

for (
  const [name, flags] of [["Deno.listen (--unstable-net)", ["--unstable-net"]], [
    "the node:net fallback (no flag)",
    [],
  ]] as const
) {
  Deno.test(`reusePort via ${name}: two processes share one port and both receive connections`, async () => {
    const first = await spawnChild(0, [...flags]);
    let second: Awaited<ReturnType<typeof spawnChild>> | undefined;
    try {
      second = await spawnChild(first.port, [...flags]);
      assert.equal(second.port, first.port);
      const seen = await spread(first.port);
      assert.equal(seen.size, 2, `connections per process: ${JSON.stringify([...seen])}`);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
}

Deno.test("reusePort: without extReusePort a second server on the port is still 2302007", async () => {
  const a = webSocket.createWebSocketServer();
  const b = webSocket.createWebSocketServer();
  const c = webSocket.createWebSocketServer();
  await a.start({ serverIP: "127.0.0.1", serverPort: 0, extReusePort: true });
  try {
    const port = a.address()!.serverPort;
    await b.start({ serverIP: "127.0.0.1", serverPort: port, extReusePort: true });
    await b.stop();
    await assert.rejects(
      c.start({ serverIP: "127.0.0.1", serverPort: port }),
      (e: BusinessError) => e.code === 2302007,
    );
  } finally {
    await a.stop();
  }
});
