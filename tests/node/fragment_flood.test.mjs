// The built package under Node: fragment floods from a raw TCP client (node:net) against our
// server, and from a raw TCP server against our client. One message as 1,000,000 one-byte
// fragments must cost this process under 64 MiB of peak RSS (VmHWM, reset first through
// /proc/self/clear_refs; Linux only); 200,000 with the default limits close with 1009.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import helpers from "./helpers.cjs";

const { importPackage, recordEvents, startTcpServer, within } = helpers;
const MiB = 1024 * 1024;
const RSS_GROWTH_BOUND = 64 * MiB;
const FLOOD_MS = 60_000;
const T = { timeout: 120_000, skip: process.platform !== "linux" && "needs /proc (Linux)" };
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** @type {any} */
let webSocket;
before(async () => {
  webSocket = (await importPackage()).default;
});

/** One message as `count` one-byte frames, masked as a client sends them or not. */
function oneByteFragments(opcode, count, masked) {
  const size = masked ? 7 : 3;
  const out = Buffer.alloc(count * size);
  const key = [0x5a, 0x17, 0xc3, 0x08];
  for (let i = 0; i < count; i++) {
    const at = i * size;
    out[at] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? opcode : 0);
    out[at + 1] = (masked ? 0x80 : 0) | 1;
    const byte = 0x61 + (i % 26);
    if (masked) {
      out.set(key, at + 2);
      out[at + 6] = byte ^ key[0];
    } else {
      out[at + 2] = byte;
    }
  }
  return out;
}

function statusBytes(field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    fs.readFileSync("/proc/self/status", "utf8"),
  );
  return Number(match[1]) * 1024;
}

/** Measures the peak RSS growth while `body` runs. */
async function peakGrowth(body) {
  const before = statusBytes("VmRSS");
  fs.writeFileSync("/proc/self/clear_refs", "5");
  await body();
  return statusBytes("VmHWM") - before;
}

function assertBounded(growth, what) {
  assert.ok(
    growth < RSS_GROWTH_BOUND,
    `${what}: RSS grew by ${(growth / MiB).toFixed(1)} MiB (bound ${RSS_GROWTH_BOUND / MiB} MiB)`,
  );
}

/** Collects what a socket receives; `until(check)` waits (bounded) for `check(bytes)` to hold. */
function collect(socket) {
  let bytes = Buffer.alloc(0);
  const waiters = new Set();
  socket.on("data", (chunk) => {
    bytes = Buffer.concat([bytes, chunk]);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    until(check, what, ms = FLOOD_MS) {
      return within(
        ms,
        what,
        new Promise((resolve) => {
          const waiter = () => {
            const value = check(bytes);
            if (value !== undefined) {
              waiters.delete(waiter);
              resolve(value);
            }
          };
          waiters.add(waiter);
          waiter();
        }),
      );
    },
  };
}

/** The close code of the first close frame after the HTTP head, or undefined. */
function closeCodeIn(bytes, skipHead) {
  let at = 0;
  if (skipHead) {
    const end = bytes.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    at = end + 4;
  }
  while (at + 2 <= bytes.length) {
    const masked = (bytes[at + 1] & 0x80) !== 0;
    let length = bytes[at + 1] & 0x7f;
    let head = 2;
    if (length === 126) [length, head] = [bytes.readUInt16BE(at + 2), 4];
    if (length === 127) [length, head] = [Number(bytes.readBigUInt64BE(at + 2)), 10];
    if (masked) head += 4;
    if (at + head + length > bytes.length) return undefined;
    if ((bytes[at] & 0x0f) === 0x8) {
      const payload = Buffer.from(bytes.subarray(at + head, at + head + length));
      if (masked) {
        for (let i = 0; i < payload.length; i++) payload[i] ^= bytes[at + head - 4 + (i & 3)];
      }
      return payload.readUInt16BE(0);
    }
    at += head + length;
  }
  return undefined;
}

async function upgradedRawClient(port) {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  const received = collect(socket);
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await received.until((b) => (b.includes("\r\n\r\n") ? true : undefined), "101", 5000);
  return { socket, received };
}

async function floodServer(config) {
  const server = webSocket.createWebSocketServer();
  const messages = [];
  const closes = [];
  const wake = new Set();
  const note = () => [...wake].forEach((w) => w());
  server.on("messageReceive", (m) => {
    messages.push(typeof m.data === "string" ? m.data.length : m.data.byteLength);
    note();
  });
  server.on("close", (_connection, result) => {
    closes.push(result.code);
    note();
  });
  server.on("error", () => {});
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, ...config });
  const port = server.address().serverPort;
  const { socket, received } = await upgradedRawClient(port);
  const waitFor = (list, what) =>
    within(
      FLOOD_MS,
      what,
      new Promise((resolve) => {
        const check = () => list.length > 0 && (wake.delete(check), resolve(list[0]));
        wake.add(check);
        check();
      }),
    );
  return { server, socket, received, messages, closes, waitFor };
}

