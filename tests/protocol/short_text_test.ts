// The ASCII fast paths must agree with TextEncoder/TextDecoder and step aside otherwise.
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeShortAscii, encodeFrame, isShortAscii, SHORT_TEXT } from "../../src/protocol/mod.ts";
import { decodeWritten } from "./helpers.ts";

Deno.test("rule: a short ASCII string is framed with exactly its UTF-8 bytes, masked or not", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary-ascii", maxLength: SHORT_TEXT }),
      fc.boolean(),
      (text, masked) => {
        if (!isShortAscii(text)) return;
        const key = masked ? new Uint8Array([7, 1, 200, 33]) : null;
        const fromString = encodeFrame(1, text, true, key);
        const fromBytes = encodeFrame(1, new TextEncoder().encode(text), true, key);
        assert.deepEqual(fromString, fromBytes);
        assert.equal(new TextDecoder().decode(decodeWritten(fromString).payload), text);
      },
    ),
  );
});

Deno.test("rule: the fast path is refused for non-ASCII and long strings", () => {
  assert.equal(isShortAscii("abc"), true);
  assert.equal(isShortAscii(""), true);
  assert.equal(isShortAscii("é"), false);
  assert.equal(isShortAscii("\ud800"), false, "a lone surrogate goes to TextEncoder");
  assert.equal(isShortAscii("a".repeat(SHORT_TEXT + 1)), false);
});

Deno.test("rule: short ASCII decodes exactly as TextDecoder does; other bytes fall back", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: SHORT_TEXT }), (bytes) => {
      const text = decodeShortAscii(bytes);
      if (bytes.every((b) => b < 0x80)) assert.equal(text, new TextDecoder().decode(bytes));
      else assert.equal(text, undefined, "non-ASCII must go to the validating decoder");
    }),
  );
  assert.equal(decodeShortAscii(new Uint8Array(SHORT_TEXT + 1)), undefined);
});

Deno.test("rule: a short decode never carries bytes over from the one before (shared scratch)", () => {
  const encoder = new TextEncoder();
  assert.equal(decodeShortAscii(encoder.encode("abcdefghijklmnop")), "abcdefghijklmnop");
  assert.equal(decodeShortAscii(encoder.encode("xyz")), "xyz");
  assert.equal(decodeShortAscii(encoder.encode("")), "");
  assert.equal(decodeShortAscii(new Uint8Array([0x41, 0x80])), undefined);
  assert.equal(
    decodeShortAscii(encoder.encode("B")),
    "B",
    "a refused decode leaves nothing behind",
  );
});

Deno.test("rule: the memo of the last decoded string changes no answer of isShortAscii", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: SHORT_TEXT }),
      fc.string({ maxLength: 80 }),
      (bytes, other) => {
        const decoded = decodeShortAscii(bytes);
        const expected = (text: string) =>
          text.length <= SHORT_TEXT && [...text].every((c) => c.charCodeAt(0) < 0x80);
        if (decoded !== undefined) assert.equal(isShortAscii(decoded), true);
        assert.equal(isShortAscii(other), expected(other), JSON.stringify(other));
      },
    ),
  );
});

Deno.test("rule: decodeShortAscii of a range equals decoding that range's own bytes, for every length up to the limit", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: SHORT_TEXT + 20 }),
      fc.nat(),
      fc.nat(),
      (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (b % (bytes.length - start + 1));
        assert.equal(
          decodeShortAscii(bytes, start, end),
          decodeShortAscii(bytes.slice(start, end)),
        );
      },
    ),
  );
});

Deno.test("rule: a short ASCII range of a larger buffer decodes to exactly its own bytes (never those around it), wherever it lies", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 90 }),
      fc.nat(),
      fc.nat(SHORT_TEXT),
      (bytes, at, wanted) => {
        const start = bytes.length === 0 ? 0 : at % (bytes.length + 1);
        const end = Math.min(bytes.length, start + wanted);
        const range = bytes.subarray(start, end);
        const text = decodeShortAscii(bytes, start, end);
        if (range.every((b) => b < 0x80)) assert.equal(text, new TextDecoder().decode(range));
        else assert.equal(text, undefined, "non-ASCII must go to the validating decoder");
      },
    ),
    { numRuns: 2000 },
  );
});
