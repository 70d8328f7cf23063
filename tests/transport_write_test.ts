// The write side of the byte streams: batches, drained(), bufferedBytes and recycling.
import assert from "node:assert/strict";
import { connectDeno } from "../src/transport/mod.ts";
import { DenoByteStream } from "../src/transport/deno_stream.ts";
import {
  contiguousRun,
  joinedView,
  MAX_KEPT_SLOTS,
  WriteBatch,
} from "../src/transport/write_batch.ts";
import { concatBytes, copyBytes, copyParts } from "../src/protocol/bytes.ts";

const T = { sanitizeOps: true, sanitizeResources: true };

/** What a link makes of a stream's failure, for the promises of `written`. */
const sendFailure = {
  describeWriteFailure: (error: unknown) => new Error(`send failed: ${(error as Error).message}`),
};

/** A local TCP server that collects everything one client sends until it half-closes. */
function collectingServer(): { port: number; received: Promise<Uint8Array>; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const conn = await listener.accept();
    const parts: Uint8Array[] = [];
    const buffer = new Uint8Array(64 * 1024);
    for (let reads = 0; reads < 10_000; reads++) {
      const n = await conn.read(buffer);
      if (n === null) break;
      parts.push(buffer.slice(0, n));
    }
    conn.close();
    const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received,
    close: () => listener.close(),
  };
}

Deno.test("contiguousRun: views back to back in one buffer form one run; a gap or another buffer ends it", () => {
  const block = new Uint8Array(64);
  const other = new Uint8Array(8);
  const parts = [
    block.subarray(0, 10),
    block.subarray(10, 18),
    block.subarray(18, 30),
    block.subarray(31, 40), // a gap of one byte
    other.subarray(0, 8),
  ];
  assert.deepEqual(contiguousRun(parts, 0, parts.length), 3);
  assert.deepEqual(contiguousRun(parts, 3, parts.length), 1);
  assert.deepEqual(contiguousRun(parts, 4, parts.length), 1);
  assert.deepEqual(contiguousRun(parts, 0, 2), 2, "the run ends at `to`");
});

Deno.test("WriteBatch: settle recycles every part once and settles the promise only if asked for", async () => {
  const batch = new WriteBatch();
  const back: Uint8Array[] = [];
  const a = new Uint8Array(3);
  const b = new Uint8Array(4);
  batch.add(a, (bytes) => back.push(bytes));
  batch.add(b, undefined);
  assert.deepEqual(batch.bytes, 7);
  assert.strictEqual(batch.promise(), batch.promise(), "one promise per batch");
  const done = batch.promise();
  batch.settle();
  await done;
  assert.deepEqual(back, [a]);
  const failing = new WriteBatch();
  failing.add(new Uint8Array(1), undefined);
  const rejected = failing.promise();
  failing.settle(new Error("broken"));
  await assert.rejects(rejected, /broken/);
});

Deno.test("WriteBatch.addRange: ranges that continue one another in one block become one part (one view), in order with add(); another block or a gap starts a new part", () => {
  const block = new Uint8Array(64).map((_, i) => i);
  const other = new Uint8Array(8).fill(200);
  const own = new Uint8Array([9, 9]);
  const batch = new WriteBatch();
  batch.addRange(block, 0, 10);
  batch.addRange(block, 10, 18);
  batch.addRange(block, 18, 30); // three frames back to back: one part
  batch.addRange(block, 31, 40); // a gap of one byte
  batch.addRange(other, 0, 8); // another block
  batch.add(own, undefined); // a whole buffer keeps its place after the ranges
  batch.addRange(block, 40, 44);
  assert.equal(batch.bytes, 30 + 9 + 8 + 2 + 4, "bytes counts the open run too");
  batch.seal();
  batch.seal(); // idempotent
  const parts = batch.parts.slice(0, batch.count).map((
    p,
  ) => [p.buffer === block.buffer ? "block" : p === own ? "own" : "other", p.byteOffset, p.length]);
  assert.deepEqual(parts, [
    ["block", 0, 30],
    ["block", 31, 9],
    ["other", 0, 8],
    ["own", 0, 2],
    ["block", 40, 4],
  ]);
  assert.equal(batch.count, parts.length);
  batch.clear();
  batch.addRange(block, 44, 46);
  batch.seal();
  assert.deepEqual(
    batch.parts.slice(0, batch.count).map((p) => [p.byteOffset, p.length]),
    [[44, 2]],
    "clear drops the open run",
  );
});

