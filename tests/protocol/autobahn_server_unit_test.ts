/**
 * Autobahn TestSuite fuzzingclient cases (sections 1–7, 9, 10) replayed against
 * the sans-I/O `ProtocolConnection` in the server role: the masked bytes
 * Autobahn's fuzzing client sends are fed to `receive()` (whole, in Autobahn's
 * chop sizes, byte by byte), and what the connection reports and writes back
 * (unmasked) is checked. Echoing is the server application's job, so here a
 * delivered message stands for an echo. The client-role twin is
 * `autobahn_unit_test.ts`; the socket-level twin is `tests/autobahn_server_test.ts`.
 *
 * Run: npx -y deno@2.9.6 test -A tests/protocol/autobahn_server_unit_test.ts
 */
import assert from "node:assert/strict";
import { encodeClosePayload } from "../../src/protocol/mod.ts";
import { hex, UTF8_FAMILIES } from "../helpers/autobahn_utf8.ts";
import {
  closeCodeOf,
  concat,
  decodeWritten,
  frame,
  type RawFrame,
  recorder,
  type Recording,
} from "./helpers.ts";

const encoder = new TextEncoder();
const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** A client frame: masked with a fresh random key, as every client frame must be. */
function masked(spec: RawFrame): Uint8Array {
  return frame({ ...spec, mask: Array.from(crypto.getRandomValues(new Uint8Array(4))) });
}

/** Feeds `stream` to a fresh server connection in `chop`-byte chunks (0: all at once). */
function feed(stream: Uint8Array, chop = 0, maxMessageSize?: number): Recording {
  const rec = recorder("server", maxMessageSize);
  if (chop <= 0) rec.conn.receive(stream.slice());
  else for (let i = 0; i < stream.length; i += chop) rec.conn.receive(stream.slice(i, i + chop));
  return rec;
}

/** The written frames decoded; every server frame must be unmasked and FIN. */
function written(rec: Recording): { opcode: number; payload: number[] }[] {
  return rec.written.map((w) => {
    const d = decodeWritten(w);
    assert.ok(!d.masked, "a server frame is never masked");
    assert.ok(d.fin, "every server frame has FIN");
    return { opcode: d.opcode, payload: Array.from(d.payload) };
  });
}

