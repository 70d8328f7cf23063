// The workload driver shared by every bench client, on Deno and on Node alike.
//
// A client script supplies an adapter and calls `main(adapter)`:
//
//   adapter.connect(url, onMessage) -> Promise<{ send(data), close() -> Promise }>
//
// `onMessage(data)` must be called once per echoed message (a string, or any
// binary view/ArrayBuffer). `send(data)` may return a promise; the driver
// never awaits it (the echo is the acknowledgement) but reports a rejection.
// The job comes in the BENCH_CONFIG environment variable (JSON, see run.ts);
// the result goes to stdout as one line `RESULT {json}`.
//
// Everything is bounded: each workload has a message count and a deadline.
// Only 127.0.0.1 is ever a target (run.ts builds the URLs).

import process from "node:process";
import { readFileSync, writeFileSync } from "node:fs";

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user + system) of this process, all threads, in microseconds. */
function cpuMicros() {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function rssBytes() {
  return process.memoryUsage().rss;
}

/** Peak resident set size of this process (VmHWM), in bytes; 0 if unknown. */
function peakRssBytes() {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(
      readFileSync("/proc/self/status", "utf8"),
    );
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs a full GC when the runtime exposes one (`--expose-gc`). */
async function settleMemory() {
  const gc = globalThis.gc;
  for (let i = 0; i < 3; i++) {
    if (typeof gc === "function") gc();
    await sleep(100);
  }
}

function lengthOf(data) {
  return typeof data === "string" ? data.length : data.byteLength;
}

function makePayload(size, binary) {
  if (!binary) {
    return "0123456789abcdef".repeat(Math.ceil(size / 16)).slice(0, size);
  }
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(p * sorted.length) - 1),
  );
  return sorted[index];
}

/** Wraps the adapter so that every send rejection is counted, never unhandled. */
function instrument(conn, errors) {
  const onError = (error) => {
    errors.count++;
    errors.last ??= String(error?.message ?? error);
  };
  return {
    send(data) {
      try {
        const result = conn.send(data);
        if (result && typeof result.then === "function") {
          result.then(undefined, onError);
        }
      } catch (error) {
        onError(error);
      }
    },
    close: () => conn.close(),
  };
}

/**
 * Keeps `inflight` messages of `size` bytes outstanding until `count` echoes
 * came back (or the deadline passed). Used by workloads (a), (c) and (f).
 */
async function pipelined(
  adapter,
  url,
  { count, inflight, size, binary, timeLimitMs, warmup },
) {
  const payload = makePayload(size, binary);
  const errors = { count: 0, last: undefined };
  let sent = 0;
  let received = 0;
  let target = 0;
  let badLength = 0;
  let done = () => {};
  let conn = null;
  const sendOne = () => {
    sent++;
    conn.send(payload);
  };
  const onMessage = (data) => {
    received++;
    if (lengthOf(data) !== size) badLength++;
    if (sent < target) sendOne();
    if (received === target) done();
  };
  conn = instrument(await adapter.connect(url, onMessage), errors);

  const phase = async (n, limitMs) => {
    sent = received = 0;
    target = n;
    const finished = new Promise((resolve) => (done = resolve));
    let timer;
    const timeout = new Promise((
      resolve,
    ) => (timer = setTimeout(resolve, limitMs, "timeout")));
    const cpu0 = cpuMicros();
    const t0 = now();
    const window = Math.min(inflight, n);
    for (let i = 0; i < window; i++) sendOne();
    const outcome = await Promise.race([finished, timeout]);
    const seconds = (now() - t0) / 1000;
    const cpuUs = cpuMicros() - cpu0;
    clearTimeout(timer);
    return { seconds, cpuUs, received, timedOut: outcome === "timeout" };
  };

  if (warmup > 0) await phase(warmup, Math.min(timeLimitMs, 10_000));
  const main = await phase(count, timeLimitMs);
  const closed = await closeBounded(conn);
  return {
    messages: main.received,
    seconds: main.seconds,
    msgPerSec: main.received / main.seconds,
    mbPerSec: (main.received * size) / 1e6 / main.seconds,
    cpuUsPerMsg: main.cpuUs / Math.max(1, main.received),
    cpuSeconds: main.cpuUs / 1e6,
    timedOut: main.timedOut,
    badLength,
    sendErrors: errors.count,
    firstSendError: errors.last,
    closed,
  };
}

