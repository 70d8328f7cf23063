// The Node transport of the BUILT package (npm/esm/src/transport/*.js, loaded by path: it is
// internal, not a package export): the ByteStream contract on node:net / node:tls, against
// plain TCP and TLS servers on 127.0.0.1.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as net from "node:net";
import * as tls from "node:tls";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";
import helpers from "./helpers.cjs";

const { builtModulePath, startTcpServer, testCerts, within } = helpers;
const T = { timeout: 15_000 };

const { connectNode, nodeTlsOptions, NodeByteStream } = await import(
  pathToFileURL(builtModulePath("esm/src/transport/node_stream.js")).href
);
const { defaultConnector } = await import(
  pathToFileURL(builtModulePath("esm/src/transport/default_connector.js")).href
);

/** A reader that records what a ByteStream delivers. */
function recordingReader() {
  const chunks = [];
  const ends = [];
  let resolveEnd;
  const ended = new Promise((resolve) => resolveEnd = resolve);
  return {
    chunks,
    ends,
    ended: () => within(5000, "reader.end", ended),
    bytes: () => Buffer.concat(chunks.map((c) => Buffer.from(c))),
    data(chunk) {
      assert.equal(
        Object.getPrototypeOf(chunk),
        Uint8Array.prototype,
        "chunks are plain Uint8Arrays",
      );
      chunks.push(chunk);
    },
    end(error) {
      ends.push(error);
      resolveEnd(error);
    },
  };
}

/** What a link makes of a stream's failure, for the promises of `written`. */
const sendFailure = {
  describeWriteFailure: (error) => new Error(`send failed: ${error.message}`),
};

/**
 * A TCP server whose first accepted socket is paused (nothing is read until the test resumes
 * it); `connected` resolves with that socket.
 */
async function startPausedServer() {
  let accepted;
  const connected = new Promise((resolve) => (accepted = resolve));
  const server = await startTcpServer((socket) => {
    socket.pause();
    accepted(socket);
  });
  return { server, connected };
}

/** A connected socket whose writes are logged: each one's length and whether it had a callback. */
async function connectLoggingWrites(port) {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  await within(5000, "connect", new Promise((resolve) => socket.once("connect", resolve)));
  const writes = [];
  const write = socket.write.bind(socket);
  socket.write = (data, callback) => {
    writes.push({ length: data.length, callback: callback !== undefined });
    return write(data, callback);
  };
  return { socket, writes };
}

/**
 * A NodeByteStream over a logged socket (see connectLoggingWrites) to the paused server of
 * startPausedServer, and the chunks that server receives once resumed.
 */
async function streamToPausedPeer(server, connected) {
  const { socket, writes } = await connectLoggingWrites(server.port);
  const stream = new NodeByteStream(socket);
  stream.startReading(recordingReader());
  const serverSocket = await within(5000, "accepted", connected);
  const received = [];
  serverSocket.on("data", (chunk) => received.push(chunk));
  return { stream, writes, serverSocket, received };
}

/**
 * Waits for the peer's end, then checks that `count` runs of `size` bytes arrived, run i filled
 * with `i & 0xff`, each whole and in its place.
 */
async function assertRunsArrived(serverSocket, received, count, size, what) {
  await within(5000, "peer end", new Promise((resolve) => serverSocket.on("end", resolve)));
  const bytes = Buffer.concat(received);
  assert.equal(bytes.length, count * size, "every byte arrived");
  for (let i = 0; i < count; i++) {
    assert.equal(bytes[i * size], i & 0xff, `${what} ${i} in its place`);
    assert.equal(bytes[(i + 1) * size - 1], i & 0xff, `${what} ${i} whole`);
  }
}

/**
 * Calls `writeOne(index)` for batch 0, 1, …, each in its own turn, until a batch stays in flight
 * (the socket buffers take a few MiB while the peer reads nothing): at most 8192 batches. Returns
 * how many were written.
 */
async function writeUntilInFlight(stream, writeOne) {
  let batches = 0;
  for (; batches < 8192 && stream.bufferedBytes === 0; batches++) {
    writeOne(batches);
    await Promise.resolve();
  }
  return batches;
}

/** Resolves with everything a server-side socket received once the peer ended it. */
function collect(socket) {
  return within(
    5000,
    "server received everything",
    new Promise((resolve) => {
      const parts = [];
      socket.on("data", (chunk) => parts.push(chunk));
      socket.on("end", () => resolve(Buffer.concat(parts)));
    }),
  );
}

