/**
 * Soak: 500 concurrent connections of our client (`createWebSocket()`) to one local echo
 * server (our own, `createWebSocketServer()`), each sending 200 messages of mixed kinds and sizes (text and binary, 0 B to
 * 64 KiB, deterministic pseudo-random). Every echo must come back intact and in order,
 * none lost; every connection must close cleanly with 1000 on both ends; no resource may
 * leak (sanitizers on); peak RSS (sampled) stays under a generous bound; the whole run
 * finishes within a time bound.
 *
 * Connections are opened in batches (so the listen backlog never overflows), all 500 are
 * open at the same time, then all of them send at once, each keeping a small window of
 * messages in flight.
 */
import assert from "node:assert/strict";
import webSocket from "../mod.ts";
import type { WebSocket as OhosWebSocket } from "../mod.ts";
import { within } from "./helpers/deno_server.ts";

const CONNECTIONS = 500;
const MESSAGES = 200;
/** Connections opened at a time. */
const CONNECT_BATCH = 50;
/** Messages a connection keeps in flight (sent, echo not yet back). */
const WINDOW = 8;
/** Bound on the whole run (connect, traffic, close). */
const RUN_BOUND_MS = 60_000;
/** Runaway memory growth fails the test. */
const RSS_BOUND = 1.5 * 1024 ** 3;
const MAX_SIZE = 64 * 1024;

// ------------------------------------------------------------------ messages

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 128 KiB of pseudo-random bytes; binary messages are views into it (never copied). */
const BYTE_POOL = (() => {
  const next = prng(0xb1a5);
  return Uint8Array.from({ length: 2 * MAX_SIZE }, () => Math.floor(next() * 256));
})();

/** Text of 1 to 4-byte UTF-8 characters (no lone surrogates); messages are slices of it. */
const TEXT_POOL = (() => {
  const alphabet = [
    ..."abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;\n",
    "é",
    "ß",
    "€",
    "✓",
    "日本",
    "🎉",
    "😀",
  ];
  const next = prng(0x7e47);
  let text = "";
  while (text.length < 2 * MAX_SIZE) text += alphabet[Math.floor(next() * alphabet.length)];
  return text;
})();

/** UTF8_BEFORE[i]: UTF-8 byte length of TEXT_POOL.slice(0, i). */
const UTF8_BEFORE = (() => {
  const out = new Uint32Array(TEXT_POOL.length + 1);
  for (let i = 0; i < TEXT_POOL.length; i++) {
    const code = TEXT_POOL.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 per half.
    const bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code < 0xe000 ? 2 : 3;
    out[i + 1] = out[i] + bytes;
  }
  return out;
})();

/** A message: where it lives in its pool. */
interface Planned {
  text: boolean;
  start: number;
  end: number;
}

/** Size in bytes: a few empty and maximal ones, mostly small, some large. */
function pickSize(next: () => number): number {
  const r = next();
  if (r < 0.03) return 0;
  if (r < 0.05) return MAX_SIZE;
  if (r < 0.70) return 1 + Math.floor(next() * 1024);
  if (r < 0.95) return 1025 + Math.floor(next() * (16 * 1024 - 1025));
  return 16 * 1024 + Math.floor(next() * (MAX_SIZE - 16 * 1024));
}

/** Message `index` of connection `conn`: same inputs, same message. */
function plan(conn: number, index: number): Planned {
  const next = prng(conn * 100_003 + index * 7 + 1);
  const text = next() < 0.5;
  const size = pickSize(next);
  if (!text) {
    const start = Math.floor(next() * (BYTE_POOL.length - size));
    return { text, start, end: start + size };
  }
  // Start on a character boundary, take whole characters up to `size` bytes.
  let start = Math.floor(next() * (TEXT_POOL.length - MAX_SIZE));
  if (isLowSurrogate(start)) start--;
  let lo = start, hi = TEXT_POOL.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (UTF8_BEFORE[mid] - UTF8_BEFORE[start] <= size) lo = mid;
    else hi = mid - 1;
  }
  let end = lo;
  if (end > start && isLowSurrogate(end)) end--; // don't split a pair
  return { text, start, end };
}

function isLowSurrogate(i: number): boolean {
  const code = TEXT_POOL.charCodeAt(i);
  return code >= 0xdc00 && code < 0xe000;
}

