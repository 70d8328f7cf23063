/**
 * Buffer reuse on the hot paths: the frame pool, one-pass masking, reads
 * straight into a message's buffer, and a receive path that copies what it
 * keeps (so transports may reuse their read buffer).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  BufferPool,
  encodeFrame,
  FrameSlab,
  ProtocolConnection,
  writeFrameAt,
} from "../../src/protocol/mod.ts";
import { applyMask, copyMasked } from "../../src/protocol/mask.ts";
import { KERNEL_CHUNK, maskKernel } from "../../src/protocol/mask_kernel.ts";
import { concat, decodeWritten, frame } from "./helpers.ts";

/** Where two byte sequences first differ ("none" when equal): a cheap failure message for big arrays. */
function firstDifference(actual: unknown, expected: Uint8Array): string {
  if (!(actual instanceof Uint8Array)) return `not bytes: ${typeof actual}`;
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `byte ${i}: ${actual[i]} ≠ ${expected[i]}`;
  }
  return "none";
}

const KEY = new Uint8Array([0x12, 0x34, 0x56, 0x78]);

function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

Deno.test("rule: copyMasked equals copy-then-mask for every alignment and tail length", () => {
  const backing = new Uint8Array(300);
  backing.set(pattern(300));
  for (let sourceOffset = 0; sourceOffset < 4; sourceOffset++) {
    for (let targetOffset = 0; targetOffset < 4; targetOffset++) {
      for (const length of [0, 1, 31, 32, 33, 35, 64, 255]) {
        const source = backing.subarray(sourceOffset, sourceOffset + length);
        const before = source.slice();
        const target = new Uint8Array(length + 8);
        copyMasked(source, target, targetOffset, KEY);
        const expected = before.slice();
        applyMask(expected, KEY);
        assert.deepStrictEqual(target.subarray(targetOffset, targetOffset + length), expected);
        assert.deepStrictEqual(source, before, "the source is never modified");
      }
    }
  }
});

/** RFC 6455 section 5.3, byte by byte: the reference the fast paths must equal. */
function referenceMask(bytes: Uint8Array, key: Uint8Array, keyOffset: number): Uint8Array {
  return bytes.map((b, i) => b ^ key[(keyOffset + i) & 3]);
}

Deno.test("rule (RFC 6455 5.3): the SIMD kernel is available on this runtime, and masks 16-byte blocks with the little-endian key word", () => {
  const kernel = maskKernel();
  assert.ok(kernel !== null, "Deno runs WebAssembly SIMD: long payloads take the fast path");
  assert.equal(kernel.scratch.length, KERNEL_CHUNK);
  kernel.scratch.fill(0xff, 0, 48);
  kernel.xor(32, 0x04030201);
  assert.deepEqual([...kernel.scratch.subarray(0, 6)], [0xfe, 0xfd, 0xfc, 0xfb, 0xfe, 0xfd]);
  assert.equal(kernel.scratch[31], 0xfb);
  assert.equal(kernel.scratch[32], 0xff, "bytes past `length` are untouched");
});

