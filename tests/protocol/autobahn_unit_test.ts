/**
 * Autobahn TestSuite client cases (sections 1–9) replayed against the sans-I/O
 * `ProtocolConnection` in the client role: the bytes Autobahn's fuzzing server
 * sends are fed to `receive()` (whole, in Autobahn's chop sizes, byte by byte),
 * and what the connection reports and writes back is checked. The socket-level
 * twins are in `tests/autobahn_cases_test.ts`.
 *
 * Run: npx -y deno@2.9.6 test -A tests/protocol/autobahn_unit_test.ts
 */
import assert from "node:assert/strict";
import { encodeClosePayload } from "../../src/protocol/mod.ts";
import { hex, KOSME, UTF8_FAMILIES, utf8Family } from "../helpers/autobahn_utf8.ts";
import { closeCodeOf, concat, decodeWritten, frame, recorder, type Recording } from "./helpers.ts";

const encoder = new TextEncoder();
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;
const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Feeds `stream` to a fresh client connection in chunks of `chop` bytes (0: all at once). */
function feed(stream: Uint8Array, chop = 0, maxMessageSize?: number): Recording {
  const rec = recorder("client", maxMessageSize);
  if (chop <= 0) {
    rec.conn.receive(stream.slice());
  } else {
    for (let i = 0; i < stream.length; i += chop) rec.conn.receive(stream.slice(i, i + chop));
  }
  return rec;
}

/** Written frames decoded (opcode and payload), to compare in one assertion. */
function written(rec: Recording): { opcode: number; payload: number[] }[] {
  return rec.written.map((w) => {
    const d = decodeWritten(w);
    assert.ok(d.masked, "every client frame is masked");
    assert.ok(d.fin, "every client frame has FIN");
    return { opcode: d.opcode, payload: Array.from(d.payload) };
  });
}

/** The connection failed with `code`: one failure, one close frame with that code, nothing else. */
function assertFailed(rec: Recording, code: number, label: string): void {
  assert.equal(rec.failures.length, 1, `${label}: one failure`);
  assert.equal(rec.failures[0].closeCode, code, `${label}: failure code`);
  assert.ok(rec.written.length >= 1, `${label}: a close frame was written`);
  const last = rec.written[rec.written.length - 1];
  assert.equal(closeCodeOf(last), code, `${label}: close code written`);
  assert.equal(rec.conn.state, "closed", `${label}: state`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function pattern(length: number, seed = 31): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * seed + (i >> 8)) & 0xff;
  return out;
}

const closeFrame = (code: number, reason = "") =>
  frame({ opcode: OP.close, payload: encodeClosePayload(code, reason) });

// ===================================================== section 1: framing, chopped

for (const [id, opcode] of [["1.1.8", OP.text], ["1.2.8", OP.binary]] as const) {
  const kind = opcode === OP.text ? "text" : "binary";
  Deno.test(`autobahn ${id} (unit): 65536-byte ${kind} fed in 997-byte chunks is delivered intact`, () => {
    const payload = opcode === OP.text ? encoder.encode("*".repeat(65536)) : pattern(65536);
    const rec = feed(frame({ opcode, payload }), 997);
    assert.equal(rec.failures.length, 0);
    assert.equal(rec.messages.length, 1);
    const got = rec.messages[0];
    if (opcode === OP.text) assert.ok(got === "*".repeat(65536), "text intact");
    else assert.ok(got instanceof Uint8Array && sameBytes(got, payload), "binary intact");
    assert.deepEqual(rec.written, [], "nothing written back");
  });
}

// ===================================================== section 2: pings and pongs

Deno.test("autobahn 2.6 (unit): a 125-byte ping fed 1 byte at a time is answered by an identical pong", () => {
  const payload = pattern(125, 0xfe);
  const rec = feed(frame({ opcode: OP.ping, payload }), 1);
  assert.deepEqual(written(rec), [{ opcode: OP.pong, payload: Array.from(payload) }]);
  assert.equal(rec.failures.length, 0);
});

