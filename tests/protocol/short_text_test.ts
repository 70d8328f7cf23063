// The ASCII fast paths must agree with TextEncoder/TextDecoder and step aside otherwise.
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeShortAscii, encodeShortAscii, SHORT_TEXT } from "../../src/protocol/mod.ts";

Deno.test("rule: short ASCII encodes exactly as TextEncoder does", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary-ascii", maxLength: SHORT_TEXT }), (text) => {
      const bytes = encodeShortAscii(text);
      if (/^[\x00-\x7f]*$/.test(text)) assert.deepEqual(bytes, new TextEncoder().encode(text));
      else assert.equal(bytes, undefined);
    }),
  );
});

Deno.test("rule: the encoder fast path refuses non-ASCII and long strings", () => {
  assert.equal(encodeShortAscii("é"), undefined);
  assert.equal(encodeShortAscii("\ud800"), undefined, "a lone surrogate goes to TextEncoder");
  assert.equal(encodeShortAscii("a".repeat(SHORT_TEXT + 1)), undefined);
  assert.deepEqual(encodeShortAscii(""), new Uint8Array(0));
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
