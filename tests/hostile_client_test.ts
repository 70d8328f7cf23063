/**
 * The server against hostile clients, over raw TCP (and TLS) on 127.0.0.1:
 * sockets that never start or finish TLS, garbage instead of HTTP, slow-loris
 * on the request line and on headers, oversized heads, frames pipelined
 * behind the upgrade, refusals while stopping, the handshake caps, a second
 * stop(), and clients that vanish (stop reading, never answer a ping). Each
 * test checks a time bound (short configured timeouts, generous margins for a
 * noisy 2-core machine) and that a well-behaved client is served afterwards.
 * Every wait is on an event and bounded. Node twin: tests/node/server_hostile.test.mjs.
 */

import assert from "node:assert/strict";
import { Queue, within } from "./helpers/deno_server.ts";
import { getTestCerts } from "./helpers/certs.ts";
import {
  clientFrame,
  connectWs,
  type Harness,
  RawClient,
  startServer,
  upgradeRequest,
} from "./helpers/server_peers.ts";
import { WebSocketServerImpl } from "../src/server/websocket_server.ts";
import { listenDeno, type ListenOptions, type StreamListener } from "../src/transport/mod.ts";

/** The margin the issue allows past a deadline before a socket must be gone. */
const DEADLINE_MARGIN_MS = 3000;

/** Milliseconds since `start`. */
function since(start: number): number {
  return Date.now() - start;
}

/** Waits (bounded) until the server ends `raw`; returns when, in ms after `start`. */
async function endedAfter(raw: RawClient, start: number): Promise<number> {
  assert.ok(await raw.ended(), "the server ended the connection");
  return since(start);
}

/** `length` reproducible pseudo-random bytes (xorshift32 from `seed`). */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Open file descriptors of this process (the server runs in it), where /proc tells. */
function openFds(): number | undefined {
  try {
    return [...Deno.readDirSync("/proc/self/fd")].length;
  } catch {
    return undefined;
  }
}

/** A well-behaved npm `ws` client gets an echo from `harness` and closes cleanly. */
async function servesWellBehavedClient(
  harness: Harness,
  label: string,
  options: { ca?: string; localAddress?: string } = {},
): Promise<void> {
  const peer = await connectWs(harness.url, options);
  await peer.send(label);
  assert.equal(await peer.next(`echo: ${label}`), label);
  await peer.close(1000, "done");
  assert.equal((await within(peer.closed, `close: ${label}`)).code, 1000);
}

/** The server-side TLS settings of the test PKI. */
async function tlsConfig(): Promise<{ serverCert: { certPath: string; keyPath: string } }> {
  const certs = await getTestCerts();
  return { serverCert: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath } };
}

/** The first bytes of a TLS record carrying a ClientHello, cut short. */
const PARTIAL_CLIENT_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);

// ------------------------------------------------------------ TLS deadline

Deno.test("TLS deadline: 9 TCP connections to a wss server that never start TLS (or stop inside the ClientHello) are destroyed by the server within handshakeTimeoutMs + 3 s; their descriptors are released; a TLS client is served afterwards", async () => {
  const handshakeTimeoutMs = 600;
  const harness = await startServer({ ...await tlsConfig(), handshakeTimeoutMs });
  const raws: RawClient[] = [];
  try {
    // The server runs in this process: its accepted sockets are descriptors here too.
    const fdsBefore = openFds();
    const start = Date.now();
    for (let i = 0; i < 9; i++) {
      const raw = await RawClient.connect(harness.port);
      if (i % 3 === 2) await raw.write(PARTIAL_CLIENT_HELLO);
      raws.push(raw);
    }
    const ended = await Promise.all(raws.map((raw) => endedAfter(raw, start)));
    for (const ms of ended) {
      assert.ok(ms >= handshakeTimeoutMs - 50, `not before the deadline: ${ended}`);
      assert.ok(ms < handshakeTimeoutMs + DEADLINE_MARGIN_MS, `within the bound: ${ended}`);
    }
    if (fdsBefore !== undefined) {
      // Only our 9 client ends are left open (and a few runtime internals, at most 4): the
      // server's 9 sockets are gone, not forgotten, or there would be 9 more.
      assert.ok(
        openFds()! <= fdsBefore + 9 + 4,
        `descriptors: ${fdsBefore} before, ${openFds()} now`,
      );
    }
    assert.equal(harness.connects.items.length, 0);
    await servesWellBehavedClient(harness, "served after the TLS idlers", {
      ca: (await getTestCerts()).caPem,
    });
  } finally {
    for (const raw of raws) raw.close();
    await harness.stop();
  }
});

