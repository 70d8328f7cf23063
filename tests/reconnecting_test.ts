// The reconnecting WebSocket (src/reconnecting, an extension): its schedule, send queue, events
// and life cycle, against local servers on 127.0.0.1 that drop connections, refuse upgrades and
// go away for a while. The backoff timer runs on a fake clock, so no test sleeps: a test moves
// time itself and waits only on events. The inner connections are real sockets.
import assert from "node:assert/strict";
import webSocket, {
  type BusinessError,
  type CloseResult,
  createReconnectingWebSocket,
  defaultShouldReconnect,
  type OpenResult,
  type ReconnectAttempt,
  type ReconnectClock,
  type ReconnectGiveUp,
  type ReconnectingWebSocket,
  type ReconnectOptions,
  type ReconnectTimer,
  type WebSocket,
} from "../mod.ts";
import { backoffCeiling, backoffDelay } from "../src/reconnecting/backoff.ts";
import { acceptHandshake, drain, Queue, startRawServer, within } from "./helpers/deno_server.ts";

// ------------------------------------------------------------------ test doubles

/** A clock whose time moves only when the test says so; it knows its pending timers. */
class FakeClock implements ReconnectClock {
  time = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 1;
  /** Every delay asked for, in order. */
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }

  schedule(callback: () => void, delayMs: number): ReconnectTimer {
    const id = this.#nextId++;
    this.delays.push(delayMs);
    this.#timers.set(id, { at: this.time + delayMs, callback });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** Timers armed and neither run nor cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running each timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 1000; guard++) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

/** Every event of a reconnecting WebSocket, each type in a queue of its own. */
class Recorder {
  readonly order: string[] = [];
  readonly open = new Queue<OpenResult>();
  readonly message = new Queue<string | ArrayBuffer>();
  readonly close = new Queue<CloseResult>();
  readonly error = new Queue<BusinessError>();
  readonly reconnecting = new Queue<ReconnectAttempt>();
  readonly giveUp = new Queue<ReconnectGiveUp>();

  constructor(ws: ReconnectingWebSocket) {
    ws.on("open", (_err, value) => this.#push("open", this.open, value));
    ws.on("message", (_err, value) => this.#push("message", this.message, value));
    ws.on("close", (_err, value) => this.#push("close", this.close, value));
    ws.on("error", (err) => this.#push("error", this.error, err));
    ws.on("reconnecting", (value) => this.#push("reconnecting", this.reconnecting, value));
    ws.on("giveUp", (value) => this.#push("giveUp", this.giveUp, value));
  }

  #push<T>(type: string, queue: Queue<T>, value: T): void {
    this.order.push(type);
    queue.push(value);
  }
}

/** A client on a fake clock whose factory counts the WebSockets it makes. */
function reconnecting(options: ReconnectOptions = {}) {
  const clock = new FakeClock();
  const made: WebSocket[] = [];
  const ws = createReconnectingWebSocket({
    clock,
    random: () => 0.5,
    minDelayMs: 100,
    maxDelayMs: 1000,
    ...options,
    createWebSocket: () => {
      const inner = webSocket.createWebSocket();
      made.push(inner);
      return inner;
    },
  });
  return { ws, clock, made, events: new Recorder(ws) };
}

/** How the local server treats the next upgrade requests. */
type Mode =
  | { kind: "echo" }
  | { kind: "refuse"; status: number }
  | { kind: "close-on-open"; code: number };

/**
 * A `Deno.serve` WebSocket server on 127.0.0.1 whose behaviour a test switches between
 * requests, and which can go away and come back on the same port.
 */
class FlakyServer {
  mode: Mode = { kind: "echo" };
  /** Upgrade requests seen, refused ones included. */
  requests = 0;
  readonly messages = new Queue<string | ArrayBuffer>();
  readonly #sockets = new Set<globalThis.WebSocket>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  port = 0;

  constructor() {
    this.start();
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  /** Listens (again) on the same port, or a free one the first time. */
  start(): void {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: this.port, onListen() {} }, (req) => {
      this.requests++;
      const mode = this.mode;
      if (mode.kind === "refuse") return new Response("refused", { status: mode.status });
      const { socket, response } = Deno.upgradeWebSocket(req);
      this.#sockets.add(socket);
      socket.onopen = () => {
        if (mode.kind === "close-on-open") socket.close(mode.code, "bye");
      };
      socket.onmessage = (event) => {
        this.messages.push(event.data as string | ArrayBuffer);
        socket.send(event.data);
      };
      socket.onclose = () => this.#sockets.delete(socket);
      socket.onerror = () => {};
      return response;
    });
    this.port = this.#server.addr.port;
  }

  /** Closes every connection with 1001 and stops listening: the port refuses connections. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.close(1001, "going away");
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await within(server.shutdown(), "server shutdown");
  }
}

/** Awaits a promise that must reject; returns the rejection. */
async function rejection(promise: Promise<unknown>, label: string): Promise<BusinessError> {
  const outcome = await within(promise.then(() => undefined, (err: BusinessError) => err), label);
  assert.ok(outcome !== undefined, `${label}: resolved, expected a rejection`);
  return outcome;
}

/** Advances the clock to one ms before `delay` (nothing may start) and then to `delay`. */
function fireAfter(clock: FakeClock, made: WebSocket[], delay: number): void {
  const before = made.length;
  clock.advance(delay - 1);
  assert.equal(made.length, before, `no attempt before ${delay} ms`);
  clock.advance(1);
  assert.equal(made.length, before + 1, `one attempt at ${delay} ms`);
}

// ------------------------------------------------------------------ the schedule

Deno.test("reconnect schedule rule: the ceiling is min(max, min * factor^(n-1)), the jittered delay is uniform from min to the ceiling, and without jitter it is the ceiling", () => {
  const settings = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: true };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoffCeiling(n, settings)),
    [100, 200, 400, 800, 1000, 1000, 1000, 1000],
  );
  assert.deepEqual([0, 0.25, 0.5, 0.999].map((r) => backoffDelay(4, settings, r)), [
    100,
    275,
    450,
    799,
  ]);
  assert.equal(backoffDelay(1, settings, 0.9), 100, "attempt 1 always waits minDelayMs");
  assert.equal(backoffDelay(3, { ...settings, jitter: false }, 0.1), 400);
  assert.equal(backoffDelay(3, { ...settings, factor: 1 }, 0.9), 100, "factor 1: constant");
  assert.equal(backoffDelay(3, settings, Number.NaN), 100, "a bad draw counts as 0");
});

Deno.test("reconnect options rule: bad options are a 401 BusinessError from createReconnectingWebSocket", () => {
  const bad: ReconnectOptions[] = [
    { minDelayMs: 0 },
    { minDelayMs: -1 },
    { maxDelayMs: 2 ** 31 },
    { minDelayMs: 500, maxDelayMs: 100 },
    { backoffFactor: 0.5 },
    { maxAttempts: -1 },
    { maxAttempts: 1.5 },
    { queueMaxMessages: -1 },
    { queueMaxBytes: 0 },
    { queueOverflow: "drop-newest" as "reject-new" },
    { jitter: "yes" as unknown as boolean },
    { shouldReconnect: 1 as unknown as () => boolean },
  ];
  for (const options of bad) {
    assert.throws(
      () => createReconnectingWebSocket(options),
      (err: BusinessError) => err.code === 401,
      JSON.stringify(options),
    );
  }
  assert.equal(createReconnectingWebSocket({ maxAttempts: Infinity }).state, "idle");
});

Deno.test("reconnect decision rule: by default no after 1008, a 4xx refusal (but 408/429) or an error that would repeat; yes for drops, 5xx and failures to connect", () => {
  const err = (code: number) => ({ code, message: "x", name: "BusinessError" }) as BusinessError;
  assert.equal(defaultShouldReconnect({ attempt: 1, close: { code: 1008, reason: "" } }), false);
  assert.equal(defaultShouldReconnect({ attempt: 1, close: { code: 1006, reason: "" } }), true);
  assert.equal(defaultShouldReconnect({ attempt: 1, close: { code: 1001, reason: "" } }), true);
  for (const status of [400, 401, 403, 404, 302]) {
    assert.equal(
      defaultShouldReconnect({ attempt: 1, error: err(-1), status }),
      false,
      `${status}`,
    );
  }
  for (const status of [408, 429, 500, 503]) {
    assert.equal(defaultShouldReconnect({ attempt: 1, error: err(-1), status }), true, `${status}`);
  }
  for (const code of [401, 2302001, 2302002, 2302998, 201]) {
    assert.equal(defaultShouldReconnect({ attempt: 1, error: err(code) }), false, `${code}`);
  }
  assert.equal(defaultShouldReconnect({ attempt: 1, error: err(-1) }), true);
  assert.equal(defaultShouldReconnect({ attempt: 1, error: err(2302999) }), true);
});

// ------------------------------------------------------------------ dropped connections

Deno.test("reconnect rule: a server that drops every connection is reconnected to after the scheduled delays; listeners registered once see every connection", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "close-on-open", code: 1001 };
  const { ws, clock, made, events } = reconnecting();
  try {
    assert.equal(await within(ws.connect(server.url), "connect"), true);
    await events.open.next("first open");
    // random 0.5, min 100, max 1000: ceilings 100, 200, 400, 800 → delays 100, 150, 250, 450.
    for (const [attempt, delay] of [[1, 100], [2, 150], [3, 250], [4, 450]]) {
      assert.deepEqual(await events.close.next("close"), { code: 1001, reason: "bye" });
      const scheduled = await events.reconnecting.next("reconnecting");
      assert.deepEqual(scheduled, {
        attempt,
        delayMs: delay,
        close: { code: 1001, reason: "bye" },
      });
      assert.equal(ws.state, "waiting");
      assert.equal(clock.pending, 1);
      fireAfter(clock, made, delay);
      assert.equal(ws.state, "connecting");
      await events.open.next("open after reconnect");
    }
    assert.equal(events.open.items.length, 5, "one open per connection");
    assert.equal(made.length, 5, "a fresh WebSocket per attempt");
    assert.equal(server.requests, 5);
    server.mode = { kind: "echo" };
    await events.close.next("close of the fifth connection");
    await events.reconnecting.next("reconnecting");
    clock.advance(1000);
    await events.open.next("open of the echo connection");
    assert.equal(await ws.send("still listening?"), true);
    assert.equal(await events.message.next("echo"), "still listening?");
    await ws.close();
    await events.close.next("close after the user's close()");
    assert.equal(ws.state, "closed");
    assert.equal(clock.pending, 0);
    assert.equal(events.giveUp.items.length, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("reconnect rule: a connection that stayed open stableAfterMs starts the schedule again at attempt 1; a shorter one continues it", async () => {
  const server = new FlakyServer();
  const { ws, clock, made, events } = reconnecting({ stableAfterMs: 5000 });
  try {
    await within(ws.connect(server.url), "connect");
    await events.open.next("open 1");
    clock.advance(4999);
    await server.stop();
    assert.equal((await events.close.next("drop 1")).code, 1001);
    assert.deepEqual(
      [(await events.reconnecting.next("r1")).attempt, clock.delays.at(-1)],
      [1, 100],
      "4999 ms open: not stable, but this was the first drop",
    );
    server.start();
    fireAfter(clock, made, 100);
    await events.open.next("open 2");
    clock.advance(4999);
    await server.stop();
    await events.close.next("drop 2");
    assert.equal((await events.reconnecting.next("r2")).attempt, 2, "short-lived: continues");
    server.start();
    fireAfter(clock, made, 150);
    await events.open.next("open 3");
    clock.advance(5000);
    await server.stop();
    await events.close.next("drop 3");
    const third = await events.reconnecting.next("r3");
    assert.deepEqual([third.attempt, third.delayMs], [1, 100], "stable: back to attempt 1");
    await ws.close();
    assert.equal(clock.pending, 0);
    assert.equal(ws.state, "closed");
  } finally {
    await server.stop();
  }
});

Deno.test("reconnect rule: an abrupt TCP drop (no close frame) is a 1006 close, then a reconnect", async () => {
  let connections = 0;
  const raw = startRawServer(async (conn) => {
    connections++;
    await acceptHandshake(conn);
    conn.close();
  });
  const { ws, clock, made, events } = reconnecting();
  try {
    await within(ws.connect(raw.url), "connect");
    assert.equal((await events.close.next("drop")).code, 1006);
    const scheduled = await events.reconnecting.next("reconnecting");
    assert.equal(scheduled.close?.code, 1006);
    fireAfter(clock, made, 100);
    await events.open.next("second open");
    await events.close.next("second drop");
    await events.reconnecting.next("second reconnecting");
    await ws.close();
    assert.equal(clock.pending, 0);
    assert.equal(connections, 2);
  } finally {
    await raw.shutdown();
  }
});

Deno.test("reconnect rule: a dead link is noticed by the heartbeat (pingInterval/pongTimeout, passed through) and reconnected", async () => {
  const raw = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    // Never answers the pings; reads until the client gives up on the link.
    await drain(conn);
    conn.close();
  });
  const { ws, clock, events } = reconnecting();
  try {
    await within(ws.connect(raw.url, { pingInterval: 0.1, pongTimeout: 0.1 }), "connect");
    const err = await events.error.next("heartbeat error");
    assert.match(err.message, /heartbeat failed/);
    assert.equal((await events.close.next("close")).code, 1006);
    assert.equal((await events.reconnecting.next("reconnecting")).attempt, 1);
    assert.equal(await ws.close(), true, "close() while waiting resolves at once");
    assert.equal(clock.pending, 0);
    assert.equal(ws.state, "closed");
  } finally {
    await raw.shutdown();
  }
});

// ------------------------------------------------------------------ refused upgrades

Deno.test("reconnect rule: upgrades refused with 503 are retried on the schedule, with the status in the events, until the server accepts", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "refuse", status: 503 };
  const { ws, clock, made, events } = reconnecting();
  try {
    const connected = ws.connect(server.url);
    for (const [attempt, delay] of [[1, 100], [2, 150], [3, 250]]) {
      const err = await events.error.next("refusal error");
      assert.equal(err.code, -1);
      const scheduled = await events.reconnecting.next("reconnecting");
      assert.deepEqual([scheduled.attempt, scheduled.delayMs, scheduled.status], [
        attempt,
        delay,
        503,
      ]);
      assert.equal(scheduled.error, err, "the attempt's own error");
      if (attempt === 3) server.mode = { kind: "echo" };
      fireAfter(clock, made, delay);
    }
    assert.equal(await within(connected, "connect resolves after the retries"), true);
    assert.equal(events.open.items.length, 1);
    assert.equal(events.close.items.length, 0, "no close event for attempts that never opened");
    await ws.close();
    await events.close.next("close");
  } finally {
    await server.stop();
  }
});

Deno.test("reconnect rule: an upgrade refused with 401 is not retried (default decision): one giveUp, connect rejects, nothing pending", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "refuse", status: 401 };
  const { ws, clock, events } = reconnecting();
  try {
    const err = await rejection(ws.connect(server.url), "connect");
    assert.deepEqual([err.code, (err as BusinessError<string>).data], [-1, "401"]);
    const end = await events.giveUp.next("giveUp");
    assert.deepEqual([end.reason, end.attempt, end.status, end.error], ["declined", 1, 401, err]);
    assert.equal(ws.state, "closed");
    assert.equal(clock.pending, 0);
    clock.advance(100_000);
    assert.equal(server.requests, 1, "no attempt after the give-up");
    assert.equal(events.giveUp.items.length, 1);
    assert.deepEqual(events.order, ["error", "giveUp"]);
    await rejection(ws.close(), "close after the give-up");
  } finally {
    await server.stop();
  }
});

