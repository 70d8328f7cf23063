// permessage-deflate (RFC 7692, issue 16) in the built package under Node (and Bun through
// .ci/run): our client and server negotiate and compress with npm `ws` (both directions, with
// and without context takeover) and with each other; a zip bomb closes with 1009; under Bun
// (.ci/run's `bun test`) our client against `Bun.serve` with `perMessageDeflate: true`.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { deflateRawSync } from "node:zlib";
import net from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import helpers from "./helpers.cjs";

const { importPackage, within } = helpers;
const T = { timeout: 20_000 };
const MSG = JSON.stringify({
  id: 7,
  kind: "telemetry",
  values: Array.from({ length: 80 }, (_, i) => i % 9),
});

/** @type {any} */
let webSocket;
before(async () => {
  webSocket = (await importPackage()).default;
});

async function echoServer(perMessageDeflate, extra = {}) {
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", (m) => server.send(m.data, m.clientConnection).catch(() => {}));
  server.on("error", () => {});
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, perMessageDeflate, ...extra });
  return { server, port: server.address().serverPort };
}

for (
  const [label, ours, theirs] of [
    ["context takeover", true, true],
    ["no context takeover", {
      server_no_context_takeover: true,
      client_no_context_takeover: true,
      threshold: 0,
    }, { threshold: 0 }],
  ]
) {
  test(`deflate (${label}): npm ws client ↔ our server, echoes intact in order`, T, async () => {
    const { server, port } = await echoServer(ours);
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: theirs });
    await within(
      5000,
      "open",
      new Promise((r, j) => {
        ws.once("open", r);
        ws.once("error", j);
      }),
    );
    assert.match(ws.extensions, /permessage-deflate/);
    const got = [];
    const all = new Promise((r) =>
      ws.on("message", (d) => {
        got.push(String(d));
        if (got.length === 3) r();
      })
    );
    ws.send(MSG);
    ws.send(MSG.repeat(40));
    ws.send("short");
    await within(5000, "echoes", all);
    assert.deepEqual(got, [MSG, MSG.repeat(40), "short"]);
    ws.close(1000);
    await new Promise((r) => ws.once("close", r));
    await server.stop();
  });

  test(`deflate (${label}): our client ↔ npm ws server, echoes intact in order`, T, async () => {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      perMessageDeflate: theirs === true
        ? true
        : { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 0 },
    });
    await new Promise((r) => wss.once("listening", r));
    wss.on("connection", (s) => s.on("message", (d, b) => s.send(d, { binary: b })));
    const ws = webSocket.createWebSocket();
    let ext = "";
    ws.on("headerReceive", (h) => (ext = String(h["sec-websocket-extensions"])));
    const got = [];
    const all = new Promise((r) =>
      ws.on("message", (_e, d) => {
        got.push(d);
        if (got.length === 2) r();
      })
    );
    await ws.connect(`ws://127.0.0.1:${wss.address().port}`, {
      perMessageDeflate: ours === true ? { threshold: 0 } : ours,
    });
    assert.match(ext, /^permessage-deflate/);
    ws.send(MSG.repeat(10));
    ws.send(MSG);
    await within(5000, "echoes", all);
    assert.deepEqual(got, [MSG.repeat(10), MSG]);
    await ws.close();
    await new Promise((r) => wss.close(r));
  });
}

test("deflate: our client ↔ our server compress both ways", T, async () => {
  const { server, port } = await echoServer({ threshold: 0 });
  const ws = webSocket.createWebSocket();
  const got = [];
  const all = new Promise((r) =>
    ws.on("message", (_e, d) => {
      got.push(d);
      if (got.length === 2) r();
    })
  );
  await ws.connect(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
  ws.send(MSG);
  ws.send(new Uint8Array(4096).fill(3).buffer);
  await within(5000, "echoes", all);
  assert.equal(got[0], MSG);
  assert.equal(got[1].byteLength, 4096);
  await ws.close();
  await server.stop();
});

test(
  "deflate bound: a 64 MiB zip bomb against maxMessageSize 1 MiB closes with 1009",
  T,
  async () => {
    const { server, port } = await echoServer(true, { maxMessageSize: 1 << 20 });
    const sock = net.connect(port, "127.0.0.1");
    let seen = Buffer.alloc(0);
    // The server's close frame: 0x88, length, then the code (after the 101 answer).
    const closed = new Promise((r) =>
      sock.on("data", (d) => {
        seen = Buffer.concat([seen, d]);
        const at = seen.indexOf(Buffer.from("\r\n\r\n"));
        if (at >= 0 && seen.length >= at + 8 && seen[at + 4] === 0x88) r(seen.readUInt16BE(at + 6));
      })
    );
    await new Promise((r) => sock.once("connect", r));
    sock.write(
      `GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nsec-websocket-extensions: permessage-deflate\r\n\r\n`,
    );
    const body = deflateRawSync(Buffer.alloc(64 << 20));
    const head = Buffer.from([0xc2, 0xfe, body.length >> 8, body.length & 0xff, 0, 0, 0, 0]); // RSV1, binary, zero mask
    assert.ok(body.length < 65536);
    sock.write(Buffer.concat([head, body]));
    sock.on("error", () => {});
    assert.equal(await within(5000, "server close frame", closed), 1009);
    sock.destroy();
    await server.stop();
  },
);

test(
  "deflate interop: our client ↔ Bun.serve with perMessageDeflate: true",
  { ...T, skip: typeof globalThis.Bun === "undefined" && "Bun.serve exists only under Bun" },
  async () => {
    const bun = globalThis.Bun;
    let ext = "";
    const server = bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req, srv) {
        ext = String(req.headers.get("sec-websocket-extensions"));
        return srv.upgrade(req) ? undefined : new Response("upgrade only", { status: 400 });
      },
      websocket: { perMessageDeflate: true, message: (ws, m) => ws.send(m, true) },
    });
    try {
      const ws = webSocket.createWebSocket();
      let answered = "";
      ws.on("headerReceive", (h) => (answered = String(h["sec-websocket-extensions"])));
      const got = [];
      const all = new Promise((r) =>
        ws.on("message", (_e, d) => {
          got.push(d);
          if (got.length === 2) r();
        })
      );
      await ws.connect(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0 } });
      assert.match(ext, /permessage-deflate/);
      assert.match(answered, /^permessage-deflate/);
      ws.send(MSG.repeat(20));
      ws.send(MSG);
      await within(5000, "Bun.serve echoes", all);
      assert.deepEqual(got, [MSG.repeat(20), MSG]);
      await ws.close();
    } finally {
      server.stop(true);
    }
  },
);
