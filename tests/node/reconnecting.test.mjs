// The reconnecting WebSocket (an extension) from the built package under Node, against `ws`
// servers on 127.0.0.1 that drop connections, refuse upgrades and go away for a while. The
// backoff timer runs on a fake clock: no test sleeps, time moves when the test says so.
import assert from "node:assert/strict";
import http from "node:http";
import { test } from "node:test";
import { WebSocketServer } from "ws";
import helpers from "./helpers.cjs";

const { importPackage, within } = helpers;
const T = { timeout: 15_000 };
const pkg = await importPackage();

/** A clock whose time moves only on advance(); it knows its pending timers. */
class FakeClock {
  time = 0;
  timers = new Map();
  nextId = 1;
  now() {
    return this.time;
  }
  schedule(callback, delayMs) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + delayMs, callback });
    return { cancel: () => this.timers.delete(id) };
  }
  get pending() {
    return this.timers.size;
  }
  advance(ms) {
    const end = this.time + ms;
    for (let guard = 0; guard < 1000; guard++) {
      let due;
      for (const entry of this.timers) {
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

/** Values of each event type in order; next(type) waits (bounded) for the next one. */
function record(ws) {
  const log = [];
  const taken = new Map();
  const waiters = new Set();
  const push = (type, value) => {
    log.push({ type, value });
    for (const wake of [...waiters]) wake();
  };
  ws.on("open", (_err, value) => push("open", value));
  ws.on("message", (_err, value) => push("message", value));
  ws.on("close", (_err, value) => push("close", value));
  ws.on("error", (err) => push("error", err));
  ws.on("reconnecting", (value) => push("reconnecting", value));
  ws.on("giveUp", (value) => push("giveUp", value));
  const of = (type) => log.filter((e) => e.type === type).map((e) => e.value);
  return {
    of,
    types: () => log.map((e) => e.type),
    next(type) {
      return within(
        5000,
        `'${type}' (seen: ${log.map((e) => e.type).join(", ")})`,
        new Promise((resolve) => {
          const check = () => {
            const index = taken.get(type) ?? 0;
            const values = of(type);
            if (index >= values.length) return;
            taken.set(type, index + 1);
            waiters.delete(check);
            resolve(values[index]);
          };
          waiters.add(check);
          check();
        }),
      );
    },
  };
}

/**
 * A `ws` server on 127.0.0.1 whose behaviour (`mode`) a test switches, and which can go away
 * and come back on the same port.
 */
class FlakyServer {
  mode = { kind: "echo" };
  requests = 0;
  messages = [];
  port = 0;
  #http;
  #wss;
  #sockets = new Set();
  #waiters = new Set();

  get url() {
    return `ws://127.0.0.1:${this.port}/`;
  }

  async start() {
    this.#http = http.createServer();
    this.#http.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    this.#wss = new WebSocketServer({
      server: this.#http,
      verifyClient: (_info, done) => {
        this.requests++;
        if (this.mode.kind === "refuse") done(false, this.mode.status);
        else done(true);
      },
    });
    this.#wss.on("connection", (socket) => {
      if (this.mode.kind === "close-on-open") {
        socket.close(this.mode.code, "bye");
        return;
      }
      socket.on("message", (data, isBinary) => {
        this.messages.push(isBinary ? [...data] : data.toString());
        for (const wake of [...this.#waiters]) wake();
        socket.send(data, { binary: isBinary });
      });
    });
    await new Promise((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(this.port, "127.0.0.1", resolve);
    });
    this.port = this.#http.address().port;
    return this;
  }

  /** Waits (bounded) until `count` messages have arrived; returns them. */
  received(count) {
    return within(
      5000,
      `${count} message(s) at the server`,
      new Promise((resolve) => {
        const check = () => {
          if (this.messages.length < count) return;
          this.#waiters.delete(check);
          resolve(this.messages.slice(0, count));
        };
        this.#waiters.add(check);
        check();
      }),
    );
  }

  /** Closes every connection with 1001 and stops listening. */
  async stop() {
    if (this.#http === undefined) return;
    for (const client of this.#wss.clients) client.close(1001, "going away");
    this.#wss.close();
    const server = this.#http;
    this.#http = undefined;
    await within(5000, "server close", new Promise((resolve) => server.close(() => resolve())));
    for (const socket of this.#sockets) socket.destroy();
  }
}

/** A reconnecting client on a fake clock (random 0.5, min 100, max 1000) counting attempts. */
function reconnecting(options = {}) {
  const clock = new FakeClock();
  const made = [];
  const ws = pkg.createReconnectingWebSocket({
    clock,
    random: () => 0.5,
    minDelayMs: 100,
    maxDelayMs: 1000,
    ...options,
    createWebSocket: () => {
      const inner = pkg.webSocket.createWebSocket();
      made.push(inner);
      return inner;
    },
  });
  return { ws, clock, made, events: record(ws) };
}

/** Advances to 1 ms before `delay` (no attempt yet), then to `delay` (one attempt). */
function fireAfter(clock, made, delay) {
  const before = made.length;
  clock.advance(delay - 1);
  assert.equal(made.length, before, `no attempt before ${delay} ms`);
  clock.advance(1);
  assert.equal(made.length, before + 1, `one attempt at ${delay} ms`);
}

async function rejection(promise, label) {
  const outcome = await within(5000, label, promise.then(() => undefined, (err) => err));
  assert.ok(outcome !== undefined, `${label}: resolved, expected a rejection`);
  return outcome;
}

/** TCP sockets of this process (clients and servers). */
function tcpHandles() {
  return process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap").length;
}

test("exports: createReconnectingWebSocket, ReconnectingWebSocket and defaultShouldReconnect are named exports, not on the platform's webSocket namespace", () => {
  assert.equal(typeof pkg.createReconnectingWebSocket, "function");
  assert.ok(pkg.createReconnectingWebSocket() instanceof pkg.ReconnectingWebSocket);
  assert.equal(
    pkg.defaultShouldReconnect({ attempt: 1, close: { code: 1008, reason: "" } }),
    false,
  );
  assert.equal(pkg.webSocket.createReconnectingWebSocket, undefined);
  assert.equal(pkg.default.createReconnectingWebSocket, undefined);
});

test(
  "drops: reconnects after 100, 150, 250 ms (the documented schedule); listeners registered once see every connection; close() leaves no timer or socket",
  T,
  async () => {
    const baseline = tcpHandles();
    const server = await new FlakyServer().start();
    server.mode = { kind: "close-on-open", code: 1001 };
    const { ws, clock, made, events } = reconnecting();
    try {
      assert.equal(await within(5000, "connect", ws.connect(server.url)), true);
      await events.next("open");
      for (const [attempt, delay] of [[1, 100], [2, 150], [3, 250]]) {
        assert.deepEqual(await events.next("close"), { code: 1001, reason: "bye" });
        const scheduled = await events.next("reconnecting");
        assert.deepEqual([scheduled.attempt, scheduled.delayMs], [attempt, delay]);
        if (attempt === 3) server.mode = { kind: "echo" };
        fireAfter(clock, made, delay);
        await events.next("open");
      }
      assert.equal(events.of("open").length, 4);
      assert.equal(await ws.send("across reconnects"), true);
      assert.equal(await events.next("message"), "across reconnects");
      await ws.close();
      await events.next("close");
      assert.equal(ws.state, "closed");
      assert.equal(clock.pending, 0);
    } finally {
      await server.stop();
    }
    await within(
      5000,
      "every TCP socket released",
      (async () => {
        for (let i = 0; i < 500 && tcpHandles() > baseline; i++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal(tcpHandles(), baseline);
      })(),
    );
  },
);

test(
  "refusals: 503 is retried with the status in the event; 401 ends it with one giveUp and a rejected connect",
  T,
  async () => {
    const server = await new FlakyServer().start();
    server.mode = { kind: "refuse", status: 503 };
    const first = reconnecting();
    try {
      const connected = first.ws.connect(server.url);
      const scheduled = await first.events.next("reconnecting");
      assert.deepEqual([scheduled.attempt, scheduled.delayMs, scheduled.status], [1, 100, 503]);
      server.mode = { kind: "echo" };
      fireAfter(first.clock, first.made, 100);
      assert.equal(await within(5000, "connect", connected), true);
      await first.ws.close();
      await first.events.next("close");

      server.mode = { kind: "refuse", status: 401 };
      const second = reconnecting();
      const err = await rejection(second.ws.connect(server.url), "connect");
      assert.deepEqual([err.code, err.data], [-1, "401"]);
      const end = await second.events.next("giveUp");
      assert.deepEqual([end.reason, end.status], ["declined", 401]);
      second.clock.advance(100_000);
      assert.equal(second.made.length, 1);
      assert.deepEqual(second.events.types(), ["error", "giveUp"]);
      assert.equal(second.clock.pending, 0);
    } finally {
      await server.stop();
    }
  },
);

test(
  "away and back: attempts fail while the port is closed; messages queued meanwhile arrive in order on the same port once it listens again",
  T,
  async () => {
    const server = await new FlakyServer().start();
    const { ws, clock, made, events } = reconnecting({ queueMaxMessages: 10 });
    try {
      await within(5000, "connect", ws.connect(server.url));
      await server.stop();
      assert.equal((await events.next("close")).code, 1001);
      const sent = [ws.send("one"), ws.send("two"), ws.send(new Uint8Array([7, 8]).buffer)];
      for (const [attempt, delay] of [[1, 100], [2, 150], [3, 250]]) {
        assert.deepEqual(
          [(await events.next("reconnecting")).delayMs, attempt],
          [delay, attempt],
        );
        if (attempt === 3) await server.start();
        fireAfter(clock, made, delay);
        if (attempt < 3) assert.equal((await events.next("error")).code, -1);
      }
      await events.next("open");
      assert.deepEqual(await within(5000, "queued sends", Promise.all(sent)), [true, true, true]);
      assert.deepEqual(await server.received(3), ["one", "two", [7, 8]]);
      await ws.close();
      await events.next("close");
      assert.equal(clock.pending, 0);
    } finally {
      await server.stop();
    }
  },
);

test(
  "give-up: after maxAttempts failures in a row it is reported once; connect and queued sends fail; close() while waiting cancels the timer",
  T,
  async () => {
    const server = await new FlakyServer().start();
    await server.stop();
    const { ws, clock, made, events } = reconnecting({ maxAttempts: 2, queueMaxMessages: 1 });
    const connected = ws.connect(server.url);
    const queued = ws.send("never");
    await events.next("reconnecting");
    fireAfter(clock, made, 100);
    await events.next("reconnecting");
    fireAfter(clock, made, 150);
    const end = await events.next("giveUp");
    assert.deepEqual([end.reason, end.attempt], ["max-attempts", 3]);
    assert.equal((await rejection(connected, "connect")).code, -1);
    assert.equal((await rejection(queued, "queued")).code, -1);
    clock.advance(100_000);
    assert.equal(events.of("giveUp").length, 1);
    assert.equal(clock.pending, 0);

    const waiting = reconnecting();
    const pending = waiting.ws.connect(server.url);
    await waiting.events.next("reconnecting");
    assert.equal(waiting.clock.pending, 1);
    assert.equal(await waiting.ws.close(), true);
    assert.equal(waiting.clock.pending, 0);
    assert.equal((await rejection(pending, "connect")).code, -1);
    assert.equal(waiting.events.of("giveUp").length, 0);
  },
);