Deno.test("reconnect rule: a server that closes with 1008 is not reconnected to; the hook sees each cause and can decline anything", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "close-on-open", code: 1008 };
  const { ws, clock, events } = reconnecting();
  try {
    await within(ws.connect(server.url), "connect");
    const end = await events.giveUp.next("giveUp after 1008");
    assert.deepEqual([end.reason, end.close], ["declined", { code: 1008, reason: "bye" }]);
    assert.deepEqual(events.order, ["open", "close", "giveUp"]);
    assert.equal(clock.pending, 0);
  } finally {
    await server.stop();
  }

  const second = new FlakyServer();
  second.mode = { kind: "close-on-open", code: 4000 };
  const causes: number[] = [];
  const hooked = reconnecting({
    shouldReconnect: (cause) => {
      causes.push(cause.close?.code ?? -1);
      return causes.length < 2;
    },
  });
  try {
    await within(hooked.ws.connect(second.url), "connect");
    await hooked.events.reconnecting.next("first drop retried");
    hooked.clock.advance(100);
    const end = await hooked.events.giveUp.next("second drop declined");
    assert.deepEqual([end.reason, end.attempt], ["declined", 2]);
    assert.deepEqual(causes, [4000, 4000]);
  } finally {
    await second.stop();
  }

  const third = new FlakyServer();
  third.mode = { kind: "close-on-open", code: 1001 };
  const throwing = reconnecting({
    shouldReconnect: () => {
      throw new Error("hook bug");
    },
  });
  const logged = console.error;
  const reports: unknown[] = [];
  console.error = (...args: unknown[]) => reports.push(args);
  try {
    await within(throwing.ws.connect(third.url), "connect");
    const end = await throwing.events.giveUp.next("a throwing hook counts as no");
    assert.equal(end.reason, "declined");
    assert.equal(reports.length, 1, "the hook's exception is reported");
  } finally {
    console.error = logged;
    await third.stop();
  }
});

