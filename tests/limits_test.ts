/**
 * Limits that need a peer to misbehave in a specific way: a server that never
 * reads (the client's send buffer must stay bounded) and a listen failure
 * that is neither "in use" nor "not local" (2302005). Loopback only; every
 * wait is bounded.
 */

import assert from "node:assert/strict";
import webSocket, { type BusinessError } from "../mod.ts";
import { acceptKey } from "../src/protocol/mod.ts";
import { WebSocketServerImpl } from "../src/server/websocket_server.ts";
import { within, writeAll } from "./helpers/deno_server.ts";
import { sha1Base64 } from "../src/transport/mod.ts";

/** Completes the opening handshake by hand, then never reads again. */
function startStalledServer(): { url: string; stop(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const buffer = new Uint8Array(4096);
      let head = "";
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        head += new TextDecoder().decode(buffer.subarray(0, n));
      }
      const key = /sec-websocket-key: (.*)\r\n/i.exec(head)?.[1] ?? "";
      await conn.write(new TextEncoder().encode(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n\r\n`,
      ));
      // From here on the server reads nothing: the client's writes back up.
    }
  })();
  return {
    url: `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    async stop() {
      listener.close();
      for (const conn of conns) conn.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("limit: sends beyond maxBufferedBytes fail with 2302999 while the peer does not read; nothing is queued without bound", async () => {
  const server = startStalledServer();
  const ws = webSocket.createWebSocket();
  const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
  ws.on("error", () => {});
  try {
    await within(
      ws.connect(server.url, { maxBufferedBytes: 1 << 20, closeTimeoutMs: 200, pingInterval: 0 }),
      "connect",
      5000,
    );
    const chunk = new Uint8Array(256 * 1024);
    let refused: BusinessError | undefined;
    // The kernel buffers a few MiB before writes stall, so allow enough attempts to pass it.
    for (let i = 0; i < 400 && refused === undefined; i++) {
      const sent = ws.send(chunk);
      // A refusal rejects at once; an accepted send stays pending while the peer reads nothing.
      refused = await Promise.race([
        sent.then(() => undefined, (error) => error as BusinessError),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1)),
      ]);
      sent.catch(() => {});
    }
    assert.ok(refused, "a send was refused before 400 × 256 KiB were queued");
    assert.equal(refused.code, 2302999);
    assert.match(refused.message, /send buffer full/);
  } finally {
    await ws.close().catch(() => {});
    await server.stop();
    await within(closed, "close event", 3000);
  }
});

Deno.test("error 2302005: a listen failure that is neither 'in use' nor 'not local' is reported as 'cannot listen on the port'", async () => {
  const server = new WebSocketServerImpl(() => Promise.reject(new Error("permission denied")));
  await assert.rejects(
    server.start({ serverPort: 9, maxConcurrentClientsNumber: 1, maxConnectionsForOneClient: 1 }),
    (error: BusinessError) => {
      assert.equal(error.code, 2302005);
      assert.match(error.message, /cannot listen on .*permission denied/);
      return true;
    },
  );
});

Deno.test("limit: timer options are bounded — pongTimeout 0 and delays past 2^31-1 ms are a 401", async () => {
  for (
    const options of [
      { pongTimeout: 0 },
      { handshakeTimeoutMs: 3e9 },
      { closeTimeoutMs: 2 ** 31 },
      { pingInterval: 3e6 },
    ]
  ) {
    const ws = webSocket.createWebSocket();
    await assert.rejects(
      ws.connect("ws://127.0.0.1:1/", options),
      (error: BusinessError) => error.code === 401,
      JSON.stringify(options),
    );
  }
});

Deno.test("limit: a handshake timeout closes the socket of an abandoned attempt (silent proxy sees EOF)", async () => {
  const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (proxy.addr as Deno.NetAddr).port;
  const ws = webSocket.createWebSocket();
  ws.on("error", () => {});
  const connecting = ws.connect("ws://127.0.0.1:9/", {
    proxy: { host: "127.0.0.1", port, exclusionList: [] },
    handshakeTimeoutMs: 300,
  });
  const conn = await within(proxy.accept(), "proxy accept", 3000);
  try {
    await assert.rejects(connecting, (error: BusinessError) => error.code === -1);
    // The proxy never answered CONNECT; the abandoned socket must still be closed by us.
    const buffer = new Uint8Array(4096);
    let eof = false;
    for (let i = 0; i < 20 && !eof; i++) {
      const n = await within(conn.read(buffer), "proxy read", 3000);
      eof = n === null;
    }
    assert.ok(eof, "the client closed the tunnel socket after giving up");
  } finally {
    conn.close();
    proxy.close();
  }
});

Deno.test("limit: a peer that floods pings and never reads is dropped (1006, 'stopped reading') instead of queueing pongs without bound", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `ws://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`;
  const ws = webSocket.createWebSocket();
  const errors: BusinessError[] = [];
  ws.on("error", (error) => errors.push(error));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (_err, value) => resolve(value))
  );
  const connecting = ws.connect(url, { maxBufferedBytes: 64 * 1024, pingInterval: 0 });
  const conn = await within(listener.accept(), "accept", 3000);
  try {
    const buffer = new Uint8Array(4096);
    const n = await within(conn.read(buffer), "request", 3000);
    const key =
      /sec-websocket-key: (.*)\r\n/i.exec(new TextDecoder().decode(buffer.subarray(0, n!)))![1];
    await conn.write(new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n\r\n`,
    ));
    await within(connecting, "connect", 3000);
    // 125-byte pings in 1 MiB batches; at most 32 MiB, stopping once the client hangs up.
    const ping = new Uint8Array(127);
    ping[0] = 0x89;
    ping[1] = 125;
    const batch = new Uint8Array(ping.length * 8192);
    for (let i = 0; i < 8192; i++) batch.set(ping, i * ping.length);
    let sent = 0;
    try {
      while (sent < 32 * 1024 * 1024) {
        // Whole batches: a short write must not cut a ping in two (that would be a 1002).
        await within(writeAll(conn, batch), "ping batch", 5000);
        sent += batch.length;
      }
    } catch {
      // The client dropped the connection: that is what this test waits for.
    }
    const result = await within(closed, "close event", 10000);
    assert.equal(result.code, 1006);
    assert.match(result.reason, /stopped reading/);
    assert.ok(errors.some((e) => /stopped reading/.test(e.message)));
  } finally {
    conn.close();
    listener.close();
  }
});
