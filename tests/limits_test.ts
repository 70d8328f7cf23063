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
import { within } from "./helpers/deno_server.ts";

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
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
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