// ------------------------------------------------------------------ the server goes away

Deno.test("reconnect rule: while the server is away attempts fail on the schedule; messages queued meanwhile arrive in order once it is back", async () => {
  const server = new FlakyServer();
  const { ws, clock, made, events } = reconnecting({ queueMaxMessages: 10 });
  try {
    await within(ws.connect(server.url), "connect");
    await server.stop();
    assert.equal((await events.close.next("server went away")).code, 1001);
    const sent = ["one", "two", "three"].map((text) => ws.send(text));
    const binary = new Uint8Array([1, 2, 3]);
    sent.push(ws.send(binary.buffer));
    binary[0] = 9; // changed after send: the queued copy is unchanged
    assert.equal(ws.queuedMessages, 4);
    for (const [attempt, delay] of [[1, 100], [2, 150], [3, 250]]) {
      const scheduled = await events.reconnecting.next(`attempt ${attempt}`);
      assert.deepEqual([scheduled.attempt, scheduled.delayMs], [attempt, delay]);
      if (attempt === 3) server.start();
      fireAfter(clock, made, delay);
      if (attempt < 3) {
        const err = await events.error.next("connection refused");
        assert.equal(err.code, -1);
        assert.equal(ws.queuedMessages, 4, "kept while attempts fail");
      }
    }
    await events.open.next("back");
    assert.deepEqual(await within(Promise.all(sent), "queued sends"), [true, true, true, true]);
    const received = [];
    for (let i = 0; i < 4; i++) received.push(await server.messages.next("queued message"));
    assert.deepEqual(received.slice(0, 3), ["one", "two", "three"]);
    assert.deepEqual([...new Uint8Array(received[3] as ArrayBuffer)], [1, 2, 3]);
    assert.equal(ws.queuedMessages, 0);
    await ws.close();
    await events.close.next("close");
    assert.equal(clock.pending, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("reconnect rule: give-up after maxAttempts failures in a row is reported once; queued sends and connect fail, nothing is pending", async () => {
  const server = new FlakyServer();
  await server.stop(); // a port nothing listens on
  const { ws, clock, made, events } = reconnecting({ maxAttempts: 2, queueMaxMessages: 5 });
  const connected = ws.connect(server.url);
  const queued = ws.send("never");
  await events.reconnecting.next("attempt 1");
  fireAfter(clock, made, 100);
  await events.reconnecting.next("attempt 2");
  fireAfter(clock, made, 150);
  const end = await events.giveUp.next("giveUp");
  assert.deepEqual([end.reason, end.attempt, end.error?.code], ["max-attempts", 3, -1]);
  assert.equal((await rejection(connected, "connect")).code, -1);
  assert.equal((await rejection(queued, "queued send")).code, -1);
  assert.deepEqual(events.order, [
    "error",
    "reconnecting",
    "error",
    "reconnecting",
    "error",
    "giveUp",
  ]);
  assert.equal(clock.pending, 0);
  assert.equal(ws.state, "closed");
  clock.advance(60_000);
  assert.equal(made.length, 3, "three attempts: the first and two retries");
  assert.equal(events.giveUp.items.length, 1);
});

Deno.test("reconnect rule: maxAttempts 0 never reconnects; the first drop is a give-up", async () => {
  const server = new FlakyServer();
  const { ws, clock, events } = reconnecting({ maxAttempts: 0 });
  try {
    await within(ws.connect(server.url), "connect");
    await server.stop();
    const end = await events.giveUp.next("giveUp");
    assert.deepEqual([end.reason, end.attempt, end.close?.code], ["max-attempts", 1, 1001]);
    assert.equal(clock.pending, 0);
  } finally {
    await server.stop();
  }
});

// ------------------------------------------------------------------ the send queue

Deno.test("send queue rule: off by default — send while not open fails with -1 as on the platform", async () => {
  const server = new FlakyServer();
  await server.stop();
  const { ws, clock, events } = reconnecting();
  ws.connect(server.url).catch(() => {});
  assert.equal((await rejection(ws.send("x"), "send while connecting")).code, -1);
  await events.reconnecting.next("waiting");
  assert.equal((await rejection(ws.send("x"), "send while waiting")).code, -1);
  await ws.close();
  assert.equal(clock.pending, 0);
});

Deno.test("send queue rule: 'reject-new' fails the send that does not fit and keeps the queue; 'drop-oldest' fails the oldest; a message larger than queueMaxBytes is refused", async () => {
  for (const overflow of ["reject-new", "drop-oldest"] as const) {
    const server = new FlakyServer();
    server.mode = { kind: "refuse", status: 503 };
    const { ws, clock, events } = reconnecting({
      queueMaxMessages: 2,
      queueMaxBytes: 10,
      queueOverflow: overflow,
    });
    try {
      const connected = ws.connect(server.url);
      await events.reconnecting.next("waiting");
      const a = ws.send("a");
      const b = ws.send("b");
      const c = ws.send("c");
      const big = ws.send("x".repeat(11));
      assert.equal((await rejection(big, "oversized")).code, 2302999);
      const dropped = overflow === "reject-new" ? c : a;
      assert.equal((await rejection(dropped, "overflow")).code, 2302999);
      // Bytes bound too: "é" is 2 UTF-8 bytes, so 5 of them fill 10 bytes.
      const kept = overflow === "reject-new" ? [a, b] : [b, c];
      const wide = ws.send("ééééé");
      if (overflow === "reject-new") {
        assert.equal((await rejection(wide, "bytes")).code, 2302999);
      } else {
        // Both older messages had to go to make room for 10 bytes.
        for (const old of kept.splice(0, 2, wide)) {
          assert.equal((await rejection(old, "dropped for room")).code, 2302999);
        }
      }
      assert.equal(ws.queuedMessages, overflow === "reject-new" ? 2 : 1);
      server.mode = { kind: "echo" };
      clock.advance(100);
      await within(connected, "connect");
      assert.deepEqual(await within(Promise.all(kept), "kept messages"), kept.map(() => true));
      const expected = overflow === "reject-new" ? ["a", "b"] : ["ééééé"];
      for (const text of expected) assert.equal(await server.messages.next("delivered"), text);
      await ws.close();
      await events.close.next("close");
    } finally {
      await server.stop();
    }
  }
});

Deno.test("send queue rule: what an open listener sends goes ahead of the queue (a login or subscription first)", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "refuse", status: 503 };
  const { ws, clock, events } = reconnecting({ queueMaxMessages: 5 });
  ws.on("open", () => {
    ws.send("login");
  });
  try {
    const connected = ws.connect(server.url);
    await events.reconnecting.next("waiting");
    const queued = ws.send("queued");
    server.mode = { kind: "echo" };
    clock.advance(100);
    await within(connected, "connect");
    await within(queued, "queued send");
    assert.equal(await server.messages.next("first"), "login");
    assert.equal(await server.messages.next("second"), "queued");
    await ws.close();
    await events.close.next("close");
  } finally {
    await server.stop();
  }
});

// ------------------------------------------------------------------ the user's close()

Deno.test("close rule: close() while waiting cancels the timer, fails a waiting connect and the queue, and no attempt follows", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "refuse", status: 503 };
  const { ws, clock, made, events } = reconnecting({ queueMaxMessages: 5 });
  try {
    const connected = ws.connect(server.url);
    await events.reconnecting.next("waiting");
    const queued = ws.send("never");
    assert.equal(clock.pending, 1);
    assert.equal(await ws.close(), true);
    assert.equal(clock.pending, 0);
    assert.equal(ws.state, "closed");
    assert.equal((await rejection(connected, "connect")).code, -1);
    assert.equal((await rejection(queued, "queued")).code, -1);
    clock.advance(100_000);
    assert.equal(made.length, 1);
    assert.equal(events.giveUp.items.length, 0, "the user's close is not a give-up");
  } finally {
    await server.stop();
  }
});

