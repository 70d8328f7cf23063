// The neutral load generator of `deno task bench:server` (bench/server_bench.ts), on Node.
//
// It is none of the libraries under test: plain `node:net` sockets, its own HTTP
// upgrade request, frames masked once up front and written again and again, and a
// reader that only walks frame headers to count whole echoed messages (payloads
// are skipped, never decoded, copied or checked). So nearly all the CPU of a job
// that is not the load generator's own is the server's.
//
// The job comes in BENCH_CONFIG (JSON, see server_bench.ts); the result goes to
// stdout as one line `RESULT {json}`. The server's CPU time and memory are read
// from /proc/<serverPid>/ at the start and the end of the timed window, so
// connection set-up and warm-up are not charged to it.
//
// Everything is bounded: a timed window per workload, a deadline per connection
// attempt and per churn cycle, and a hard time limit on the whole process.
// Only 127.0.0.1 is ever a target.

import net from "node:net";
import process from "node:process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

const config = JSON.parse(process.env.BENCH_CONFIG ?? "{}");
const HOST = "127.0.0.1";
const TCP = config.tcp === true;
/** Round trips per (s5) cycle against a raw TCP floor (1: one echo, as by default). */
const FLOOR_TRIPS = Math.max(1, Math.min(8, Number(config.floorTrips ?? 1)));
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** Linux reports /proc CPU times in USER_HZ ticks, 100 per second on every architecture. */
const TICKS_PER_SECOND = 100;

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// -------------------------------------------------------------- the server process

/** CPU time (all its threads) of the server process in microseconds: user and system. */
function serverCpuUs() {
  const stat = readFileSync(`/proc/${config.serverPid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime: fields 14 and 15 of proc(5), counted after the command name.
  const user = (Number(fields[11]) * 1e6) / TICKS_PER_SECOND;
  const system = (Number(fields[12]) * 1e6) / TICKS_PER_SECOND;
  return { user, system };
}

/** A `VmRSS`/`VmHWM`-style field of the server's /proc status, in KiB. */
function serverStatusKiB(field) {
  const status = readFileSync(`/proc/${config.serverPid}/status`, "utf8");
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) : NaN;
}

function ownCpuUs() {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

// ------------------------------------------------------------------------- frames

/** One client frame (FIN set), masked with a random key, ready to be written as is. */
function maskedFrame(opcode, payload) {
  const length = payload.length;
  const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + extra + 4 + length);
  frame[0] = 0x80 | opcode;
  if (extra === 0) {
    frame[1] = 0x80 | length;
  } else if (extra === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const mask = randomBytes(4);
  const start = 2 + extra + 4;
  mask.copy(frame, start - 4);
  for (let i = 0; i < length; i++) frame[start + i] = payload[i] ^ mask[i & 3];
  return frame;
}

function payload(size, binary) {
  if (!binary) return Buffer.from("0123456789abcdef".repeat(Math.ceil(size / 16)).slice(0, size));
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

const CLOSE_FRAME = maskedFrame(8, Buffer.from([0x03, 0xe8])); // 1000, no reason

/** Bytes a frame header takes, from its first two bytes; -1 when fewer than 2 are there. */
function headerLength(bytes, offset, available) {
  if (available < 2) return -1;
  const length7 = bytes[offset + 1] & 0x7f;
  return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) +
    ((bytes[offset + 1] & 0x80) !== 0 ? 4 : 0);
}

/**
 * Counts whole data messages in a byte stream by walking frame headers and
 * skipping payloads. A message ends with a FIN data or continuation frame;
 * control frames are skipped (a close frame is remembered). The raw TCP echo
 * servers send our masked frames back, which it walks the same way.
 */
class FrameCounter {
  constructor() {
    this.skip = 0; // payload bytes of the current frame still to come
    this.endsMessage = false; // the current frame is the last of a data message
    this.head = Buffer.alloc(14); // a header split across reads
    this.headLength = 0;
    this.closeFrame = false;
  }

  /** Feeds `bytes[start, end)`; returns how many messages were completed. */
  feed(bytes, start, end) {
    let count = 0;
    let i = start;
    if (this.headLength > 0) {
      const take = Math.min(14 - this.headLength, end - i);
      bytes.copy(this.head, this.headLength, i, i + take);
      const have = this.headLength + take;
      const need = headerLength(this.head, 0, have);
      if (need < 0 || need > have) {
        this.headLength = have;
        return 0;
      }
      i += need - this.headLength;
      this.headLength = 0;
      count += this.#begin(this.head, 0);
    }
    while (i < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.endsMessage) count++;
        continue;
      }
      const need = headerLength(bytes, i, end - i);
      if (need < 0 || need > end - i) {
        bytes.copy(this.head, 0, i, end);
        this.headLength = end - i;
        break;
      }
      count += this.#begin(bytes, i);
      i += need;
    }
    return count;
  }

  /** Starts the frame whose header is at `offset`; 1 when it is an empty final data frame. */
  #begin(bytes, offset) {
    const opcode = bytes[offset] & 0x0f;
    const length7 = bytes[offset + 1] & 0x7f;
    const length = length7 === 126
      ? bytes.readUInt16BE(offset + 2)
      : length7 === 127
      ? bytes.readUInt32BE(offset + 2) * 2 ** 32 + bytes.readUInt32BE(offset + 6)
      : length7;
    if (opcode === 8) this.closeFrame = true;
    this.endsMessage = (bytes[offset] & 0x80) !== 0 && opcode < 8;
    this.skip = length;
    return length === 0 && this.endsMessage ? 1 : 0;
  }
}

// -------------------------------------------------------------------- connections

/**
 * One buffer for every socket's reads (`onread`): each read is handled
 * synchronously before the next, so nothing is allocated per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Upgrade requests with keys made once, and the `Sec-WebSocket-Accept` each must get. */
const HANDSHAKES = Array.from({ length: 16 }, () => {
  const key = randomBytes(16).toString("base64");
  return {
    request: Buffer.from(
      `GET / HTTP/1.1\r\nHost: ${HOST}:${config.port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      "latin1",
    ),
    accept: createHash("sha1").update(key + GUID).digest("base64"),
  };
});
let handshakeIndex = 0;