test("defaultConnector() is connectNode when globalThis.Deno is absent", () => {
  assert.equal("Deno" in globalThis, false);
  assert.equal(defaultConnector(), connectNode);
  assert.equal(defaultConnector({ hostname: "127.0.0.1", port: 1 }), connectNode);
});

test("the CommonJS build exposes the same transport", () => {
  const require = createRequire(import.meta.url);
  const cjs = require(builtModulePath("script/src/transport/node_stream.js"));
  assert.equal(typeof cjs.connectNode, "function");
  assert.equal(typeof cjs.NodeByteStream, "function");
});

describe("TCP", () => {
  test(
    "writeRange: ranges and whole buffers written together arrive in the order written, and bufferedBytes counts both",
    T,
    async () => {
      let received;
      const server = await startTcpServer((socket) => {
        received = collect(socket);
      });
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        stream.startReading(recordingReader());
        const block = new Uint8Array(200).map((_, i) => i);
        stream.write(new Uint8Array([1]));
        stream.writeRange(block, 0, 50);
        stream.writeRange(block, 50, 120);
        stream.write(new Uint8Array([250, 251]));
        stream.writeRange(block, 120, 200);
        assert.equal(stream.bufferedBytes, 1 + 200 + 2);
        await within(5000, "drained", stream.drained());
        assert.equal(stream.bufferedBytes, 0);
        stream.closeWrite();
        assert.deepEqual(
          [...(await received)],
          [1, ...block.subarray(0, 120), 250, 251, ...block.subarray(120)],
        );
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "drained() promises resolve in order, bytes arrive in the order written, bufferedBytes counts what is unwritten; closeWrite sends FIN after them",
    T,
    async () => {
      let received;
      const server = await startTcpServer((socket) => {
        received = collect(socket);
      });
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        assert.deepEqual(stream.remoteAddress, { hostname: "127.0.0.1", port: server.port });
        assert.equal(stream.tlsVersion, undefined);
        const reader = recordingReader();
        stream.startReading(reader);
        const expected = [];
        const order = [];
        const writes = [];
        for (let i = 0; i < 300; i++) {
          const size = i % 50 === 0 ? 100_000 : 1 + (i % 7);
          const chunk = new Uint8Array(size).fill(i & 0xff);
          expected.push(chunk);
          stream.write(chunk);
          writes.push(stream.drained().then(() => order.push(i)));
        }
        // The writes of one turn leave as one batch and share its promise.
        assert.equal(stream.drained(), stream.drained(), "calls in one turn share one promise");
        assert.equal(
          stream.bufferedBytes,
          expected.reduce((sum, chunk) => sum + chunk.length, 0),
          "nothing is written before the turn ends",
        );
        stream.closeWrite();
        await within(5000, "writes", Promise.all(writes));
        assert.equal(stream.bufferedBytes, 0, "everything is written");
        assert.deepEqual(
          order,
          [...order].sort((a, b) => a - b),
          "write promises resolve in order",
        );
        assert.deepEqual(await received, Buffer.concat(expected));
        stream.close();
        await within(5000, "finished", stream.finished);
        assert.equal(reader.ends.length, 1);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "batches handed to the socket before any is written settle in order, each once (one write callback per stream serves them all); written() resolves true, or rejects with the describer's error",
    T,
    async () => {
      // Not read at first, so that the batches stay in flight.
      const { server, connected } = await startPausedServer();
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        stream.startReading(recordingReader());
        const serverSocket = await within(5000, "accepted", connected);
        // Beyond what the socket buffers take (a few MiB): the batches stay in flight.
        const size = 16 * 1024 * 1024;
        const outcomes = [];
        const drained = [];
        const written = [];
        for (let i = 0; i < 3; i++) {
          stream.write(new Uint8Array(size).fill(i + 1));
          drained.push(
            stream.drained().then(() => outcomes.push(i), (error) => outcomes.push(error)),
          );
          written.push(stream.written(sendFailure).then((value) => value, (error) => error));
          // Its own turn: each write is handed to the socket as a batch of its own.
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal(stream.bufferedBytes, 3 * size, "three batches in flight, all counted");
        serverSocket.resume();
        await within(5000, "first batch", drained[0]);
        assert.deepEqual(outcomes, [0], "the first batch settles first, alone");
        assert.equal(await written[0], true);
        assert.ok(stream.bufferedBytes <= 2 * size, "its bytes are no longer counted");
        serverSocket.pause();
        stream.close();
        await within(5000, "the rest", Promise.all(drained));
        // Node reports a write already handed to the system as done even when the socket is
        // destroyed under it, and fails those it still buffered: done ones first, failed after.
        assert.equal(outcomes.length, 3);
        const failedFrom = outcomes.findIndex((outcome) => outcome instanceof Error);
        const doneCount = failedFrom === -1 ? 3 : failedFrom;
        assert.deepEqual(outcomes.slice(0, doneCount), [0, 1, 2].slice(0, doneCount), "in order");
        assert.ok(outcomes.slice(doneCount).every((outcome) => outcome instanceof Error));
        for (let i = 1; i < 3; i++) {
          const outcome = await written[i];
          if (i >= doneCount) assert.match(String(outcome), /^Error: send failed: /);
          else assert.equal(outcome, true, `batch ${i} was written: true`);
        }
        // A write after the close fails at once; its send promise carries the describer's error.
        stream.write(new Uint8Array(1));
        await assert.rejects(stream.written(sendFailure), /^Error: send failed: /);
        assert.equal(stream.bufferedBytes, 0);
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a small write the system takes whole is made without a write callback and settles in the flush (no tick, no callback bookkeeping per write)",
    T,
    async () => {
      let received;
      const server = await startTcpServer((socket) => {
        received = collect(socket);
      });
      try {
        const { socket, writes } = await connectLoggingWrites(server.port);
        const stream = new NodeByteStream(socket);
        stream.startReading(recordingReader());
        stream.write(new Uint8Array([1, 2, 3]));
        const sent = stream.written(sendFailure);
        assert.equal(stream.bufferedBytes, 3, "held until the turn ends");
        await Promise.resolve(); // the flush's microtask runs first: it was queued by the write
        assert.deepEqual(writes, [{ length: 3, callback: false }], "one write, no callback");
        assert.equal(stream.bufferedBytes, 0, "settled in the flush, before any tick");
        assert.equal(await sent, true);
        stream.closeWrite();
        assert.deepEqual([...(await received)], [1, 2, 3]);
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "small writes under back-pressure: the one the system takes in part is followed by an empty write whose callback settles it; every batch settles once, in order, and every byte arrives in order",
    T,
    async () => {
      const { server, connected } = await startPausedServer();
      try {
        const { stream, writes, serverSocket, received } = await streamToPausedPeer(
          server,
          connected,
        );
        const size = 8 * 1024;
        // Each batch's buffer comes back once: a batch settled twice would give it back twice.
        const recycled = [];
        const recycleOf = (index) => () => recycled.push(index);
        const outcomes = [];
        const sent = [];
        const writeOne = (index) => {
          stream.write(new Uint8Array(size).fill(index & 0xff), recycleOf(index));
          stream.drained().then(() => outcomes.push(index), (error) => outcomes.push(error));
          sent.push(stream.written(sendFailure));
        };
        let batches = await writeUntilInFlight(stream, writeOne);
        assert.ok(stream.bufferedBytes > 0, "a batch stayed in flight");
        assert.deepEqual(
          writes.at(-1),
          { length: 0, callback: true },
          "the end of the batch in flight is marked by an empty write with a callback",
        );
        assert.ok(writes.slice(0, -1).every((w) => w.length === size && !w.callback));
        // Three more, each in its own turn, behind the one in flight: handed over with callbacks.
        for (let i = 0; i < 3; i++, batches++) {
          writeOne(batches);
          await Promise.resolve();
        }
        assert.deepEqual(writes.slice(-3).map((w) => w.callback), [true, true, true]);
        serverSocket.resume();
        assert.deepEqual(await within(5000, "every send", Promise.all(sent)), sent.map(() => true));
        await within(5000, "drained", stream.drained());
        assert.deepEqual(outcomes, [...Array(batches).keys()], "each batch once, in order");
        assert.deepEqual(recycled, [...Array(batches).keys()], "each buffer back once, in order");
        assert.equal(stream.bufferedBytes, 0);
        stream.closeWrite();
        await assertRunsArrived(serverSocket, received, batches, size, "batch");
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a small range written to an idle stream outside a read goes to the socket inside writeRange, with no callback and settled at once; the rest of that turn's ranges leave batched behind it in one write; the next turn starts afresh",
    T,
    async () => {
      let received;
      const server = await startTcpServer((socket) => {
        received = collect(socket);
      });
      try {
        const { socket, writes } = await connectLoggingWrites(server.port);
        const stream = new NodeByteStream(socket);
        stream.startReading(recordingReader());
        const block = new Uint8Array(100).map((_, i) => i);
        stream.writeRange(block, 0, 10);
        assert.deepEqual(writes, [{ length: 10, callback: false }], "written inside the call");
        assert.equal(stream.bufferedBytes, 0, "and nothing left to write");
        const first = stream.written(sendFailure);
        stream.writeRange(block, 10, 30);
        stream.writeRange(block, 30, 50);
        assert.equal(writes.length, 1, "the others wait for the end of the turn");
        assert.equal(stream.bufferedBytes, 40);
        const rest = stream.written(sendFailure);
        await Promise.resolve();
        assert.deepEqual(writes.at(-1), { length: 40, callback: false }, "one write for both");
        assert.equal(await first, true);
        assert.equal(await rest, true);
        await new Promise((resolve) => setImmediate(resolve));
        stream.writeRange(block, 50, 100);
        assert.deepEqual(
          writes.at(-1),
          { length: 50, callback: false },
          "a new turn writes at once",
        );
        stream.closeWrite();
        assert.deepEqual([...(await received)], [...block]);
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a range written at once that the system takes only in part is waited for: it counts in bufferedBytes, an empty write's callback settles it, and what is written next queues behind it; every byte arrives in order",
    T,
    async () => {
      const { server, connected } = await startPausedServer();
      try {
        const { stream, writes, serverSocket, received } = await streamToPausedPeer(
          server,
          connected,
        );
        const size = 16 * 1024;
        const blocks = [];
        const sent = [];
        const writeOne = (index) => {
          const block = new Uint8Array(size).fill(index & 0xff);
          blocks.push(block);
          stream.writeRange(block, 0, size);
          sent.push(stream.written(sendFailure));
        };
        let ranges = await writeUntilInFlight(stream, writeOne);
        assert.ok(stream.bufferedBytes > 0, "a range stayed in flight");
        assert.deepEqual(writes.at(-1), { length: 0, callback: true }, "marked by an empty write");
        assert.ok(
          writes.slice(0, -1).every((w) => w.length === size && !w.callback),
          "each range before it was written at once",
        );
        // Behind the one in flight: batched, in order, with callbacks.
        for (let i = 0; i < 3; i++, ranges++) writeOne(ranges);
        await Promise.resolve();
        assert.deepEqual(writes.at(-1), { length: 3 * size, callback: true });
        serverSocket.resume();
        assert.deepEqual(await within(5000, "every send", Promise.all(sent)), sent.map(() => true));
        await within(5000, "drained", stream.drained());
        assert.equal(stream.bufferedBytes, 0);
        stream.closeWrite();
        await assertRunsArrived(serverSocket, received, ranges, size, "range");
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "closeWhenWritten with a small batch the system took only in part closes once every byte is out: the peer reads them all, then the end",
    T,
    async () => {
      const { server, connected } = await startPausedServer();
      try {
        const { socket, writes } = await connectLoggingWrites(server.port);
        const stream = new NodeByteStream(socket);
        const reader = recordingReader();
        stream.startReading(reader);
        const serverSocket = await within(5000, "accepted", connected);
        const received = [];
        serverSocket.on("data", (chunk) => received.push(chunk));
        const peerEnded = new Promise((resolve) => serverSocket.on("end", resolve));
        const size = 8 * 1024;
        const batches = await writeUntilInFlight(
          stream,
          (index) => stream.write(new Uint8Array(size).fill(index & 0xff)),
        );
        assert.ok(stream.bufferedBytes > 0, "a batch stayed in flight");
        assert.deepEqual(writes.at(-1), { length: 0, callback: true }, "its end is marked");
        const sent = stream.written(sendFailure);
        stream.closeWhenWritten();
        assert.equal(socket.destroyed, false, "not closed while bytes are in the socket");
        serverSocket.resume();
        assert.equal(await within(5000, "written", sent), true);
        await within(5000, "peer end", peerEnded);
        const bytes = Buffer.concat(received);
        assert.equal(bytes.length, batches * size, "every byte arrived before the end");
        assert.equal(bytes[bytes.length - 1], (batches - 1) & 0xff, "the last batch last");
        assert.equal(await reader.ended(), undefined);
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "close() with a batch still in the socket fails that batch (Node answers a write the destroy cancels as if done), while one already out stays written",
    T,
    async () => {
      const { server, connected } = await startPausedServer();
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        stream.startReading(recordingReader());
        await within(5000, "accepted", connected);
        stream.write(new Uint8Array([1, 2, 3])); // small: out at once
        const first = stream.written(sendFailure);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(await first, true);
        // Beyond what the socket buffers take (a few MiB) while the peer reads nothing.
        stream.write(new Uint8Array(16 * 1024 * 1024).fill(7));
        const cut = stream.written(sendFailure);
        const cutDrained = stream.drained();
        await new Promise((resolve) => setImmediate(resolve));
        assert.ok(stream.bufferedBytes > 0, "still in the socket");
        stream.close();
        // Node 20 calls the cancelled write back without an error (the stream fails it: "closed
        // before these bytes were written"); Node 22+ says ECANCELED and Bun "Socket is closed".
        await Promise.all([
          assert.rejects(within(5000, "cut off", cut), /^Error: send failed: /),
          assert.rejects(cutDrained),
        ]);
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a socket someone else destroyed takes no write: a small write is refused, never reported written (Node would answer it as if done: writableLength 0, errored null)",
    T,
    async () => {
      const server = await startTcpServer((socket) => socket.resume());
      try {
        const { socket, writes } = await connectLoggingWrites(server.port);
        const stream = new NodeByteStream(socket);
        const reader = recordingReader();
        stream.startReading(reader);
        socket.destroy();
        stream.write(new Uint8Array([1, 2, 3]));
        const sent = stream.written(sendFailure);
        await assert.rejects(within(5000, "refused", stream.drained()), /closed/);
        await assert.rejects(sent, /^Error: send failed: /);
        assert.deepEqual(writes, [], "nothing was handed to the socket");
        assert.equal(await reader.ended(), undefined);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a write without a callback that fails at once (Node sets errored in the call) settles its batch as failed: drained and written reject, later writes are refused",
    T,
    async () => {
      // A stand-in that behaves as Node does when a write fails inside the call: the bytes
      // are no longer counted (writableLength 0), `errored` holds the error, 'error' comes later.
      const failure = new Error("EPIPE: broken pipe, write");
      const listeners = {};
      const socket = {
        destroyed: false,
        writableEnded: false,
        writableLength: 0,
        errored: null,
        remoteAddress: "127.0.0.1",
        remotePort: 9,
        on(event, listener) {
          (listeners[event] ??= []).push(listener);
        },
        writes: 0,
        write(_data, callback) {
          this.writes++;
          assert.equal(callback, undefined, "made without a callback");
          this.errored = failure;
          setImmediate(() => {
            this.destroyed = true;
            for (const listener of listeners.error ?? []) listener(failure);
            for (const listener of listeners.close ?? []) listener();
          });
          return false;
        },
        end() {},
        destroy() {
          this.destroyed = true;
        },
        resume() {},
        cork() {},
        uncork() {},
      };
      const stream = new NodeByteStream(socket);
      const reader = recordingReader();
      stream.startReading(reader);
      stream.write(new Uint8Array([1, 2]));
      const drained = stream.drained();
      const sent = stream.written(sendFailure);
      await assert.rejects(within(5000, "drained", drained), /EPIPE/);
      await assert.rejects(sent, /^Error: send failed: EPIPE/);
      assert.equal(stream.bufferedBytes, 0);
      stream.write(new Uint8Array([3]));
      await Promise.resolve(); // the turn's flush, were anything queued
      assert.equal(socket.writes, 1, "refused at once: nothing more reaches the socket");
      await assert.rejects(stream.drained(), /EPIPE/, "the stream writes nothing more");
      assert.equal(await reader.ended(), failure);
    },
  );

  test(
    "a socket whose write side someone else ended (Node ends it after the peer's FIN without allowHalfOpen) takes no more writes: the write is refused at once, and the batch still in flight settles with its own outcome",
    T,
    async () => {
      const { server, connected } = await startPausedServer();
      try {
        const socket = net.connect({ host: "127.0.0.1", port: server.port, allowHalfOpen: false });
        await within(5000, "connect", new Promise((resolve) => socket.once("connect", resolve)));
        const stream = new NodeByteStream(socket);
        const reader = recordingReader();
        stream.startReading(reader);
        const serverSocket = await within(5000, "accepted", connected);
        stream.write(new Uint8Array(16 * 1024 * 1024).fill(1)); // stays in flight: not read yet
        await new Promise((resolve) => setImmediate(resolve));
        const first = stream.drained();
        const firstSent = stream.written(sendFailure);
        serverSocket.end(); // FIN: Node ends our write side (allowHalfOpen false)
        await reader.ended();
        for (let i = 0; i < 10 && !socket.writableEnded; i++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.equal(socket.writableEnded, true, "Node ended the write side");
        stream.write(new Uint8Array(1));
        await assert.rejects(within(5000, "refused", stream.drained()), /closed/);
        await assert.rejects(stream.written(sendFailure), /^Error: send failed: /);
        serverSocket.resume(); // the first batch can now be written
        await within(5000, "first batch", first);
        assert.equal(await firstSent, true, "the batch in flight kept its own outcome");
        stream.close();
        await within(5000, "finished", stream.finished);
      } finally {
        await server.close();
      }
    },
  );

  test(
    "after closeWrite the read side stays open until the peer ends; end(undefined) is reported once",
    T,
    async () => {
      const server = await startTcpServer((socket) => {
        socket.on("end", () => socket.end("bye"));
        socket.resume();
      });
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        const reader = recordingReader();
        stream.startReading(reader);
        stream.closeWrite();
        assert.equal(await reader.ended(), undefined);
        assert.equal(reader.bytes().toString(), "bye");
        await within(5000, "finished", stream.finished);
        stream.close();
        stream.close();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(reader.ends, [undefined], "end is reported exactly once");
      } finally {
        await server.close();
      }
    },
  );

  test("a write after closeWrite rejects (no unhandled 'error' event)", T, async () => {
    const server = await startTcpServer((socket) => socket.resume());
    try {
      const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
      const reader = recordingReader();
      stream.startReading(reader);
      stream.closeWrite();
      stream.write(new Uint8Array([1]));
      await assert.rejects(within(5000, "write", stream.drained()));
      stream.close();
      assert.equal(await reader.ended(), undefined);
    } finally {
      await server.close();
    }
  });

  test("close() ends reading with end(undefined), once, and finished resolves", T, async () => {
    const server = await startTcpServer(() => {});
    try {
      const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
      const reader = recordingReader();
      stream.startReading(reader);
      stream.close();
      assert.equal(await reader.ended(), undefined);
      await within(5000, "finished", stream.finished);
      let recycled = null;
      const bytes = new Uint8Array([1]);
      stream.write(bytes, (back) => (recycled = back));
      await assert.rejects(stream.drained());
      assert.equal(recycled, bytes, "a dropped write is handed back to its recycler");
      assert.equal(reader.ends.length, 1);
    } finally {
      await server.close();
    }
  });

  test("a peer reset reports end(error) exactly once", T, async () => {
    const server = await startTcpServer((socket) =>
      socket.on("data", () => socket.resetAndDestroy())
    );
    try {
      const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
      const reader = recordingReader();
      stream.startReading(reader);
      stream.write(new Uint8Array([1, 2, 3]));
      await stream.drained();
      const error = await reader.ended();
      assert.ok(error instanceof Error, "a reset is an error");
      assert.equal(error.code, "ECONNRESET");
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(reader.ends.length, 1);
      stream.close();
    } finally {
      await server.close();
    }
  });

  test(
    "bytes and the end that arrive before startReading are delivered once reading starts",
    T,
    async () => {
      const server = await startTcpServer((socket) => socket.end("early"));
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        await new Promise((resolve) => setTimeout(resolve, 50));
        const reader = recordingReader();
        stream.startReading(reader);
        assert.equal(await reader.ended(), undefined);
        assert.equal(reader.bytes().toString(), "early");
        stream.close();
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a reader whose data() throws gets end(that error) once; nothing escapes as uncaught",
    T,
    async () => {
      const server = await startTcpServer((socket) => socket.write("boom"));
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        const failure = new Error("reader failed");
        const ends = [];
        const ended = new Promise((resolve) => {
          stream.startReading({
            data() {
              throw failure;
            },
            end(error) {
              ends.push(error);
              resolve(error);
            },
          });
        });
        assert.equal(await within(5000, "reader.end", ended), failure);
        await within(5000, "finished", stream.finished);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(ends, [failure]);
        stream.close();
      } finally {
        await server.close();
      }
    },
  );

  test(
    "a reader whose end() throws: the error is reported, finished still resolves, nothing escapes a socket event",
    T,
    async () => {
      const server = await startTcpServer((socket) => socket.end("bye"));
      const reported = [];
      const original = console.error;
      console.error = (...args) => reported.push(args[1]);
      try {
        const stream = await connectNode({ hostname: "127.0.0.1", port: server.port });
        const failure = new Error("end failed");
        stream.startReading({
          data() {},
          end() {
            throw failure;
          },
        });
        const early = stream.finished; // asked before the end arrives: made on demand
        await within(5000, "finished asked early", early);
        await within(5000, "finished asked late", stream.finished);
        assert.deepEqual(reported, [failure]);
        stream.close();
      } finally {
        console.error = original;
        await server.close();
      }
    },
  );

  test("a refused connection rejects connectNode", T, async () => {
    const server = await startTcpServer(() => {});
    const port = server.port;
    await server.close();
    await assert.rejects(within(5000, "connect", connectNode({ hostname: "127.0.0.1", port })), {
      code: "ECONNREFUSED",
    });
  });
});

/** A TLS server on 127.0.0.1 that echoes and records the SNI name of each connection. */
async function startTlsEcho(options) {
  const names = [];
  const sockets = new Set();
  const server = tls.createServer(options, (socket) => {
    names.push(socket.servername);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  server.on("tlsClientError", () => {});
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    names,
    async close() {
      for (const socket of sockets) socket.destroy();
      await within(5000, "tls server close", new Promise((resolve) => server.close(resolve)));
    },
  };
}

/** Connects, sends `text`, reads the echo back, closes. */
async function echoOnce(options, text = "ping") {
  const stream = await within(5000, "connect", connectNode(options));
  const reader = recordingReader();
  stream.startReading(reader);
  stream.write(new TextEncoder().encode(text));
  await stream.drained();
  await within(
    5000,
    "echo",
    (async () => {
      while (reader.bytes().length < text.length) await new Promise((r) => setTimeout(r, 5));
    })(),
  );
  assert.equal(reader.bytes().toString(), text);
  const version = stream.tlsVersion;
  stream.close();
  await reader.ended();
  return version;
}

describe("TLS", () => {
  test("nodeTlsOptions: extra CAs are added to Node's default roots, not instead of them", () => {
    const certs = testCerts();
    const options = nodeTlsOptions(tls, (s) => (/^[\d.]+$/.test(s) ? 4 : 0), {
      serverName: "example.com",
      caCerts: [certs.ca.pem],
    });
    assert.ok(options.ca.length > tls.rootCertificates.length - 1);
    for (const root of tls.rootCertificates) assert.ok(options.ca.includes(root));
    assert.equal(options.ca.at(-1), certs.ca.pem);
    assert.equal(options.rejectUnauthorized, true, "verification is on by default");
    assert.equal(options.servername, "example.com");
    const noExtra = nodeTlsOptions(tls, () => 0, { serverName: "example.com" });
    assert.equal(noExtra.ca, undefined, "without extra CAs Node keeps its own defaults");
  });

  test(
    "with the test CA in caCerts the chain and the IP name verify; an IP is not sent as SNI",
    T,
    async () => {
      const certs = testCerts();
      const server = await startTlsEcho({ cert: certs.serverCert.pem, key: certs.serverKey.pem });
      try {
        const version = await echoOnce({
          hostname: "127.0.0.1",
          port: server.port,
          tls: { serverName: "127.0.0.1", caCerts: [certs.ca.pem] },
        });
        assert.match(version, /^TLSv1\.[23]$/, "tlsVersion reports the negotiated version");
        await echoOnce({
          hostname: "127.0.0.1",
          port: server.port,
          tls: { serverName: "localhost", caCerts: [certs.ca.pem] },
        });
        assert.deepEqual(server.names, [false, "localhost"]);
      } finally {
        await server.close();
      }
    },
  );

  test("the chain is verified by default: an unknown CA rejects", T, async () => {
    const certs = testCerts();
    const server = await startTlsEcho({ cert: certs.serverCert.pem, key: certs.serverKey.pem });
    try {
      await assert.rejects(
        within(
          5000,
          "connect",
          connectNode({
            hostname: "127.0.0.1",
            port: server.port,
            tls: { serverName: "127.0.0.1" },
          }),
        ),
        (error) => /certificate/i.test(error.message),
      );
    } finally {
      await server.close();
    }
  });

  test(
    "the host name is verified by default: serverName not in the certificate rejects",
    T,
    async () => {
      const certs = testCerts();
      const server = await startTlsEcho({ cert: certs.wrongCert.pem, key: certs.wrongKey.pem });
      try {
        await assert.rejects(
          within(
            5000,
            "connect",
            connectNode({
              hostname: "127.0.0.1",
              port: server.port,
              tls: { serverName: "127.0.0.1", caCerts: [certs.ca.pem] },
            }),
          ),
          { code: "ERR_TLS_CERT_ALTNAME_INVALID" },
        );
      } finally {
        await server.close();
      }
    },
  );

  test("verify: false accepts an untrusted certificate with a wrong name", T, async () => {
    const certs = testCerts();
    const server = await startTlsEcho({ cert: certs.wrongCert.pem, key: certs.wrongKey.pem });
    try {
      await echoOnce({
        hostname: "127.0.0.1",
        port: server.port,
        tls: { serverName: "127.0.0.1", verify: false },
      });
    } finally {
      await server.close();
    }
  });

  test("minVersion TLSv1.3 refuses a server that offers at most TLSv1.2", T, async () => {
    const certs = testCerts();
    const server = await startTlsEcho({
      cert: certs.serverCert.pem,
      key: certs.serverKey.pem,
      maxVersion: "TLSv1.2",
    });
    try {
      const base = { hostname: "127.0.0.1", port: server.port };
      const tlsBase = { serverName: "127.0.0.1", caCerts: [certs.ca.pem] };
      assert.equal(
        await echoOnce({ ...base, tls: { ...tlsBase, minVersion: "TLSv1.2" } }),
        "TLSv1.2",
      );
      await assert.rejects(
        within(
          5000,
          "connect",
          connectNode({ ...base, tls: { ...tlsBase, minVersion: "TLSv1.3" } }),
        ),
      );
    } finally {
      await server.close();
    }
  });

  test(
    "a client certificate (plain or encrypted key with keyPassword) satisfies a server that requires one",
    T,
    async () => {
      const certs = testCerts();
      const server = await startTlsEcho({
        cert: certs.serverCert.pem,
        key: certs.serverKey.pem,
        ca: [certs.ca.pem],
        requestCert: true,
        rejectUnauthorized: true,
      });
      try {
        const base = {
          hostname: "127.0.0.1",
          port: server.port,
          tls: {
            serverName: "127.0.0.1",
            caCerts: [certs.ca.pem],
            certChain: certs.clientCert.pem,
          },
        };
        await echoOnce({ ...base, tls: { ...base.tls, privateKey: certs.clientKey.pem } });
        await echoOnce({
          ...base,
          tls: {
            ...base.tls,
            privateKey: certs.clientEncryptedKey.pem,
            keyPassword: helpers.CLIENT_KEY_PASSWORD,
          },
        });
      } finally {
        await server.close();
      }
    },
  );
});

/** A tiny HTTP CONNECT proxy; `answer` overrides the reply (e.g. a 407). Records requests. */
async function startProxy(answer) {
  const requests = [];
  const server = await startTcpServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      client.off("data", onData);
      const text = head.subarray(0, end).toString();
      requests.push(text);
      if (answer) {
        client.end(answer);
        return;
      }
      const [host, port] = text.split(" ")[1].split(":");
      const upstream = net.connect({ port: Number(port), host });
      upstream.on("error", () => client.destroy());
      upstream.on("connect", () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        client.pipe(upstream);
        upstream.pipe(client);
      });
    };
    client.on("data", onData);
  });
  return { ...server, requests };
}

describe("HTTP CONNECT proxy", () => {
  test("TCP and TLS streams run through the tunnel the proxy opened", T, async () => {
    const certs = testCerts();
    const target = await startTlsEcho({ cert: certs.serverCert.pem, key: certs.serverKey.pem });
    const plain = await startTcpServer((socket) => socket.pipe(socket));
    const proxy = await startProxy();
    try {
      await echoOnce({
        hostname: "127.0.0.1",
        port: plain.port,
        proxy: { hostname: "127.0.0.1", port: proxy.port },
      });
      await echoOnce({
        hostname: "127.0.0.1",
        port: target.port,
        tls: { serverName: "127.0.0.1", caCerts: [certs.ca.pem] },
        proxy: { hostname: "127.0.0.1", port: proxy.port, credentials: "user:pass" },
      });
      assert.match(
        proxy.requests[0],
        new RegExp(`^CONNECT 127\\.0\\.0\\.1:${plain.port} HTTP/1\\.1`),
      );
      assert.doesNotMatch(proxy.requests[0], /proxy-authorization/i);
      assert.match(
        proxy.requests[1],
        new RegExp(`^CONNECT 127\\.0\\.0\\.1:${target.port} HTTP/1\\.1`),
      );
      assert.match(proxy.requests[1], /proxy-authorization: Basic dXNlcjpwYXNz/i);
    } finally {
      await proxy.close();
      await plain.close();
      await target.close();
    }
  });

  test("a 407 answer rejects connectNode with a clear message", T, async () => {
    const proxy = await startProxy(
      "HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n",
    );
    try {
      await assert.rejects(
        within(
          5000,
          "connect",
          connectNode({
            hostname: "127.0.0.1",
            port: 9,
            proxy: { hostname: "127.0.0.1", port: proxy.port },
          }),
        ),
        /proxy requires authentication/,
      );
    } finally {
      await proxy.close();
    }
  });
});