Deno.test("close rule: close() during an attempt aborts it and nothing is retried; close() while open ends with one close event", async () => {
  let accepted = 0;
  // Accepts TCP but never answers the handshake: the attempt stays in progress.
  const silent = startRawServer(async (conn) => {
    accepted++;
    await drain(conn);
    conn.close();
  });
  const { ws, clock, made, events } = reconnecting();
  try {
    const connected = ws.connect(silent.url);
    assert.equal(ws.state, "connecting");
    await ws.close();
    assert.equal((await rejection(connected, "connect")).code, -1);
    assert.equal(ws.state, "closed");
    assert.equal(clock.pending, 0);
    assert.deepEqual(events.order, ["error"]);
    assert.equal(made.length, 1);
  } finally {
    await silent.shutdown();
  }
  assert.ok(accepted <= 1);

  const server = new FlakyServer();
  const open = reconnecting();
  try {
    await within(open.ws.connect(server.url), "connect");
    await open.ws.close({ code: 4001, reason: "done" });
    assert.deepEqual(await open.events.close.next("close"), { code: 4001, reason: "done" });
    open.clock.advance(100_000);
    assert.deepEqual(open.events.order, ["open", "close"]);
    assert.equal(open.clock.pending, 0);
    assert.equal(open.made.length, 1);
  } finally {
    await server.stop();
  }
});

