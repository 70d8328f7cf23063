// Framing rules of RFC 6455 section 5 (spec section 8, "Frames"), one test each.
import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameParser,
  type FrameSink,
  FrameSlab,
  MaskKeySource,
  ProtocolConnection,
  ProtocolError,
} from "../../src/protocol/mod.ts";
import { closeCodeOf, concat, decodeWritten, frame, recorder } from "./helpers.ts";

function expectFailure(bytes: Uint8Array, code: number, role: "client" | "server" = "client") {
  const rec = recorder(role, 1 << 20);
  rec.conn.receive(bytes);
  assert.equal(rec.failures.length, 1, "exactly one failure");
  assert.equal(rec.failures[0].closeCode, code);
  assert.equal(rec.written.length, 1, "a close frame was sent");
  assert.equal(closeCodeOf(rec.written[0]), code);
  assert.equal(rec.messages.length, 0);
  return rec;
}

Deno.test("rule: a client rejects a masked server frame with 1002", () => {
  expectFailure(frame({ opcode: 1, payload: "hi", mask: [1, 2, 3, 4] }), 1002);
});

Deno.test("rule: a server rejects an unmasked client frame with 1002", () => {
  expectFailure(frame({ opcode: 1, payload: "hi" }), 1002, "server");
});

Deno.test("rule: a server accepts masked client frames and unmasks them", () => {
  const rec = recorder("server");
  rec.conn.receive(frame({ opcode: 1, payload: "masked hello", mask: [9, 8, 7, 6] }));
  assert.deepEqual(rec.messages, ["masked hello"]);
});

Deno.test("rule: reserved bits without a negotiated extension close with 1002", () => {
  for (const rsv of [1, 2, 4, 7]) expectFailure(frame({ opcode: 1, rsv, payload: "x" }), 1002);
});

Deno.test("rule: reserved opcodes 3-7 and 0xB-0xF close with 1002", () => {
  for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    expectFailure(frame({ opcode, payload: "x" }), 1002);
  }
});

Deno.test("rule: a fragmented control frame closes with 1002", () => {
  expectFailure(frame({ opcode: 9, fin: false, payload: "p" }), 1002);
});

Deno.test("rule: a control frame over 125 bytes closes with 1002", () => {
  expectFailure(frame({ opcode: 9, payload: new Uint8Array(126) }), 1002);
  // 125 is the largest allowed: answered with a pong.
  const rec = recorder();
  rec.conn.receive(frame({ opcode: 9, payload: new Uint8Array(125).fill(7) }));
  assert.equal(rec.failures.length, 0);
  assert.deepEqual(decodeWritten(rec.written[0]).payload, new Uint8Array(125).fill(7));
});

Deno.test("rule: a 16-bit length for a payload under 126 bytes closes with 1002", () => {
  expectFailure(frame({ opcode: 2, payload: new Uint8Array(100), lengthBits: 16 }), 1002);
});

Deno.test("rule: a 64-bit length for a payload under 65536 bytes closes with 1002", () => {
  expectFailure(frame({ opcode: 2, payload: new Uint8Array(300), lengthBits: 64 }), 1002);
});

Deno.test("rule: a 64-bit length with the top bit set closes with 1002", () => {
  // Only the header is needed: the violation is detected before any payload.
  const bytes = frame({ opcode: 2, payload: new Uint8Array(70000), topBit: true });
  expectFailure(bytes.subarray(0, 10), 1002);
});

