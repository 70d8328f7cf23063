// UTF-8, close-frame and close-handshake rules (spec section 8), one test each,
// plus the chunking invariance of the parser.
import assert from "node:assert/strict";
import {
  decodeClosePayload,
  encodeClosePayload,
  isValidCloseCode,
  ProtocolError,
  truncateReason,
} from "../../src/protocol/mod.ts";
import { closeCodeOf, concat, decodeWritten, frame, recorder } from "./helpers.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

function expect1007(stream: Uint8Array) {
  const rec = recorder();
  rec.conn.receive(stream);
  assert.equal(rec.failures[0]?.closeCode, 1007);
  assert.equal(closeCodeOf(rec.written[0]), 1007);
  assert.equal(rec.messages.length, 0);
}

Deno.test("rule: invalid UTF-8 in a text frame closes with 1007", () => {
  expect1007(frame({ opcode: 1, payload: bytes(0x68, 0xff, 0x69) }));
});

Deno.test("rule: overlong UTF-8 forms close with 1007", () => {
  expect1007(frame({ opcode: 1, payload: bytes(0xc0, 0x80) }));
  expect1007(frame({ opcode: 1, payload: bytes(0xe0, 0x80, 0xaf) }));
});

Deno.test("rule: UTF-16 surrogates encoded in UTF-8 close with 1007", () => {
  expect1007(frame({ opcode: 1, payload: bytes(0xed, 0xa0, 0x80) }));
});

Deno.test("rule: code points above U+10FFFF close with 1007", () => {
  expect1007(frame({ opcode: 1, payload: bytes(0xf4, 0x90, 0x80, 0x80) }));
});

Deno.test("rule: invalid UTF-8 across fragment boundaries closes with 1007", () => {
  // E2 82 is a valid prefix; 28 cannot continue it.
  expect1007(concat([
    frame({ opcode: 1, fin: false, payload: bytes(0xe2, 0x82) }),
    frame({ opcode: 0, payload: bytes(0x28) }),
  ]));
});

Deno.test("rule: a text message ending mid-character closes with 1007", () => {
  expect1007(frame({ opcode: 1, payload: bytes(0x61, 0xe2, 0x82) }));
});

Deno.test("rule: UTF-8 fails fast, on the first bad fragment, before the message ends", () => {
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 1, fin: false, payload: bytes(0x61, 0xff) }));
  assert.equal(rec.failures[0]?.closeCode, 1007, "failed before the final fragment arrived");
});

Deno.test("rule: UTF-8 fails fast inside one frame whose payload is still arriving", () => {
  const rec = recorder();
  const whole = frame({ opcode: 1, payload: new Uint8Array(1000).fill(0x61) });
  whole[10] = 0xff; // byte 8 of the payload
  rec.conn.receive(whole.subarray(0, 20));
  assert.equal(rec.failures[0]?.closeCode, 1007, "failed with 980 payload bytes still missing");
});

Deno.test("rule: multi-byte characters split across fragments at every byte are kept intact", () => {
  const text = "aé€😀z";
  const encoded = new TextEncoder().encode(text);
  for (let cut = 0; cut <= encoded.length; cut++) {
    const rec = recorder();
    rec.conn.receive(concat([
      frame({ opcode: 1, fin: false, payload: encoded.subarray(0, cut) }),
      frame({ opcode: 0, payload: encoded.subarray(cut) }),
    ]));
    assert.deepEqual(rec.messages, [text], `cut at ${cut}`);
  }
});

Deno.test("rule: close codes that may be sent are 1000-1003, 1007-1014, 3000-4999", () => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999]) {
    assert.ok(isValidCloseCode(code), `${code} is valid`);
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535, 1000.5]) {
    assert.ok(!isValidCloseCode(code), `${code} is not valid`);
  }
});

Deno.test("rule: a received close with an invalid code closes with 1002", () => {
  for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000]) {
    const rec = recorder();
    rec.conn.receive(frame({ opcode: 8, payload: bytes(code >> 8, code & 255) }));
    assert.equal(rec.failures[0]?.closeCode, 1002, `code ${code}`);
  }
});

Deno.test("rule: a close frame with a 1-byte payload closes with 1002", () => {
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 8, payload: bytes(0x03) }));
  assert.equal(rec.failures[0]?.closeCode, 1002);
});

Deno.test("rule: invalid UTF-8 in a close reason closes with 1007", () => {
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 8, payload: bytes(0x03, 0xe8, 0xff, 0xfe) }));
  assert.equal(rec.failures[0]?.closeCode, 1007);
  assert.throws(
    () => decodeClosePayload(bytes(0x03, 0xe8, 0xc0, 0x80)),
    (e) => e instanceof ProtocolError && e.closeCode === 1007,
  );
});

Deno.test("rule: an empty close payload reads as 1005 and is echoed empty", () => {
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 8 }));
  assert.deepEqual(rec.closes, [{ code: 1005, reason: "" }]);
  assert.equal(closeCodeOf(rec.written[0]), undefined);
  assert.equal(rec.conn.state, "closed");
});