Deno.test("close rule: close() with bad options is a 401 and changes nothing: the connection stays open and still reconnects", async () => {
  const server = new FlakyServer();
  const { ws, clock, made, events } = reconnecting();
  try {
    await within(ws.connect(server.url), "connect");
    assert.equal((await rejection(ws.close({ code: 1005 }), "bad code")).code, 401);
    assert.equal(ws.state, "open");
    await server.stop();
    await events.reconnecting.next("still reconnects");
    server.start();
    fireAfter(clock, made, 100);
    await events.open.next("reopened");
    await ws.close();
    await events.close.next("close");
  } finally {
    await server.stop();
  }
});

// ------------------------------------------------------------------ the rest of the interface

Deno.test("interface rule: callback forms of connect, send and close; connect twice is 2302003; close before connect is 2302999", async () => {
  const server = new FlakyServer();
  const { ws, events } = reconnecting();
  try {
    assert.equal((await rejection(ws.close(), "close while idle")).code, 2302999);
    const result = (label: string) => {
      let settle: (value: [BusinessError | undefined, boolean]) => void = () => {};
      const promise = new Promise<[BusinessError | undefined, boolean]>((r) => settle = r);
      return {
        promise: within(promise, label),
        callback: (err: BusinessError, value: boolean) => settle([err, value]),
      };
    };
    const connected = result("connect callback");
    assert.equal(ws.connect(server.url, {}, connected.callback), undefined);
    assert.deepEqual(await connected.promise, [undefined, true]);
    assert.equal((await rejection(ws.connect(server.url), "second connect")).code, 2302003);
    const sent = result("send callback");
    ws.send("hi", sent.callback);
    assert.deepEqual(await sent.promise, [undefined, true]);
    assert.equal(await events.message.next("echo"), "hi");
    const closed = result("close callback");
    ws.close(closed.callback);
    assert.deepEqual(await closed.promise, [undefined, true]);
    await events.close.next("close");
    // After the end, connect starts again.
    assert.equal(await within(ws.connect(server.url), "connect again"), true);
    await ws.close();
    await events.close.next("close again");
  } finally {
    await server.stop();
  }
});

