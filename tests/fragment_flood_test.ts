/**
 * Fragment floods across a process boundary: a hostile peer sends one message
 * as a huge number of one-byte fragments, and the receiving process (our
 * server or our client, alone in a child process: tests/helpers/flood_victim.ts)
 * must stay within a memory bound — its assembly memory follows the payload,
 * not the fragment count — and, past `maxMessageFragments`, close with 1009
 * and go on serving others. The hostile server is the scripted raw-TCP peer of
 * the hostile-server suite; the hostile client is a raw TCP client as in
 * tests/server_test.ts. RSS is read from /proc (Linux only).
 *
 * Run: npx -y deno@2.9.6 test -A tests/fragment_flood_test.ts
 */
import assert from "node:assert/strict";
import webSocket, { type BusinessError, type WebSocketServerConfig } from "../mod.ts";
import { within } from "./helpers/deno_server.ts";
import { closeOf, RawClient } from "./helpers/server_peers.ts";
import { closeCodeOf, ScriptedServer } from "./helpers/scripted_server.ts";
import { CAN_MEASURE_RSS, VictimProcess } from "./helpers/victim_process.ts";

const MiB = 1024 * 1024;
/** The bound on what one attack may cost the receiving process. */
const RSS_GROWTH_BOUND = 64 * MiB;
/** Generous: a 2-core machine parsing a million frames while other suites run. */
const FLOOD_MS = 60_000;
const DEFAULT_MAX_FRAGMENTS = 131_072;
const UNKNOWN_ERROR = 2302999;

/**
 * One message as `count` one-byte frames (first opcode `opcode`, then
 * continuations, the last with FIN): masked as a client sends them, or not.
 */
function oneByteFragments(opcode: number, count: number, masked: boolean): Uint8Array {
  const size = masked ? 7 : 3;
  const out = new Uint8Array(count * size);
  const key = [0x5a, 0x17, 0xc3, 0x08];
  for (let i = 0; i < count; i++) {
    const at = i * size;
    out[at] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? opcode : 0);
    out[at + 1] = (masked ? 0x80 : 0) | 1;
    const byte = 0x61 + (i % 26); // ASCII, so text is valid wherever it is cut
    if (masked) {
      out.set(key, at + 2);
      out[at + 6] = byte ^ key[0];
    } else {
      out[at + 2] = byte;
    }
  }
  return out;
}

/** Writes all of `bytes`; false when the peer closed the connection meanwhile. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset) {
      return false;
    }
    throw error;
  }
}

async function assertGrowth(victim: VictimProcess, before: number, what: string): Promise<void> {
  const growth = await victim.peakRss() - before;
  assert.ok(
    growth < RSS_GROWTH_BOUND,
    `${what}: RSS grew by ${(growth / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`,
  );
}

/** Reads server frames until a text frame arrives; returns its text. */
async function nextText(raw: RawClient): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const frame = await raw.readFrame();
    if (frame.opcode === 0x1) return new TextDecoder().decode(frame.payload);
    if (frame.opcode === 0x8) throw new Error(`closed with ${closeOf(frame).code}`);
  }
  throw new Error("no text frame among the first 10");
}

// ---------------------------------------------------------------- hostile client

Deno.test({
  name:
    "hostile client: one message as 1,000,000 one-byte fragments (binary, then text) costs the server process under 64 MiB of RSS and arrives whole (maxMessageFragments raised to allow it)",
  ignore: !CAN_MEASURE_RSS,
  async fn() {
    const victim = VictimProcess.server({ maxMessageFragments: 2_000_000 });
    let raw: RawClient | undefined;
    try {
      const { port } = await victim.next("listening", 20_000);
      raw = await RawClient.connect(port as number);
      await raw.upgrade(port as number);
      for (const [opcode, kind, nth] of [[0x2, "binary", 1], [0x1, "text", 2]] as const) {
        const flood = oneByteFragments(opcode, 1_000_000, true);
        const before = await victim.rss();
        await victim.resetPeak();
        assert.ok(await writeAll(raw.conn, flood), `${kind}: the server read the whole flood`);
        const message = await victim.next("message", FLOOD_MS, nth);
        assert.deepStrictEqual(message, { event: "message", kind, size: 1_000_000 });
        assert.equal(await within(nextText(raw), "answer", FLOOD_MS), `${kind} 1000000`);
        await assertGrowth(victim, before, `${kind}, 1,000,000 fragments`);
      }
    } finally {
      raw?.close();
      await victim.stop();
    }
  },
});