const stats = { unexpectedCloses: 0, firstError: undefined };
let measuring = false;

/**
 * Opens one connection (TCP, then the upgrade unless `config.tcp`); resolves
 * once messages can flow. `onMessages(count, conn)` gets the whole messages of
 * each read; `onClose(conn)` runs when the socket is gone.
 */
function open(onMessages, onClose = () => {}, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const { request, accept } = HANDSHAKES[handshakeIndex++ & 15];
    const conn = { socket: null, counter: new FrameCounter(), open: false, closed: false };
    let settled = false;
    let head = "";
    const timer = setTimeout(() => fail("connect or handshake timed out"), timeoutMs);
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.socket.destroy();
      reject(new Error(why));
    };
    const ready = () => {
      settled = true;
      clearTimeout(timer);
      conn.open = true;
      resolve(conn);
    };
    const onRead = (n, bytes) => {
      if (conn.open) {
        const count = conn.counter.feed(bytes, 0, n);
        if (count > 0) onMessages(count, conn);
        return;
      }
      if (settled) return;
      const before = head.length;
      head += bytes.toString("latin1", 0, n);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > 16_384) fail("response head too long");
        return;
      }
      const status = head.slice(0, head.indexOf("\r\n"));
      if (!status.startsWith("HTTP/1.1 101") || !head.slice(0, end).includes(accept)) {
        fail(`handshake refused: ${status}`);
        return;
      }
      ready();
      const after = end + 4 - before;
      if (after < n) {
        const count = conn.counter.feed(bytes, after, n);
        if (count > 0) onMessages(count, conn);
      }
    };
    conn.socket = net.connect({
      host: HOST,
      port: config.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: onRead },
    });
    conn.socket.on("connect", () => {
      if (TCP) ready();
      else conn.socket.write(request);
    });
    conn.socket.on("error", (error) => {
      stats.firstError ??= error.message;
      fail(error.message);
    });
    conn.socket.on("close", () => {
      conn.closed = true;
      if (!settled) fail("closed during the handshake");
      else if (measuring && !conn.closing) stats.unexpectedCloses++;
      onClose(conn);
    });
  });
}

/** Opens `count` connections, `parallel` at a time; the failures are counted, not thrown. */
async function openAll(count, parallel, onMessages, onClose) {
  const conns = [];
  let failures = 0;
  let firstFailure;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        conns.push(await open(onMessages, onClose));
      } catch (error) {
        failures++;
        firstFailure ??= error.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return { conns, failures, firstFailure };
}

// ------------------------------------------------------------------------ windows

function snapshot(count) {
  return { t: Date.now(), count: count(), server: serverCpuUs(), own: ownCpuUs() };
}

/** The `GO <epoch ms>` line the bench sends once every load generator of the job is READY. */
function go() {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      text += chunk;
      const match = /GO (\d+)\n/.exec(text);
      if (match) {
        process.stdin.pause();
        resolve(Number(match[1]));
      }
    });
  });
}