Deno.test("rule (RFC 6455 5.3): applyMask and copyMasked equal the byte-by-byte XOR for long runs too (kernel chunks, 16-byte tails, any key position and alignment)", () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const lengths = [
    1023,
    1024,
    1025,
    1039,
    KERNEL_CHUNK - 1,
    KERNEL_CHUNK,
    KERNEL_CHUNK + 17,
    3 * KERNEL_CHUNK + 5,
  ];
  for (let round = 0; round < 40; round++) {
    const length = round < lengths.length ? lengths[round] : 1024 + random(4 * KERNEL_CHUNK);
    const key = new Uint8Array([random(256), random(256), random(256), random(256)]);
    const lead = random(8);
    const keyOffset = random(1000);
    const backing = pattern(length + lead + 8, round);
    const source = backing.subarray(lead, lead + length);
    const expected = referenceMask(source, key, keyOffset);

    const inPlace = backing.slice(); // a run inside a larger buffer: the bytes around stay
    applyMask(inPlace, key, keyOffset, lead, lead + length);
    assert.equal(
      firstDifference(inPlace.subarray(lead, lead + length), expected),
      "none",
      `applyMask ${length}`,
    );
    assert.deepEqual(inPlace.subarray(0, lead), backing.subarray(0, lead));
    assert.deepEqual(inPlace.subarray(lead + length), backing.subarray(lead + length));

    const before = source.slice();
    const targetOffset = random(8);
    const target = new Uint8Array(length + 16);
    copyMasked(source, target, targetOffset, key);
    assert.equal(
      firstDifference(
        target.subarray(targetOffset, targetOffset + length),
        referenceMask(source, key, 0),
      ),
      "none",
      `copyMasked ${length}`,
    );
    assert.deepEqual(source, before, "the source is never modified");
  }
});

Deno.test("rule: a large masked frame decodes to its payload whatever the header size", () => {
  const slab = new FrameSlab(new BufferPool({ minSize: 1024, maxBytes: 1 << 20 }));
  for (const length of [1025, 4099, 70_001]) {
    const payload = pattern(length, length);
    const bytes = encodeFrame(2, payload, true, KEY, slab);
    const decoded = decodeWritten(bytes);
    assert.ok(decoded.masked);
    assert.equal(firstDifference(decoded.payload, payload), "none");
    // The payload starts on a 4-byte boundary (so it was masked word by word).
    const head = bytes.length - length;
    assert.deepStrictEqual((bytes.byteOffset + head) & 3, 0);
  }
});

Deno.test("rule: the buffer pool reuses a given-back buffer for a request of similar size", () => {
  const pool = new BufferPool({ minSize: 1000, maxBytes: 100_000 });
  const first = pool.take(40_000);
  assert.deepStrictEqual(first.length, 40_000);
  pool.give(first);
  assert.deepStrictEqual(pool.keptBytes, first.buffer.byteLength);
  const second = pool.take(39_000);
  assert.strictEqual(second.buffer, first.buffer, "same memory, no new allocation");
  assert.deepStrictEqual(second.length, 39_000);
  assert.deepStrictEqual(pool.keptBytes, 0, "a taken buffer is no longer kept");
  // Nothing else may get the same memory while it is out.
  assert.notStrictEqual(pool.take(39_000).buffer, second.buffer);
});

Deno.test("rule: the buffer pool never hands a small request a buffer over twice its size", () => {
  const pool = new BufferPool({ minSize: 1000, maxBytes: 1 << 20 });
  const big = pool.take(100_000);
  pool.give(big);
  assert.notStrictEqual(pool.take(10_000).buffer, big.buffer);
  assert.deepStrictEqual(pool.keptBytes, big.buffer.byteLength, "the big buffer stays kept");
});

Deno.test("rule: a full buffer pool makes room for a new size by dropping the stalest size class", () => {
  const pool = new BufferPool({ minSize: 1000, maxBytes: 100_000 });
  const small = [pool.take(20_000), pool.take(20_000), pool.take(20_000)]; // class 20480
  const medium = pool.take(30_000); // class 32768
  for (const view of small) pool.give(view);
  pool.give(medium);
  assert.equal(pool.keptBytes, 3 * 20_480 + 32_768);
  const large = pool.take(60_000); // class 65536: only fits once the small class is gone
  pool.give(large);
  assert.equal(pool.keptBytes, 32_768 + 65_536);
  assert.strictEqual(pool.take(60_000).buffer, large.buffer, "the newest class is kept");
  assert.strictEqual(pool.take(30_000).buffer, medium.buffer, "a more recent class survives");
});