/** (b) One message out, wait for its echo, `count` times. */
async function sequential(adapter, url, { count, size, timeLimitMs, warmup }) {
  const payload = makePayload(size, false);
  const errors = { count: 0, last: undefined };
  let resolveEcho = () => {};
  let badLength = 0;
  const conn = instrument(
    await adapter.connect(url, (data) => {
      if (lengthOf(data) !== size) badLength++;
      resolveEcho();
    }),
    errors,
  );
  const roundTrip = () => {
    const echoed = new Promise((resolve) => (resolveEcho = resolve));
    conn.send(payload);
    return echoed;
  };
  const deadline = now() + timeLimitMs;
  for (let i = 0; i < warmup && now() < deadline; i++) await roundTrip();
  const latencies = new Float64Array(count);
  let done = 0;
  const cpu0 = cpuMicros();
  const t0 = now();
  // The deadline is checked between round trips; a lost echo is caught by the
  // parent's process timeout.
  while (done < count && now() < deadline) {
    const start = now();
    await roundTrip();
    latencies[done++] = now() - start;
  }
  const seconds = (now() - t0) / 1000;
  const cpuUs = cpuMicros() - cpu0;
  const closed = await closeBounded(conn);
  const sorted = latencies.subarray(0, done).sort();
  return {
    messages: done,
    seconds,
    rtPerSec: done / seconds,
    p50Us: percentile(sorted, 0.5) * 1000,
    p99Us: percentile(sorted, 0.99) * 1000,
    maxUs: (sorted[done - 1] ?? NaN) * 1000,
    cpuUsPerMsg: cpuUs / Math.max(1, done),
    timedOut: done < count,
    badLength,
    sendErrors: errors.count,
    firstSendError: errors.last,
    closed,
  };
}

/** (d) `count` open, idle connections: RSS growth per connection. */
async function idle(adapter, url, { count, concurrency, timeLimitMs }) {
  const deadline = now() + timeLimitMs;
  // One connection first, so code loading and JIT are not charged to the 1000.
  const first = await adapter.connect(url, () => {});
  await closeBounded(first);
  await settleMemory();
  const rssBefore = rssBytes();
  const conns = [];
  let failures = 0;
  let firstFailure;
  const t0 = now();
  let next = 0;
  const worker = async () => {
    while (next < count && now() < deadline) {
      next++;
      try {
        conns.push(await adapter.connect(url, () => {}));
      } catch (error) {
        failures++;
        firstFailure ??= String(error?.message ?? error);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, worker),
  );
  const openSeconds = (now() - t0) / 1000;
  await settleMemory();
  await sleep(300);
  const rssOpen = rssBytes();
  const open = conns.length;
  let closedCount = 0;
  for (let i = 0; i < conns.length; i += 100) {
    const results = await Promise.all(
      conns.slice(i, i + 100).map((c) => closeBounded(c)),
    );
    closedCount += results.filter(Boolean).length;
  }
  return {
    open,
    failures,
    firstFailure,
    openSeconds,
    connectsPerSec: open / openSeconds,
    rssBeforeMB: rssBefore / 1e6,
    rssOpenMB: rssOpen / 1e6,
    kibPerConn: (rssOpen - rssBefore) / 1024 / Math.max(1, open),
    timedOut: open < count,
    closed: closedCount === open,
  };
}

/** Closes with a time bound; true when the close completed. */
async function closeBounded(conn, limitMs = 3000) {
  let timer;
  const timeout = new Promise((
    resolve,
  ) => (timer = setTimeout(resolve, limitMs, false)));
  try {
    return await Promise.race([
      Promise.resolve(conn.close()).then(() => true),
      timeout,
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the V8 CPU profiler through `node:inspector` (works on Deno and Node). */
async function startProfiler(intervalUs) {
  const inspector = await import("node:inspector");
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(
        method,
        params ?? {},
        (error, result) => (error ? reject(error) : resolve(result)),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: intervalUs });
  await post("Profiler.start");
  return async (path) => {
    const { profile } = await post("Profiler.stop");
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
  };
}

const WORKLOADS = {
  a: (adapter, c) => pipelined(adapter, c.url, { ...c, binary: false }),
  b: (adapter, c) => sequential(adapter, c.url, c),
  c: (adapter, c) => pipelined(adapter, c.url, { ...c, binary: true }),
  d: (adapter, c) => idle(adapter, c.url, c),
  f: async (adapter, c) => {
    const sizes = [];
    for (const job of c.sizes) {
      const result = await pipelined(adapter, c.url, {
        ...c,
        ...job,
        binary: true,
      });
      sizes.push({ size: job.size, ...result });
    }
    return { sizes };
  },
};

/** Entry point of every client script. */
export async function main(adapter) {
  const config = JSON.parse(process.env.BENCH_CONFIG ?? "{}");
  const workload = WORKLOADS[config.workload];
  if (workload === undefined) {
    throw new Error(`unknown workload ${config.workload}`);
  }
  const stopProfiler = config.profile ? await startProfiler(config.profileIntervalUs ?? 100) : null;
  const result = await workload(adapter, config);
  if (stopProfiler) await stopProfiler(config.profile);
  result.peakRssMB = peakRssBytes() / 1e6;
  console.log(`RESULT ${JSON.stringify(result)}`);
  // Some peers keep timers or sockets alive; the result is out, so leave now.
  process.exit(0);
}
