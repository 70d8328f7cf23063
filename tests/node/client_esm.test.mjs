// The built package under Node, loaded with `import`: the ohos client against `ws` servers
// on 127.0.0.1 — text, binary, close codes, error codes and wss with a test CA.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import helpers from "./helpers.cjs";

const { closedPort, importPackage, recordEvents, startWsServer, testCerts, within } = helpers;
const T = { timeout: 15_000 };

/** @type {any} */
let pkg;
/** @type {any} */
let webSocket;
before(async () => {
  pkg = await importPackage();
  webSocket = pkg.default;
});

/** Connects a new client to `url`; returns it with its event recorder. */
async function connected(url, options) {
  const ws = webSocket.createWebSocket();
  const events = recordEvents(ws);
  assert.equal(await within(5000, "connect", ws.connect(url, options)), true);
  return { ws, events };
}

/** Awaits a promise that must reject; returns the rejection. */
async function rejection(promise) {
  const outcome = await within(5000, "settling", promise.then(() => undefined, (err) => err));
  assert.ok(outcome !== undefined, "the promise resolved, expected a rejection");
  return outcome;
}

test("import: the default export and the named `webSocket` are one namespace with createWebSocket and BusinessError", () => {
  assert.equal(pkg.webSocket, webSocket);
  assert.equal(typeof webSocket.createWebSocket, "function");
  assert.equal(pkg.createWebSocket, webSocket.createWebSocket);
  const err = new pkg.BusinessError(401, "x");
  assert.deepEqual(JSON.parse(JSON.stringify(err)), { code: 401, message: "x" });
});

describe("ws://127.0.0.1 echo server", () => {
  /** @type {Awaited<ReturnType<typeof startWsServer>>} */
  let server;
  before(async () => server = await startWsServer());
  after(() => server.close());

  test(
    "open: the open event carries the handshake status line {status: 101, message: 'Switching Protocols'}",
    T,
    async () => {
      const { ws, events } = await connected(server.url);
      assert.deepEqual(await events.next("open"), { status: 101, message: "Switching Protocols" });
      await ws.close();
      await events.next("close");
    },
  );

  test(
    "text: a string is sent as a text frame and the echoed text frame arrives as the same string",
    T,
    async () => {
      const { ws, events } = await connected(server.url);
      const text = "Hello, server! — 你好 🌍";
      assert.equal(await ws.send(text), true);
      assert.equal(await events.next("message"), text);
      await ws.close();
      await events.next("close");
    },
  );

  test(
    "binary: an ArrayBuffer is sent as a binary frame and the echo arrives as an ArrayBuffer with the same bytes",
    T,
    async () => {
      const { ws, events } = await connected(server.url);
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff); // 64-bit length form
      assert.equal(await ws.send(bytes.buffer), true);
      const echoed = await events.next("message");
      assert.ok(echoed instanceof ArrayBuffer, "binary messages are ArrayBuffers");
      assert.deepEqual(new Uint8Array(echoed), bytes);
      await ws.close();
      await events.next("close");
    },
  );

  test(
    "message order: many messages sent back to back are echoed in the order sent",
    T,
    async () => {
      const { ws, events } = await connected(server.url);
      const sent = Array.from({ length: 100 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m) => ws.send(m)));
      const received = [];
      for (let i = 0; i < sent.length; i++) received.push(await events.next("message"));
      assert.deepEqual(received, sent);
      await ws.close();
      await events.next("close");
    },
  );
});

describe("close codes", () => {
  test(
    "close({code: 4000, reason}) sends that code and reason; the close event reports the server's answer",
    T,
    async () => {
      const server = await startWsServer();
      try {
        const { ws, events } = await connected(server.url);
        assert.equal(await ws.close({ code: 4000, reason: "done here" }), true);
        assert.deepEqual(await events.next("close"), { code: 4000, reason: "done here" });
        assert.deepEqual(await server.closesSeen(1), [{ code: 4000, reason: "done here" }]);
      } finally {
        await server.close();
      }
    },
  );

  test("close() without options sends 1000 with an empty reason", T, async () => {
    const server = await startWsServer();
    try {
      const { ws, events } = await connected(server.url);
      await ws.close();
      assert.deepEqual(await events.next("close"), { code: 1000, reason: "" });
      assert.deepEqual(await server.closesSeen(1), [{ code: 1000, reason: "" }]);
    } finally {
      await server.close();
    }
  });

  test(
    "a server close with 1001 and a reason reaches the close event as {code: 1001, reason}",
    T,
    async () => {
      const server = await startWsServer({
        onConnection: (socket) =>
          socket.on("message", () => socket.close(1001, "server going away")),
      });
      try {
        const { ws, events } = await connected(server.url);
        await ws.send("please close");
        assert.deepEqual(await events.next("close"), { code: 1001, reason: "server going away" });
      } finally {
        await server.close();
      }
    },
  );

  test("the TCP link dropping without a close frame reports 1006", T, async () => {
    const server = await startWsServer({
      onConnection: (socket) => socket.on("message", () => socket.terminate()),
    });
    try {
      const { ws, events } = await connected(server.url);
      await ws.send("drop me");
      const closed = await events.next("close");
      assert.equal(closed.code, 1006);
      assert.equal(typeof closed.reason, "string");
      assert.ok(closed.reason.length > 0, "1006 comes with a descriptive reason");
    } finally {
      await server.close();
    }
  });
});