Deno.test("rule: the buffer pool ignores buffers it cannot have handed out", () => {
  const pool = new BufferPool({ minSize: 1000, maxBytes: 1 << 20 });
  pool.give(new Uint8Array(40_001)); // no size class: not one of the pool's
  assert.equal(pool.keptBytes, 0);
  const own = pool.take(40_001);
  pool.give(own);
  assert.equal(pool.keptBytes, own.buffer.byteLength);
});

Deno.test("rule: the buffer pool keeps at most maxBytes and ignores views under minSize", () => {
  const pool = new BufferPool({ minSize: 1000, maxBytes: 50_000 });
  const a = pool.take(30_000);
  const b = pool.take(30_000);
  pool.give(a);
  pool.give(b); // would pass maxBytes: dropped
  assert.deepStrictEqual(pool.keptBytes, a.buffer.byteLength);
  pool.give(new Uint8Array(999));
  assert.deepStrictEqual(pool.keptBytes, a.buffer.byteLength);
  assert.deepStrictEqual(pool.take(10).length, 10, "small requests are plain arrays");
});

function connection(
  role: "client" | "server",
  messages: (string | Uint8Array)[],
  pings: Uint8Array[] = [],
) {
  return new ProtocolConnection(
    {
      role,
      maxMessageSize: 1 << 24,
      maxMessageFragments: 1 << 17,
      random: (b) => crypto.getRandomValues(b),
    },
    {
      write: () => {},
      message: (data) => messages.push(data), // kept as delivered: no defensive copy
      ping: (payload) => pings.push(payload),
      peerClose: () => {},
      fail: (error) => {
        throw error;
      },
    },
  );
}

/** Feeds `bytes` through one reused read buffer of `size` bytes, wiping it after each call. */
function feedThroughReusedBuffer(conn: ProtocolConnection, bytes: Uint8Array, size: number) {
  const scratch = new Uint8Array(size);
  for (let offset = 0; offset < bytes.length; offset += size) {
    const part = bytes.subarray(offset, offset + size);
    scratch.set(part);
    conn.receive(scratch.subarray(0, part.length));
    scratch.fill(0xee); // the transport reuses its buffer for the next read
  }
}

Deno.test("rule: receive() copies what it keeps, so a transport may reuse its read buffer", () => {
  const messages: (string | Uint8Array)[] = [];
  const pings: Uint8Array[] = [];
  const conn = connection("client", messages, pings);
  const big = pattern(50_000, 7);
  const fragmentA = pattern(3000, 8), fragmentB = pattern(2000, 9);
  const text = "héllo wörld ".repeat(200);
  const stream = concat([
    frame({ opcode: 2, payload: big }),
    frame({ opcode: 2, fin: false, payload: fragmentA }),
    frame({ opcode: 9, payload: "ping!" }),
    frame({ opcode: 0, payload: fragmentB }),
    frame({ opcode: 1, payload: text }),
    frame({ opcode: 2, payload: pattern(10, 3) }),
  ]);
  for (const size of [7, 100, 4096]) {
    messages.length = 0;
    pings.length = 0;
    feedThroughReusedBuffer(conn, stream, size);
    assert.deepStrictEqual(messages.length, 4, `read size ${size}`);
    assert.equal(firstDifference(messages[0], big), "none");
    assert.equal(firstDifference(messages[1], concat([fragmentA, fragmentB])), "none");
    assert.deepStrictEqual(messages[2], text);
    assert.deepStrictEqual(messages[3], pattern(10, 3));
    assert.deepStrictEqual(pings, [new TextEncoder().encode("ping!")]);
  }
});

/**
 * Feeds `bytes` as a Deno transport does: an ordinary read of `first` bytes, then
 * reads of at most `readSize` into each target the connection offers, and
 * ordinary reads (copied) whenever it offers none. Reports the target buffers.
 */