/** Failed with `code`: one failure, the last frame written is an unmasked close with that code. */
function assertFailed(rec: Recording, code: number, label: string): void {
  assert.equal(rec.failures.length, 1, `${label}: one failure`);
  assert.equal(rec.failures[0].closeCode, code, `${label}: failure code`);
  const last = rec.written[rec.written.length - 1];
  assert.ok(last !== undefined, `${label}: a close frame was written`);
  assert.ok(!decodeWritten(last).masked, `${label}: close frame unmasked`);
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

const text = (payload: string | Uint8Array, fin = true) =>
  masked({ opcode: OP.text, payload, fin });
const cont = (payload: string | Uint8Array, fin: boolean) =>
  masked({ opcode: OP.cont, payload, fin });
const ping = (payload: string | Uint8Array = "") => masked({ opcode: OP.ping, payload });
const closeFrame = (code: number, reason = "") =>
  masked({ opcode: OP.close, payload: encodeClosePayload(code, reason) });
const pongOf = (payload: string | Uint8Array) => ({
  opcode: OP.pong,
  payload: Array.from(typeof payload === "string" ? encoder.encode(payload) : payload),
});

// ===================================================== section 1

Deno.test("autobahn server 1.1.1-1.2.8 (unit): text and binary of 0 … 65536 bytes, whole and in 997-byte chunks, are delivered intact", () => {
  for (const length of [0, 125, 126, 127, 128, 65535, 65536]) {
    for (
      const [opcode, payload] of [[OP.text, new Uint8Array(length).fill(0x2a)], [
        OP.binary,
        pattern(length),
      ]] as const
    ) {
      for (const chop of [0, 997]) {
        const rec = feed(masked({ opcode, payload }), chop);
        const label = `opcode ${opcode}, ${length} bytes, chop ${chop}`;
        assert.equal(rec.failures.length, 0, label);
        assert.equal(rec.messages.length, 1, label);
        const got = rec.messages[0];
        const view = typeof got === "string" ? encoder.encode(got) : got;
        assert.equal(typeof got === "string", opcode === OP.text, label);
        assert.ok(sameBytes(view, payload), `${label}: intact`);
        assert.deepEqual(rec.written, [], `${label}: nothing written`);
      }
    }
  }
});

// ===================================================== section 2

Deno.test("autobahn server 2.1-2.4, 2.6 (unit): pings of 0 … 125 bytes, whole and byte by byte → unmasked pongs with the same payload", () => {
  for (const payload of [new Uint8Array(0), encoder.encode("Hello, world!"), pattern(125, 0xfe)]) {
    for (const chop of [0, 1]) {
      assert.deepEqual(written(feed(ping(payload), chop)), [pongOf(payload)], `chop ${chop}`);
    }
  }
});

Deno.test("autobahn server 2.5 (unit): a 126-byte ping → 1002, no pong", () => {
  const rec = feed(ping(pattern(126)));
  assertFailed(rec, 1002, "2.5");
  assert.equal(rec.written.length, 1);
});

Deno.test("autobahn server 2.7-2.11 (unit): unsolicited pongs ignored; 10 pings, whole and byte by byte → 10 pongs in order", () => {
  const pongs = concat([
    masked({ opcode: OP.pong }),
    masked({ opcode: OP.pong, payload: "unsolicited pong payload" }),
    ping("ping payload"),
  ]);
  assert.deepEqual(written(feed(pongs)), [pongOf("ping payload")]);
  const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
  for (const chop of [0, 1]) {
    assert.deepEqual(
      written(feed(concat(payloads.map((p) => ping(p))), chop)),
      payloads.map(pongOf),
    );
  }
});

// ===================================================== sections 3 and 4

Deno.test("autobahn server 3.1-3.7 (unit): every RSV value 1-7 on text, binary, ping, close → 1002; a message before it is delivered", () => {
  for (const opcode of [OP.text, OP.binary, OP.ping, OP.close]) {
    for (let rsv = 1; rsv <= 7; rsv++) {
      const payload = opcode === OP.close ? encodeClosePayload(1000) : encoder.encode("Hello");
      const label = `opcode ${opcode} rsv ${rsv}`;
      const rec = feed(concat([text("before"), masked({ opcode, rsv, payload }), ping()]), 1);
      assertFailed(rec, 1002, label);
      assert.deepEqual(rec.messages, ["before"], label);
      assert.equal(rec.written.length, 1, `${label}: only the close (no pong)`);
      assert.deepEqual(rec.closes, [], `${label}: not taken as the client's close`);
    }
  }
});

Deno.test("autobahn server 4.1.1-4.2.5 (unit): reserved opcodes 3-7 and 11-15, with and without payload, after a message → 1002", () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    for (const payload of ["", "reserved opcode payload"]) {
      const rec = feed(concat([text("Hello"), masked({ opcode, payload }), ping()]));
      assertFailed(rec, 1002, `opcode ${opcode}`);
      assert.deepEqual(rec.messages, ["Hello"]);
      assert.equal(rec.written.length, 1, `opcode ${opcode}: no pong`);
    }
  }
});

// ===================================================== section 5

Deno.test("autobahn server 5.1-5.20 (unit): fragmentation, whole and byte by byte", () => {
  const failing: [string, Uint8Array[], string[]][] = [
    ["5.1", [masked({ opcode: OP.ping, fin: false, payload: "f1" }), cont("f2", true)], []],
    ["5.2", [masked({ opcode: OP.pong, fin: false, payload: "f1" }), cont("f2", true)], []],
    ["5.9", [cont("non-continuation payload", true), text("Hello")], []],
    ["5.12", [cont("non-continuation payload", false), text("Hello")], []],
    ["5.15", [text("f1", false), cont("f2", true), cont("f3", false), text("f4")], ["f1f2"]],
    ["5.16", [cont("f1", false), text("f2", false), cont("f3", true)], []],
    ["5.17", [cont("f1", true), text("f2", false), cont("f3", true)], []],
    ["5.18", [text("f1", false), text("f2", true)], []],
  ];
  for (const [id, frames, messages] of failing) {
    for (const chop of [0, 1]) {
      const rec = feed(concat(frames), chop);
      assertFailed(rec, 1002, `${id} chop ${chop}`);
      assert.deepEqual(rec.messages, messages, `${id} chop ${chop}`);
    }
  }
  for (const chop of [0, 1]) {
    const rec = feed(
      concat([text("fragment1", false), ping("pongme!"), cont("fragment2", true)]),
      chop,
    );
    assert.deepEqual(written(rec), [pongOf("pongme!")], `5.6 chop ${chop}`);
    assert.deepEqual(rec.messages, ["fragment1fragment2"], `5.3-5.8 chop ${chop}`);
  }
  // 5.19 / 5.20: the first pong is written before the message's last fragment arrives.
  const rec = recorder("server");
  rec.conn.receive(concat([text("f1", false), cont("f2", false), ping("pongme 1!")]));
  assert.deepEqual(written(rec), [pongOf("pongme 1!")]);
  assert.deepEqual(rec.messages, []);
  rec.conn.receive(
    concat([cont("f3", false), cont("f4", false), ping("pongme 2!"), cont("f5", true)]),
  );
  assert.deepEqual(written(rec), [pongOf("pongme 1!"), pongOf("pongme 2!")]);
  assert.deepEqual(rec.messages, ["f1f2f3f4f5"]);
});

