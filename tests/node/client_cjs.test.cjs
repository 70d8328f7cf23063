// The built package under Node, loaded with `require`: the seed's callback style against a
// `ws` echo server on 127.0.0.1 — text, binary, close codes and error codes.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe, test } = require("node:test");
const {
  closedPort,
  recordEvents,
  requirePackage,
  startWsServer,
  testCerts,
  within,
} = require("./helpers.cjs");

const T = { timeout: 15_000 };
const pkg = requirePackage();
const webSocket = pkg.default;

/** Calls `method(...args, callback)` and resolves with the callback's `[err, value]` (bounded). */
function viaCallback(target, method, ...args) {
  return within(
    5000,
    `${method} callback`,
    new Promise((resolve) => target[method](...args, (err, value) => resolve([err, value]))),
  );
}

test("require: module.exports has `default` and `webSocket` (the same namespace) and createWebSocket", () => {
  assert.equal(pkg.webSocket, webSocket);
  assert.equal(typeof webSocket.createWebSocket, "function");
  assert.equal(typeof pkg.createWebSocket, "function");
  assert.equal(typeof pkg.BusinessError, "function");
});

describe("callback style against ws://127.0.0.1", () => {
  let server;
  before(async () => server = await startWsServer());
  after(() => server.close());

  test("connect(url, callback) reports (undefined, true) after the open event", T, async () => {
    const ws = webSocket.createWebSocket();
    const events = recordEvents(ws);
    const [err, value] = await viaCallback(ws, "connect", server.url);
    assert.equal(err, undefined);
    assert.equal(value, true);
    assert.deepEqual(events.types(), ["open"]);
    await viaCallback(ws, "close");
    await events.next("close");
  });

  test(
    "text and binary: send(data, callback) succeeds and the echoes arrive as string and ArrayBuffer",
    T,
    async () => {
      const ws = webSocket.createWebSocket();
      const events = recordEvents(ws);
      await viaCallback(ws, "connect", server.url, { header: { "x-test": "cjs" } });
      assert.deepEqual(await viaCallback(ws, "send", "Hello, server!"), [undefined, true]);
      assert.equal(await events.next("message"), "Hello, server!");
      assert.deepEqual(await viaCallback(ws, "send", new Uint8Array([0, 1, 254, 255]).buffer), [
        undefined,
        true,
      ]);
      const binary = await events.next("message");
      assert.ok(binary instanceof ArrayBuffer);
      assert.deepEqual([...new Uint8Array(binary)], [0, 1, 254, 255]);
      await viaCallback(ws, "close");
      await events.next("close");
    },
  );

  test(
    "close code: close({code: 3000, reason}, callback) reaches the server and the close event",
    T,
    async () => {
      const own = await startWsServer();
      try {
        const ws = webSocket.createWebSocket();
        const events = recordEvents(ws);
        await viaCallback(ws, "connect", own.url);
        assert.deepEqual(await viaCallback(ws, "close", { code: 3000, reason: "app" }), [
          undefined,
          true,
        ]);
        assert.deepEqual(await events.next("close"), { code: 3000, reason: "app" });
        assert.deepEqual(await own.closesSeen(1), [{ code: 3000, reason: "app" }]);
      } finally {
        await own.close();
      }
    },
  );
});

describe("error codes through the callback", () => {
  test("401: a URL that is not a string gives (err 401, undefined)", T, async () => {
    const ws = webSocket.createWebSocket();
    const [err, value] = await viaCallback(ws, "connect", 7);
    assert.equal(err.code, 401);
    assert.equal(value, undefined);
  });

  test("2302001: a ftp:// URL gives (err 2302001, undefined)", T, async () => {
    const ws = webSocket.createWebSocket();
    const [err, value] = await viaCallback(ws, "connect", "ftp://127.0.0.1/");
    assert.equal(err.code, 2302001);
    assert.equal(value, undefined);
  });

  test("-1: a refused TCP connection gives (err -1, undefined) and an error event", T, async () => {
    const ws = webSocket.createWebSocket();
    const events = recordEvents(ws);
    const [err, value] = await viaCallback(ws, "connect", `ws://127.0.0.1:${await closedPort()}/`);
    assert.equal(err.code, -1);
    assert.equal(value, undefined);
    assert.equal((await events.next("error")).code, -1);
  });

  test("-1: send after close gives (err -1, undefined)", T, async () => {
    const server = await startWsServer();
    try {
      const ws = webSocket.createWebSocket();
      const events = recordEvents(ws);
      await viaCallback(ws, "connect", server.url);
      await viaCallback(ws, "close");
      await events.next("close");
      const [err] = await viaCallback(ws, "send", "late");
      assert.equal(err.code, -1);
    } finally {
      await server.close();
    }
  });
});

test(
  "wss: the required package verifies a TLS echo server with caPath naming the test CA",
  T,
  async () => {
    const certs = testCerts();
    const server = await startWsServer({
      tls: { cert: certs.serverCert.pem, key: certs.serverKey.pem },
    });
    try {
      const ws = webSocket.createWebSocket();
      const events = recordEvents(ws);
      const [err] = await viaCallback(ws, "connect", server.url, { caPath: certs.ca.path });
      assert.equal(err, undefined);
      await viaCallback(ws, "send", "tls from cjs");
      assert.equal(await events.next("message"), "tls from cjs");
      await viaCallback(ws, "close");
      await events.next("close");
    } finally {
      await server.close();
    }
  },
);