function feedThroughTargets(
  conn: ProtocolConnection,
  bytes: Uint8Array,
  first: number,
  readSize: number,
): { targets: Set<ArrayBufferLike>; copied: number; lastTarget: ArrayBufferLike | undefined } {
  const targets = new Set<ArrayBufferLike>();
  let lastTarget: ArrayBufferLike | undefined;
  conn.receive(bytes.slice(0, first));
  let offset = first;
  let copied = first;
  for (let reads = 0; offset < bytes.length && reads < 10_000; reads++) {
    const target = conn.readTarget();
    const n = Math.min(readSize, target?.length ?? readSize, bytes.length - offset);
    if (target === undefined) {
      conn.receive(bytes.slice(offset, offset + n));
      copied += n;
    } else {
      targets.add(target.buffer);
      lastTarget = target.buffer;
      target.set(bytes.subarray(offset, offset + n));
      conn.receive(target.subarray(0, n));
    }
    offset += n;
  }
  assert.equal(offset, bytes.length, "every byte was fed");
  return { targets, copied, lastTarget };
}

Deno.test("rule: a large binary payload read through readTarget() lands in the delivered message", () => {
  for (const role of ["client", "server"] as const) {
    const messages: (string | Uint8Array)[] = [];
    const conn = connection(role, messages);
    const payload = pattern(4 * 1024 * 1024 + 123, 5);
    const bytes = frame({ opcode: 2, payload, mask: role === "server" ? [9, 8, 7, 6] : undefined });
    assert.ok(conn.readTarget() === undefined, "no payload in progress");
    // The header and a first piece arrive through an ordinary read, then 256 KiB reads.
    const fed = feedThroughTargets(conn, bytes, 20_000, 256 * 1024);
    assert.equal(messages.length, 1);
    assert.equal(firstDifference(messages[0], payload), "none");
    const message = messages[0] as Uint8Array;
    assert.ok(message.buffer === fed.lastTarget, `${role}: the last reads went into the message`);
    assert.equal(message.buffer.byteLength, payload.length, "a buffer of exactly its length");
    // Copied: the first read, and the last 123 bytes (too few to be worth a read of their own).
    assert.ok(fed.copied === 20_123, `${role}: ${fed.copied} bytes copied`);
    // Growth by doubling from 64 KiB: 64 KiB, 128 KiB, …, 4 MiB, then the exact length.
    assert.ok(fed.targets.size <= 8, `${role}: ${fed.targets.size} buffers, at most 8`);
    assert.ok(conn.readTarget() === undefined, "none once the message is complete");
  }
});

Deno.test("rule: readTarget() is offered for large data payloads only, text and fragments included", () => {
  const messages: (string | Uint8Array)[] = [];
  const conn = connection("client", messages);
  const text = "κόσμε ✓ ".repeat(10_000);
  const pieces = [pattern(40_000, 1), pattern(50_000, 2)];
  const offered = (bytes: Uint8Array, expected: boolean, why: string) => {
    conn.receive(bytes.subarray(0, 100));
    const target = conn.readTarget();
    assert.ok((target !== undefined) === expected, why);
    const fed = feedThroughTargets(conn, bytes.subarray(100), 0, 8192);
    assert.ok(!expected || fed.targets.size > 0, `${why}: reads went into targets`);
  };
  offered(frame({ opcode: 1, payload: text }), true, "a large text frame");
  offered(frame({ opcode: 2, fin: false, payload: pieces[0] }), true, "a first fragment");
  offered(frame({ opcode: 9, payload: "p".repeat(125) }), false, "a control frame");
  offered(frame({ opcode: 0, payload: pieces[1] }), true, "a last fragment");
  offered(frame({ opcode: 2, payload: pattern(10_000) }), false, "a small remainder");
  assert.equal(messages.length, 3, "the text, the fragmented and the small message arrived");
  assert.equal(messages[0], text, "text read into the buffer is intact");
  assert.equal(firstDifference(messages[1], concat(pieces)), "none");
});

