// The built package's WebSocketServer under Node (node:net / node:tls listener): npm `ws`
// clients and our own client echo through it over ws and wss; limits and error codes hold.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import WebSocket from "ws";
import helpers from "./helpers.cjs";

const { importPackage, recordEvents, testCerts, within } = helpers;
const T = { timeout: 15_000 };
const LIMITS = { maxConcurrentClientsNumber: 10, maxConnectionsForOneClient: 10 };

/** @type {any} */
let webSocket;
before(async () => {
  webSocket = (await importPackage()).default;
});

/** Starts an echo server on 127.0.0.1 (a free port); returns it with its URL. */
async function echoServer(extra = {}, scheme = "ws") {
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", (message) => {
    server.send(message.data, message.clientConnection).catch(() => {});
  });
  server.on("error", () => {});
  assert.equal(
    await server.start({ serverIP: "127.0.0.1", serverPort: 0, ...LIMITS, ...extra }),
    true,
  );
  return { server, url: `${scheme}://127.0.0.1:${server.address().serverPort}/` };
}

/** One echo round trip with an npm `ws` client; returns what came back. */
async function wsEcho(url, data, options = {}) {
  const client = new WebSocket(url, options);
  await within(
    5000,
    "ws open",
    new Promise((resolve, reject) => {
      client.once("open", resolve);
      client.once("error", reject);
    }),
  );
  const reply = within(5000, "ws echo", new Promise((resolve) => client.once("message", resolve)));
  client.send(data);
  const echoed = await reply;
  const closed = new Promise((resolve) => client.once("close", (code) => resolve(code)));
  client.close(1000);
  return { echoed, closeCode: await within(5000, "ws close", closed) };
}

test(
  "server on Node: npm ws clients get text and binary echoed over ws, and close with 1000",
  T,
  async () => {
    const { server, url } = await echoServer();
    try {
      const text = await wsEcho(url, "hello from ws");
      assert.equal(text.echoed.toString(), "hello from ws");
      assert.equal(text.closeCode, 1000);
      const binary = await wsEcho(url, Buffer.from([0, 1, 2, 255]));
      assert.deepEqual([...binary.echoed], [0, 1, 2, 255]);
    } finally {
      await server.stop();
    }
  },
);

test(
  "server on Node: our own client echoes through it (both halves of the package on node:net)",
  T,
  async () => {
    const { server, url } = await echoServer();
    const ws = webSocket.createWebSocket();
    const events = recordEvents(ws);
    try {
      await within(5000, "connect", ws.connect(url));
      await ws.send("round trip");
      assert.equal(await events.next("message"), "round trip");
      await ws.close();
      assert.equal((await events.next("close")).code, 1000);
    } finally {
      await server.stop();
    }
  },
);

test(
  "server on Node: wss with serverCert echoes to a ws client that trusts the test CA",
  T,
  async () => {
    const certs = testCerts();
    const { server, url } = await echoServer(
      { serverCert: { certPath: certs.serverCert.path, keyPath: certs.serverKey.path } },
      "wss",
    );
    try {
      const result = await wsEcho(url, "secure hello", { ca: certs.ca.pem });
      assert.equal(result.echoed.toString(), "secure hello");
    } finally {
      await server.stop();
    }
  },
);

test(
  "server on Node: a port already in use fails start with 2302007; stop frees the port",
  T,
  async () => {
    const { server } = await echoServer();
    const port = server.address().serverPort;
    const second = webSocket.createWebSocketServer();
    await assert.rejects(
      second.start({ serverIP: "127.0.0.1", serverPort: port, ...LIMITS }),
      (error) => error.code === 2302007,
    );
    await server.stop();
    const again = webSocket.createWebSocketServer();
    assert.equal(await again.start({ serverIP: "127.0.0.1", serverPort: port, ...LIMITS }), true);
    await again.stop();
  },
);

test("server on Node: a missing certificate file fails start with 2302002", T, async () => {
  const server = webSocket.createWebSocketServer();
  await assert.rejects(
    server.start({
      serverIP: "127.0.0.1",
      serverPort: 0,
      ...LIMITS,
      serverCert: { certPath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem" },
    }),
    (error) => error.code === 2302002,
  );
});