Deno.test("autobahn 2.7 (unit): an unsolicited empty pong is ignored (nothing written), then close 1000 is echoed", () => {
  const rec = feed(concat([frame({ opcode: OP.pong }), closeFrame(1000)]));
  assert.deepEqual(rec.pongs, [new Uint8Array(0)], "the pong is only reported");
  assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }]);
  assert.deepEqual(rec.closes, [{ code: 1000, reason: "" }]);
  assert.equal(rec.failures.length, 0);
});

Deno.test("autobahn 2.9 (unit): unsolicited pong, then ping → only the ping is answered, with its payload", () => {
  const rec = feed(concat([
    frame({ opcode: OP.pong, payload: "unsolicited pong payload" }),
    frame({ opcode: OP.ping, payload: "ping payload" }),
  ]));
  assert.deepEqual(written(rec), [
    { opcode: OP.pong, payload: Array.from(encoder.encode("ping payload")) },
  ]);
  assert.equal(rec.failures.length, 0);
});

Deno.test("autobahn 2.10 / 2.11 (unit): 10 pings, whole and fed 1 byte at a time → 10 pongs, same payloads, in order", () => {
  const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
  const stream = concat(payloads.map((p) => frame({ opcode: OP.ping, payload: p })));
  for (const chop of [0, 1]) {
    const rec = feed(stream, chop);
    assert.deepEqual(
      written(rec),
      payloads.map((p) => ({ opcode: OP.pong, payload: Array.from(encoder.encode(p)) })),
      `chop ${chop}`,
    );
  }
});

// ===================================================== section 3: reserved bits

for (
  const [id, opcode, what] of [
    ["3.5", OP.binary, "binary"],
    ["3.6", OP.ping, "ping"],
    ["3.7", OP.close, "close"],
  ] as const
) {
  Deno.test(`autobahn ${id} (unit): every RSV value 1-7 on a ${what} frame → 1002`, () => {
    const payload = opcode === OP.close ? encodeClosePayload(1000) : encoder.encode("Hello");
    for (let rsv = 1; rsv <= 7; rsv++) {
      const rec = feed(frame({ opcode, rsv, payload }));
      assertFailed(rec, PROTOCOL_ERROR, `rsv ${rsv}`);
      assert.equal(rec.written.length, 1, `rsv ${rsv}: only the close frame (no pong, no echo)`);
      assert.deepEqual(rec.closes, [], `rsv ${rsv}: not taken as the peer's close`);
      assert.deepEqual(rec.messages, []);
    }
  });
}

// ===================================================== section 5: fragmentation

Deno.test("autobahn 5.2 (unit): a pong in 2 fragments (FIN clear, then continuation) → 1002", () => {
  for (const chop of [0, 1]) {
    const rec = feed(
      concat([
        frame({ opcode: OP.pong, fin: false, payload: "fragment1" }),
        frame({ opcode: OP.cont, payload: "fragment2" }),
      ]),
      chop,
    );
    assertFailed(rec, PROTOCOL_ERROR, `chop ${chop}`);
    assert.deepEqual(rec.pongs, []);
  }
});

// Autobahn 5.12–5.14: continuation (FIN clear, nothing to continue) then a text message.
const CASE_5_12 = [
  frame({ opcode: OP.cont, fin: false, payload: "non-continuation payload" }),
  frame({ opcode: OP.text, payload: "Hello, world!" }),
];
// Autobahn 5.15: a 2-fragment text message, then a stray continuation (FIN clear), then text.
const CASE_5_15 = [
  frame({ opcode: OP.text, fin: false, payload: "fragment1" }),
  frame({ opcode: OP.cont, payload: "fragment2" }),
  frame({ opcode: OP.cont, fin: false, payload: "fragment3" }),
  frame({ opcode: OP.text, payload: "fragment4" }),
];
// Autobahn 5.16: twice (stray continuation FIN clear, then a 2-fragment text message).
const CASE_5_16_ROUND = [
  frame({ opcode: OP.cont, fin: false, payload: "fragment1" }),
  frame({ opcode: OP.text, fin: false, payload: "fragment2" }),
  frame({ opcode: OP.cont, payload: "fragment3" }),
];
const CASE_5_16 = [...CASE_5_16_ROUND, ...CASE_5_16_ROUND];