/** Sleeps until the wall clock reads `epochMs`. */
async function until(epochMs) {
  while (Date.now() < epochMs) await sleep(Math.min(1000, epochMs - Date.now()));
}

/**
 * Lets the running load warm up for `warmupMs`, prints READY, and measures
 * from the `GO` time on for `durationMs` by the wall clock, so the windows of
 * several load generators on one job line up: what `count()` grew by, the
 * server's CPU and ours. With `profileSignals` the server gets SIGUSR2 at both
 * ends of the window (its profiler's start and stop).
 */
async function window(count) {
  await sleep(config.warmupMs);
  const started = go();
  console.log("READY");
  const at = await started;
  await until(at);
  measuring = true;
  const a = snapshot(count);
  if (config.profileSignals && config.shard === 0) process.kill(config.serverPid, "SIGUSR2");
  await until(at + config.durationMs);
  const b = snapshot(count);
  if (config.profileSignals && config.shard === 0) process.kill(config.serverPid, "SIGUSR2");
  measuring = false;
  return {
    count: b.count - a.count,
    seconds: (b.t - a.t) / 1000,
    serverCpuUs: b.server.user + b.server.system - a.server.user - a.server.system,
    // The split tells the runtime's and our JavaScript (user) from the system calls (system).
    serverUserUs: b.server.user - a.server.user,
    loadgenCpuUs: b.own - a.own,
    lateMs: a.t - at,
  };
}

/** What every timed workload reports: the window and what went wrong. */
function common(w, extra = {}) {
  return {
    ...w,
    unexpectedCloses: stats.unexpectedCloses,
    firstError: stats.firstError,
    ...extra,
  };
}

// ---------------------------------------------------------------------- workloads

/**
 * (s1, s1b, s2) `connections` connections share `inflight` messages of `size`
 * bytes: each connection writes its share at once, and as many frames again as
 * whole messages came back in each read.
 */
async function echo({ connections, inflight, size, binary, openParallel }) {
  const frame = maskedFrame(binary ? 2 : 1, payload(size, binary));
  const perConnection = Math.max(1, Math.round(inflight / connections));
  const batch = Buffer.concat(Array.from({ length: perConnection }, () => frame));
  let received = 0;
  let sending = true;
  const onMessages = (count, conn) => {
    received += count;
    if (!sending) return;
    for (let left = count; left > 0; left -= perConnection) {
      const n = Math.min(left, perConnection);
      conn.socket.write(n === perConnection ? batch : batch.subarray(0, n * frame.length));
    }
  };
  const { conns, failures, firstFailure } = await openAll(
    connections,
    openParallel,
    onMessages,
  );
  if (conns.length === 0) throw new Error(`no connection opened: ${firstFailure}`);
  for (const conn of conns) conn.socket.write(batch);
  const w = await window(() => received);
  sending = false;
  const peakKiB = serverStatusKiB("VmHWM");
  for (const conn of conns) conn.closing = true;
  return common(w, {
    connections: conns.length,
    connectFailures: failures,
    firstConnectFailure: firstFailure,
    serverPeakKiB: peakKiB,
  });
}

/** One connection through its whole life: open, one echo, close handshake, TCP gone. */
function cycle(frame, timeoutMs) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (ok, conn) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!ok) conn?.socket.destroy();
      resolve(ok);
    };
    let current;
    const timer = setTimeout(() => finish(false, current), timeoutMs);
    open(
      (count, conn) => {
        if (conn.echoed) return;
        // A raw TCP floor may be asked for the round trips a WebSocket cycle makes
        // (`config.floorTrips`: upgrade, echo, close), one echoed frame each.
        conn.trips = (conn.trips ?? 0) + count;
        if (TCP && conn.trips < FLOOR_TRIPS) {
          conn.socket.write(frame);
          return;
        }
        conn.echoed = true;
        conn.closing = true;
        // The server ends TCP after the close handshake; our side then ends too
        // (allowHalfOpen is off), and the socket's `close` completes the cycle.
        if (TCP) conn.socket.end();
        else conn.socket.write(CLOSE_FRAME);
      },
      (conn) => finish(conn.echoed === true, conn),
      timeoutMs,
    ).then((conn) => {
      current = conn;
      conn.socket.write(frame);
    }, () => finish(false, current));
  });
}

