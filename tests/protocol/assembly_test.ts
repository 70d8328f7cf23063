// Message assembly (src/protocol/message_assembler.ts) through the connection,
// in both roles: the memory a message holds follows the bytes that arrived,
// never the length a header announces nor the number of fragments, and a
// message in too many fragments closes with 1009.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BufferPool,
  GROWTH_FACTOR,
  MAX_UPFRONT_RESERVE,
  MessageAssembler,
  READ_TARGET_MIN,
  type Role,
} from "../../src/protocol/mod.ts";
import { closeCodeOf, concat, frame, recorder } from "./helpers.ts";

const ROLES: Role[] = ["client", "server"];
// Shared by many connections and runs, as the process-wide message pool is: a
// buffer handed out twice, or stale bytes read back, would corrupt a message.
const POOL = new BufferPool({ minSize: 1025, maxBytes: 8 * 1024 * 1024 });
const MASK = [0x11, 0x22, 0x33, 0x44];

/** The most a message buffer may hold once `received` payload bytes arrived. */
function bound(received: number): number {
  return Math.max(MAX_UPFRONT_RESERVE, GROWTH_FACTOR * received) + READ_TARGET_MIN;
}

function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

/** A message's frames as the peer of `role` sends them, and where each payload lies on the wire. */
function wire(
  role: Role,
  opcode: number,
  fragments: Uint8Array[],
): { bytes: Uint8Array; payloads: { start: number; length: number }[] } {
  const frames: Uint8Array[] = [];
  const payloads: { start: number; length: number }[] = [];
  let offset = 0;
  fragments.forEach((payload, i) => {
    const bytes = frame({
      opcode: i === 0 ? opcode : 0,
      fin: i === fragments.length - 1,
      payload,
      mask: role === "server" ? MASK : undefined,
    });
    payloads.push({ start: offset + bytes.length - payload.length, length: payload.length });
    frames.push(bytes);
    offset += bytes.length;
  });
  return { bytes: concat(frames), payloads };
}

/** Payload bytes among the first `end` bytes of the wire. */
function payloadBefore(payloads: { start: number; length: number }[], end: number): number {
  let total = 0;
  for (const p of payloads) total += Math.max(0, Math.min(p.length, end - p.start));
  return total;
}

/** Splits `total` bytes into fragment sizes: `count` pieces as even as possible. */
function evenSizes(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => {
    const from = Math.floor((total * i) / count);
    return Math.floor((total * (i + 1)) / count) - from;
  });
}

Deno.test("rule: a frame header announcing a huge length reserves at most 64 KiB before its bytes arrive", () => {
  const limit = 2 ** 31;
  for (const role of ROLES) {
    for (const [opcode, fin] of [[2, true], [1, true], [2, false], [1, false]] as const) {
      const rec = recorder(role, limit);
      // Header only: a 64-bit length of 2^31 - 1, then ten payload bytes.
      const announced = limit - 1;
      const head = [
        (fin ? 0x80 : 0) | opcode,
        (role === "server" ? 0x80 : 0) | 127,
        0,
        0,
        0,
        0,
        0x7f,
        0xff,
        0xff,
        0xff,
        ...(role === "server" ? [0, 0, 0, 0] : []),
      ];
      rec.conn.receive(Uint8Array.from(head));
      const label = `${role}, opcode ${opcode}, fin ${fin}, announcing ${announced} bytes`;
      assert.ok(rec.conn.messageBufferSize <= MAX_UPFRONT_RESERVE, `${label}: at the header`);
      const target = rec.conn.readTarget();
      assert.ok(target !== undefined && target.length <= MAX_UPFRONT_RESERVE, `${label}: target`);
      assert.ok(rec.conn.messageBufferSize <= MAX_UPFRONT_RESERVE, `${label}: after readTarget`);
      rec.conn.receive(new Uint8Array(10).fill(0x61));
      assert.ok(rec.conn.messageBufferSize <= MAX_UPFRONT_RESERVE, `${label}: after 10 bytes`);
      assert.equal(rec.failures.length, 0, label);
    }
  }
});