Deno.test("autobahn 5.12-5.14 (unit): continuation with FIN clear and nothing to continue → 1002, in one chunk, per frame, per byte", () => {
  for (
    const [label, chunks] of [
      ["5.12 one chunk", [concat(CASE_5_12)]],
      ["5.13 per frame", CASE_5_12],
      ["5.14 per byte", Array.from(concat(CASE_5_12), (x) => Uint8Array.of(x))],
    ] as const
  ) {
    const rec = recorder();
    for (const chunk of chunks) rec.conn.receive(chunk.slice());
    assertFailed(rec, PROTOCOL_ERROR, label);
    assert.deepEqual(rec.messages, [], `${label}: the text after it is not delivered`);
  }
});

Deno.test("autobahn 5.15 (unit): 2-fragment text, then a continuation with FIN clear → first message delivered, then 1002", () => {
  for (const chop of [0, 1]) {
    const rec = feed(concat(CASE_5_15), chop);
    assertFailed(rec, PROTOCOL_ERROR, `chop ${chop}`);
    assert.deepEqual(rec.messages, ["fragment1fragment2"], `chop ${chop}`);
  }
});

Deno.test("autobahn 5.16 (unit): twice a continuation with FIN clear, then a 2-fragment text → 1002 at once", () => {
  for (const chop of [0, 1]) {
    const rec = feed(concat(CASE_5_16), chop);
    assertFailed(rec, PROTOCOL_ERROR, `chop ${chop}`);
    assert.deepEqual(rec.messages, []);
  }
});

Deno.test("autobahn 5.19 / 5.20 (unit): text in 5 fragments with 2 pings between → the first pong before the message ends, one message", () => {
  const fragments = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"];
  const part1 = concat([
    frame({ opcode: OP.text, fin: false, payload: fragments[0] }),
    frame({ opcode: OP.cont, fin: false, payload: fragments[1] }),
    frame({ opcode: OP.ping, payload: "pongme 1!" }),
  ]);
  const part2 = concat([
    frame({ opcode: OP.cont, fin: false, payload: fragments[2] }),
    frame({ opcode: OP.cont, fin: false, payload: fragments[3] }),
    frame({ opcode: OP.ping, payload: "pongme 2!" }),
    frame({ opcode: OP.cont, payload: fragments[4] }),
  ]);
  for (const chop of [0, 1]) {
    const rec = recorder();
    const push = (part: Uint8Array) => {
      if (chop === 0) rec.conn.receive(part.slice());
      else for (const x of part) rec.conn.receive(Uint8Array.of(x));
    };
    push(part1);
    assert.deepEqual(written(rec), [
      { opcode: OP.pong, payload: Array.from(encoder.encode("pongme 1!")) },
    ], `chop ${chop}: first pong written before the message is complete`);
    assert.deepEqual(rec.messages, []);
    push(part2);
    assert.deepEqual(
      written(rec).map((w) => new TextDecoder().decode(Uint8Array.from(w.payload))),
      [
        "pongme 1!",
        "pongme 2!",
      ],
    );
    assert.deepEqual(rec.messages, [fragments.join("")], `chop ${chop}`);
    assert.equal(rec.failures.length, 0);
  }
});

// ===================================================== section 6: UTF-8