test(
  "server on Node: one message as 1,000,000 one-byte fragments from a raw client costs under 64 MiB of RSS and arrives whole (maxMessageFragments raised)",
  T,
  async () => {
    const flood = oneByteFragments(0x2, 1_000_000, true);
    const run = await floodServer({ maxMessageFragments: 2_000_000 });
    try {
      const growth = await peakGrowth(async () => {
        run.socket.write(flood);
        assert.equal(await run.waitFor(run.messages, "message"), 1_000_000);
      });
      assertBounded(growth, "1,000,000 fragments");
    } finally {
      run.socket.destroy();
      await run.server.stop();
    }
  },
);

test(
  "server on Node: 200,000 one-byte fragments with the default limits → close 1009, bounded RSS",
  T,
  async () => {
    const flood = oneByteFragments(0x2, 200_000, true);
    const run = await floodServer({});
    try {
      const growth = await peakGrowth(async () => {
        run.socket.write(flood);
        const code = await run.received.until((b) => closeCodeIn(b, true), "close frame");
        assert.equal(code, 1009);
        run.socket.destroy();
        assert.equal(await run.waitFor(run.closes, "close event"), 1009);
      });
      assert.equal(run.messages.length, 0, "nothing was delivered");
      assertBounded(growth, "200,000 fragments");
    } finally {
      run.socket.destroy();
      await run.server.stop();
    }
  },
);

function acceptValue(key) {
  return createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
}

/**
 * A raw TCP server that answers the client's upgrade request with 101 and then writes
 * `flood`; `sent()` is what the client sent (its request, then its frames).
 */
async function floodingPeer(flood) {
  let received;
  const tcp = await startTcpServer((socket) => {
    received = collect(socket);
    const key = (bytes) => /sec-websocket-key:\s*(\S+)\r\n/i.exec(bytes.toString("latin1"))?.[1];
    received.until(key, "upgrade request", 5000).then((clientKey) => {
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${acceptValue(clientKey)}\r\n\r\n`,
      );
      socket.write(flood);
    }, () => {});
  });
  return { tcp, sent: () => received };
}

async function floodClient(flood, options) {
  const peer = await floodingPeer(flood);
  const ws = webSocket.createWebSocket();
  const events = recordEvents(ws);
  await within(
    5000,
    "connect",
    ws.connect(`ws://127.0.0.1:${peer.tcp.port}/`, { pingInterval: 0, ...options }),
  );
  return { peer, events };
}

test(
  "client on Node: one message as 1,000,000 one-byte fragments from a raw server costs under 64 MiB of RSS and arrives whole (maxMessageFragments raised)",
  T,
  async () => {
    const flood = oneByteFragments(0x2, 1_000_000, false);
    let run;
    try {
      const growth = await peakGrowth(async () => {
        run = await floodClient(flood, { maxMessageFragments: 2_000_000 });
        const message = await run.events.next("message", FLOOD_MS);
        assert.equal(message.byteLength, 1_000_000);
      });
      assertBounded(growth, "1,000,000 fragments");
    } finally {
      await run?.peer.tcp.close();
      await run?.events.next("close");
    }
  },
);

test(
  "client on Node: 200,000 one-byte fragments with the default limits → the client closes with 1009 (error 2302999), bounded RSS",
  T,
  async () => {
    const flood = oneByteFragments(0x2, 200_000, false);
    let run;
    try {
      const growth = await peakGrowth(async () => {
        run = await floodClient(flood, {});
        assert.equal((await run.events.next("error", FLOOD_MS)).code, 2302999);
        const code = await run.peer.sent().until((b) => closeCodeIn(b, true), "close frame");
        assert.equal(code, 1009);
      });
      assert.equal(run.events.types().includes("message"), false, "nothing was delivered");
      assertBounded(growth, "200,000 fragments");
    } finally {
      await run?.peer.tcp.close();
      assert.equal((await run?.events.next("close"))?.code, 1009);
    }
  },
);