Deno.test("property: a message buffer stays within max(64 KiB, 2 × bytes received) + 16 KiB, however the message is fragmented and read, in both roles", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ROLES),
      fc.constantFrom(1, 2),
      fc.integer({ min: 0, max: 300_000 }),
      fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3000 })),
      fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 20 }),
      fc.boolean(),
      fc.boolean(),
      (role, opcode, size, count, reads, useTargets, pooled) => {
        // ASCII, so text may be cut anywhere.
        const payload = opcode === 1
          ? new Uint8Array(size).fill(0x41 + (size % 26))
          : pattern(size);
        const sizes = evenSizes(size, Math.min(count, Math.max(1, size)));
        let at = 0;
        const fragments = sizes.map((n) => payload.subarray(at, at += n));
        const { bytes, payloads } = wire(role, opcode, fragments);
        const rec = recorder(role, 1 << 24, 1 << 17, pooled ? POOL : undefined);
        let offset = 0;
        let peak = 0;
        // Every read takes at least one byte, so bytes.length reads bound the loop.
        for (let i = 0; offset < bytes.length && i < bytes.length; i++) {
          const want = reads[i % reads.length];
          const target = useTargets ? rec.conn.readTarget() : undefined;
          const n = Math.min(want, target?.length ?? want, bytes.length - offset);
          if (target !== undefined) {
            target.set(bytes.subarray(offset, offset + n));
            rec.conn.receive(target.subarray(0, n));
          } else {
            rec.conn.receive(bytes.slice(offset, offset + n));
          }
          offset += n;
          if (rec.messages.length === 0) {
            const held = rec.conn.messageBufferSize;
            peak = Math.max(peak, held);
            const received = payloadBefore(payloads, offset);
            assert.ok(held <= bound(received), `${held} bytes held after ${received} arrived`);
          }
        }
        assert.equal(rec.failures.length, 0);
        assert.equal(rec.messages.length, 1);
        const got = rec.messages[0];
        const gotBytes = typeof got === "string" ? new TextEncoder().encode(got) : got;
        assert.ok(gotBytes.length === size && gotBytes.every((b, i) => b === payload[i]));
        if (typeof got !== "string") {
          assert.equal(got.buffer.byteLength, size, "delivered in a buffer of its own");
        }
        assert.ok(peak <= bound(size), `peak ${peak} for ${size} bytes in ${sizes.length} frames`);
        assert.equal(rec.conn.messageBufferSize, 0, "nothing held between messages");
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("rule: 100,000 one-byte fragments hold one buffer of about the payload's size, not one part per fragment", () => {
  for (const role of ROLES) {
    const count = 100_000;
    const payload = pattern(count, 3);
    const fragments = Array.from({ length: count }, (_, i) => payload.subarray(i, i + 1));
    const { bytes } = wire(role, 2, fragments);
    const rec = recorder(role);
    let peak = 0;
    for (let offset = 0; offset < bytes.length; offset += 65_536) {
      rec.conn.receive(bytes.slice(offset, offset + 65_536));
      peak = Math.max(peak, rec.conn.messageBufferSize);
    }
    assert.equal(rec.messages.length, 1, role);
    const message = rec.messages[0] as Uint8Array;
    assert.ok(message.length === count && message.every((b, i) => b === payload[i]), role);
    assert.ok(peak <= 2 * count, `${role}: peak ${peak} bytes for ${count} bytes of payload`);
  }
});

Deno.test("rule: a fragmented binary message is delivered in an ArrayBuffer of exactly its length", () => {
  for (const sizes of [[1, 1, 1], [70_000, 3], [5, 100_000, 5], [0, 0, 7]]) {
    const assembler = new MessageAssembler({ maxMessageSize: 1 << 24, maxFragments: 10 });
    const total = sizes.reduce((a, b) => a + b, 0);
    let message: string | Uint8Array | undefined;
    sizes.forEach((n, i) => {
      assembler.frameStart(i === 0 ? 2 : 0, i === sizes.length - 1, n);
      if (n > 0) assembler.payload(pattern(n, i));
      message = assembler.frameEnd();
    });
    assert.ok(message instanceof Uint8Array, `${sizes}`);
    assert.equal(message.length, total);
    assert.equal(message.buffer.byteLength, total, `${sizes}: no spare capacity delivered`);
    assert.equal(assembler.capacity, 0, "released after delivery");
  }
});

Deno.test("property: a binary message allocated in dirty (not zeroed) memory is delivered with every byte its own, however it is fragmented and read", () => {
  // The allocator the runtime may inject hands out recycled memory: stale bytes must never show.
  const dirty = (size: number) => new Uint8Array(size).fill(0xa5);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 5 }),
      fc.integer({ min: 1, max: 70_000 }),
      (sizes, readSize) => {
        const assembler = new MessageAssembler(
          { maxMessageSize: 1 << 24, maxFragments: 10 },
          POOL,
          dirty,
        );
        const parts = sizes.map((n, i) => pattern(n, i + 3));
        let message: string | Uint8Array | undefined;
        parts.forEach((part, i) => {
          assembler.frameStart(i === 0 ? 2 : 0, i === parts.length - 1, part.length);
          for (let at = 0; at < part.length;) {
            // Sometimes read straight into the message buffer, as the Deno transport does.
            const target = assembler.readTarget();
            const take = Math.min(readSize, part.length - at, target?.length ?? Infinity);
            if (target !== undefined) {
              target.set(part.subarray(at, at + take));
              assembler.payload(target.subarray(0, take));
            } else {
              assembler.payload(part.subarray(at, at + take));
            }
            at += take;
          }
          message = assembler.frameEnd();
        });
        assert.ok(message instanceof Uint8Array);
        assert.deepEqual(message, concat(parts));
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("rule: with a pool, a message grows in pooled buffers that go back to it, and is delivered in a buffer of its own", () => {
  const pool = new BufferPool({ minSize: 1025, maxBytes: 16 * 1024 * 1024 });
  const assembler = new MessageAssembler({ maxMessageSize: 1 << 24, maxFragments: 100 }, pool);
  const deliveries: Uint8Array[] = [];
  for (const seed of [1, 2, 3]) {
    const parts = [pattern(300_000, seed), pattern(300_000, seed + 10)];
    parts.forEach((part, i) => {
      assembler.frameStart(i === 0 ? 2 : 0, i === 1, part.length);
      for (let at = 0; at < part.length; at += 50_000) {
        assembler.payload(part.subarray(at, at + 50_000));
      }
      const message = assembler.frameEnd();
      if (message !== undefined) deliveries.push(message as Uint8Array);
    });
    assert.ok(pool.keptBytes > 0, "the growth steps went back to the pool");
  }
  deliveries.forEach((message, i) => {
    const expected = concat([pattern(300_000, i + 1), pattern(300_000, i + 11)]);
    assert.ok(message.every((b, j) => b === expected[j]) && message.length === expected.length);
    assert.equal(message.buffer.byteLength, 600_000, `message ${i}: an exact buffer of its own`);
  });
  assert.equal(new Set(deliveries.map((m) => m.buffer)).size, 3, "three distinct buffers");
});

Deno.test("rule: a message in more frames than maxMessageFragments closes with 1009 at the extra frame's header, empty continuations included", () => {
  for (const role of ROLES) {
    const mask = role === "server" ? MASK : undefined;
    const cap = 10;
    // Exactly the cap: one data frame and nine continuations, most of them empty.
    const ok = recorder(role, 1 << 20, cap);
    const tenFrames = [frame({ opcode: 1, fin: false, payload: "a", mask })];
    for (let i = 0; i < 8; i++) tenFrames.push(frame({ opcode: 0, fin: false, mask }));
    tenFrames.push(frame({ opcode: 0, payload: "z", mask }));
    ok.conn.receive(concat(tenFrames));
    assert.deepStrictEqual(ok.messages, ["az"], `${role}: ${cap} frames are allowed`);
    assert.equal(ok.failures.length, 0);
    // A second message of ten frames: the count starts again with each message.
    ok.conn.receive(concat(tenFrames));
    assert.deepStrictEqual(ok.messages, ["az", "az"], `${role}: the count is per message`);

    const over = recorder(role, 1 << 20, cap);
    const frames = [frame({ opcode: 2, fin: false, payload: "a", mask })];
    for (let i = 0; i < 9; i++) frames.push(frame({ opcode: 0, fin: false, mask }));
    over.conn.receive(concat(frames));
    assert.equal(over.failures.length, 0, `${role}: ${cap} frames, message still open`);
    // The 11th frame's header alone (it announces 1000 bytes that never come) fails.
    const header = role === "server" ? 8 : 4; // 16-bit length, and the masking key
    over.conn.receive(
      frame({ opcode: 0, payload: new Uint8Array(1000), mask }).subarray(0, header),
    );
    assert.equal(over.failures[0]?.closeCode, 1009, role);
    assert.match(over.failures[0].message, /more than 10 fragments/);
    assert.equal(closeCodeOf(over.written.at(-1)!), 1009, `${role}: close 1009 sent`);
    assert.equal(over.messages.length, 0);
    assert.equal(over.conn.messageBufferSize, 0, `${role}: the partial message is released`);
  }
});

Deno.test("rule: the message buffer is released when the peer's close frame interrupts a message", () => {
  const rec = recorder("client");
  rec.conn.receive(frame({ opcode: 2, fin: false, payload: pattern(50_000) }));
  assert.ok(rec.conn.messageBufferSize >= 50_000, "the first fragment is held");
  rec.conn.receive(frame({ opcode: 8, payload: Uint8Array.from([0x03, 0xe8]) }));
  assert.equal(rec.closes[0]?.code, 1000);
  assert.equal(rec.conn.messageBufferSize, 0, "dropped with the message");
});

Deno.test("rule: payload given as a range of a larger chunk assembles the same message as the range's own bytes (text whole or fragmented, binary)", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.nat(20),
      fc.nat(20),
      fc.boolean(),
      (body, before, after, text) => {
        const payload = text
          ? new TextEncoder().encode(String.fromCharCode(...body.map((b) => b & 0x7f)))
          : body;
        const chunk = new Uint8Array(before + payload.length + after).fill(0xff);
        chunk.set(payload, before);
        const assemble = (feed: (a: MessageAssembler) => void) => {
          const assembler = new MessageAssembler({ maxMessageSize: 1 << 20, maxFragments: 100 });
          assembler.frameStart(text ? 1 : 2, true, payload.length);
          feed(assembler);
          return assembler.frameEnd();
        };
        const fromRange = assemble((a) => a.payload(chunk, before, before + payload.length));
        const fromOwn = assemble((a) => a.payload(payload.slice()));
        assert.deepEqual(fromRange, fromOwn);
        // In two pieces: the validator and the copy path see ranges too.
        const half = before + (payload.length >> 1);
        const split = assemble((a) => {
          a.payload(chunk, before, half);
          a.payload(chunk, half, before + payload.length);
        });
        assert.deepEqual(split, fromOwn);
      },
    ),
  );
});