Deno.test('autobahn 6.1.2 / 6.1.3 (unit): text of 3 empty fragments → ""; empty first and last fragment → the middle one', () => {
  const allEmpty = concat([
    frame({ opcode: OP.text, fin: false }),
    frame({ opcode: OP.cont, fin: false }),
    frame({ opcode: OP.cont }),
  ]);
  const middle = concat([
    frame({ opcode: OP.text, fin: false }),
    frame({ opcode: OP.cont, fin: false, payload: "middle frame payload" }),
    frame({ opcode: OP.cont }),
  ]);
  for (const chop of [0, 1]) {
    assert.deepEqual(feed(allEmpty, chop).messages, [""], `6.1.2 chop ${chop}`);
    assert.deepEqual(feed(middle, chop).messages, ["middle frame payload"], `6.1.3 chop ${chop}`);
  }
});

/** Feeds one text message holding `payload` in three shapes; returns a label → recording map. */
function textShapes(payload: Uint8Array): [string, Recording][] {
  const whole = frame({ opcode: OP.text, payload });
  // One fragment per byte (an empty text frame first, then continuations).
  const perByte = concat([
    frame({ opcode: OP.text, fin: false }),
    ...Array.from(
      payload,
      (x, i) =>
        frame({ opcode: OP.cont, fin: i === payload.length - 1, payload: Uint8Array.of(x) }),
    ),
    ...(payload.length === 0 ? [frame({ opcode: OP.cont })] : []),
  ]);
  return [
    ["one frame", feed(whole)],
    ["one frame, fed byte by byte", feed(whole, 1)],
    ["one fragment per byte", feed(perByte)],
  ];
}

for (const family of UTF8_FAMILIES) {
  const valid = family.cases.filter((c) => c.valid).length;
  const invalid = family.cases.length - valid;
  const outcome = [
    valid > 0 ? `${valid} valid delivered intact` : "",
    invalid > 0 ? `${invalid} invalid → 1007` : "",
  ].filter((s) => s !== "").join(", ");
  const last = family.cases[family.cases.length - 1].id;
  const ids = family.cases.length === 1 ? last : `${family.id}.1-${last}`;
  Deno.test(`autobahn ${ids} (unit): ${family.title}: ${outcome}`, () => {
    for (const c of family.cases) {
      for (const [shape, rec] of textShapes(c.payload)) {
        const label = `${c.id} [${hex(c.payload)}] ${shape}`;
        if (c.valid) {
          assert.equal(rec.failures.length, 0, `${label}: no failure`);
          assert.equal(rec.messages.length, 1, `${label}: one message`);
          const text = rec.messages[0];
          assert.equal(typeof text, "string");
          assert.ok(
            sameBytes(encoder.encode(text as string), c.payload),
            `${label}: delivered intact`,
          );
        } else {
          assertFailed(rec, INVALID_PAYLOAD, label);
          assert.deepEqual(rec.messages, [], `${label}: nothing delivered`);
        }
      }
    }
  });
}

Deno.test("autobahn 6.6 (unit): every prefix of κόσμε: the 5 ending on a character are delivered, the 6 others → 1007", () => {
  const family = utf8Family("6.6");
  assert.equal(family.cases.length, KOSME.length);
  const decoded = family.cases.filter((c) => c.valid).map((c) =>
    new TextDecoder().decode(c.payload)
  );
  // The ό of Autobahn's sample is U+1F79 (omicron with oxia).
  const kosme = "\u03ba\u1f79\u03c3\u03bc\u03b5";
  assert.deepEqual(decoded, [1, 2, 3, 4, 5].map((n) => kosme.slice(0, n)));
  assert.deepEqual(family.cases.filter((c) => !c.valid).map((c) => c.payload.length), [
    1,
    3,
    4,
    6,
    8,
    10,
  ]);
});

Deno.test("autobahn 6.13 (unit): every start byte C0-FD alone, followed by a space → 1007 (also FE, FF)", () => {
  for (let start = 0xc0; start <= 0xff; start++) {
    for (const [shape, rec] of textShapes(Uint8Array.of(0x61, start, 0x20, 0x62))) {
      assertFailed(rec, INVALID_PAYLOAD, `0x${start.toString(16)} ${shape}`);
    }
  }
});

