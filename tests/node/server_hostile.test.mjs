// The built package's WebSocketServer under Node against hostile clients, the key cases of
// tests/hostile_client_test.ts: TCP sockets to a wss server that never start TLS are destroyed
// at the handshake deadline and count against the handshake cap; garbage gets 400 at once;
// slow-loris is cut at the deadline; frames pipelined behind the upgrade are processed; clients
// that vanish are dropped by the heartbeat. Each checks a time bound with margins for a noisy
// machine, and that a well-behaved client is served afterwards. Waits are on events, bounded.
// Also: a client that keeps its side open after the close handshake still gets the server's
// end at once, clean (FIN; over TLS close_notify first).
import assert from "node:assert/strict";
import net from "node:net";
import tls from "node:tls";
import { before, test } from "node:test";
import WebSocket from "ws";
import helpers from "./helpers.cjs";

const { importPackage, testCerts, within } = helpers;
const T = { timeout: 30_000 };
const MARGIN_MS = 3000;

/** @type {any} */
let webSocket;
before(async () => {
  webSocket = (await importPackage()).default;
});

/** Starts an echo server on 127.0.0.1 (a free port), recording its close and error events. */
async function echoServer(extra = {}) {
  const server = webSocket.createWebSocketServer();
  const closes = [];
  const errors = [];
  const closeWaiters = [];
  server.on("messageReceive", (message) => {
    server.send(message.data, message.clientConnection).catch(() => {});
  });
  server.on("close", (connection, result) => {
    closes.push({ connection, result, at: Date.now() });
    for (const wake of closeWaiters.splice(0)) wake();
  });
  server.on("error", (error) => errors.push(error));
  assert.equal(await server.start({ serverIP: "127.0.0.1", serverPort: 0, ...extra }), true);
  const port = server.address().serverPort;
  const scheme = extra.serverCert === undefined ? "ws" : "wss";
  return {
    server,
    port,
    url: `${scheme}://127.0.0.1:${port}/`,
    closes,
    errors,
    /** Resolves once `count` close events have been seen (bounded). */
    closesReach(count, ms) {
      return within(
        ms,
        `${count} close events`,
        new Promise((resolve) => {
          const check = () => closes.length >= count ? resolve() : closeWaiters.push(check);
          check();
        }),
      );
    },
  };
}

function tlsServerConfig() {
  const certs = testCerts();
  return { serverCert: { certPath: certs.serverCert.path, keyPath: certs.serverKey.path } };
}

/**
 * A raw TCP client: `ended` resolves with the ms from connect to the server ending the
 * connection (FIN, reset or close), `received` collects what the server sent.
 */
async function rawConnect(port) {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await within(
    3000,
    "raw connect",
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    }),
  );
  const connected = Date.now();
  const chunks = [];
  socket.on("data", (chunk) => chunks.push(chunk));
  const ended = new Promise((resolve) => {
    const done = () => resolve(Date.now() - connected);
    socket.once("end", done);
    socket.once("close", done);
    socket.on("error", () => {});
  });
  return { socket, ended, received: () => Buffer.concat(chunks) };
}

/** A masked client frame with a payload under 126 bytes. */
function clientFrame(opcode, payload) {
  const data = Buffer.from(payload);
  const key = [1, 2, 3, 4];
  const head = Buffer.from([0x80 | opcode, 0x80 | data.length, ...key]);
  return Buffer.concat([head, Buffer.from(data.map((b, i) => b ^ key[i & 3]))]);
}

function upgradeRequest(port) {
  return "GET / HTTP/1.1\r\n" +
    `host: 127.0.0.1:${port}\r\n` +
    "upgrade: websocket\r\nconnection: Upgrade\r\n" +
    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";
}

/** Waits (bounded) until the raw client has received `pattern`. */
function receives(raw, pattern, what) {
  return within(
    3000,
    what,
    new Promise((resolve) => {
      const check = () => {
        if (pattern.test(raw.received().toString("latin1"))) {
          raw.socket.off("data", check);
          resolve();
          return true;
        }
        return false;
      };
      if (!check()) raw.socket.on("data", check);
    }),
  );
}

/** A well-behaved `ws` client gets an echo and closes with 1000. */
async function wellBehaved(url, label, options = {}) {
  const client = new WebSocket(url, options);
  await within(
    5000,
    `${label}: open`,
    new Promise((resolve, reject) => {
      client.once("open", resolve);
      client.once("error", reject);
    }),
  );
  const reply = within(5000, `${label}: echo`, new Promise((r) => client.once("message", r)));
  client.send(label);
  assert.equal((await reply).toString(), label);
  const closed = new Promise((resolve) => client.once("close", resolve));
  client.close(1000);
  assert.equal(await within(5000, `${label}: close`, closed), 1000);
}