Deno.test("rule: the peer's close is echoed with its code, and nothing is sent after it", () => {
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 8, payload: encodeClosePayload(4001, "bye") }));
  assert.deepEqual(rec.closes, [{ code: 4001, reason: "bye" }]);
  assert.equal(closeCodeOf(rec.written[0]), 4001);
  assert.equal(rec.conn.sendText("late"), false);
  rec.conn.receive(frame({ opcode: 9, payload: "after close" }));
  assert.equal(rec.written.length, 1, "no data, pong or second close after close");
});

Deno.test("rule: after we send close, we send no more data and wait for the peer's close", () => {
  const rec = recorder();
  assert.equal(rec.conn.close(1000, "done"), true);
  assert.equal(rec.conn.state, "closing");
  assert.equal(rec.conn.close(1000), false, "only one close frame");
  assert.equal(rec.conn.sendBinary(bytes(1)), false);
  rec.conn.receive(frame({ opcode: 9, payload: "p" }));
  rec.conn.receive(frame({ opcode: 8, payload: encodeClosePayload(1000, "") }));
  assert.equal(rec.conn.state, "closed");
  assert.equal(rec.written.length, 1, "no pong after our close");
  assert.deepEqual(rec.closes, [{ code: 1000, reason: "" }]);
});

Deno.test("rule: sending a close code or reason that may not be sent is refused", () => {
  assert.throws(() => encodeClosePayload(1005), RangeError);
  assert.throws(() => encodeClosePayload(1000, "x".repeat(124)), RangeError);
  assert.equal(encodeClosePayload(1000, "x".repeat(123)).length, 125);
  assert.throws(() => encodeClosePayload(undefined, "reason without code"), RangeError);
});

Deno.test("rule: reasons we generate are cut to 123 bytes without splitting a character", () => {
  const cut = truncateReason("é".repeat(100));
  assert.equal(new TextEncoder().encode(cut).length, 122);
  assert.equal(truncateReason("short"), "short");
});

Deno.test("rule: bytes after a failure are ignored", () => {
  const rec = recorder();
  rec.conn.receive(concat([frame({ opcode: 3 }), frame({ opcode: 1, payload: "later" })]));
  rec.conn.receive(frame({ opcode: 1, payload: "even later" }));
  assert.equal(rec.failures.length, 1);
  assert.equal(rec.messages.length, 0);
});

// A stream with every kind of frame, fed in every possible two- and three-way split.
const STREAM = concat([
  frame({ opcode: 1, payload: "héllo" }),
  frame({ opcode: 2, payload: bytes(0, 1, 2, 255) }),
  frame({ opcode: 1, fin: false, payload: "frag" }),
  frame({ opcode: 9, payload: "p" }),
  frame({ opcode: 0, fin: false, payload: new TextEncoder().encode("€").subarray(0, 1) }),
  frame({ opcode: 0, payload: new TextEncoder().encode("€").subarray(1) }),
  frame({ opcode: 2, payload: new Uint8Array(300).map((_, i) => i & 255) }),
  frame({ opcode: 1 }),
  frame({ opcode: 8, payload: encodeClosePayload(1000, "end") }),
]);

function runChunks(chunks: Uint8Array[]) {
  const rec = recorder();
  // The connection may unmask in place; give it copies.
  for (const chunk of chunks) rec.conn.receive(chunk.slice());
  return {
    messages: rec.messages.map((m) => typeof m === "string" ? m : Array.from(m).join(",")),
    closes: rec.closes,
    pings: rec.pings.length,
    failures: rec.failures.length,
  };
}

Deno.test("rule: the parser yields the same messages for every split of the stream", () => {
  const expected = runChunks([STREAM]);
  assert.equal(expected.messages.length, 5);
  assert.equal(expected.failures, 0);
  for (let a = 0; a <= STREAM.length; a++) {
    assert.deepEqual(
      runChunks([STREAM.subarray(0, a), STREAM.subarray(a)]),
      expected,
      `split ${a}`,
    );
  }
  // Three-way splits on a stride keep the run short but cover many pairs.
  for (let a = 0; a <= STREAM.length; a += 3) {
    for (let b = a; b <= STREAM.length; b += 7) {
      assert.deepEqual(
        runChunks([STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)]),
        expected,
        `split ${a}/${b}`,
      );
    }
  }
  // Byte by byte.
  const single = Array.from(STREAM, (b) => bytes(b));
  assert.deepEqual(runChunks(single), expected);
});

Deno.test("rule: written frames decode back to what was sent (encoder round trip)", () => {
  const rec = recorder("client");
  rec.conn.sendText("round trip ✓");
  rec.conn.sendBinary(new Uint8Array(70000).fill(3));
  const server = recorder("server", 1 << 20);
  for (const w of rec.written) server.conn.receive(w);
  assert.equal(server.messages[0], "round trip ✓");
  assert.deepEqual(server.messages[1], new Uint8Array(70000).fill(3));
  assert.equal(decodeWritten(rec.written[0]).fin, true);
});