Deno.test("WriteBatch.clear: the batch keeps its arrays for reuse but no buffer or recycler of the writes it held", () => {
  const batch = new WriteBatch();
  const recycle = () => {};
  const parts = batch.parts;
  for (let i = 0; i < 5; i++) batch.add(new Uint8Array(100), recycle);
  batch.clear();
  assert.equal(batch.count, 0);
  assert.equal(batch.bytes, 0);
  assert.strictEqual(batch.parts, parts, "the same array is reused");
  assert.ok(
    batch.parts.every((p) => p.length === 0) && batch.recycles.every((r) => r === undefined),
    "every slot let go of its buffer and recycler",
  );
  batch.add(new Uint8Array(7), undefined);
  assert.equal(batch.count, 1);
  assert.equal(batch.parts[0].length, 7);
  // What a write loop left in it goes too.
  batch.views = [new Uint8Array(3)];
  batch.viewCount = 1;
  batch.viewIndex = 1;
  batch.viewOffset = 2;
  batch.merged = [new Uint8Array(3)];
  batch.next = new WriteBatch();
  batch.clear();
  assert.deepEqual(
    [batch.views, batch.merged, batch.next, batch.viewCount, batch.viewIndex, batch.viewOffset],
    [null, null, null, 0, 0, 0],
  );
  // After a burst of many parts a pooled batch keeps no storage for all of them.
  for (let i = 0; i < 10_000; i++) batch.add(new Uint8Array(1), undefined);
  batch.clear();
  assert.ok(batch.parts.length <= MAX_KEPT_SLOTS && batch.recycles.length <= MAX_KEPT_SLOTS);
  assert.ok(batch.parts.every((p) => p.length === 0));
});

Deno.test("WriteBatch.written: one promise per batch, true once written, else rejected with what the describer makes of the failure", async () => {
  const describer = sendFailure;
  const batch = new WriteBatch();
  batch.add(new Uint8Array(1), undefined);
  const written = batch.written(describer);
  assert.strictEqual(batch.written(describer), written, "the sends of one batch share it");
  batch.settle();
  assert.equal(await written, true);
  const failing = new WriteBatch();
  failing.add(new Uint8Array(1), undefined);
  const rejected = failing.written(describer);
  const drained = failing.promise();
  failing.settle(new Error("broken pipe"));
  await assert.rejects(rejected, /^Error: send failed: broken pipe$/);
  await assert.rejects(drained, /^Error: broken pipe$/, "drained() keeps the stream's own error");
  failing.clear();
  assert.notStrictEqual(failing.written(describer), rejected, "a reused batch makes a new one");
});

Deno.test(
  "DenoByteStream: ranges and whole buffers written together arrive in the order written, and bufferedBytes counts both",
  T,
  async () => {
    const server = collectingServer();
    const stream = await connectDeno({ hostname: "127.0.0.1", port: server.port });
    stream.startReading({ data: () => {}, end: () => {} });
    try {
      const block = new Uint8Array(200).map((_, i) => i);
      stream.write(new Uint8Array([1]));
      stream.writeRange(block, 0, 50);
      stream.writeRange(block, 50, 120);
      stream.write(new Uint8Array([250, 251]));
      stream.writeRange(block, 120, 200);
      assert.equal(stream.bufferedBytes, 1 + 200 + 2);
      await stream.drained();
      assert.equal(stream.bufferedBytes, 0);
      stream.closeWrite();
      const received = await server.received;
      assert.deepEqual([...received], [
        1,
        ...block.subarray(0, 120),
        250,
        251,
        ...block.subarray(120),
      ]);
    } finally {
      stream.close();
      await stream.finished;
      server.close();
    }
  },
);