describe("error codes", () => {
  test("401: on() with a non-function callback throws a BusinessError with code 401", () => {
    const ws = webSocket.createWebSocket();
    assert.throws(() => ws.on("message", "not a function"), (err) => err.code === 401);
  });

  test("401: connect() with a URL that is not a string rejects with code 401", T, async () => {
    const ws = webSocket.createWebSocket();
    const err = await rejection(ws.connect(42));
    assert.equal(err.code, 401);
  });

  test("401: close with a code that may not be sent (1005) rejects with code 401", T, async () => {
    const server = await startWsServer();
    try {
      const { ws, events } = await connected(server.url);
      assert.equal((await rejection(ws.close({ code: 1005 }))).code, 401);
      await ws.close();
      await events.next("close");
    } finally {
      await server.close();
    }
  });

  test("2302001: an http:// URL rejects with code 2302001", T, async () => {
    const ws = webSocket.createWebSocket();
    const err = await rejection(ws.connect("http://127.0.0.1:1/"));
    assert.equal(err.code, 2302001);
  });

  test(
    "-1: connecting to a port nobody listens on rejects with -1, emits error and no close",
    T,
    async () => {
      const ws = webSocket.createWebSocket();
      const events = recordEvents(ws);
      const err = await rejection(ws.connect(`ws://127.0.0.1:${await closedPort()}/`));
      assert.equal(err.code, -1);
      assert.equal((await events.next("error")).code, -1);
      assert.ok(!events.types().includes("close"), "no close event for a connection never opened");
    },
  );

  test("-1: a handshake answered with HTTP 401 rejects with -1 and data '401'", T, async () => {
    const server = await startWsServer({ verifyClient: (_info, done) => done(false, 401) });
    try {
      const ws = webSocket.createWebSocket();
      const err = await rejection(ws.connect(server.url));
      assert.equal(err.code, -1);
      assert.equal(err.data, "401");
    } finally {
      await server.close();
    }
  });

  test("-1: send() before connect rejects with -1", T, async () => {
    const ws = webSocket.createWebSocket();
    assert.equal((await rejection(ws.send("too early"))).code, -1);
  });
});

describe("wss:// with a test CA made by openssl", () => {
  /** @type {ReturnType<typeof testCerts>} */
  let certs;
  /** @type {Awaited<ReturnType<typeof startWsServer>>} */
  let server;
  before(async () => {
    certs = testCerts();
    server = await startWsServer({ tls: { cert: certs.serverCert.pem, key: certs.serverKey.pem } });
  });
  after(() => server?.close());

  test(
    "caPath naming the test CA verifies the server certificate for 127.0.0.1 and the echo works",
    T,
    async () => {
      const { ws, events } = await connected(server.url, { caPath: certs.ca.path });
      await ws.send("over TLS");
      assert.equal(await events.next("message"), "over TLS");
      await ws.close();
      assert.equal((await events.next("close")).code, 1000);
    },
  );

  test(
    "certificates are verified by default: without caPath the test CA is not trusted (-1)",
    T,
    async () => {
      const ws = webSocket.createWebSocket();
      const err = await rejection(ws.connect(server.url));
      assert.equal(err.code, -1);
    },
  );

  test(
    "the host name is verified: a certificate for wrong.example fails for 127.0.0.1 (-1)",
    T,
    async () => {
      const wrong = await startWsServer({
        tls: { cert: certs.wrongCert.pem, key: certs.wrongKey.pem },
      });
      try {
        const ws = webSocket.createWebSocket();
        const err = await rejection(ws.connect(wrong.url, { caPath: certs.ca.path }));
        assert.equal(err.code, -1);
        assert.match(err.message, /altnames|host ?name|does not match/i);
      } finally {
        await wrong.close();
      }
    },
  );

  test("skipServerCertVerification: true accepts the untrusted certificate", T, async () => {
    const { ws, events } = await connected(server.url, { skipServerCertVerification: true });
    await ws.send("unverified");
    assert.equal(await events.next("message"), "unverified");
    await ws.close();
    await events.next("close");
  });

  test("a missing caPath file rejects with 2302002", T, async () => {
    const ws = webSocket.createWebSocket();
    const err = await rejection(ws.connect(server.url, { caPath: `${certs.dir}/missing.pem` }));
    assert.equal(err.code, 2302002);
  });

  test(
    "clientCert: a server that requires a client certificate accepts ours (also with an encrypted key)",
    T,
    async () => {
      const mtls = await startWsServer({
        tls: {
          cert: certs.serverCert.pem,
          key: certs.serverKey.pem,
          ca: [certs.ca.pem],
          requestCert: true,
          rejectUnauthorized: true,
        },
      });
      try {
        for (
          const clientCert of [
            { certPath: certs.clientCert.path, keyPath: certs.clientKey.path },
            {
              certPath: certs.clientCert.path,
              keyPath: certs.clientEncryptedKey.path,
              keyPassword: helpers.CLIENT_KEY_PASSWORD,
            },
          ]
        ) {
          const { ws, events } = await connected(mtls.url, { caPath: certs.ca.path, clientCert });
          await ws.send("mutual");
          assert.equal(await events.next("message"), "mutual");
          await ws.close();
          await events.next("close");
        }
        const without = webSocket.createWebSocket();
        assert.equal(
          (await rejection(without.connect(mtls.url, { caPath: certs.ca.path }))).code,
          -1,
        );
      } finally {
        await mtls.close();
      }
    },
  );
});