Deno.test("rule: text read through readTarget() is still checked as it arrives (1007 on the first bad read)", () => {
  const failures: number[] = [];
  const conn = new ProtocolConnection(
    {
      role: "client",
      maxMessageSize: 1 << 24,
      maxMessageFragments: 1 << 17,
      random: (b) => crypto.getRandomValues(b),
    },
    {
      write: () => {},
      message: () => failures.push(0),
      peerClose: () => {},
      fail: (error) => failures.push(error.closeCode),
    },
  );
  const payload = new TextEncoder().encode("a".repeat(200_000));
  payload[30_000] = 0xff; // never valid in UTF-8
  const bytes = frame({ opcode: 1, payload });
  conn.receive(bytes.subarray(0, 1000));
  const target = conn.readTarget();
  assert.ok(target !== undefined && target.length >= 29_010, "a target covering the bad byte");
  target.set(bytes.subarray(1000, 1000 + target.length));
  conn.receive(target);
  assert.deepStrictEqual(failures, [1007], "failed on that read, long before the frame ends");
  assert.ok(conn.readTarget() === undefined, "no target after the failure");
});

Deno.test("rule (RFC 6455 5.3): applyMask equals the byte-by-byte XOR for short runs (0-40 bytes) at every key position and start", () => {
  const key = new Uint8Array([0x9a, 0x13, 0xe7, 0x42]);
  let runs = 0;
  for (let length = 0; length <= 40; length++) {
    for (let keyOffset = 0; keyOffset < 4; keyOffset++) {
      for (let lead = 0; lead < 5; lead++) {
        const backing = pattern(length + lead + 3, length * 31 + lead);
        const expected = referenceMask(backing.subarray(lead, lead + length), key, keyOffset);
        const inPlace = backing.slice();
        applyMask(inPlace, key, keyOffset, lead, lead + length);
        assert.equal(
          firstDifference(inPlace.subarray(lead, lead + length), expected),
          "none",
          `length ${length}, key offset ${keyOffset}, start ${lead}`,
        );
        // The bytes around the run are left alone.
        assert.deepEqual(inPlace.subarray(0, lead), backing.subarray(0, lead));
        assert.deepEqual(inPlace.subarray(lead + length), backing.subarray(lead + length));
        runs++;
      }
    }
  }
  assert.equal(runs, 41 * 4 * 5);
});

Deno.test("rule: a text written again into the same slab block is copied from its last frame, byte for byte what encoding it gives; another text, a masked frame or another block is encoded afresh", () => {
  const slab = new FrameSlab();
  const texts = ["a".repeat(40), "b".repeat(40), "a".repeat(40), "c".repeat(31), "c".repeat(31)];
  const frames: Uint8Array[] = [];
  for (const text of [...texts, texts[0], texts[0]]) {
    const size = 2 + text.length;
    const at = slab.reserve(size);
    writeFrameAt(slab.block, at, 1, text, true, null, slab);
    frames.push(slab.block.slice(at, at + size));
  }
  const all = [...texts, texts[0], texts[0]];
  frames.forEach((frame, i) => {
    assert.deepEqual(
      frame,
      encodeFrame(1, new TextEncoder().encode(all[i]), true, null),
      `frame ${i}`,
    );
  });
  // Across a new block (the first is full): still the text's bytes.
  for (let i = 0; i < 60; i++) {
    const text = i % 3 === 0 ? "x".repeat(64) : "y".repeat(64);
    const at = slab.reserve(66);
    writeFrameAt(slab.block, at, 1, text, true, null, slab);
    assert.equal(
      new TextDecoder().decode(slab.block.subarray(at + 2, at + 66)),
      text,
      `round ${i}`,
    );
  }
  // A target that is not the slab's block never copies from it.
  const other = new Uint8Array(64);
  writeFrameAt(other, 0, 1, "y".repeat(40), true, null, slab);
  assert.equal(new TextDecoder().decode(other.subarray(2, 42)), "y".repeat(40));
});