// ===================================================== section 6

/** One text message holding `payload`: one frame, one frame byte by byte, one fragment per byte. */
function textShapes(payload: Uint8Array): [string, Recording][] {
  const perByte = payload.length === 0 ? [text("")] : Array.from(
    payload,
    (x, i) =>
      i === 0
        ? text(Uint8Array.of(x), payload.length === 1)
        : cont(Uint8Array.of(x), i === payload.length - 1),
  );
  return [
    ["one frame", feed(text(payload))],
    ["one frame, fed byte by byte", feed(text(payload), 1)],
    ["one fragment per byte", feed(concat(perByte))],
  ];
}

for (const family of UTF8_FAMILIES) {
  const last = family.cases[family.cases.length - 1].id;
  const ids = family.cases.length === 1 ? last : `${family.id}.1-${last}`;
  Deno.test(`autobahn server ${ids} (unit): ${family.title}: valid delivered, invalid → 1007`, () => {
    for (const c of family.cases) {
      for (const [shape, rec] of textShapes(c.payload)) {
        const label = `${c.id} [${hex(c.payload)}] ${shape}`;
        if (c.valid) {
          assert.equal(rec.failures.length, 0, label);
          assert.equal(rec.messages.length, 1, label);
          assert.ok(sameBytes(encoder.encode(rec.messages[0] as string), c.payload), label);
        } else {
          assertFailed(rec, 1007, label);
          assert.deepEqual(rec.messages, [], label);
        }
      }
    }
  });
}

Deno.test("autobahn server 6.4.1-6.4.4 (unit): invalid UTF-8 fails fast, in the fragment or the chunk that holds it", () => {
  const kosme = encoder.encode("κόσμε");
  const whole = concat([kosme, Uint8Array.of(0xf4, 0x90, 0x80, 0x80), encoder.encode("edited")]);
  const oneFrame = text(whole);
  const head = oneFrame.length - whole.length;
  const cases: [string, Uint8Array[]][] = [
    ["6.4.1", [text(kosme, false), cont(Uint8Array.of(0xf4, 0x90, 0x80, 0x80), false)]],
    ["6.4.2", [
      text(concat([kosme, Uint8Array.of(0xf4)]), false),
      cont(Uint8Array.of(0x90), false),
    ]],
    ["6.4.3", [oneFrame.subarray(0, head + 11), oneFrame.subarray(head + 11, head + 15)]],
    ["6.4.4", [oneFrame.subarray(0, head + 11), oneFrame.subarray(head + 11, head + 13)]],
  ];
  for (const [id, [valid, invalid]] of cases) {
    const rec = recorder("server");
    rec.conn.receive(valid.slice());
    assert.equal(rec.failures.length, 0, `${id}: valid so far`);
    rec.conn.receive(invalid.slice());
    assertFailed(rec, 1007, `${id}: fails before the rest arrives`);
  }
});

// ===================================================== section 7

Deno.test("autobahn server 7.1.2-7.1.6 (unit): after the client's close, nothing more is delivered or answered", () => {
  const big = "BAsd7&jh23".repeat(26215).slice(0, 256 * 1024);
  const cases: [string, Uint8Array[], string[]][] = [
    ["7.1.2", [closeFrame(1000), closeFrame(1000)], []],
    ["7.1.3", [closeFrame(1000), ping("Hello World")], []],
    ["7.1.4", [closeFrame(1000), text("Hello World")], []],
    ["7.1.5", [text("fragment1", false), closeFrame(1000), cont("fragment2", true)], []],
    ["7.1.6", [text(big), text("Hello World!"), closeFrame(1000), ping()], [big, "Hello World!"]],
  ];
  for (const [id, frames, messages] of cases) {
    const rec = feed(concat(frames), 65536);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }], id);
    assert.deepEqual(rec.closes, [{ code: 1000, reason: "" }], id);
    assert.equal(rec.messages.length, messages.length, id);
    messages.forEach((m, i) => assert.ok(rec.messages[i] === m, `${id}: message ${i}`));
    assert.equal(rec.failures.length, 0, id);
  }
});