Deno.test("rule: a frame length beyond 2^53 closes with 1009", () => {
  const head = new Uint8Array([0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  expectFailure(head, 1009);
});

Deno.test("rule: continuation without a started message closes with 1002", () => {
  expectFailure(frame({ opcode: 0, payload: "x" }), 1002);
});

Deno.test("rule: a new data frame inside a fragmented message closes with 1002", () => {
  expectFailure(
    concat([frame({ opcode: 1, fin: false, payload: "a" }), frame({ opcode: 1, payload: "b" })]),
    1002,
  );
});

Deno.test("rule: fragments are reassembled and control frames may interleave", () => {
  const rec = recorder();
  rec.conn.receive(concat([
    frame({ opcode: 1, fin: false, payload: "Hel" }),
    frame({ opcode: 9, payload: "ping!" }),
    frame({ opcode: 0, fin: false, payload: "lo, " }),
    frame({ opcode: 0xa, payload: "pong" }),
    frame({ opcode: 0, payload: "world" }),
  ]));
  assert.deepEqual(rec.messages, ["Hello, world"]);
  assert.equal(rec.pings.length, 1);
  assert.equal(rec.pongs.length, 1);
  const pong = decodeWritten(rec.written[0]);
  assert.equal(pong.opcode, 0xa);
  assert.equal(new TextDecoder().decode(pong.payload), "ping!", "pong echoes the ping payload");
});

Deno.test("rule: every client frame is masked with a fresh random key", () => {
  const rec = recorder("client");
  for (let i = 0; i < 50; i++) rec.conn.sendText("same text");
  const keys = new Set<string>();
  for (const bytes of rec.written) {
    const decoded = decodeWritten(bytes);
    assert.ok(decoded.masked);
    assert.equal(new TextDecoder().decode(decoded.payload), "same text");
    keys.add(Array.from(bytes.subarray(2, 6)).join(","));
  }
  assert.ok(keys.size >= 49, `keys repeat: only ${keys.size} distinct of 50`);
});

Deno.test("rule: server frames are never masked", () => {
  const rec = recorder("server");
  rec.conn.sendBinary(new Uint8Array([1, 2, 3]));
  const decoded = decodeWritten(rec.written[0]);
  assert.equal(decoded.masked, false);
  assert.deepEqual(decoded.payload, new Uint8Array([1, 2, 3]));
});

Deno.test("rule: masking keys come from the injected CSPRNG, refilled in bulk", () => {
  let calls = 0;
  const source = new MaskKeySource((b) => {
    calls++;
    b.fill(calls);
  });
  assert.deepEqual(Array.from(source.next()), [1, 1, 1, 1]);
  for (let i = 0; i < 63; i++) source.next();
  assert.equal(calls, 1);
  assert.deepEqual(Array.from(source.next()), [2, 2, 2, 2]);
});

Deno.test("rule: the encoder uses the minimal length encoding at every boundary", () => {
  for (const [len, headerBytes] of [[0, 2], [125, 2], [126, 4], [65535, 4], [65536, 10]]) {
    const bytes = encodeFrame(2, new Uint8Array(len), true, null);
    assert.equal(bytes.length, len + headerBytes, `length ${len}`);
    const rec = recorder("client");
    rec.conn.receive(bytes);
    assert.equal((rec.messages[0] as Uint8Array).length, len);
  }
});

Deno.test("rule: a message over the size limit closes with 1009 before its payload arrives", () => {
  const rec = recorder("client", 1000);
  // Header of a 5000-byte binary frame only.
  rec.conn.receive(frame({ opcode: 2, payload: new Uint8Array(5000) }).subarray(0, 4));
  assert.equal(rec.failures[0]?.closeCode, 1009);
  assert.equal(closeCodeOf(rec.written[0]), 1009);
});

Deno.test("rule: the size limit counts the sum of fragments (1009)", () => {
  const rec = recorder("client", 1000);
  rec.conn.receive(concat([
    frame({ opcode: 2, fin: false, payload: new Uint8Array(600) }),
    frame({ opcode: 0, payload: new Uint8Array(600) }),
  ]));
  assert.equal(rec.failures[0]?.closeCode, 1009);
});

Deno.test("rule: the parser reports header, payload and end for each frame", () => {
  const parser = new FrameParser({ expectMasked: false });
  const events: string[] = [];
  const sink: FrameSink = {
    frameStart: (opcode, fin, length) => events.push(`start ${opcode} ${length} ${fin}`),
    framePayload: (_chunk, start, end) => events.push(`data ${end - start}`),
    frameEnd: () => events.push("end"),
  };
  parser.push(concat([frame({ opcode: 1, payload: "abc" }), frame({ opcode: 2 })]), sink);
  assert.deepEqual(events, ["start 1 3 true", "data 3", "end", "start 2 0 true", "end"]);
  assert.ok(parser.idle);
  assert.throws(
    () => parser.push(frame({ opcode: 3 }), sink),
    (e) => e instanceof ProtocolError && e.closeCode === 1002,
  );
});

Deno.test("rule: frames carved from a slab never share bytes, so queued frames stay intact", () => {
  const slab = new FrameSlab();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    frames.push(encodeFrame(2, new Uint8Array([i & 255, (i >> 8) & 255]), true, null, slab));
  }
  frames.push(encodeFrame(2, new Uint8Array(5000).fill(9), true, null, slab)); // large: own buffer
  frames.forEach((f, i) => {
    if (i < 3000) assert.deepEqual(Array.from(f), [0x82, 2, i & 255, (i >> 8) & 255]);
  });
  assert.equal(frames[3000].length, 5004);
  assert.ok(frames[3000].every((b, i) => i < 4 || b === 9));
});

Deno.test("rule: connections given one slab carve their small frames from its blocks, so an idle connection holds no block of its own", () => {
  const slab = new FrameSlab();
  const options = {
    role: "server" as const,
    maxMessageSize: 1 << 20,
    maxMessageFragments: 100,
    random: (b: Uint8Array) => crypto.getRandomValues(b),
    slab,
  };
  const written: Uint8Array[] = [];
  const handlers = {
    write: (bytes: Uint8Array) => written.push(bytes),
    message: () => {},
    peerClose: () => {},
    fail: () => {},
  };
  const a = new ProtocolConnection(options, handlers);
  const b = new ProtocolConnection(options, handlers);
  a.sendText("one");
  b.sendText("two");
  a.sendText("three");
  assert.equal(written.length, 3);
  assert.ok(written.every((frame) => frame.buffer === written[0].buffer), "one block for both");
  // Back to back: the second frame starts where the first ends (no bytes shared).
  assert.equal(written[1].byteOffset, written[0].byteOffset + written[0].length);
  assert.deepEqual([...written[2].subarray(2)], [...new TextEncoder().encode("three")]);
});

Deno.test("rule: payload reaches the sink as ranges of the pushed chunk itself (no view per frame), unmasked in place", () => {
  const parser = new FrameParser({ expectMasked: true });
  const key = [9, 8, 7, 6];
  const chunk = concat([
    frame({ opcode: 1, payload: "hello", mask: key }),
    frame({ opcode: 2, payload: new Uint8Array([1, 2, 3]), mask: key }),
  ]);
  const seen: { same: boolean; bytes: number[] }[] = [];
  parser.push(chunk, {
    frameStart() {},
    framePayload: (got, start, end) =>
      seen.push({ same: got === chunk, bytes: [...got.subarray(start, end)] }),
    frameEnd() {},
  });
  assert.deepEqual(seen, [
    { same: true, bytes: [...new TextEncoder().encode("hello")] },
    { same: true, bytes: [1, 2, 3] },
  ]);
});

Deno.test("rule: a handler with writeRange gets small frames as ranges of one slab block, back to back, with the bytes a write-only handler gets as views; large frames still come through write", () => {
  const make = (withRanges: boolean) => {
    const out: { kind: string; bytes: Uint8Array; block?: Uint8Array; start?: number }[] = [];
    const conn = new ProtocolConnection(
      { role: "server", maxMessageSize: 1 << 20, maxMessageFragments: 100, random: () => {} },
      {
        write: (bytes) => out.push({ kind: "write", bytes }),
        ...(withRanges && {
          writeRange: (block: Uint8Array, start: number, end: number) =>
            out.push({ kind: "range", bytes: block.slice(start, end), block, start }),
        }),
        message: () => {},
        peerClose: () => {},
        fail: () => {},
      },
    );
    conn.sendText("hello");
    conn.sendBinary(new Uint8Array([1, 2, 3]));
    conn.ping(new Uint8Array([7]));
    conn.sendBinary(new Uint8Array(5000).fill(9));
    return out;
  };
  const ranges = make(true);
  const views = make(false);
  assert.deepEqual(ranges.map((w) => w.kind), ["range", "range", "range", "write"]);
  assert.deepEqual(views.map((w) => w.kind), ["write", "write", "write", "write"]);
  assert.deepEqual(
    ranges.map((w) => w.bytes),
    views.map((w) => w.bytes),
    "the same bytes either way",
  );
  assert.equal(ranges[1].block, ranges[0].block);
  assert.equal(
    ranges[1].start,
    ranges[0].start! + ranges[0].bytes.length,
    "back to back in the block",
  );
});

Deno.test("rule: a sink with wholeFrame gets each final text or binary frame that arrived whole in one call, unmasked; frames split across reads, fragments and control frames still come as frameStart, framePayload, frameEnd", () => {
  const key = [0x11, 0x22, 0x33, 0x44];
  const log: string[] = [];
  const text = new TextDecoder();
  const sink: FrameSink = {
    frameStart: (opcode, fin, length) => log.push(`start ${opcode} ${fin} ${length}`),
    framePayload: (chunk, start, end) =>
      log.push(`payload ${text.decode(chunk.subarray(start, end))}`),
    frameEnd: () => log.push("end"),
    wholeFrame: (opcode, rsv, chunk, start, end) =>
      log.push(`whole ${opcode} ${rsv} ${text.decode(chunk.subarray(start, end))}`),
  };
  const parser = new FrameParser({ expectMasked: true });
  parser.push(
    concat([
      frame({ opcode: 1, payload: "hello", mask: key }),
      frame({ opcode: 2, payload: "bin", mask: key }),
      frame({ opcode: 1, payload: "", mask: key }),
      frame({ opcode: 9, payload: "ping", mask: key }),
      frame({ opcode: 1, fin: false, payload: "frag", mask: key }),
      frame({ opcode: 0, payload: "ment", mask: key }),
    ]),
    sink,
  );
  assert.deepEqual(log, [
    "whole 1 0 hello",
    "whole 2 0 bin",
    "whole 1 0 ",
    "start 9 true 4",
    "payload ping",
    "end",
    "start 1 false 4",
    "payload frag",
    "end",
    "start 0 true 4",
    "payload ment",
    "end",
  ]);
  // The same frame split inside its payload: the parts as they come.
  log.length = 0;
  const split = frame({ opcode: 1, payload: "abcdef", mask: key });
  parser.push(split.slice(0, 9), sink);
  parser.push(split.slice(9), sink);
  assert.deepEqual(log, ["start 1 true 6", "payload abc", "payload def", "end"]);
  // The framing rules hold on the whole-frame path too.
  assert.throws(
    () => new FrameParser({ expectMasked: true }).push(frame({ opcode: 1, payload: "x" }), sink),
    (error: unknown) => error instanceof ProtocolError && error.closeCode === 1002,
  );
});

Deno.test("rule: whole frames in one read meet the same rules as split ones: invalid UTF-8 fails 1007, a message over the limit 1009, a new message inside a fragmented one 1002", () => {
  const key = [5, 6, 7, 8];
  const invalid = frame({ opcode: 1, payload: new Uint8Array([0x68, 0xc3, 0x28]), mask: key });
  expectFailure(invalid, 1007, "server");
  const rec = recorder("server", 4);
  rec.conn.receive(frame({ opcode: 2, payload: new Uint8Array(5), mask: key }));
  assert.equal(rec.failures[0]?.closeCode, 1009);
  assert.equal(rec.messages.length, 0);
  expectFailure(
    concat([
      frame({ opcode: 1, fin: false, payload: "a", mask: key }),
      frame({ opcode: 1, payload: "b", mask: key }),
    ]),
    1002,
    "server",
  );
});