Deno.test("TLS deadline: a client that completes TLS but then sends no upgrade request is dropped at the same deadline (one deadline for TLS and HTTP)", async () => {
  const handshakeTimeoutMs = 600;
  const harness = await startServer({ ...await tlsConfig(), handshakeTimeoutMs });
  const certs = await getTestCerts();
  const start = Date.now();
  const conn = await within(
    Deno.connectTls({ hostname: "127.0.0.1", port: harness.port, caCerts: [certs.caPem] }),
    "TLS connect",
  );
  try {
    await within(conn.handshake(), "TLS handshake");
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nhost: x\r\n"));
    const n = await within(conn.read(new Uint8Array(64)).catch(() => null), "server ends it");
    assert.equal(n, null, "no answer, just the end");
    const ms = since(start);
    assert.ok(
      ms >= handshakeTimeoutMs - 50 && ms < handshakeTimeoutMs + DEADLINE_MARGIN_MS,
      `${ms}`,
    );
  } finally {
    conn.close();
    await harness.stop();
  }
});

Deno.test("TLS: random bytes instead of a ClientHello end the socket within a second (the TLS handshake fails at once), and the server keeps serving", async () => {
  const harness = await startServer({ ...await tlsConfig() });
  const raw = await RawClient.connect(harness.port);
  try {
    const start = Date.now();
    await raw.write(noise(4096, 7)).catch(() => {}); // the server may reset while we write
    const ms = await endedAfter(raw, start);
    assert.ok(ms < 1000, `ended after ${ms} ms`);
    await servesWellBehavedClient(harness, "served after TLS garbage", {
      ca: (await getTestCerts()).caPem,
    });
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("handshake caps count sockets still in the TLS handshake: beyond 2 × maxConnectionsForOneClient + 4 per IP they are closed on accept, the rest at the deadline; another IP is served meanwhile", async () => {
  const handshakeTimeoutMs = 1500;
  const harness = await startServer({
    ...await tlsConfig(),
    maxConcurrentClientsNumber: 2,
    maxConnectionsForOneClient: 1,
    handshakeTimeoutMs,
  });
  const raws: { raw: RawClient; connected: number }[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      raws.push({ raw: await RawClient.connect(harness.port), connected: Date.now() });
    }
    // 127.0.0.2 has its own per-IP allowance; the global cap (2 × 2 + 16) is not reached.
    await servesWellBehavedClient(harness, "another IP during the TLS crowd", {
      ca: (await getTestCerts()).caPem,
      localAddress: "127.0.0.2",
    });
    const lifetimes = await Promise.all(
      raws.map(({ raw, connected }) => endedAfter(raw, connected)),
    );
    const atOnce = lifetimes.filter((ms) => ms < handshakeTimeoutMs / 2).length;
    const kept = lifetimes.filter((ms) => ms >= handshakeTimeoutMs - 50).length;
    assert.equal(kept, 2 * 1 + 4, `kept until the deadline: ${lifetimes}`);
    assert.equal(atOnce, 12 - kept, `closed on accept: ${lifetimes}`);
  } finally {
    for (const { raw } of raws) raw.close();
    await harness.stop();
  }
});

Deno.test("the global handshake cap (2 × maxConcurrentClientsNumber + 16) counts TLS-in-progress sockets from every address; once the deadline frees them a client is served", async () => {
  const handshakeTimeoutMs = 1500;
  const harness = await startServer({
    ...await tlsConfig(),
    maxConcurrentClientsNumber: 1,
    maxConnectionsForOneClient: 10, // per-IP cap 24: only the global cap (18) applies
    handshakeTimeoutMs,
  });
  const raws: { raw: RawClient; connected: number }[] = [];
  try {
    for (let i = 0; i < 22; i++) {
      raws.push({ raw: await RawClient.connect(harness.port), connected: Date.now() });
    }
    const lifetimes = await Promise.all(
      raws.map(({ raw, connected }) => endedAfter(raw, connected)),
    );
    const kept = lifetimes.filter((ms) => ms >= handshakeTimeoutMs - 50).length;
    const atOnce = lifetimes.filter((ms) => ms < handshakeTimeoutMs / 2).length;
    assert.equal(kept, 2 * 1 + 16, `kept until the deadline: ${lifetimes}`);
    assert.equal(atOnce, 22 - kept, `closed on accept: ${lifetimes}`);
    await servesWellBehavedClient(harness, "served once the crowd is gone", {
      ca: (await getTestCerts()).caPem,
      localAddress: "127.0.0.2",
    });
  } finally {
    for (const { raw } of raws) raw.close();
    await harness.stop();
  }
});

// ------------------------------------------------------------ HTTP head

Deno.test("garbage: 4 KiB of random bytes instead of a request get 400 naming the bad byte within a second, and the server half-closes at once", async () => {
  const harness = await startServer();
  try {
    for (const seed of [1, 2, 3]) {
      const raw = await RawClient.connect(harness.port);
      try {
        const start = Date.now();
        await raw.write(noise(4096, seed)).catch(() => {});
        const answer = await raw.readAnswer();
        assert.equal(answer.status, 400, `seed ${seed}`);
        const body = await raw.readToEnd(); // ends: the server sent FIN right after the answer
        assert.match(body, /400 Bad Request: not an HTTP request line: byte 0x[0-9a-f]{2}/);
        const ms = since(start);
        assert.ok(ms < 1000, `seed ${seed}: answered and ended after ${ms} ms`);
      } finally {
        raw.close();
      }
    }
    await servesWellBehavedClient(harness, "served after garbage");
  } finally {
    await harness.stop();
  }
});

/** Sends `prefix`, then `drip` every 50 ms until the server ends the connection; returns when. */
async function slowLoris(harness: Harness, prefix: string, drip: string): Promise<number> {
  const raw = await RawClient.connect(harness.port);
  const start = Date.now();
  await raw.write(prefix);
  const dripping = setInterval(() => raw.write(drip).catch(() => {}), 50);
  try {
    return await endedAfter(raw, start);
  } finally {
    clearInterval(dripping);
    raw.close();
  }
}

Deno.test("slow-loris: a client that keeps the request line, or the headers, trickling in is cut at handshakeTimeoutMs from accept (the deadline is not reset by progress)", async () => {
  const handshakeTimeoutMs = 500;
  const harness = await startServer({ handshakeTimeoutMs });
  try {
    const onLine = await slowLoris(harness, "GET /", "a");
    const onHeaders = await slowLoris(harness, "GET / HTTP/1.1\r\nhost: x\r\n", "x-pad: y\r\n");
    for (const [what, ms] of [["request line", onLine], ["headers", onHeaders]] as const) {
      assert.ok(ms >= handshakeTimeoutMs - 50, `${what}: cut after ${ms} ms, before the deadline`);
      assert.ok(ms < handshakeTimeoutMs + DEADLINE_MARGIN_MS, `${what}: cut after ${ms} ms`);
    }
    assert.equal(harness.connects.items.length, 0);
    await servesWellBehavedClient(harness, "served after slow-loris");
  } finally {
    await harness.stop();
  }
});

Deno.test("oversized heads: headers past 16 KiB, and a 20 KiB request target, get 400 'HTTP head exceeds 16384 bytes' and the connection ends", async () => {
  const harness = await startServer();
  try {
    const manyHeaders = "GET / HTTP/1.1\r\nhost: x\r\n" +
      Array.from({ length: 400 }, (_, i) => `x-filler-${i}: ${"v".repeat(40)}\r\n`).join("");
    const longTarget = `GET /${"a".repeat(20 * 1024)} HTTP/1.1\r\n`;
    for (const [what, head] of [["headers", manyHeaders], ["target", longTarget]]) {
      const raw = await RawClient.connect(harness.port);
      try {
        await raw.write(head).catch(() => {});
        const answer = await raw.readAnswer();
        assert.equal(answer.status, 400, what);
        assert.match(await raw.readToEnd(), /HTTP head exceeds 16384 bytes/, what);
      } finally {
        raw.close();
      }
    }
    await servesWellBehavedClient(harness, "served after oversized heads");
  } finally {
    await harness.stop();
  }
});

Deno.test("pipelining: a text frame, a ping and a binary frame written in the same write as the upgrade request are all processed after the 101 (echo, pong, echo, in order)", async () => {
  const harness = await startServer();
  const raw = await RawClient.connect(harness.port);
  try {
    const request = new TextEncoder().encode(upgradeRequest(harness.port));
    const frames = [
      clientFrame(0x1, "right behind the request"),
      clientFrame(0x9, "ping!"),
      clientFrame(0x2, new Uint8Array([1, 2, 3])),
    ];
    const all = new Uint8Array(request.length + frames.reduce((n, f) => n + f.length, 0));
    let offset = 0;
    for (const part of [request, ...frames]) {
      all.set(part, offset);
      offset += part.length;
    }
    await raw.write(all);
    assert.equal((await raw.readAnswer()).status, 101);
    const text = await raw.readFrame();
    assert.equal(text.opcode, 0x1);
    assert.equal(new TextDecoder().decode(text.payload), "right behind the request");
    const pong = await raw.readFrame();
    assert.equal(pong.opcode, 0xa);
    assert.equal(new TextDecoder().decode(pong.payload), "ping!");
    const binary = await raw.readFrame();
    assert.equal(binary.opcode, 0x2);
    assert.deepEqual([...binary.payload], [1, 2, 3]);
    assert.equal((await harness.messages.next("first message")).data, "right behind the request");
  } finally {
    raw.close();
    await harness.closes.next("close event of the pipelining client");
    await harness.stop();
  }
});

// ------------------------------------------------------------- stopping

/**
 * `listenDeno`, except that `finished` settles only when the test calls
 * `release` (so stop() stays in its stopping phase), and every accepted
 * stream is announced in `accepted`.
 */
function heldListen(): {
  listen: (options: ListenOptions) => Promise<StreamListener>;
  accepted: Queue<void>;
  release: () => void;
} {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const accepted = new Queue<void>();
  return {
    listen: async (options) => {
      const real = await listenDeno(options);
      return {
        address: real.address,
        startAccepting: (sink) =>
          real.startAccepting({
            accept: (stream) => {
              sink.accept(stream);
              accepted.push();
            },
            error: (error) => sink.error(error),
          }),
        close: () => real.close(),
        finished: Promise.all([real.finished, held]).then(() => {}),
      };
    },
    accepted,
    release: () => release(),
  };
}

Deno.test("stopping: a request that completes while stop() is under way gets 503 'the server is shutting down'; a second stop() returns the same promise; both resolve true and a third one fails with 2302999", async () => {
  const { listen, accepted, release } = heldListen();
  const harness = await startServer({}, true, new WebSocketServerImpl(listen));
  const raw = await RawClient.connect(harness.port);
  try {
    const request = upgradeRequest(harness.port);
    await raw.write(request.slice(0, 20));
    await accepted.next("the server accepted the client before stop()");
    const first = harness.server.stop();
    const second = harness.server.stop();
    assert.equal(first, second, "a second stop() while stopping returns the same promise");
    await raw.write(request.slice(20));
    const answer = await raw.readAnswer();
    assert.equal(answer.status, 503);
    assert.match(await raw.readToEnd(), /shutting down/);
    release();
    assert.equal(await within(first, "stop"), true);
    assert.equal(await within(second, "second stop"), true);
    await assert.rejects(harness.server.stop(), (error: { code: number }) => {
      assert.equal(error.code, 2302999);
      return true;
    });
  } finally {
    release();
    raw.close();
  }
});

// ------------------------------------------------------------ vanished peers

/** A raw client that completes the upgrade and from then on neither reads nor answers. */
async function vanishingClient(harness: Harness): Promise<RawClient> {
  const raw = await RawClient.connect(harness.port);
  await raw.upgrade(harness.port);
  await harness.connects.next("vanishing client connects");
  return raw;
}

Deno.test("vanished peers: 10 upgraded clients that never answer a ping fill the default cap of 10 (an 11th gets 503), are dropped by the heartbeat within pingIntervalMs + pongTimeoutMs + 3 s (close 1006, an error event each), and a client is served afterwards", async () => {
  // Long enough that all 10 are upgraded (and the 11th refused) before the first is dropped.
  const pingIntervalMs = 1000;
  const pongTimeoutMs = 500;
  const bound = pingIntervalMs + pongTimeoutMs;
  const harness = await startServer({ pingIntervalMs, pongTimeoutMs });
  const raws: RawClient[] = [];
  try {
    const start = Date.now();
    for (let i = 0; i < 10; i++) raws.push(await vanishingClient(harness));
    const upgraded = since(start);
    await assert.rejects(connectWs(harness.url), /503/, "the cap is full");
    const dropped: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { result } = await harness.closes.next("drop of a vanished peer", bound + 3000);
      assert.equal(result.code, 1006);
      assert.match(result.reason, /no pong received within 500 ms/);
      dropped.push(since(start));
    }
    for (const ms of dropped) {
      assert.ok(ms >= bound - 50, `not before the heartbeat's bound: ${dropped}`);
      assert.ok(ms < upgraded + bound + DEADLINE_MARGIN_MS, `within the bound: ${dropped}`);
    }
    const errors = harness.errors.items.filter((e) => /no pong received/.test(e.message));
    assert.equal(errors.length, 10);
    assert.deepEqual(harness.server.listAllConnections(), []);
    await servesWellBehavedClient(harness, "served after the vanished peers");
  } finally {
    for (const raw of raws) raw.close();
    await harness.stop();
  }
});

Deno.test("heartbeat: a client that answers pings (npm ws does) stays connected through several heartbeat rounds while a silent one on the same server is dropped", async () => {
  const harness = await startServer({ pingIntervalMs: 100, pongTimeoutMs: 200 });
  try {
    const peer = await connectWs(harness.url);
    // The silent client is the clock: it connects after the answering one and is dropped
    // 300 ms after its upgrade, by when the answering one has been pinged at least twice
    // (and would have been dropped first had it not answered).
    const silent = await vanishingClient(harness);
    const { connection, result } = await harness.closes.next("the silent client is dropped");
    assert.equal(connection.clientPort, (silent.conn.localAddr as Deno.NetAddr).port);
    assert.match(result.reason, /no pong/);
    silent.close();
    await peer.send("still here");
    assert.equal(await peer.next("echo after heartbeat rounds"), "still here");
    assert.equal(harness.server.listAllConnections().length, 1);
    await peer.close();
    await within(peer.closed, "close");
  } finally {
    await harness.stop();
  }
});