Deno.test("autobahn server 7.3.1-7.3.6, 7.5.1 (unit): close payloads: empty, 1 byte, code, reason, 123/124-byte reason, invalid UTF-8 reason", () => {
  const empty = feed(masked({ opcode: OP.close }));
  assert.deepEqual(
    written(empty),
    [{ opcode: OP.close, payload: [] }],
    "7.3.1: empty echoed empty",
  );
  assert.deepEqual(empty.closes, [{ code: 1005, reason: "" }]);
  assertFailed(feed(masked({ opcode: OP.close, payload: Uint8Array.of(0x03) })), 1002, "7.3.2");
  for (const reason of ["", "Hello World!", "*".repeat(123)]) {
    const rec = feed(closeFrame(1000, reason), 1);
    assert.deepEqual(rec.closes, [{ code: 1000, reason }], `reason of ${reason.length}`);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [0x03, 0xe8] }]);
  }
  const long = masked({
    opcode: OP.close,
    payload: concat([Uint8Array.of(0x03, 0xe8), encoder.encode("*".repeat(124))]),
  });
  assertFailed(feed(long), 1002, "7.3.6");
  const badReason = masked({
    opcode: OP.close,
    payload: concat([
      Uint8Array.of(0x03, 0xe8),
      encoder.encode("κόσμε"),
      Uint8Array.of(0xed, 0xa0, 0x80),
    ]),
  });
  assertFailed(feed(badReason), 1007, "7.5.1");
});

Deno.test("autobahn server 7.7.1-7.7.13, 7.9.1-7.9.9, 7.13.1-7.13.2 (unit): valid codes echoed, invalid ones → 1002", () => {
  for (
    const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
  ) {
    const rec = feed(closeFrame(code));
    assert.deepEqual(rec.closes, [{ code, reason: "" }], `code ${code}`);
    assert.deepEqual(written(rec), [{ opcode: OP.close, payload: [code >> 8, code & 0xff] }]);
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535]) {
    const rec = feed(masked({ opcode: OP.close, payload: Uint8Array.of(code >> 8, code & 0xff) }));
    assertFailed(rec, 1002, `code ${code}`);
    assert.equal(rec.written.length, 1, `code ${code}: no echo`);
  }
});

// ===================================================== sections 9 and 10

const MIB = 1024 * 1024;

/** `payload` as one message of `size`-byte masked fragments. */
function fragmented(opcode: number, payload: Uint8Array, size: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const end = Math.min(offset + size, payload.length);
    frames.push(masked({
      opcode: offset === 0 ? opcode : OP.cont,
      fin: end === payload.length,
      payload: payload.subarray(offset, end),
    }));
  }
  return concat(frames);
}

Deno.test("autobahn server 9.3.x / 9.4.x (unit): 4 MiB text and binary in 64 B, 1 KiB, 64 KiB, 1 MiB and 4 MiB fragments, fed in 64 KiB reads, are delivered intact", () => {
  const textBytes = encoder.encode("Autobahn ✓ κόσμε 😀 ".repeat(4 * MIB / 32 + 1)).subarray(
    0,
    4 * MIB,
  );
  // Cut back to a whole character so the text stays valid.
  let end = textBytes.length;
  while ((textBytes[end] & 0xc0) === 0x80) end--;
  const valid = textBytes.subarray(0, end);
  const binary = pattern(4 * MIB, 97);
  for (const size of [64, 1024, 65536, MIB, 4 * MIB]) {
    const t = feed(fragmented(OP.text, valid, size), 65536);
    assert.equal(t.failures.length, 0, `text ${size}`);
    assert.ok(sameBytes(encoder.encode(t.messages[0] as string), valid), `text ${size}: intact`);
    const b = feed(fragmented(OP.binary, binary, size), 65536);
    assert.ok(sameBytes(b.messages[0] as Uint8Array, binary), `binary ${size}: intact`);
  }
});

Deno.test("autobahn server 9.5.x / 9.6.x, 10.1.1 (unit): 1 MiB frames fed in 64 … 2048-byte chunks and 64 KiB in 1300-byte fragments are delivered intact", () => {
  const textPayload = encoder.encode("BAsd7&jh23".repeat(MIB / 10 + 1).slice(0, MIB));
  const binary = pattern(MIB, 89);
  for (const chop of [64, 128, 256, 512, 1024, 2048]) {
    const t = feed(masked({ opcode: OP.text, payload: textPayload }), chop);
    assert.ok(sameBytes(encoder.encode(t.messages[0] as string), textPayload), `text ${chop}`);
    const b = feed(masked({ opcode: OP.binary, payload: binary }), chop);
    assert.ok(sameBytes(b.messages[0] as Uint8Array, binary), `binary ${chop}`);
  }
  const auto = feed(fragmented(OP.text, textPayload.subarray(0, 65536), 1300));
  assert.deepEqual(auto.messages, [new TextDecoder().decode(textPayload.subarray(0, 65536))]);
});

// ===================================================== spec: unmasked client frame

Deno.test("autobahn server (spec §5.1, unit): an unmasked client frame → 1002", () => {
  const rec = feed(frame({ opcode: OP.text, payload: "Hello" }));
  assertFailed(rec, 1002, "unmasked");
  assert.deepEqual(rec.messages, []);
});
