import assert from "node:assert/strict";
import fc from "fast-check";
import { isPlainShortText, parseSendData } from "../src/ohos/send_data.ts";

Deno.test("rule: isPlainShortText is true exactly when parseSendData would pass the string on as it is (short ASCII within the send limit), so the server's shortcut sends what the full check would", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary-ascii", maxLength: 80 }),
        fc.string({ maxLength: 40 }),
        fc.string({ unit: "grapheme", maxLength: 20 }),
      ),
      fc.oneof(fc.nat(100), fc.constant(Infinity)),
      (text, limit) => {
        let passedAsIs = false;
        try {
          const result = parseSendData(text, limit);
          passedAsIs = result.payload === text && result.text && result.size === text.length;
        } catch {
          passedAsIs = false;
        }
        assert.equal(isPlainShortText(text, limit), passedAsIs, JSON.stringify({ text, limit }));
      },
    ),
    { numRuns: 2000 },
  );
  for (const other of [new ArrayBuffer(4), new Uint8Array(2), 42, null, undefined, {}]) {
    assert.equal(isPlainShortText(other, Infinity), false);
  }
});