Deno.test("interface rule: the static view's pairs (onOpen hands the value alone) and the extension pairs share the on/off lists across reconnects", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "close-on-open", code: 1001 };
  const { ws, clock } = reconnecting();
  const opens: OpenResult[] = [];
  const closes: number[] = [];
  const attempts: number[] = [];
  const onOpen = (value: OpenResult) => opens.push(value);
  const gotAttempt = new Queue<number>();
  ws.onOpen(onOpen);
  ws.onWebSocketClose((_err, result) => closes.push(result.code));
  ws.onReconnecting((attempt) => {
    attempts.push(attempt.attempt);
    gotAttempt.push(attempt.attempt);
  });
  ws.onGiveUp(() => {});
  try {
    await within(ws.connect(server.url), "connect");
    await gotAttempt.next("first reconnecting");
    clock.advance(100);
    await gotAttempt.next("second reconnecting");
    ws.offOpen(onOpen);
    clock.advance(150);
    await gotAttempt.next("third reconnecting");
    assert.deepEqual(opens, [
      { status: 101, message: "Switching Protocols" },
      { status: 101, message: "Switching Protocols" },
    ]);
    assert.deepEqual(closes, [1001, 1001, 1001]);
    assert.deepEqual(attempts, [1, 2, 3]);
    ws.offReconnecting();
    await ws.close();
    assert.equal(clock.pending, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("interface rule: a listener that throws is reported and the others, and reconnecting, carry on", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "close-on-open", code: 1001 };
  const { ws, clock, events } = reconnecting();
  const logged = console.error;
  const reports: unknown[] = [];
  console.error = (...args: unknown[]) => reports.push(args);
  ws.on("close", () => {
    throw new Error("listener bug");
  });
  try {
    await within(ws.connect(server.url), "connect");
    await events.reconnecting.next("reconnecting despite the throwing listener");
    assert.equal(events.close.items.length, 1);
    assert.equal(reports.length, 1);
    await ws.close();
    assert.equal(clock.pending, 0);
  } finally {
    console.error = logged;
    await server.stop();
  }
});

