// The streaming UTF-8 check (src/protocol/utf8.ts): it accepts exactly what a
// fatal TextDecoder accepts, wherever the bytes are split, and rejects at the
// first byte that no valid text can contain there.
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeCheckedUtf8, decodeUtf8, Utf8Validator } from "../../src/protocol/mod.ts";

const encoder = new TextEncoder();

function decodes(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The validator's verdict on `bytes` fed in pieces cut at `cuts`. */
function validates(bytes: Uint8Array, cuts: number[]): boolean {
  const check = new Utf8Validator();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (!check.push(bytes.subarray(start, point))) return false;
    start = point;
  }
  return check.complete;
}

// Bytes near valid UTF-8: encoded strings with bytes of every class spliced in.
const nearUtf8 = fc.tuple(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.array(
    fc.tuple(
      fc.nat(200),
      fc.oneof(
        fc.integer({ min: 0x80, max: 0xbf }),
        fc.integer({ min: 0xc0, max: 0xff }),
        fc.constantFrom(0xe0, 0xed, 0xf0, 0xf4, 0x9f, 0xa0, 0x8f, 0x90),
      ),
    ),
    { maxLength: 4 },
  ),
).map(([text, splices]) => {
  const bytes = Array.from(encoder.encode(text));
  for (const [at, byte] of splices) bytes.splice(at % (bytes.length + 1), 0, byte);
  return Uint8Array.from(bytes);
});

Deno.test("property: the UTF-8 check accepts exactly what a fatal TextDecoder accepts, however the bytes are split", () => {
  fc.assert(
    fc.property(
      fc.oneof(nearUtf8, fc.uint8Array({ maxLength: 40 })),
      fc.array(fc.nat(), { maxLength: 6 }),
      (bytes, cuts) => {
        assert.equal(validates(bytes, cuts), decodes(bytes));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("property: the UTF-8 check fails fast, at the same byte as a streaming TextDecoder", () => {
  fc.assert(
    fc.property(nearUtf8, (bytes) => {
      const check = new Utf8Validator();
      const decoder = new TextDecoder("utf-8", { fatal: true });
      for (let i = 0; i < bytes.length; i++) {
        const one = bytes.subarray(i, i + 1);
        let decoderAccepts = true;
        try {
          decoder.decode(one, { stream: true });
        } catch {
          decoderAccepts = false;
        }
        assert.equal(check.push(one), decoderAccepts, `byte ${i} of [${bytes.join(",")}]`);
        if (!decoderAccepts) return;
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("rule: UTF-8 boundaries: overlong forms, surrogates and code points past U+10FFFF are refused, their neighbours accepted", () => {
  const cases: [number[], boolean][] = [
    [[0x7f], true],
    [[0x80], false], // a continuation byte alone
    [[0xc0, 0x80], false], // overlong U+0000
    [[0xc1, 0xbf], false], // overlong U+007F
    [[0xc2, 0x80], true], // U+0080
    [[0xe0, 0x9f, 0xbf], false], // overlong U+07FF
    [[0xe0, 0xa0, 0x80], true], // U+0800
    [[0xed, 0x9f, 0xbf], true], // U+D7FF
    [[0xed, 0xa0, 0x80], false], // U+D800, a surrogate
    [[0xee, 0x80, 0x80], true], // U+E000
    [[0xef, 0xbf, 0xbf], true], // U+FFFF
    [[0xf0, 0x8f, 0xbf, 0xbf], false], // overlong U+FFFF
    [[0xf0, 0x90, 0x80, 0x80], true], // U+10000
    [[0xf4, 0x8f, 0xbf, 0xbf], true], // U+10FFFF
    [[0xf4, 0x90, 0x80, 0x80], false], // U+110000
    [[0xf5, 0x80, 0x80, 0x80], false],
    [[0xff], false],
  ];
  for (const [bytes, valid] of cases) {
    const check = new Utf8Validator();
    const verdict = check.push(Uint8Array.from(bytes)) && check.complete;
    assert.equal(verdict, valid, `[${bytes.map((b) => b.toString(16)).join(" ")}]`);
    assert.equal(decodes(Uint8Array.from(bytes)), valid, "TextDecoder agrees");
  }
});

Deno.test("rule: a character cut off at the end leaves the check incomplete; reset() starts afresh", () => {
  const check = new Utf8Validator();
  assert.ok(check.push(Uint8Array.from([0x68, 0xf0, 0x9f])), "a valid prefix");
  assert.equal(check.complete, false, "😀 is cut off");
  assert.ok(check.push(Uint8Array.from([0x98, 0x80])));
  assert.equal(check.complete, true, "😀 is whole");
  assert.ok(check.push(Uint8Array.from([0xe2])));
  check.reset();
  assert.equal(check.complete, true, "reset forgets the cut-off character");
  assert.ok(check.push(Uint8Array.from([0x41])), "a new text starts cleanly");
});

/** decodeUtf8's verdict: the text, or "invalid" when it throws. */
function fastDecode(bytes: Uint8Array): string {
  try {
    return decodeUtf8(bytes);
  } catch (error) {
    assert.ok(error instanceof TypeError, "invalid UTF-8 is a TypeError, as from TextDecoder");
    return "invalid";
  }
}

function fatalDecode(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return "invalid";
  }
}

Deno.test("property: decodeUtf8 (lenient decode, U+FFFD re-checked) gives exactly a fatal TextDecoder's text or refusal", () => {
  fc.assert(
    fc.property(
      // Near-UTF-8, random bytes, and near-UTF-8 with a genuine U+FFFD (EF BF BD) in it.
      fc.oneof(
        nearUtf8,
        fc.uint8Array({ maxLength: 40 }),
        fc.tuple(nearUtf8, fc.nat()).map(([bytes, at]) => {
          const cut = at % (bytes.length + 1);
          return Uint8Array.from([
            ...bytes.subarray(0, cut),
            0xef,
            0xbf,
            0xbd,
            ...bytes.subarray(cut),
          ]);
        }),
      ),
      (bytes) => {
        assert.equal(fastDecode(bytes), fatalDecode(bytes));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("rule: decodeUtf8 keeps a genuine U+FFFD and a leading BOM, and refuses bad bytes next to them", () => {
  const cases: [Uint8Array, string][] = [
    [encoder.encode("a\uFFFDb"), "a\uFFFDb"],
    [encoder.encode("\uFEFFhi"), "\uFEFFhi"],
    [new Uint8Array([0xef, 0xbf, 0xbd, 0xc3]), "invalid"], // U+FFFD, then a cut-off "é"
    [new Uint8Array([0xed, 0xa0, 0x80]), "invalid"], // a surrogate
    [new Uint8Array([0xc0, 0xaf]), "invalid"], // overlong
    [new Uint8Array([]), ""],
  ];
  for (const [bytes, expected] of cases) assert.equal(fastDecode(bytes), expected);
  // Bytes the streaming check accepted decode as they are.
  assert.equal(
    decodeCheckedUtf8(encoder.encode("h\u00e9\u20ac\u{1F600}")),
    "h\u00e9\u20ac\u{1F600}",
  );
});
