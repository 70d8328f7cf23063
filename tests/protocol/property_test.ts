// Property tests (fast-check): the parser agrees with a simple reference
// decoder under any chunking, never throws on hostile bytes, respects its
// size limit, and encoder∘parser is the identity.
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, FrameParser, ProtocolError } from "../../src/protocol/mod.ts";
import { concat, recorder } from "./helpers.ts";

/** A logical message split into fragments, as a generator produces it. */
interface MessageSpec {
  text: boolean;
  /** Fragment payloads; the message is their concatenation. */
  fragments: Uint8Array[];
  /** Pings to interleave after fragment i (only between fragments). */
  pingAfter: number[];
}

const utf8 = new TextEncoder();

const messageSpec: fc.Arbitrary<MessageSpec> = fc.oneof(
  fc.record({
    text: fc.constant(true),
    parts: fc.array(fc.string({ unit: "grapheme", maxLength: 40 }), { minLength: 1, maxLength: 4 }),
    pingAfter: fc.array(fc.nat(3), { maxLength: 2 }),
  }).map(({ parts, pingAfter }) => {
    // Split the UTF-8 bytes at arbitrary byte positions, not character ones.
    const bytes = utf8.encode(parts.join(""));
    const cuts = parts.map((_, i) => Math.floor((bytes.length * i) / parts.length));
    const fragments = cuts.map((c, i) => bytes.subarray(c, cuts[i + 1] ?? bytes.length));
    return { text: true, fragments, pingAfter };
  }),
  fc.record({
    text: fc.constant(false),
    fragments: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }),
    pingAfter: fc.array(fc.nat(3), { maxLength: 2 }),
  }),
);

/** Wire bytes for messages (server → client, unmasked) with interleaved pings. */
function wire(messages: MessageSpec[], mask: boolean): Uint8Array {
  const key = mask ? new Uint8Array([0x12, 0x34, 0x56, 0x78]) : null;
  const frames: Uint8Array[] = [];
  for (const m of messages) {
    m.fragments.forEach((payload, i) => {
      const last = i === m.fragments.length - 1;
      frames.push(encodeFrame(i === 0 ? (m.text ? 1 : 2) : 0, payload, last, key));
      if (!last && m.pingAfter.includes(i)) {
        frames.push(encodeFrame(9, utf8.encode("p"), true, key));
      }
    });
  }
  return concat(frames);
}

/** The reference: a whole-buffer decoder written the obvious way. */
function referenceDecode(bytes: Uint8Array): (string | string)[] {
  const out: string[] = [];
  let pos = 0;
  let parts: Uint8Array[] = [];
  let text = false;
  while (pos < bytes.length) {
    const fin = (bytes[pos] & 0x80) !== 0;
    const opcode = bytes[pos] & 0x0f;
    const masked = (bytes[pos + 1] & 0x80) !== 0;
    let len = bytes[pos + 1] & 0x7f;
    pos += 2;
    if (len === 126) {
      len = (bytes[pos] << 8) | bytes[pos + 1];
      pos += 2;
    } else if (len === 127) {
      len = Number(new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigUint64(0));
      pos += 8;
    }
    let key: Uint8Array | null = null;
    if (masked) {
      key = bytes.subarray(pos, pos + 4);
      pos += 4;
    }
    const payload = bytes.slice(pos, pos + len).map((b, i) => key ? b ^ key[i & 3] : b);
    pos += len;
    if (opcode >= 8) continue;
    if (opcode !== 0) {
      text = opcode === 1;
      parts = [];
    }
    parts.push(payload);
    if (fin) {
      const all = concat(parts);
      out.push(text ? "T:" + new TextDecoder().decode(all) : "B:" + Array.from(all).join(","));
    }
  }
  return out;
}

/** Splits bytes at the given cut points (sorted, deduplicated). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.slice(start, p));
    start = p;
  }
  chunks.push(bytes.slice(start));
  return chunks;
}

function label(m: string | Uint8Array): string {
  return typeof m === "string" ? "T:" + m : "B:" + Array.from(m).join(",");
}

Deno.test("property: any chunking of valid frames yields the reference decoder's messages", () => {
  fc.assert(
    fc.property(
      fc.array(messageSpec, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.boolean(),
      (messages, cuts, asServer) => {
        const bytes = wire(messages, asServer);
        const rec = recorder(asServer ? "server" : "client");
        for (const piece of chunk(bytes, cuts)) rec.conn.receive(piece);
        assert.equal(rec.failures.length, 0);
        assert.deepEqual(rec.messages.map(label), referenceDecode(bytes));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("property: random bytes never make the parser throw anything but ProtocolError", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (b, cuts) => {
        const parser = new FrameParser({ expectMasked: false });
        const sink = { frameStart() {}, framePayload() {}, frameEnd() {} };
        try {
          for (const piece of chunk(b, cuts)) parser.push(piece, sink);
        } catch (error) {
          assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
          assert.ok([1002, 1009].includes(error.closeCode));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("property: the connection never throws on random bytes and fails at most once", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 400 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.constantFrom<"client" | "server">("client", "server"),
      (b, cuts, role) => {
        const rec = recorder(role, 64);
        for (const piece of chunk(b, cuts)) rec.conn.receive(piece);
        assert.ok(rec.failures.length <= 1);
        // The size limit holds for whatever got through.
        for (const m of rec.messages) {
          const size = typeof m === "string" ? utf8.encode(m).length : m.length;
          assert.ok(size <= 64, `message of ${size} bytes passed a 64-byte limit`);
        }
        if (rec.failures.length === 1) {
          assert.ok([1002, 1007, 1009].includes(rec.failures[0].closeCode));
        }
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("property: messages over the limit always fail with 1009, never reach the user", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 50 }), { minLength: 1, maxLength: 6 }),
      (frags) => {
        const total = frags.reduce((n, f) => n + f.length, 0);
        const rec = recorder("client", 100);
        rec.conn.receive(wire([{ text: false, fragments: frags, pingAfter: [] }], false));
        if (total > 100) {
          assert.equal(rec.failures[0]?.closeCode, 1009);
          assert.equal(rec.messages.length, 0);
        } else {
          assert.equal(rec.messages.length, 1);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("property: encoder then parser is the identity for every opcode, length and fragmentation", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 9, 10),
      fc.oneof(
        fc.uint8Array({ maxLength: 130 }),
        fc.integer({ min: 65530, max: 65540 }).map((n) => new Uint8Array(n).fill(n & 255)),
      ),
      fc.boolean(),
      (opcode, payload, masked) => {
        if (opcode >= 8 && payload.length > 125) return; // control frames are small by rule
        if (opcode === 1) payload = utf8.encode(String.fromCharCode(...payload.slice(0, 100)));
        const frame = encodeFrame(
          opcode,
          payload,
          true,
          masked ? new Uint8Array([1, 2, 3, 4]) : null,
        );
        const parser = new FrameParser({ expectMasked: masked });
        const got: Uint8Array[] = [];
        let header: { opcode: number; length: number; fin: boolean } | undefined;
        parser.push(frame.slice(), {
          frameStart: (opcode, fin, length) => header = { opcode, length, fin },
          framePayload: (chunk, start, end) => got.push(chunk.slice(start, end)),
          frameEnd() {},
        });
        assert.equal(header?.opcode, opcode);
        assert.equal(header?.length, payload.length);
        assert.equal(header?.fin, true);
        assert.deepEqual(concat(got), payload);
      },
    ),
    { numRuns: 400 },
  );
});