Deno.test("reconnect rule: a bad URL fails at once (2302001) and is not retried", async () => {
  const { ws, clock, events } = reconnecting();
  const err = await rejection(ws.connect("http://127.0.0.1/"), "connect");
  assert.equal(err.code, 2302001);
  const end = await events.giveUp.next("giveUp");
  assert.equal(end.reason, "declined");
  assert.equal(clock.pending, 0);
});

Deno.test("reconnect rule: a factory that throws is a failed attempt (an error event and the schedule), never an exception out of the timer", async () => {
  const server = new FlakyServer();
  server.mode = { kind: "close-on-open", code: 1001 };
  const clock = new FakeClock();
  let calls = 0;
  const ws = createReconnectingWebSocket({
    clock,
    random: () => 0,
    minDelayMs: 100,
    createWebSocket: () => {
      calls++;
      if (calls === 2) throw new Error("no sockets today");
      return webSocket.createWebSocket();
    },
  });
  const events = new Recorder(ws);
  try {
    await within(ws.connect(server.url), "connect");
    await events.reconnecting.next("after the drop");
    clock.advance(100);
    const err = await events.error.next("factory error");
    assert.equal(err.code, 2302999);
    assert.match(err.message, /no sockets today/);
    const next = await events.reconnecting.next("scheduled again");
    assert.deepEqual([next.attempt, next.delayMs, next.error], [2, 100, err]);
    server.mode = { kind: "echo" };
    clock.advance(100);
    await events.open.next("first open");
    await events.open.next("open with the third WebSocket");
    assert.equal(calls, 3);
    await ws.close();
    await events.close.next("first drop");
    await events.close.next("close");
    assert.equal(clock.pending, 0);
  } finally {
    await server.stop();
  }
});