Deno.test("autobahn 6.22 (unit): the 34 noncharacters and U+FDD0-U+FDEF are delivered intact, one message each", () => {
  const family = utf8Family("6.22");
  assert.equal(family.cases.length, 34);
  const codePoints = family.cases.map((c) => new TextDecoder().decode(c.payload).codePointAt(0));
  const expected = [0xfffe, 0xffff];
  for (let plane = 1; plane <= 16; plane++) {
    expected.push(plane * 0x10000 + 0xfffe, plane * 0x10000 + 0xffff);
  }
  assert.deepEqual(codePoints, expected, "Autobahn's 34 are U+FFFE/U+FFFF of every plane");
  const extra: string[] = [];
  for (let cp = 0xfdd0; cp <= 0xfdef; cp++) extra.push(String.fromCodePoint(cp));
  const rec = feed(concat(extra.map((s) => frame({ opcode: OP.text, payload: s }))), 1);
  assert.deepEqual(rec.messages, extra);
  assert.equal(rec.failures.length, 0);
});

// ===================================================== section 7: close handling

Deno.test("autobahn 7.1.2 (unit): two close frames → one echo 1000, the second close ignored", () => {
  for (const chop of [0, 1]) {
    const rec = feed(concat([closeFrame(1000), frame({ opcode: OP.close })]), chop);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }], `chop ${chop}`);
    assert.deepEqual(rec.closes, [{ code: 1000, reason: "" }]);
    assert.equal(rec.failures.length, 0);
    assert.equal(rec.conn.state, "closed");
  }
});

Deno.test("autobahn 7.1.6 (unit): 256 KiB text, text, close, ping → both messages delivered, close echoed, no pong", () => {
  const big = "BAsd7&jh23".repeat(Math.ceil(256 * 1024 / 10)).slice(0, 256 * 1024);
  const rec = feed(
    concat([
      frame({ opcode: OP.text, payload: big }),
      frame({ opcode: OP.text, payload: "Hello World!" }),
      closeFrame(1000),
      frame({ opcode: OP.ping }),
    ]),
    65536,
  );
  assert.equal(rec.messages.length, 2);
  assert.ok(rec.messages[0] === big, "256 KiB message intact");
  assert.equal(rec.messages[1], "Hello World!");
  assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }], "no pong");
  assert.deepEqual(rec.closes, [{ code: 1000, reason: "" }]);
});

Deno.test("autobahn 7.3.5 (unit): a close with a 123-byte reason (125-byte payload) is accepted and its code echoed", () => {
  for (const reason of ["*".repeat(123), "é".repeat(61) + "!"]) {
    assert.equal(encoder.encode(reason).length, 123);
    const rec = feed(closeFrame(1000, reason), 1);
    assert.deepEqual(rec.closes, [{ code: 1000, reason }]);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }]);
    assert.equal(rec.failures.length, 0);
  }
});

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
Deno.test(`autobahn 7.7.1-7.7.13 (unit): valid close codes ${VALID_CODES.join(", ")} are echoed`, () => {
  for (const code of VALID_CODES) {
    const rec = feed(closeFrame(code));
    assert.deepEqual(rec.closes, [{ code, reason: "" }], `code ${code}`);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [code >> 8, code & 0xff] }]);
    assert.equal(rec.failures.length, 0, `code ${code}`);
  }
});

const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
Deno.test(`autobahn 7.9.1-7.9.9 (unit): invalid close codes ${INVALID_CODES.join(", ")} → 1002`, () => {
  for (const code of INVALID_CODES) {
    const rec = feed(frame({ opcode: OP.close, payload: Uint8Array.of(code >> 8, code & 0xff) }));
    assertFailed(rec, PROTOCOL_ERROR, `code ${code}`);
    assert.equal(rec.written.length, 1, `code ${code}: no echo of the invalid code`);
  }
});