Deno.test({
  name:
    "hostile client: 200,000 one-byte fragments with the default limits → the server closes with 1009 past 131,072 fragments, its RSS stays under 64 MiB more, and the next client is served",
  ignore: !CAN_MEASURE_RSS,
  async fn() {
    const victim = VictimProcess.server();
    const raws: RawClient[] = [];
    try {
      const { port } = await victim.next("listening", 20_000);
      const raw = await RawClient.connect(port as number);
      raws.push(raw);
      await raw.upgrade(port as number);
      const before = await victim.rss();
      await victim.resetPeak();
      // The server may close before it has read everything: a broken pipe is fine.
      await writeAll(raw.conn, oneByteFragments(0x2, 200_000, true));
      const frame = await within(raw.readFrame(), "close frame", FLOOD_MS);
      assert.equal(frame.opcode, 0x8);
      const close = closeOf(frame);
      assert.equal(close.code, 1009);
      assert.match(close.reason, new RegExp(`more than ${DEFAULT_MAX_FRAGMENTS} fragments`));
      raw.close(); // rather than answer the close: the server need not wait for its timeout
      assert.deepStrictEqual(await victim.next("close", FLOOD_MS), { event: "close", code: 1009 });
      await assertGrowth(victim, before, "200,000 fragments, default limits");
      assert.ok(!victim.events.some((e) => e.event === "message"), "nothing was delivered");
      // A well-behaved client is served afterwards.
      const next = await RawClient.connect(port as number);
      raws.push(next);
      await next.upgrade(port as number);
      await writeAll(next.conn, oneByteFragments(0x2, 5, true));
      assert.equal(await within(nextText(next), "answer"), "binary 5");
    } finally {
      for (const raw of raws) raw.close();
      await victim.stop();
    }
  },
});

// ---------------------------------------------------------------- hostile server

Deno.test({
  name:
    "hostile server: one message as 1,000,000 one-byte fragments (binary, then text) costs the client process under 64 MiB of RSS and arrives whole (maxMessageFragments raised to allow it)",
  ignore: !CAN_MEASURE_RSS,
  async fn() {
    const server = ScriptedServer.start();
    const victim = VictimProcess.client(server.url, {
      maxMessageFragments: 2_000_000,
      pingInterval: 0,
    });
    try {
      const peer = await server.peer(20_000);
      await peer.handshake();
      await victim.next("open", 10_000);
      for (const [opcode, kind, nth] of [[0x2, "binary", 1], [0x1, "text", 2]] as const) {
        const flood = oneByteFragments(opcode, 1_000_000, false);
        const before = await victim.rss();
        await victim.resetPeak();
        await peer.write(flood);
        const message = await victim.next("message", FLOOD_MS, nth);
        assert.deepStrictEqual(message, { event: "message", kind, size: 1_000_000 });
        await assertGrowth(victim, before, `${kind}, 1,000,000 fragments`);
      }
    } finally {
      await server.close();
      await victim.stop();
    }
  },
});

Deno.test({
  name:
    "hostile server: 200,000 one-byte fragments with the default limits → the client closes with 1009 past 131,072 fragments (error 2302999, close event 1009) and its RSS stays under 64 MiB more",
  ignore: !CAN_MEASURE_RSS,
  async fn() {
    const server = ScriptedServer.start();
    const victim = VictimProcess.client(server.url, { pingInterval: 0 });
    try {
      const peer = await server.peer(20_000);
      await peer.handshake();
      await victim.next("open", 10_000);
      const before = await victim.rss();
      await victim.resetPeak();
      await writeAll(peer.conn, oneByteFragments(0x2, 200_000, false));
      const close = await peer.closeFrame(FLOOD_MS);
      assert.equal(closeCodeOf(close), 1009);
      assert.deepStrictEqual(await victim.next("error", FLOOD_MS), {
        event: "error",
        code: UNKNOWN_ERROR,
      });
      await peer.close(); // rather than answer the close: the client need not wait for its timeout
      assert.deepStrictEqual(await victim.next("close", FLOOD_MS), { event: "close", code: 1009 });
      await assertGrowth(victim, before, "200,000 fragments, default limits");
      assert.ok(!victim.events.some((e) => e.event === "message"), "nothing was delivered");
    } finally {
      await server.close();
      await victim.stop();
    }
  },
});

// ---------------------------------------------------------------- the option

Deno.test("maxMessageFragments: a value that is not an integer >= 1 is a 401, for connect and for start", async () => {
  const bad = [0, -1, 1.5, "10", Infinity, NaN];
  for (const value of bad) {
    const ws = webSocket.createWebSocket();
    await assert.rejects(
      within(ws.connect("ws://127.0.0.1:9/", { maxMessageFragments: value as number }), "connect"),
      (error: BusinessError) => error.code === 401,
      `connect with maxMessageFragments ${value}`,
    );
    const server = webSocket.createWebSocketServer();
    await assert.rejects(
      within(
        server.start({ serverPort: 0, maxMessageFragments: value } as WebSocketServerConfig),
        "start",
      ),
      (error: BusinessError) => error.code === 401,
      `start with maxMessageFragments ${value}`,
    );
  }
});