Deno.test(
  "DenoByteStream: writes queued together share one drained() promise (and one written() promise), bufferedBytes counts them until written, bytes arrive in order, pooled parts are recycled",
  T,
  async () => {
    const server = collectingServer();
    const stream = await connectDeno({ hostname: "127.0.0.1", port: server.port });
    stream.startReading({ data: () => {}, end: () => {} });
    try {
      const block = new Uint8Array(300).map((_, i) => i & 0xff);
      const big = new Uint8Array(100_000).fill(7);
      const recycled: Uint8Array[] = [];
      // The first write leaves at once; the ones after it queue behind it as one batch.
      stream.write(block.subarray(0, 100));
      const first = stream.drained();
      stream.write(block.subarray(100, 200));
      stream.write(block.subarray(200, 300));
      stream.write(big, (bytes) => recycled.push(bytes));
      const second = stream.drained();
      assert.strictEqual(stream.drained(), second, "the queued writes share one promise");
      assert.notStrictEqual(first, second, "the batch in flight has a promise of its own");
      const secondSent = stream.written(sendFailure);
      assert.strictEqual(stream.written(sendFailure), secondSent, "so do the sends' promises");
      assert.deepEqual(stream.bufferedBytes, 300 + big.length);
      await second;
      await first;
      assert.equal(await secondSent, true);
      assert.equal(await stream.written(sendFailure), true, "nothing queued: true at once");
      assert.deepEqual(stream.bufferedBytes, 0);
      assert.deepEqual(recycled, [big], "the recycler gets its buffer back once written");
      stream.closeWrite();
      const received = await server.received;
      assert.deepEqual(received.length, 300 + big.length);
      assert.deepEqual(received.subarray(0, 300), block);
      assert.ok(received.subarray(300).every((b) => b === 7));
    } finally {
      stream.close();
      await stream.finished;
      server.close();
    }
  },
);

Deno.test(
  "DenoByteStream: a write after close is dropped, handed back to its recycler, and drained() and written() reject (written() with the describer's error)",
  T,
  async () => {
    const server = collectingServer();
    const stream = await connectDeno({ hostname: "127.0.0.1", port: server.port });
    stream.startReading({ data: () => {}, end: () => {} });
    stream.close();
    await stream.finished;
    const bytes = new Uint8Array(5);
    let back: Uint8Array | null = null;
    stream.write(bytes, (b) => (back = b));
    assert.strictEqual(back, bytes);
    assert.deepEqual(stream.bufferedBytes, 0, "nothing is queued");
    await assert.rejects(stream.drained(), /closed/);
    await assert.rejects(stream.written(sendFailure), /^Error: send failed: the stream is closed$/);
    await server.received;
    server.close();
  },
);

Deno.test("bytes: copyParts/concatBytes join parts in order; joinedView spans parts that lie back to back", () => {
  const parts = [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])];
  assert.deepEqual(concatBytes(parts), new Uint8Array([1, 2, 3]));
  const target = new Uint8Array(4).fill(9);
  copyParts(parts, target, 2, 3);
  assert.deepEqual(target, new Uint8Array([3, 9, 9, 9]), "only parts[2, 3), from the start");
  const block = new Uint8Array([5, 6, 7, 8]);
  const back = [block.subarray(0, 1), block.subarray(1, 3), block.subarray(3)];
  const view = joinedView(back, 1, 2);
  assert.equal(view.buffer, block.buffer, "a view, not a copy");
  assert.deepEqual(view, new Uint8Array([6, 7, 8]));
  assert.equal(joinedView(back, 0, 1), back[0]);
});