// ===================================================== section 9: 4 MiB in fragments

const FOUR_MIB = 4 * 1024 * 1024;
const FRAGMENT_SIZES = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, FOUR_MIB];
const sizeLabel = (n: number) =>
  n >= 1048576 ? `${n / 1048576} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`;

/** 4 MiB of UTF-8 text with 2-, 3- and 4-byte characters, so fragment edges fall inside them. */
function fourMibText(): { text: string; bytes: Uint8Array } {
  const unit = "Autobahn 9.3 ✓ κόσμε 😀 ";
  const unitBytes = encoder.encode(unit).length;
  const repeats = Math.floor(FOUR_MIB / unitBytes);
  const text = unit.repeat(repeats) + "x".repeat(FOUR_MIB - repeats * unitBytes);
  const bytes = encoder.encode(text);
  assert.equal(bytes.length, FOUR_MIB);
  return { text, bytes };
}

/** The 4 MiB `payload` as a message of `size`-byte fragments. */
function fragmented(opcode: number, payload: Uint8Array, size: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const end = Math.min(offset + size, payload.length);
    frames.push(frame({
      opcode: offset === 0 ? opcode : OP.cont,
      fin: end === payload.length,
      payload: payload.subarray(offset, end),
    }));
  }
  return concat(frames);
}

const TEXT_4MIB = fourMibText();
const BINARY_4MIB = pattern(FOUR_MIB, 97);

FRAGMENT_SIZES.forEach((size, i) => {
  Deno.test(`autobahn 9.3.${i + 1} (unit): 4 MiB text in ${sizeLabel(size)} fragments, fed in 64 KiB reads, is delivered intact`, () => {
    const rec = feed(fragmented(OP.text, TEXT_4MIB.bytes, size), 65536);
    assert.equal(rec.failures.length, 0);
    assert.equal(rec.messages.length, 1);
    assert.ok(rec.messages[0] === TEXT_4MIB.text, "4 MiB text intact");
  });
  Deno.test(`autobahn 9.4.${i + 1} (unit): 4 MiB binary in ${sizeLabel(size)} fragments, fed in 64 KiB reads, is delivered intact`, () => {
    const rec = feed(fragmented(OP.binary, BINARY_4MIB, size), 65536);
    assert.equal(rec.failures.length, 0);
    assert.equal(rec.messages.length, 1);
    const got = rec.messages[0];
    assert.ok(got instanceof Uint8Array && sameBytes(got, BINARY_4MIB), "4 MiB binary intact");
  });
});

// ================================= sections 9.5 / 9.6: 1 MiB in 64 B ... 2 KiB chunks

const ONE_MIB = 1024 * 1024;
const CHOPS = [64, 128, 256, 512, 1024, 2048];

for (const [family, opcode] of [["9.5", OP.text], ["9.6", OP.binary]] as const) {
  const kind = opcode === OP.text ? "text" : "binary";
  Deno.test(`autobahn ${family}.1-${family}.6 (unit): a 1 MiB ${kind} frame fed in ${CHOPS.join(", ")}-byte chunks is delivered intact`, () => {
    const payload = opcode === OP.text
      ? encoder.encode("BAsd7&jh23".repeat(ONE_MIB / 10 + 1).slice(0, ONE_MIB))
      : pattern(ONE_MIB, 89);
    const stream = frame({ opcode, payload });
    CHOPS.forEach((chop, i) => {
      const rec = feed(stream, chop);
      assert.equal(rec.failures.length, 0);
      assert.equal(rec.messages.length, 1);
      const got = rec.messages[0];
      const view = typeof got === "string" ? encoder.encode(got) : got;
      assert.equal(typeof got === "string", opcode === OP.text, `${family}.${i + 1}: type`);
      assert.ok(sameBytes(view, payload), `${family}.${i + 1} (${chop}-byte chunks): intact`);
    });
  });
}