test(
  "hostile on Node: 9 TCP sockets to a wss server that never start TLS (or stop in the ClientHello) are destroyed within handshakeTimeoutMs + 3 s, not before; a TLS client is served afterwards",
  T,
  async () => {
    const handshakeTimeoutMs = 600;
    const { server, url } = await echoServer({ ...tlsServerConfig(), handshakeTimeoutMs });
    const raws = [];
    try {
      for (let i = 0; i < 9; i++) {
        const raw = await rawConnect(server.address().serverPort);
        if (i % 3 === 2) raw.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
        raws.push(raw);
      }
      const lifetimes = await within(
        handshakeTimeoutMs + MARGIN_MS,
        "every idle TLS socket ends",
        Promise.all(raws.map((raw) => raw.ended)),
      );
      for (const ms of lifetimes) {
        assert.ok(ms >= handshakeTimeoutMs - 50, `ended before the deadline: ${lifetimes}`);
      }
      await wellBehaved(url, "after the TLS idlers", { ca: testCerts().ca.pem });
    } finally {
      for (const raw of raws) raw.socket.destroy();
      await server.stop();
    }
  },
);

test(
  "hostile on Node: sockets still in the TLS handshake count against the per-IP handshake cap (2 × maxConnectionsForOneClient + 4): the rest are closed on accept",
  T,
  async () => {
    const handshakeTimeoutMs = 1500;
    const { server, url } = await echoServer({
      ...tlsServerConfig(),
      maxConcurrentClientsNumber: 2,
      maxConnectionsForOneClient: 1,
      handshakeTimeoutMs,
    });
    const raws = [];
    try {
      for (let i = 0; i < 12; i++) raws.push(await rawConnect(server.address().serverPort));
      const lifetimes = await within(
        handshakeTimeoutMs + MARGIN_MS,
        "every idle TLS socket ends",
        Promise.all(raws.map((raw) => raw.ended)),
      );
      const kept = lifetimes.filter((ms) => ms >= handshakeTimeoutMs - 50).length;
      const atOnce = lifetimes.filter((ms) => ms < handshakeTimeoutMs / 2).length;
      assert.equal(kept, 6, `kept until the deadline: ${lifetimes}`);
      assert.equal(atOnce, 6, `closed on accept: ${lifetimes}`);
      await wellBehaved(url, "after the crowd", { ca: testCerts().ca.pem });
    } finally {
      for (const raw of raws) raw.socket.destroy();
      await server.stop();
    }
  },
);

test(
  "hostile on Node: 4 KiB of random bytes get 400 within a second and the server ends the connection; a client is served afterwards",
  T,
  async () => {
    const { server, url } = await echoServer();
    const raw = await rawConnect(server.address().serverPort);
    try {
      const start = Date.now();
      const garbage = Buffer.alloc(4096);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
      raw.socket.write(garbage);
      await receives(raw, /^HTTP\/1\.1 400 /, "400 answer");
      await within(1000, "the server ends the connection", raw.ended);
      assert.ok(Date.now() - start < 1000, `took ${Date.now() - start} ms`);
      assert.match(raw.received().toString(), /not an HTTP request line/);
      await wellBehaved(url, "after garbage");
    } finally {
      raw.socket.destroy();
      await server.stop();
    }
  },
);

test(
  "hostile on Node: slow-loris trickling headers is cut at handshakeTimeoutMs from accept",
  T,
  async () => {
    const handshakeTimeoutMs = 500;
    const { server, url } = await echoServer({ handshakeTimeoutMs });
    const raw = await rawConnect(server.address().serverPort);
    raw.socket.write("GET / HTTP/1.1\r\nhost: x\r\n");
    const drip = setInterval(() => raw.socket.write("x-pad: y\r\n", () => {}), 50);
    try {
      const ms = await within(handshakeTimeoutMs + MARGIN_MS, "slow-loris cut", raw.ended);
      assert.ok(ms >= handshakeTimeoutMs - 50, `cut after ${ms} ms`);
      await wellBehaved(url, "after slow-loris");
    } finally {
      clearInterval(drip);
      raw.socket.destroy();
      await server.stop();
    }
  },
);