/** (s5) `parallel` loops of `cycle`: handshakes per second and server CPU per handshake. */
async function churn({ parallel, size }) {
  const frame = maskedFrame(1, payload(size, false));
  let cycles = 0;
  let failures = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      if (await cycle(frame, 5000)) cycles++;
      else failures++;
    }
  };
  const workers = Array.from({ length: parallel }, worker);
  const w = await window(() => cycles);
  running = false;
  await Promise.race([Promise.all(workers), sleep(6000)]);
  return common(w, { failures });
}

/**
 * Reads the server's RSS once a second until two readings in a row differ by
 * less than 2 % (at most `maxMs`); reports the larger of those two, so a GC
 * between them cannot pull the figure down.
 */
async function settledRss(maxMs) {
  const readings = [serverStatusKiB("VmRSS")];
  const start = now();
  while (now() - start < maxMs) {
    await sleep(1000);
    const previous = readings.at(-1);
    const current = serverStatusKiB("VmRSS");
    readings.push(current);
    if (Math.abs(current - previous) < 0.02 * previous) {
      return { kib: Math.max(current, previous), settled: true, readings };
    }
  }
  return { kib: readings.at(-1), settled: false, readings };
}

/** (s3) `count` open, idle connections: server RSS growth per connection, settled. */
async function idle({ count, openParallel, settleMaxMs, size }) {
  // One full connection first, so code loading and JIT are not charged to the count.
  if (!(await cycle(maskedFrame(1, payload(size, false)), 5000))) {
    throw new Error(`the warm-up connection failed (${stats.firstError ?? "no echo"})`);
  }
  await sleep(300);
  const before = await settledRss(settleMaxMs);
  const t0 = now();
  const { conns, failures, firstFailure } = await openAll(count, openParallel, () => {});
  const openSeconds = (now() - t0) / 1000;
  measuring = true;
  const after = await settledRss(settleMaxMs);
  measuring = false;
  for (const conn of conns) conn.closing = true;
  const growthKiB = after.kib - before.kib;
  return {
    open: conns.length,
    connectFailures: failures,
    firstConnectFailure: firstFailure,
    connectsPerSec: conns.length / openSeconds,
    rssBeforeMB: (before.kib * 1024) / 1e6,
    rssOpenMB: (after.kib * 1024) / 1e6,
    // Never negative: a server whose RSS shrank while connections opened is flagged instead.
    kibPerConn: Math.max(0, growthKiB) / Math.max(1, conns.length),
    shrank: growthKiB < 0,
    settled: before.settled && after.settled,
    readingsKiB: [...before.readings, "|", ...after.readings],
    unexpectedCloses: stats.unexpectedCloses,
    firstError: stats.firstError,
  };
}

/**
 * (s4) `connections` clients; one of them sends a `size`-byte trigger, the
 * server sends the message to every client (itself included). At most
 * `inflight` broadcasts are outstanding (deliveries not yet read). Reports
 * server CPU per delivered message.
 */
async function broadcast({ connections, inflight, size, openParallel }) {
  const frame = maskedFrame(1, payload(size, false));
  let delivered = 0;
  let sent = 0;
  let sending = false;
  let trigger = null;
  let total = 0;
  const pump = () => {
    while (sending && (sent - inflight + 1) * total <= delivered) {
      sent++;
      trigger.socket.write(frame);
    }
  };
  const { conns, failures, firstFailure } = await openAll(
    connections,
    openParallel,
    (count) => {
      delivered += count;
      pump();
    },
  );
  if (conns.length === 0) throw new Error(`no connection opened: ${firstFailure}`);
  total = conns.length;
  trigger = conns[0];
  sending = true;
  pump();
  const w = await window(() => delivered);
  sending = false;
  for (const conn of conns) conn.closing = true;
  return common(w, {
    connections: total,
    connectFailures: failures,
    firstConnectFailure: firstFailure,
  });
}

const WORKLOADS = { echo, idle, broadcast, churn };

// -------------------------------------------------------------------------- entry

const hardLimit = setTimeout(() => {
  console.log(`RESULT ${JSON.stringify({ error: "the load generator hit its time bound" })}`);
  process.exit(3);
}, config.timeLimitMs ?? 120_000);

try {
  const run = WORKLOADS[config.kind];
  if (run === undefined) throw new Error(`unknown workload kind ${config.kind}`);
  const result = await run(config);
  result.loadgenPeakRssMB = (Number(
    /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? NaN,
  ) * 1024) / 1e6;
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (error) {
  console.log(`RESULT ${JSON.stringify({ error: String(error?.message ?? error) })}`);
} finally {
  clearTimeout(hardLimit);
  // Sockets are left open on purpose: the server process is stopped next.
  process.exit(0);
}