function payload(p: Planned): string | Uint8Array {
  return p.text ? TEXT_POOL.slice(p.start, p.end) : BYTE_POOL.subarray(p.start, p.end);
}

function sizeOf(p: Planned): number {
  return p.text ? UTF8_BEFORE[p.end] - UTF8_BEFORE[p.start] : p.end - p.start;
}

/** Why `received` is not the planned message, or undefined when it is. */
function mismatch(p: Planned, received: string | ArrayBuffer): string | undefined {
  if (p.text) {
    if (typeof received !== "string") return "expected text, got binary";
    return received === TEXT_POOL.slice(p.start, p.end) ? undefined : "text content differs";
  }
  if (typeof received === "string") return "expected binary, got text";
  const bytes = new Uint8Array(received);
  if (bytes.length !== p.end - p.start) {
    return `binary length ${bytes.length} != ${p.end - p.start}`;
  }
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== BYTE_POOL[p.start + i]) return `binary byte ${i} differs`;
  }
  return undefined;
}

// ------------------------------------------------------------------ the echo server

/**
 * The echo server: our own (`createWebSocketServer()`), with the platform's cap of 10
 * clients lifted, so both ends of every connection are this project's code.
 */
async function startEchoServer() {
  const closeCodes = new Map<number, number>();
  const errors: string[] = [];
  let echoed = 0;
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", ({ clientConnection, data }) => {
    echoed++;
    server.send(data, clientConnection).catch((error) =>
      errors.push(`send to ${clientConnection.clientPort}: ${error.message}`)
    );
  });
  server.on("close", (_connection, result) => {
    closeCodes.set(result.code, (closeCodes.get(result.code) ?? 0) + 1);
  });
  server.on("error", (error) => errors.push(`${error.code}: ${error.message}`));
  assert.equal(
    await server.start({
      serverIP: "127.0.0.1",
      serverPort: 0,
      maxConcurrentClientsNumber: CONNECTIONS,
      maxConnectionsForOneClient: CONNECTIONS,
      allowMoreThanPlatformLimit: true,
    }),
    true,
  );
  return {
    url: `ws://127.0.0.1:${server.address()!.serverPort}/`,
    closeCodes,
    errors,
    get echoed() {
      return echoed;
    },
    async shutdown() {
      await within(server.stop(), "echo server stop", 10_000);
    },
  };
}

// ------------------------------------------------------------------ one connection

/** One soak connection: sends its messages through a window and checks every echo. */
class SoakClient {
  readonly ws: OhosWebSocket = webSocket.createWebSocket();
  readonly index: number;
  received = 0;
  bytes = 0;
  failure: string | undefined;
  closeResult: { code: number; reason: string } | undefined;
  errors: string[] = [];
  #wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(index: number) {
    this.index = index;
    this.ws.on("message", (_err, data) => {
      const why = this.received < MESSAGES
        ? mismatch(plan(this.index, this.received), data)
        : "a message after the last echo";
      if (why !== undefined && this.failure === undefined) {
        this.failure = `connection ${this.index}, message ${this.received}: ${why}`;
      }
      this.received++;
      this.#wake?.();
    });
    this.ws.on("error", (err) => this.errors.push(`${err.code}: ${err.message}`));
    this.closed = new Promise((resolve) =>
      this.ws.on("close", (_err, result) => {
        this.closeResult = result;
        this.#wake?.();
        resolve();
      })
    );
  }

  /** Waits until a message arrives or the connection closes. */
  #progress(): Promise<void> {
    return new Promise((resolve) => this.#wake = resolve);
  }

  async run(): Promise<void> {
    let sent = 0;
    while (this.received < MESSAGES) {
      if (this.failure !== undefined || this.closeResult !== undefined) break;
      if (sent < MESSAGES && sent - this.received < WINDOW) {
        const p = plan(this.index, sent++);
        this.bytes += sizeOf(p);
        // Not awaited: the window bounds what is queued; a failed send shows in `errors`.
        const data = payload(p);
        this.ws.send(data).catch((error) => this.errors.push(`send ${sent - 1}: ${error.message}`));
        continue;
      }
      await this.#progress();
    }
  }
}

// ------------------------------------------------------------------ the test

/**
 * The soft limit on open files (Linux), or undefined where it cannot be read. Deno cannot
 * raise it (no setrlimit), so a low limit fails the test with a clear message instead.
 */
