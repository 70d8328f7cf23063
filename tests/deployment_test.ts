/**
 * Extensions for real deployments, on Deno: one port for HTTP and WebSocket
 * (`extAttach` / `extHandleUpgrade` over `node:http`), back-pressure on both
 * ends (`extBufferedAmount`, `extDrained`) and cancelling a connect
 * (`extSignal`). Loopback only, every wait bounded, sanitizers on.
 */

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import webSocket, {
  type BusinessError,
  type UpgradeRequestHead,
  type UpgradeSocket,
  type UpgradeVerdict,
  type WebSocketConnection,
} from "../mod.ts";
import {
  acceptHandshake,
  Queue,
  readRequestHead,
  startRawServer,
  within,
} from "./helpers/deno_server.ts";
import { RawClient, startServer } from "./helpers/server_peers.ts";

const encoder = new TextEncoder();

/** A `node:http` server on 127.0.0.1 answering plain requests with `page <url>`. */
async function httpServer(): Promise<
  { server: http.Server; port: number; close(): Promise<void> }
> {
  const server = http.createServer((req, res) => {
    res.setHeader("Connection", "close");
    res.end(`page ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A plain HTTP GET over a raw socket (no client pool to leak); returns the whole answer. */
async function get(port: number, path: string): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    return await client.readToEnd();
  } finally {
    client.close();
  }
}

/** Our client, connected; its messages in a queue. */
async function connectClient(url: string, options: Record<string, unknown> = {}) {
  const ws = webSocket.createWebSocket();
  const messages = new Queue<string | ArrayBuffer>();
  const closes = new Queue<number>();
  ws.on("message", (_err, data) => messages.push(data));
  ws.on("close", (_err, value) => closes.push(value.code));
  ws.on("error", () => {});
  await within(ws.connect(url, options), `connect ${url}`);
  return { ws, messages, closes };
}

Deno.test("one port: node:http serves its pages and the attached server the WebSocket upgrades, on the same port", async () => {
  const web = await httpServer();
  const server = webSocket.createWebSocketServer();
  const connects = new Queue<WebSocketConnection>();
  server.on("connect", (c) => connects.push(c));
  server.on("messageReceive", (m) => server.send(`echo ${m.data}`, m.clientConnection));
  try {
    assert.equal(await server.extAttach(web.server, { pingIntervalMs: 0 }), true);
    assert.equal(server.address()?.serverPort, web.port, "address() names the HTTP server's port");
    assert.match(await get(web.port, "/index.html"), /^HTTP\/1\.1 200[\s\S]*page \/index\.html$/);
    const { ws, messages, closes } = await connectClient(`ws://127.0.0.1:${web.port}/chat`);
    await connects.next("connect");
    await ws.send("hi");
    assert.equal(await messages.next("echo"), "echo hi");
    // HTTP keeps working while a WebSocket is open on the same port.
    assert.match(await get(web.port, "/again"), /page \/again$/);
    await ws.close();
    assert.equal(await closes.next("close"), 1000);
  } finally {
    await server.stop();
    await web.close();
  }
});

Deno.test("one port: upgrades through node:http get the same RFC 6455 checks (bad key 400, version 426) and the gate", async () => {
  const web = await httpServer();
  const server = webSocket.createWebSocketServer();
  const connects = new Queue<WebSocketConnection>();
  server.on("connect", (c) => connects.push(c));
  try {
    await server.extAttach(web.server, {
      pingIntervalMs: 0,
      extUpgradeGate: (info): UpgradeVerdict =>
        info.cookies.session === "ok"
          ? { accept: true, headers: { "Set-Cookie": "seen=1" } }
          : { accept: false, status: 401, headers: { "WWW-Authenticate": "Cookie" } },
    });
    const head = (extra: string) =>
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${web.port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\n${extra}\r\n`;
    const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const cases: [string, number][] = [
      [head("Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n"), 400],
      [head(key + "Sec-WebSocket-Version: 8\r\n"), 426],
      [head(key + "Sec-WebSocket-Version: 13\r\n"), 401],
    ];
    for (const [request, status] of cases) {
      const client = await RawClient.connect(web.port);
      try {
        await client.write(request);
        const answer = await client.readAnswer();
        assert.equal(answer.status, status, request);
        if (status === 401) assert.equal(answer.headers["www-authenticate"], "Cookie");
      } finally {
        client.close();
      }
    }
    const client = await RawClient.connect(web.port);
    try {
      await client.write(head(key + "Sec-WebSocket-Version: 13\r\nCookie: session=ok\r\n"));
      const answer = await client.readAnswer();
      assert.equal(answer.status, 101);
      assert.equal(answer.headers["set-cookie"], "seen=1");
      await connects.next("connect");
    } finally {
      client.close();
    }
    assert.equal(connects.items.length, 1, "only the accepted upgrade raised connect");
  } finally {
    await server.stop();
    await web.close();
  }
});

Deno.test("one port: extHandleUpgrade takes the upgrades the application routes to it; stop() detaches and HTTP goes on", async () => {
  const web = await httpServer();
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", (m) => server.send(m.data, m.clientConnection));
  web.server.on("upgrade", (req: UpgradeRequestHead, socket: UpgradeSocket, head: Uint8Array) => {
    if (req.url === "/ws") server.extHandleUpgrade(req, socket, head);
    else {
      socket.write(encoder.encode("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), () => {});
      socket.destroy();
    }
  });
  try {
    await server.extAttach(null, { pingIntervalMs: 0 });
    const { ws, messages } = await connectClient(`ws://127.0.0.1:${web.port}/ws`);
    await ws.send("routed");
    assert.equal(await messages.next("echo"), "routed");
    const other = webSocket.createWebSocket();
    other.on("error", () => {});
    await assert.rejects(other.connect(`ws://127.0.0.1:${web.port}/elsewhere`), /404/);
    await ws.close();
  } finally {
    await server.stop();
  }
  try {
    assert.match(await get(web.port, "/after"), /page \/after$/);
    // Stopped: an upgrade handed over now is refused with 503, not left hanging.
    const refused = webSocket.createWebSocket();
    refused.on("error", () => {});
    await assert.rejects(refused.connect(`ws://127.0.0.1:${web.port}/ws`), /503/);
  } finally {
    await web.close();
  }
});

Deno.test("extAttach: port options and a non-server are 401; attaching twice is 2302999", async () => {
  const server = webSocket.createWebSocketServer();
  for (const bad of [{ serverPort: 80 }, { serverIP: "127.0.0.1" }, { extReusePort: true }]) {
    await assert.rejects(
      server.extAttach(null, bad as never),
      (e: BusinessError) => e.code === 401,
      JSON.stringify(bad),
    );
  }
  await assert.rejects(server.extAttach({} as never), (e: BusinessError) => e.code === 401);
  await server.extAttach(null);
  try {
    await assert.rejects(server.extAttach(null), (e: BusinessError) => e.code === 2302999);
  } finally {
    await server.stop();
  }
});

/** Frames of `size` bytes sent to `connection` until its queue holds something (bounded). */
async function fillQueue(
  server: ReturnType<typeof webSocket.createWebSocketServer>,
  connection: WebSocketConnection,
  size: number,
): Promise<number> {
  const payload = new Uint8Array(size);
  for (let sent = 1; sent <= 256; sent++) {
    server.send(payload, connection).catch(() => {});
    // Let the stream hand what it can to the kernel: bytes still queued after a turn mean the
    // kernel's buffers are full, not just busy.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (server.extBufferedAmount(connection) > 0) return sent;
  }
  throw new Error("the queue never grew: the peer's socket buffers took 64 MiB");
}

Deno.test("back-pressure (server): extBufferedAmount rises while the client does not read; extDrained resolves once it reads again", async () => {
  const h = await startServer({ pingIntervalMs: 0 }, false);
  const client = await RawClient.connect(h.port);
  try {
    await client.upgrade(h.port);
    const connection = await h.connects.next("connect");
    assert.equal(h.server.extBufferedAmount(connection), 0);
    const size = 256 * 1024;
    const sent = await fillQueue(h.server, connection, size);
    const queued = h.server.extBufferedAmount(connection);
    assert.ok(queued > 0, `queued ${queued}`);
    let drained = false;
    const waiting = h.server.extDrained(connection).then((value) => {
      drained = true;
      return value;
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(drained, false, "not drained while nobody reads");
    // The client reads everything the server sent: `sent` frames with a 10-byte header.
    const total = sent * (size + 10);
    const buffer = new Uint8Array(1024 * 1024);
    let read = 0;
    while (read < total) {
      const n = await within(client.conn.read(buffer), `read ${read}/${total}`);
      if (n === null) throw new Error("server ended the connection");
      read += n;
    }
    assert.equal(await within(waiting, "extDrained"), true);
    assert.equal(h.server.extBufferedAmount(connection), 0);
    const gone = { clientIP: "127.0.0.1", clientPort: 1 };
    assert.throws(() => h.server.extBufferedAmount(gone), (e: BusinessError) => e.code === 2302006);
    await assert.rejects(h.server.extDrained(gone), (e: BusinessError) => e.code === 2302006);
  } finally {
    client.close();
    await h.stop();
  }
});

Deno.test("back-pressure (client): extBufferedAmount rises while the server does not read; extDrained resolves once it reads again", async () => {
  let startReading!: () => void;
  const go = new Promise<void>((resolve) => startReading = resolve);
  const total = new Queue<number>();
  const raw = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    await go;
    const buffer = new Uint8Array(1024 * 1024);
    let read = 0;
    try {
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        read += n;
        total.push(read);
      }
    } finally {
      conn.close();
    }
  });
  const ws = webSocket.createWebSocket();
  ws.on("error", () => {});
  try {
    assert.equal(ws.extBufferedAmount, 0, "0 before connecting");
    assert.equal(await ws.extDrained(), true, "nothing to drain before connecting");
    // The raw server never answers a close frame: the close timeout ends the socket.
    await within(ws.connect(raw.url, { pingInterval: 0, closeTimeoutMs: 200 }), "connect");
    const payload = new Uint8Array(256 * 1024);
    let sent = 0;
    do {
      ws.send(payload.buffer).catch(() => {});
      sent++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    } while (ws.extBufferedAmount === 0 && sent < 256);
    assert.ok(ws.extBufferedAmount > 0, `queued after ${sent} sends`);
    let settled = false;
    const waiting = ws.extDrained().finally(() => settled = true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(settled, false, "not drained while the server does not read");
    startReading();
    assert.equal(await within(waiting, "client extDrained", 10_000), true);
    assert.equal(ws.extBufferedAmount, 0);
    // Masked client frames of 256 KiB have a 14-byte header.
    const expected = sent * (payload.length + 14);
    while ((total.items.at(-1) ?? 0) < expected) await total.next("server reads it all");
  } finally {
    startReading();
    const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
    await ws.close().catch(() => {});
    await within(closed, "client close");
    await raw.shutdown();
  }
});

Deno.test("cancel a connect: an already aborted extSignal fails at once with -1 and opens no socket", async () => {
  let accepted = 0;
  const raw = startRawServer((conn) => {
    accepted++;
    conn.close();
    return Promise.resolve();
  });
  const ws = webSocket.createWebSocket();
  const errors = new Queue<BusinessError>();
  ws.on("error", (e) => errors.push(e));
  try {
    const controller = new AbortController();
    controller.abort(new Error("user left"));
    await assert.rejects(
      ws.connect(raw.url, { extSignal: controller.signal }),
      (e: BusinessError) => e.code === -1 && /connect aborted: user left/.test(e.message),
    );
    assert.match((await errors.next("error event")).message, /connect aborted/);
    await assert.rejects(
      ws.connect(raw.url, { extSignal: "stop" as never }),
      (e: BusinessError) => e.code === 401,
    );
  } finally {
    await raw.shutdown();
  }
  assert.equal(accepted, 0, "no TCP connection was made");
});

Deno.test("cancel a connect: aborting while the transport connects, or during the handshake, rejects at once and closes the socket", async () => {
  const heads = new Queue<string>();
  const ends = new Queue<string>();
  // A server that accepts TCP, reads the request and never answers: only the abort can end it.
  const raw = startRawServer(async (conn) => {
    heads.push(await readRequestHead(conn));
    const buffer = new Uint8Array(1024);
    try {
      while ((await conn.read(buffer)) !== null);
    } catch {
      // reset: also an end
    }
    ends.push("closed by the client");
    conn.close();
  });
  try {
    // 1. Aborted right after connect() is called: the transport is still connecting.
    const early = webSocket.createWebSocket();
    early.on("error", () => {});
    const first = new AbortController();
    const failing = early.connect(raw.url, { extSignal: first.signal });
    first.abort();
    await assert.rejects(within(failing, "early abort"), /connect aborted/);

    // 2. Aborted while the server sits on the handshake (30 s handshake timeout by default).
    const ws = webSocket.createWebSocket();
    ws.on("error", () => {});
    const controller = new AbortController();
    const connecting = ws.connect(raw.url, { extSignal: controller.signal });
    await heads.next("request head", 5000);
    const started = performance.now();
    controller.abort();
    await assert.rejects(within(connecting, "aborted connect", 2000), (e: BusinessError) => {
      assert.equal(e.code, -1);
      assert.match(e.message, /connect aborted/);
      return true;
    });
    assert.ok(performance.now() - started < 2000);
    await ends.next("server sees the socket closed");
    // The WebSocket can connect again afterwards.
    const h = await startServer({ pingIntervalMs: 0 });
    try {
      const again = new AbortController();
      await within(ws.connect(h.url, { extSignal: again.signal }), "connect after abort");
      again.abort(); // no effect once open
      await ws.send("still open");
      assert.equal((await h.messages.next("message")).data, "still open");
      await ws.close();
      await h.closes.next("close");
    } finally {
      await h.stop();
    }
  } finally {
    await raw.shutdown();
  }
});