test(
  "hostile on Node: a text frame and a ping pipelined in the same write as the upgrade request are answered (echo, pong)",
  T,
  async () => {
    const { server } = await echoServer();
    const port = server.address().serverPort;
    const raw = await rawConnect(port);
    try {
      raw.socket.write(Buffer.concat([
        Buffer.from(upgradeRequest(port)),
        clientFrame(0x1, "pipelined"),
        clientFrame(0x9, "p!"),
      ]));
      // 101, then the echo (0x81, length 9) and the pong (0x8a, length 2), in that order.
      const frames = Buffer.concat([Buffer.from([0x81, 9]), Buffer.from("pipelined")]);
      const expected = Buffer.concat([frames, Buffer.from([0x8a, 2]), Buffer.from("p!")]);
      await receives(raw, /^HTTP\/1\.1 101 [^]*\r\n\r\n/, "101");
      await within(
        3000,
        "echo + pong",
        new Promise((resolve) => {
          const check = () => {
            const all = raw.received();
            if (all.length - (all.indexOf("\r\n\r\n") + 4) < expected.length) return;
            raw.socket.off("data", check);
            resolve();
          };
          raw.socket.on("data", check);
          check();
        }),
      );
      const all = raw.received();
      assert.deepEqual([...all.subarray(all.indexOf("\r\n\r\n") + 4)], [...expected]);
    } finally {
      raw.socket.destroy();
      await server.stop();
    }
  },
);

test(
  "hostile on Node: 10 upgraded clients that never answer pings fill the cap (an 11th gets 503) and are dropped by the heartbeat within pingIntervalMs + pongTimeoutMs + 3 s; a client is served afterwards",
  T,
  async () => {
    const pingIntervalMs = 1000;
    const pongTimeoutMs = 500;
    const { server, url, closes, errors, closesReach } = await echoServer({
      pingIntervalMs,
      pongTimeoutMs,
    });
    const port = server.address().serverPort;
    const raws = [];
    try {
      const start = Date.now();
      for (let i = 0; i < 10; i++) {
        const raw = await rawConnect(port);
        raw.socket.write(upgradeRequest(port));
        await receives(raw, /^HTTP\/1\.1 101 /, "101");
        raw.socket.pause(); // from now on it reads nothing and answers nothing
        raws.push(raw);
      }
      const upgraded = Date.now() - start;
      await assert.rejects(
        within(
          5000,
          "11th client",
          new Promise((resolve, reject) => {
            const client = new WebSocket(url);
            client.once("open", () => resolve(client.close()));
            client.once("error", reject);
          }),
        ),
        /503/,
      );
      await closesReach(10, upgraded + pingIntervalMs + pongTimeoutMs + MARGIN_MS);
      for (const { result, at } of closes) {
        assert.equal(result.code, 1006);
        assert.match(result.reason, /no pong received/);
        assert.ok(at - start >= pingIntervalMs + pongTimeoutMs - 50, "not before the bound");
      }
      assert.equal(errors.filter((e) => /no pong received/.test(e.message)).length, 10);
      assert.deepEqual(server.listAllConnections(), []);
      await wellBehaved(url, "after the vanished peers");
    } finally {
      for (const raw of raws) raw.socket.destroy();
      await server.stop();
    }
  },
);

for (const secure of [false, true]) {
  test(
    `close (RFC 6455 7.1.1, ${
      secure ? "wss" : "ws"
    }): once the client's close frame is answered the server closes TCP as soon as its close frame is written — its close event comes while the client holds its side open, and the client sees a clean end${
      secure ? " (close_notify)" : " (FIN, no reset)"
    }`,
    T,
    async () => {
      // A close timeout far beyond the waits below: only closing at once can pass.
      const harness = await echoServer({
        closeTimeoutMs: 60_000,
        ...(secure ? tlsServerConfig() : {}),
      });
      const options = { port: harness.port, host: "127.0.0.1", allowHalfOpen: true };
      const socket = secure
        ? tls.connect({ ...options, ca: testCerts().ca.pem, servername: "localhost" })
        : net.connect(options);
      const chunks = [];
      let failure;
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("error", (error) => failure = error);
      const ended = new Promise((resolve) => socket.once("end", resolve));
      try {
        await within(
          3000,
          "connect",
          new Promise((resolve, reject) => {
            socket.once(secure ? "secureConnect" : "connect", resolve);
            socket.once("error", reject);
          }),
        );
        socket.write(upgradeRequest(harness.port));
        await receives({ socket, received: () => Buffer.concat(chunks) }, /\r\n\r\n/, "101");
        socket.write(clientFrame(0x8, Buffer.from([0x0f, 0xa1]))); // 4001
        await harness.closesReach(1, 3000);
        assert.equal(harness.closes[0].result.code, 4001);
        await within(3000, "the server's end", ended);
        assert.equal(failure, undefined, "no reset, no TLS error");
        const bytes = Buffer.concat(chunks);
        const head = bytes.indexOf("\r\n\r\n") + 4;
        assert.match(bytes.subarray(0, head).toString("latin1"), /^HTTP\/1\.1 101 /);
        assert.deepEqual(
          [...bytes.subarray(head)],
          [0x88, 0x02, 0x0f, 0xa1],
          "the close frame echoing the client's code, and nothing after it",
        );
      } finally {
        socket.destroy();
        await harness.server.stop();
      }
    },
  );
}