/** A DenoConn whose reads are answered, in order, with the sizes in `chunks`, then EOF. */
class ScriptedConn {
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  /** The size of the buffer each read was given. */
  readonly offered: number[] = [];
  #next = 0;
  constructor(readonly chunks: number[]) {}
  read(p: Uint8Array): Promise<number | null> {
    this.offered.push(p.length);
    const size = this.chunks[this.#next++];
    if (size === undefined) return Promise.resolve(null);
    const n = Math.min(size, p.length);
    p.fill(7, 0, n);
    return Promise.resolve(n);
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(p.length);
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

Deno.test("bound (Deno stream): the pending read of an idle connection holds 256 bytes; a read that fills its buffer doubles it, one that uses under a quarter shrinks it back", async () => {
  // A 140-byte handshake head, a burst that fills 256, 512 and then 1024 bytes, a 600-byte
  // read, then small ones (a quiet connection).
  const conn = new ScriptedConn([140, 256, 512, 1024, 600, 20, 20, 20]);
  const stream = new DenoByteStream(conn);
  let received = 0;
  stream.startReading({ data: (chunk) => void (received += chunk.length), end: () => {} });
  await stream.finished;
  assert.equal(received, 140 + 256 + 512 + 1024 + 600 + 60);
  // First read 256 (what an idle connection holds); filled: 512, 1024, 2048; 600 is over a
  // quarter of 2048, so it stays; 20 is under it: a quarter (512), then 256, and there it stays.
  assert.deepEqual(conn.offered, [256, 256, 512, 1024, 2048, 2048, 512, 256, 256]);
});

/**
 * A DenoConn that records the order of reads, writes and closes; one read is answered, the
 * next never. With `tls` it has `handshake`, as a `Deno.TlsConn` has.
 */
class RecordingConn {
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  readonly log: string[] = [];
  handshake?: () => Promise<unknown>;
  constructor(tls = false) {
    if (tls) this.handshake = () => Promise.resolve({});
  }
  #reads = 0;
  #rejectPending: ((error: Error) => void) | null = null;
  read(p: Uint8Array): Promise<number | null> {
    this.log.push("read");
    if (this.#reads++ === 0) {
      p[0] = 1;
      return Promise.resolve(1);
    }
    // Pending until the socket is closed, which rejects it as Deno does.
    return new Promise((_, reject) => (this.#rejectPending = reject));
  }
  write(p: Uint8Array): Promise<number> {
    this.log.push(`write ${p.length}`);
    return Promise.resolve(p.length);
  }
  /** How closeWrite settles: at once by default; a test may hold it. */
  closeWriteResult: Promise<void> = Promise.resolve();
  closeWrite(): Promise<void> {
    this.log.push("closeWrite");
    return this.closeWriteResult;
  }
  close(): void {
    this.log.push("close");
    this.#rejectPending?.(new Error("closed under a pending read"));
  }
}

for (const outcome of ["fulfils", "rejects"] as const) {
  Deno.test(`DenoByteStream.closeWhenWritten over TLS: the socket is closed only once close_notify (closeWrite) has settled, also when it ${outcome === "fulfils" ? "succeeds" : "fails"}`, async () => {
    const conn = new RecordingConn(true);
    let settle!: () => void;
    conn.closeWriteResult = new Promise<void>((resolve, reject) => {
      settle = outcome === "fulfils" ? resolve : () => reject(new Error("no close_notify"));
    });
    const stream = new DenoByteStream(conn);
    stream.write(new Uint8Array(3));
    stream.closeWhenWritten();
    for (let i = 0; i < 20 && !conn.log.includes("closeWrite"); i++) await Promise.resolve();
    assert.deepEqual(conn.log, ["write 3", "closeWrite"], "close_notify asked for, not closed yet");
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.ok(!conn.log.includes("close"), "still waiting for close_notify");
    settle();
    for (let i = 0; i < 20 && !conn.log.includes("close"); i++) await Promise.resolve();
    assert.deepEqual(conn.log, ["write 3", "closeWrite", "close"]);
  });
}

for (const tls of [false, true]) {
  Deno.test(`DenoByteStream.closeWhenWritten asked while a read is delivered (${tls ? "TLS" : "TCP"}): the queued bytes are written${tls ? ", then close_notify (closeWrite)" : ""}, then the socket closed, with no read left pending; the end is clean`, async () => {
    const conn = new RecordingConn(tls);
    const stream = new DenoByteStream(conn);
    const ends: unknown[] = [];
    stream.startReading({
      data: () => {
        // As the link does when the peer's close frame arrives: the answer, then close once written.
        stream.write(new Uint8Array(4));
        stream.writeRange(new Uint8Array(10), 2, 8); // one batch with the write: one merged buffer
        stream.closeWhenWritten();
      },
      end: (error) => void ends.push(error),
    });
    await stream.finished;
    assert.deepEqual(
      conn.log,
      ["read", "write 10", ...(tls ? ["closeWrite"] : []), "close"],
    );
    assert.deepEqual(ends, [undefined]);
  });
}

Deno.test("DenoByteStream.closeWhenWritten while a read is pending: the close ends the read, and that end is clean (not an error)", async () => {
  const conn = new RecordingConn();
  const stream = new DenoByteStream(conn);
  const ends: unknown[] = [];
  let delivered!: () => void;
  const first = new Promise<void>((resolve) => (delivered = resolve));
  stream.startReading({ data: () => delivered(), end: (error) => void ends.push(error) });
  await first;
  await Promise.resolve(); // the second read is now pending
  stream.write(new Uint8Array(2));
  stream.closeWhenWritten();
  await stream.finished;
  assert.deepEqual(conn.log, ["read", "read", "write 2", "close"]);
  assert.deepEqual(ends, [undefined]);
});

Deno.test("bytes: copyBytes copies source[from, from + length) to target[at…], short (loop) and long (set), the whole source by default", () => {
  const source = new Uint8Array(100).map((_, i) => i + 1);
  for (const [from, length] of [[0, 0], [3, 5], [10, 32], [10, 33], [0, 100]]) {
    const target = new Uint8Array(110);
    copyBytes(target, 7, source, from, length);
    assert.deepEqual(target.subarray(7, 7 + length), source.subarray(from, from + length));
    assert.ok(target.subarray(0, 7).every((b) => b === 0), "nothing before `at`");
    assert.ok(target.subarray(7 + length).every((b) => b === 0), "nothing after the run");
  }
  const whole = new Uint8Array(100);
  copyBytes(whole, 0, source);
  assert.deepEqual(whole, source);
});

/** A DenoConn whose writes take at most `chunk` bytes each, and fail from the `failAt`-th call on. */
class ShortWritingConn {
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  readonly received: number[] = [];
  /** The length of the buffer each write was asked to write. */
  readonly asked: number[] = [];
  calls = 0;
  constructor(readonly chunk: number, readonly failAt = Infinity) {}
  read(): Promise<number | null> {
    return new Promise(() => {}); // never answers; the test closes nothing it reads
  }
  write(p: Uint8Array): Promise<number> {
    this.asked.push(p.length);
    if (++this.calls >= this.failAt) return Promise.reject(new Error("broken pipe"));
    const n = Math.min(p.length, this.chunk);
    for (let i = 0; i < n; i++) this.received.push(p[i]);
    return Promise.resolve(n);
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

Deno.test("DenoByteStream write loop: short writes continue with the rest, a batch over the merge limit leaves as several buffers, all in order", async () => {
  const conn = new ShortWritingConn(100_000);
  const stream = new DenoByteStream(conn);
  const pattern = (length: number, seed: number) =>
    new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
  const first = pattern(10, 1);
  // Queued behind the first write: two buffers that together pass the 256 KiB merge limit.
  const a = pattern(200_000, 2);
  const b = pattern(150_000, 3);
  stream.write(first);
  stream.write(a);
  stream.write(b);
  const sent = stream.written(sendFailure);
  await stream.drained();
  assert.equal(await sent, true);
  const expected = [...first, ...a, ...b];
  assert.equal(conn.received.length, expected.length);
  assert.ok(conn.received.every((byte, i) => byte === expected[i]), "bytes in the order written");
  // Two buffers, not one merged one (that would be asked 350,000 then 250,000 ...), each
  // continued where its short write stopped.
  assert.deepEqual(conn.asked, [10, 200_000, 100_000, 150_000, 50_000]);
  assert.equal(stream.bufferedBytes, 0);
});

Deno.test("DenoByteStream write loop: a write that fails fails its batch and the one queued behind it, and every later write; drained() keeps the error, written() describes it", async () => {
  const conn = new ShortWritingConn(4, 2);
  const stream = new DenoByteStream(conn);
  stream.write(new Uint8Array(10)); // the first call writes 4 bytes, the second fails
  const inFlight = stream.drained();
  const inFlightSent = stream.written(sendFailure);
  stream.write(new Uint8Array(3));
  const queued = stream.drained();
  await assert.rejects(inFlight, /^Error: broken pipe$/);
  await assert.rejects(inFlightSent, /^Error: send failed: broken pipe$/);
  await assert.rejects(queued, /^Error: broken pipe$/);
  const recycled: Uint8Array[] = [];
  const late = new Uint8Array(1);
  stream.write(late, (bytes) => recycled.push(bytes));
  assert.deepEqual(recycled, [late], "a write after the failure is handed back at once");
  await assert.rejects(stream.written(sendFailure), /^Error: send failed: broken pipe$/);
  assert.equal(conn.calls, 2, "nothing was written after the failure");
});

/** A DenoConn whose writes settle when the test says (or throw at once, when told to). */
class ManualConn {
  readonly remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port: 1 };
  readonly writes: { length: number; resolve: (n: number) => void }[] = [];
  throwOnWrite = false;
  closed = false;
  read(): Promise<number | null> {
    return new Promise(() => {});
  }
  write(p: Uint8Array): Promise<number> {
    if (this.throwOnWrite) throw new Error("bad resource");
    return new Promise((resolve) => this.writes.push({ length: p.length, resolve }));
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

/** Lets settled promises run their reactions (bounded). */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("DenoByteStream: a batch queued behind a write that completes after close() fails (it used to be left unsettled for ever)", async () => {
  const conn = new ManualConn();
  const stream = new DenoByteStream(conn);
  stream.write(new Uint8Array(5)); // in flight
  const inFlight = stream.drained();
  stream.write(new Uint8Array(6)); // queued behind it
  const queued = stream.drained();
  const queuedSent = stream.written(sendFailure);
  stream.close();
  stream.write(new Uint8Array(1)); // refused: the stream is closed
  conn.writes[0].resolve(5); // the write in flight completes all the same
  await inFlight;
  await assert.rejects(queued, /^Error: the stream is closed$/);
  await assert.rejects(queuedSent, /^Error: send failed: the stream is closed$/);
  assert.equal(conn.writes.length, 1, "the queued batch was never written");
});

Deno.test("DenoByteStream: a write that throws at once fails its batch and the ones queued after; closeWhenWritten still closes", async () => {
  const conn = new ManualConn();
  conn.throwOnWrite = true;
  const stream = new DenoByteStream(conn);
  const recycled: Uint8Array[] = [];
  const bytes = new Uint8Array(4);
  stream.write(bytes, (b) => recycled.push(b));
  await assert.rejects(stream.drained(), /^Error: bad resource$/);
  await assert.rejects(stream.written(sendFailure), /^Error: send failed: bad resource$/);
  assert.deepEqual(recycled, [bytes], "the failed write's buffer went back to its recycler");
  stream.closeWhenWritten();
  await settleMicrotasks();
  assert.ok(conn.closed, "closed although nothing could be written");
});

Deno.test("WriteBatch: a describer that throws makes the rejection; the batch still settles", async () => {
  const batch = new WriteBatch();
  batch.add(new Uint8Array(1), undefined);
  const thrown = new Error("describer broke");
  const written = batch.written({
    describeWriteFailure: () => {
      throw thrown;
    },
  });
  const drained = batch.promise();
  batch.settle(new Error("broken pipe"));
  await assert.rejects(written, (error) => error === thrown);
  await assert.rejects(drained, /broken pipe/);
});

// A lone write: the one frame written to an idle stream outside a read goes to the socket at
// once without a batch; these hold it to the same rules as a batch.

Deno.test("DenoByteStream lone write: cut short by the socket, it continues with the rest; bufferedBytes counts what is left, its send resolves only once all is out, and a write made meanwhile leaves after it", async () => {
  const conn = new ShortWritingConn(3);
  const stream = new DenoByteStream(conn);
  const block = new Uint8Array(20).map((_, i) => i);
  stream.writeRange(block, 2, 12); // 10 bytes: written 3 at a time
  assert.equal(stream.bufferedBytes, 10, "counted before any of it is written");
  const sent = stream.written(sendFailure);
  stream.writeRange(block, 12, 14); // queued behind the lone write
  const all = stream.drained();
  let resolved = false;
  sent.then(() => resolved = true);
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(resolved, false, "not settled after the first short write");
  assert.equal(await sent, true);
  await all;
  assert.deepEqual(conn.received, [...block.subarray(2, 14)]);
  assert.deepEqual(
    conn.asked,
    [10, 7, 4, 1, 2],
    "the rest, each time where the last write stopped",
  );
  assert.equal(stream.bufferedBytes, 0);
});

Deno.test("DenoByteStream lone write: a failure nobody asked about rejects nothing unheeded; the stream is broken: drained() keeps the error, written() describes it, what was queued behind fails", async () => {
  const conn = new ShortWritingConn(4, 2); // writes 4 bytes, then fails
  const stream = new DenoByteStream(conn);
  stream.write(new Uint8Array(10));
  stream.write(new Uint8Array(3)); // queued behind it
  const queued = stream.drained();
  await assert.rejects(queued, /^Error: broken pipe$/);
  // Had the lone write's own promise rejected, the test's sanitizer would fail the test.
  await assert.rejects(stream.drained(), /^Error: broken pipe$/);
  await assert.rejects(stream.written(sendFailure), /^Error: send failed: broken pipe$/);
  assert.equal(conn.calls, 2, "nothing was written after the failure");
});

Deno.test("DenoByteStream lone write: asked for while in flight, its send rejects with the described failure and drained() with the error", async () => {
  const conn = new ShortWritingConn(4, 2);
  const stream = new DenoByteStream(conn);
  const block = new Uint8Array(16);
  stream.writeRange(block, 0, 10);
  const sent = stream.written(sendFailure);
  const drained = stream.drained();
  await assert.rejects(sent, /^Error: send failed: broken pipe$/);
  await assert.rejects(drained, /^Error: broken pipe$/);
});

Deno.test("DenoByteStream lone write: one that throws at once fails like a batch; a close asked for after it still closes", async () => {
  const conn = new ManualConn();
  conn.throwOnWrite = true;
  const stream = new DenoByteStream(conn);
  stream.writeRange(new Uint8Array(8), 0, 8);
  assert.equal(stream.bufferedBytes, 0, "nothing stays counted");
  await assert.rejects(stream.drained(), /^Error: bad resource$/);
  await assert.rejects(stream.written(sendFailure), /^Error: send failed: bad resource$/);
  stream.closeWhenWritten();
  await settleMicrotasks();
  assert.ok(conn.closed, "closed although nothing could be written");
});

Deno.test("DenoByteStream lone write: drained() and closeWhenWritten() asked while it is in flight wait for it, then the socket closes", async () => {
  const conn = new ManualConn();
  const stream = new DenoByteStream(conn);
  stream.writeRange(new Uint8Array(8), 0, 8);
  const drained = stream.drained();
  stream.closeWhenWritten();
  await settleMicrotasks();
  assert.equal(conn.closed, false, "not closed while the write is in flight");
  conn.writes[0].resolve(8);
  await drained;
  await settleMicrotasks();
  assert.ok(conn.closed, "closed once it was written");
  assert.equal(conn.writes.length, 1);
});