function openFileLimit(): number | undefined {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

Deno.test(`soak: ${CONNECTIONS} concurrent connections × ${MESSAGES} mixed messages, echoed intact and in order, clean 1000 closes`, async () => {
  // Both ends of every connection are in this process, plus some slack.
  const needed = 2 * CONNECTIONS + 200;
  const limit = openFileLimit();
  assert.ok(
    limit === undefined || limit >= needed,
    `the open-file limit is ${limit}, the soak needs ${needed}: run with \`ulimit -n ${needed}\` or more`,
  );
  const started = performance.now();
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    const end = Deno.memoryUsage();
    peakRss = Math.max(peakRss, end.rss);
  }, 100);
  const server = await startEchoServer();
  const clients = Array.from({ length: CONNECTIONS }, (_, i) => new SoakClient(i));
  const phases: Record<string, number> = {};
  const mark = (phase: string) => phases[phase] = Math.round(performance.now() - started);
  try {
    await within(
      (async () => {
        for (let i = 0; i < CONNECTIONS; i += CONNECT_BATCH) {
          const batch = clients.slice(i, i + CONNECT_BATCH);
          const results = await Promise.all(batch.map((c) => c.ws.connect(server.url)));
          assert.ok(results.every((ok) => ok === true), "every connect resolves true");
        }
        mark("connected");
        await Promise.all(clients.map((c) => c.run()));
        mark("echoed");
        await Promise.all(clients.map((c) => c.ws.close()));
        await Promise.all(clients.map((c) => c.closed));
        mark("closed");
      })(),
      "soak run",
      RUN_BOUND_MS,
    );
  } finally {
    clearInterval(sampler);
    // After a failure: close whatever is still open, wait (bounded) for every close event.
    const open = clients.filter((c) => c.closeResult === undefined);
    for (const c of open) c.ws.close().catch(() => {});
    await within(Promise.all(open.map((c) => c.closed)), "closing after a failure", 15_000)
      .catch(() => {});
    await server.shutdown();
  }
  const end = Deno.memoryUsage();
  peakRss = Math.max(peakRss, end.rss);
  const elapsed = performance.now() - started;
  const totalBytes = clients.reduce((sum, c) => sum + c.bytes, 0);
  console.log(
    `soak: ${CONNECTIONS} connections × ${MESSAGES} messages, ` +
      `${(totalBytes / 1024 ** 2).toFixed(1)} MiB sent and echoed, ` +
      `${(elapsed / 1000).toFixed(1)} s (connected ${phases.connected} ms, ` +
      `echoed ${phases.echoed} ms, closed ${phases.closed} ms), ` +
      `peak RSS ${(peakRss / 1024 ** 2).toFixed(0)} MiB ` +
      `(at the end: RSS ${(end.rss / 1024 ** 2).toFixed(0)} MiB, ` +
      `V8 heap used ${(end.heapUsed / 1024 ** 2).toFixed(0)} MiB)`,
  );

  const failures = clients.flatMap((c) => c.failure ?? []);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} connections got a wrong echo`);
  const errors = clients.flatMap((c) => c.errors.map((e) => `connection ${c.index}: ${e}`));
  assert.deepEqual(errors.slice(0, 5), [], `${errors.length} client errors`);
  const short = clients.filter((c) => c.received !== MESSAGES);
  assert.equal(
    short.length,
    0,
    `connections missing echoes: ${short.slice(0, 5).map((c) => `${c.index} (${c.received})`)}`,
  );
  assert.equal(server.echoed, CONNECTIONS * MESSAGES, "the server echoed every message once");
  assert.deepEqual(server.errors.slice(0, 5), [], `${server.errors.length} server errors`);
  const notClean = clients.filter((c) => c.closeResult?.code !== 1000);
  assert.equal(
    notClean.length,
    0,
    `connections not closed with 1000: ${
      JSON.stringify(notClean.slice(0, 3).map((c) => c.closeResult))
    }`,
  );
  assert.deepEqual(
    Object.fromEntries(server.closeCodes),
    { 1000: CONNECTIONS },
    "server-side close codes",
  );
  assert.ok(elapsed < RUN_BOUND_MS, `the run took ${elapsed} ms`);
  assert.ok(peakRss < RSS_BOUND, `peak RSS ${peakRss} bytes is over ${RSS_BOUND}`);
});
