/**
 * Hostile-server tests: a scripted raw-TCP peer (tests/helpers/scripted_server.ts)
 * plays byte-exact handshakes and frames against the ohos client and records
 * every frame the client sends back, so each RFC 6455 rule is checked on the
 * wire (the exact close code the client sent) and at the API (events, codes).
 *
 * Run: npx -y deno@2.9.6 test -A tests/hostile_server_test.ts
 */
import assert from "node:assert/strict";
import {
  type BusinessError,
  createWebSocket,
  type WebSocket,
  type WebSocketRequestOptions,
} from "../mod.ts";
import {
  type Bytes,
  bytes,
  closeCodeOf,
  closePayload,
  concat,
  delay,
  frame,
  type FrameOptions,
  type HandshakeOptions,
  Op,
  ScriptedPeer,
  ScriptedServer,
  validResponse,
  within,
} from "./helpers/scripted_server.ts";
import { EventLog } from "./helpers/event_log.ts";

const encoder = new TextEncoder();
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;
const MESSAGE_TOO_BIG = 1009;
const ABNORMAL = 1006;
const UNKNOWN_ERROR = 2302999;
const CONNECT_FAILED = -1;

// ------------------------------------------------------------------ fixtures

type ConnectOutcome = { ok: true } | { ok: false; error: BusinessError<unknown> };

interface Session {
  server: ScriptedServer;
  ws: WebSocket;
  log: EventLog;
  peer: ScriptedPeer;
  connected: Promise<ConnectOutcome>;
}

/** Starts a server and a client; the peer is accepted but nothing is answered yet. */
async function begin(options: WebSocketRequestOptions = {}): Promise<Session> {
  const server = ScriptedServer.start();
  const ws = createWebSocket();
  const log = new EventLog(ws);
  const connected = ws.connect(server.url, options).then(
    (): ConnectOutcome => ({ ok: true }),
    (error): ConnectOutcome => ({ ok: false, error }),
  );
  try {
    const peer = await server.peer();
    return { server, ws, log, peer, connected };
  } catch (error) {
    await server.close();
    await within(connected, "connect to settle", 2000);
    throw error;
  }
}

/** Ends a session: closes the server side, then waits (bounded) for the client to settle. */
async function end(s: Session): Promise<void> {
  await s.server.close();
  const outcome = await within(s.connected, "connect to settle", 2000);
  if (outcome.ok) await s.log.waitFor("close", 2000);
}

/** Runs `body` on an open connection (valid handshake) and always cleans up. */
async function withOpen(
  options: WebSocketRequestOptions,
  body: (s: Session) => Promise<void>,
  handshake: HandshakeOptions = {},
): Promise<void> {
  const s = await begin(options);
  try {
    await s.peer.handshake(handshake);
    const outcome = await within(s.connected, "connect", 2000);
    assert.ok(outcome.ok, `connect failed: ${!outcome.ok && JSON.stringify(outcome.error)}`);
    await body(s);
  } finally {
    await end(s);
  }
}

/** Every frame the client sent is masked, and nothing follows its close frame. */
function assertClientWireDiscipline(peer: ScriptedPeer): void {
  for (const f of peer.frames) assert.ok(f.masked, `client frame opcode ${f.opcode} not masked`);
  assert.deepEqual(
    peer.framesAfterClose().map((f) => f.opcode),
    [],
    "client sent frames after its close frame",
  );
}

/**
 * The server sends `chunks` (each its own write, a short pause between); the
 * client must send a close frame with `code`, emit `error` (2302999), then
 * `close` with `code` once the server ends TCP.
 */
async function expectFailure(
  chunks: Uint8Array | Uint8Array[],
  code: number,
  options: WebSocketRequestOptions = {},
  expectedMessages: (string | ArrayBuffer)[] = [],
): Promise<void> {
  await withOpen(options, async ({ peer, log }) => {
    const list = Array.isArray(chunks) ? chunks : [chunks];
    await peer.writeSlowly(list, 1);
    const closeFrame = await peer.closeFrame(2000);
    assert.equal(closeCodeOf(closeFrame), code, "close code the client sent");
    assert.ok(closeFrame.fin, "close frame has FIN");
    assert.equal(closeFrame.rsv, 0);
    assert.ok(closeFrame.payload.length <= 125);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(peer);
    await peer.close();
    const closed = await log.waitFor("close", 2000);
    assert.equal(closed.code, code, "close event code");
    const errors = log.of("error");
    assert.equal(errors.length, 1, `exactly one error event, got ${log.types().join(",")}`);
    assert.equal(errors[0].code, UNKNOWN_ERROR);
    assert.equal(typeof errors[0].message, "string");
    const order = log.types().filter((t) => t !== "message");
    assert.deepEqual(order, ["open", "error", "close"]);
    assert.deepEqual(log.of("message"), expectedMessages);
  });
}

/**
 * The handshake answer is hostile: connect fails with -1 (and `data` when
 * given), the `error` event carries the same error, and there is no `close`.
 */
async function expectHandshakeFailure(
  script: (peer: ScriptedPeer) => Promise<void>,
  data?: string,
  options: WebSocketRequestOptions = {},
): Promise<BusinessError<unknown>> {
  const s = await begin(options);
  try {
    await script(s.peer);
    const outcome = await within(s.connected, "connect to fail", 3000);
    assert.ok(!outcome.ok, "connect must fail");
    const error = outcome.error;
    assert.equal(error.code, CONNECT_FAILED);
    if (data !== undefined) assert.equal(error.data, data);
    const errorEvent = await s.log.waitFor("error", 1000);
    assert.equal(errorEvent.code, CONNECT_FAILED);
    assert.equal(errorEvent, error, "error event and rejection carry the same error");
    await s.peer.clientEnd(1000); // the client dropped the socket
    await delay(20);
    assert.deepEqual(s.log.types(), ["error"], "no open and no close event");
    assert.deepEqual(s.peer.frames, [], "no frames after a failed handshake");
    return error;
  } finally {
    await end(s);
  }
}

const text = (payload: Bytes, options: FrameOptions = {}) => frame(Op.Text, payload, options);
const binary = (payload: Bytes, options: FrameOptions = {}) => frame(Op.Binary, payload, options);
const cont = (payload: Bytes, fin: boolean) => frame(Op.Continuation, payload, { fin });

function asciiText(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String.fromCharCode(0x61 + ((i * 7) % 26));
  return out;
}

function pattern(length: number, seed = 31): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * seed + (i >> 8)) & 0xff;
  return out;
}

// ===================================================================== framing

Deno.test("framing: masked server frame → client closes with 1002", async () => {
  await expectFailure(text("hi", { mask: true }), PROTOCOL_ERROR);
});

for (const [name, rsv] of [["RSV1", 4], ["RSV2", 2], ["RSV3", 1]] as const) {
  Deno.test(`framing: ${name} set without an extension → 1002`, async () => {
    await expectFailure(text("hi", { rsv }), PROTOCOL_ERROR);
  });
}

for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
  Deno.test(`framing: reserved opcode 0x${opcode.toString(16)} → 1002`, async () => {
    await expectFailure(frame(opcode, "x"), PROTOCOL_ERROR);
  });
}

Deno.test("framing: fragmented ping (FIN clear) → 1002", async () => {
  await expectFailure(frame(Op.Ping, "p", { fin: false }), PROTOCOL_ERROR);
});

Deno.test("framing: ping with a 126-byte payload → 1002", async () => {
  await expectFailure(frame(Op.Ping, pattern(126)), PROTOCOL_ERROR);
});

Deno.test("framing: 16-bit length encoding of a 100-byte payload (non-minimal) → 1002", async () => {
  await expectFailure(binary(pattern(100), { lengthForm: 16 }), PROTOCOL_ERROR);
});

Deno.test("framing: 64-bit length encoding of a 100-byte payload (non-minimal) → 1002", async () => {
  await expectFailure(binary(pattern(100), { lengthForm: 64 }), PROTOCOL_ERROR);
});

Deno.test("framing: 64-bit length with the most significant bit set → 1002", async () => {
  await expectFailure(
    binary([1, 2, 3], { lengthForm: 64, declaredLength: 0x8000000000000003n }),
    PROTOCOL_ERROR,
  );
});

Deno.test("framing: continuation frame without a started message → 1002", async () => {
  await expectFailure(cont("hi", true), PROTOCOL_ERROR);
});

Deno.test("framing: new text frame inside a fragmented message → 1002", async () => {
  await expectFailure([text("he", { fin: false }), text("hi")], PROTOCOL_ERROR);
});

Deno.test("framing: new binary frame inside a fragmented text message → 1002", async () => {
  await expectFailure([text("he", { fin: false }), binary([1])], PROTOCOL_ERROR);
});

Deno.test("framing: messages before a violation are delivered, then 1002", async () => {
  await expectFailure(concat([text("ok"), frame(3, "")]), PROTOCOL_ERROR, {}, ["ok"]);
});

// ====================================================================== close

Deno.test("close: close frame with a 1-byte payload → 1002", async () => {
  await expectFailure(frame(Op.Close, [0x03]), PROTOCOL_ERROR);
});

Deno.test("close: close frame with a 126-byte payload → 1002", async () => {
  await expectFailure(frame(Op.Close, closePayload(1000, "r".repeat(124))), PROTOCOL_ERROR);
});

for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
  Deno.test(`close: close frame with invalid code ${code} → 1002`, async () => {
    await expectFailure(frame(Op.Close, closePayload(code)), PROTOCOL_ERROR);
  });
}

Deno.test("close: invalid UTF-8 in the close reason → 1007", async () => {
  await expectFailure(frame(Op.Close, closePayload(1000, [0x6f, 0x6b, 0xff])), INVALID_PAYLOAD);
});

Deno.test("close: close reason ending mid-character → 1007", async () => {
  await expectFailure(frame(Op.Close, closePayload(1000, [0x61, 0xe2, 0x82])), INVALID_PAYLOAD);
});

for (const code of [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999]) {
  Deno.test(`close: peer close ${code} with a reason is echoed and reported as ${code}`, async () => {
    await withOpen({}, async ({ peer, log }) => {
      await peer.write(frame(Op.Close, closePayload(code, "bye ✓")));
      const echo = await peer.closeFrame();
      assert.equal(closeCodeOf(echo), code, "echoed code");
      await peer.endFirst(1000); // the server ends TCP first, the client follows
      assertClientWireDiscipline(peer);
      await peer.close();
      const closed = await log.waitFor("close");
      assert.deepEqual({ ...closed }, { code, reason: "bye ✓" });
      assert.deepEqual(log.of("error"), []);
    });
  });
}

Deno.test("close: empty peer close is echoed empty and reported as 1005", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(frame(Op.Close));
    const echo = await peer.closeFrame();
    assert.equal(echo.payload.length, 0);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, 1005);
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("close: data frames in the same write after the server's close frame are ignored", async () => {
  await withOpen({}, async ({ peer, log }) => {
    // One write: close, then a text frame, a ping and a frame that would be a violation.
    await peer.write(
      frame(Op.Close, closePayload(1000, "done")),
      text("late"),
      frame(Op.Ping, "late ping"),
      frame(5, "reserved"),
    );
    const echo = await peer.closeFrame();
    assert.equal(closeCodeOf(echo), 1000);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(peer);
    assert.deepEqual(peer.frames.map((f) => f.opcode), [Op.Close], "no pong, only the echo");
    await peer.close();
    const closed = await log.waitFor("close");
    assert.deepEqual({ ...closed }, { code: 1000, reason: "done" });
    assert.deepEqual(log.types(), ["open", "close"], "no message and no error after close");
  });
});

Deno.test("close: data frames in later writes after the server's close frame are ignored", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(frame(Op.Close, closePayload(1000, "done")));
    const echo = await peer.closeFrame();
    assert.equal(closeCodeOf(echo), 1000);
    await peer.writeSlowly([text("late"), frame(Op.Ping, "late ping"), frame(5, "reserved")], 5);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(peer);
    assert.deepEqual(peer.frames.map((f) => f.opcode), [Op.Close], "no pong, only the echo");
    await peer.close();
    const closed = await log.waitFor("close");
    assert.deepEqual({ ...closed }, { code: 1000, reason: "done" });
    assert.deepEqual(log.types(), ["open", "close"], "no message and no error after close");
  });
});

Deno.test("close: client never sends data (nor pong) after its own close frame", async () => {
  await withOpen({}, async ({ ws, peer, log }) => {
    const closing = ws.close({ code: 3001, reason: "client bye" });
    await assert.rejects(ws.send("after close"), (e: BusinessError) => e.code === CONNECT_FAILED);
    assert.equal(await within(closing, "close()", 2000), true);
    const ours = await peer.closeFrame();
    assert.equal(closeCodeOf(ours), 3001);
    assert.equal(new TextDecoder().decode(ours.payload.subarray(2)), "client bye");
    // The server keeps talking before it answers: a ping must not be answered now.
    await peer.write(frame(Op.Ping, "are you there"));
    await delay(30);
    await peer.write(frame(Op.Close, closePayload(1000)));
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(peer);
    assert.deepEqual(peer.frames.map((f) => f.opcode), [Op.Close]);
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, 1000);
    assert.deepEqual(log.of("error"), []);
  });
});

// ================================================================ UTF-8 (1007)

const INVALID_UTF8: [string, number[]][] = [
  ["a lone 0xFF byte", [0x68, 0xff, 0x69]],
  ["overlong encoding C0 80", [0x61, 0xc0, 0x80]],
  ["UTF-16 surrogate ED A0 80", [0x61, 0xed, 0xa0, 0x80]],
  ["code point above U+10FFFF (F4 90 80 80)", [0x61, 0xf4, 0x90, 0x80, 0x80]],
  ["a lone continuation byte", [0x80]],
  ["a message ending mid-character", [0x61, 0xe2, 0x82]],
];

for (const [what, payload] of INVALID_UTF8) {
  Deno.test(`utf-8: text frame with ${what} → 1007`, async () => {
    await expectFailure(text(payload), INVALID_PAYLOAD);
  });
}

Deno.test("utf-8: fragments each incomplete alone, invalid together (E2 82 | F0 9F) → 1007", async () => {
  await expectFailure(
    [text([0xe2, 0x82], { fin: false }), cont([0xf0, 0x9f], false), cont([0x9f, 0x98, 0x80], true)],
    INVALID_PAYLOAD,
  );
});

Deno.test("utf-8: message whose fragments end mid-character (F0 9F | 98) → 1007", async () => {
  await expectFailure([text([0xf0, 0x9f], { fin: false }), cont([0x98], true)], INVALID_PAYLOAD);
});

Deno.test("utf-8: surrogate split across fragments (ED | A0 80) → 1007", async () => {
  await expectFailure([text([0xed], { fin: false }), cont([0xa0, 0x80], true)], INVALID_PAYLOAD);
});

Deno.test("utf-8: valid multi-byte text split at every byte boundary is delivered intact", async () => {
  const sample = "aé€😀\u{10FFFF}\u0000z";
  const raw = encoder.encode(sample);
  await withOpen({}, async ({ peer, log }) => {
    const frames: Uint8Array[] = [];
    for (let i = 1; i < raw.length; i++) {
      frames.push(text(raw.subarray(0, i), { fin: false }));
      frames.push(cont(raw.subarray(i), true));
    }
    // One fragment per byte, and an empty final fragment.
    frames.push(text([raw[0]], { fin: false }));
    for (let i = 1; i < raw.length; i++) frames.push(cont([raw[i]], false));
    frames.push(cont([], true));
    await peer.write(...frames);
    const expected = raw.length; // (raw.length - 1) two-way splits + one byte-wise message
    await log.waitFor("message", 3000, expected);
    assert.deepEqual(log.of("message"), Array(expected).fill(sample));
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("utf-8: text starting with U+FEFF (BOM) is delivered intact", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(text("\uFEFFhello"), text([0xef, 0xbb], { fin: false }), cont([0xbf], true));
    await log.waitFor("message", 2000, 2);
    assert.deepEqual(log.of("message"), ["\uFEFFhello", "\uFEFF"]);
  });
});

Deno.test("utf-8: close reason starting with U+FEFF (BOM) is reported intact", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(frame(Op.Close, closePayload(1000, "\uFEFFbye")));
    assert.equal(closeCodeOf(await peer.closeFrame()), 1000);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    await peer.close();
    const closed = await log.waitFor("close");
    assert.deepEqual({ ...closed }, { code: 1000, reason: "\uFEFFbye" });
  });
});

Deno.test("utf-8 fail-fast: invalid bytes in a frame whose rest never comes → 1007 at once", async () => {
  await withOpen({}, async ({ peer, log }) => {
    // Header announces 50 bytes; only 3 arrive, the third breaks UTF-8. The server then waits.
    await peer.write(text([0x61, 0xc0, 0x80], { declaredLength: 50 }));
    const closeFrame = await peer.closeFrame(1000);
    assert.equal(closeCodeOf(closeFrame), INVALID_PAYLOAD);
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, INVALID_PAYLOAD);
    assert.equal(log.of("error")[0]?.code, UNKNOWN_ERROR);
  });
});

Deno.test("utf-8 fail-fast: invalid first fragment, rest of the message never sent → 1007", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(text([0x61, 0x62, 0xed, 0xa0, 0x80], { fin: false }));
    const closeFrame = await peer.closeFrame(1000);
    assert.equal(closeCodeOf(closeFrame), INVALID_PAYLOAD);
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, INVALID_PAYLOAD);
    assert.deepEqual(log.of("message"), []);
  });
});

// =========================================================== size limit (1009)

const LIMIT = { maxMessageSize: 1000 };

Deno.test("size: message of exactly maxMessageSize (1000) is delivered", async () => {
  await withOpen(LIMIT, async ({ peer, log }) => {
    await peer.write(
      binary(pattern(1000)),
      text(asciiText(400), { fin: false }),
      cont("x".repeat(600), true),
    );
    await log.waitFor("message", 2000, 2);
    const [first, second] = log.of("message");
    assert.deepEqual(new Uint8Array(first as ArrayBuffer), pattern(1000));
    assert.equal(second, asciiText(400) + "x".repeat(600));
  });
});

Deno.test("size: binary message of 1001 bytes over maxMessageSize 1000 → 1009", async () => {
  await expectFailure(binary(pattern(1001)), MESSAGE_TOO_BIG, LIMIT);
});

Deno.test("size: text message of 1001 bytes over maxMessageSize 1000 → 1009", async () => {
  await expectFailure(text(asciiText(1001)), MESSAGE_TOO_BIG, LIMIT);
});

Deno.test("size: fragments of 600 + 600 bytes over maxMessageSize 1000 → 1009", async () => {
  await expectFailure(
    [binary(pattern(600), { fin: false }), cont(pattern(600), true)],
    MESSAGE_TOO_BIG,
    LIMIT,
  );
});

Deno.test("size: header declaring 100000 bytes whose payload never arrives → 1009", async () => {
  await expectFailure(binary([], { declaredLength: 100000 }), MESSAGE_TOO_BIG, LIMIT);
});

Deno.test("size: 64-bit length of 2^53 bytes (no payload) → 1009", async () => {
  await expectFailure(binary([], { declaredLength: 2n ** 53n }), MESSAGE_TOO_BIG, LIMIT);
});

// ================================================================ ping / pong

Deno.test("control: ping with payload is answered by a masked pong with the same payload", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(frame(Op.Ping, "hello ping"));
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, Op.Pong);
    assert.ok(pong.fin && pong.masked && pong.rsv === 0);
    assert.deepEqual(pong.payload, bytes("hello ping"));
    await peer.write(frame(Op.Ping));
    const empty = await peer.nextFrame();
    assert.equal(empty.opcode, Op.Pong);
    assert.equal(empty.payload.length, 0);
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("control: 125-byte ping is accepted and echoed byte for byte", async () => {
  await withOpen({}, async ({ peer, log }) => {
    const payload = pattern(125, 73);
    await peer.write(frame(Op.Ping, payload));
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, Op.Pong);
    assert.deepEqual(pong.payload, payload);
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("control: unsolicited pong is ignored", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(frame(Op.Pong, "unasked"), text("after pong"));
    assert.equal(await log.waitFor("message"), "after pong");
    await delay(20);
    assert.deepEqual(peer.frames, [], "client sent nothing back");
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("control: ping and pong interleaved between fragments of a message are fine", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(
      text("Hel", { fin: false }),
      frame(Op.Ping, "p1"),
      cont("lo ", false),
      frame(Op.Pong, "u"),
      cont("wörld", true),
    );
    assert.equal(await log.waitFor("message"), "Hello wörld");
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, Op.Pong);
    assert.deepEqual(pong.payload, bytes("p1"));
    // Binary too, with the control frames written byte by byte.
    const chunks = concat([
      binary([1, 2], { fin: false }),
      frame(Op.Ping, "p2"),
      cont([3], false),
      cont([4, 5], true),
    ]);
    await peer.writeSlowly([...chunks].map((b) => new Uint8Array([b])), 0);
    const bin = await log.waitFor("message", 2000, 2);
    assert.deepEqual(new Uint8Array(bin as ArrayBuffer), new Uint8Array([1, 2, 3, 4, 5]));
    const pong2 = await peer.nextFrame();
    assert.deepEqual(pong2.payload, bytes("p2"));
    assert.deepEqual(log.of("error"), []);
  });
});

// ============================================================ payload lengths

const LENGTHS = [0, 125, 126, 127, 65535, 65536, 65537];

Deno.test(`lengths: text at ${LENGTHS.join(", ")} bytes is delivered intact`, async () => {
  await withOpen({}, async ({ peer, log }) => {
    for (const length of LENGTHS) await peer.write(text(asciiText(length)));
    await log.waitFor("message", 5000, LENGTHS.length);
    const got = log.of("message");
    for (let i = 0; i < LENGTHS.length; i++) {
      assert.equal(typeof got[i], "string");
      assert.equal((got[i] as string).length, LENGTHS[i]);
      assert.ok(got[i] === asciiText(LENGTHS[i]), `text of ${LENGTHS[i]} bytes differs`);
    }
  });
});

Deno.test(`lengths: binary at ${LENGTHS.join(", ")} bytes is delivered intact`, async () => {
  await withOpen({}, async ({ peer, log }) => {
    // Written byte-exact with a pause, so payloads also straddle TCP reads.
    for (const length of LENGTHS) await peer.write(binary(pattern(length)));
    await log.waitFor("message", 5000, LENGTHS.length);
    const got = log.of("message");
    for (let i = 0; i < LENGTHS.length; i++) {
      assert.ok(got[i] instanceof ArrayBuffer, "binary arrives as ArrayBuffer");
      const view = new Uint8Array(got[i] as ArrayBuffer);
      assert.equal(view.length, LENGTHS[i]);
      assert.ok(
        view.every((b, j) => b === ((j * 31 + (j >> 8)) & 0xff)),
        `binary of ${LENGTHS[i]} bytes differs`,
      );
    }
  });
});

// ================================================================== handshake

Deno.test("handshake: wrong Sec-WebSocket-Accept → connect fails with -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({ response: () => validResponse("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") })
  );
});

for (const [status, phrase] of [[200, "OK"], [404, "Not Found"]] as const) {
  Deno.test(`handshake: status ${status} → -1 with data "${status}"`, async () => {
    await expectHandshakeFailure(
      (peer) =>
        peer.handshake({
          response: () => `HTTP/1.1 ${status} ${phrase}\r\nContent-Length: 0\r\n\r\n`,
        }),
      String(status),
    );
  });
}

Deno.test("handshake: 101 without Upgrade header → -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({
      response: (accept) =>
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    })
  );
});

Deno.test("handshake: 101 without Connection header → -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({
      response: (accept) =>
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    })
  );
});

Deno.test("handshake: unrequested subprotocol (Sec-WebSocket-Protocol: chat) → -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({
      response: (accept) => validResponse(accept, "Sec-WebSocket-Protocol: chat\r\n"),
    })
  );
});

Deno.test("handshake: unrequested extension (permessage-deflate) → -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({
      response: (accept) =>
        validResponse(accept, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
    })
  );
});

Deno.test("handshake: response (and a frame) split byte by byte → opens", async () => {
  const trailing = text("split hello");
  await withOpen({}, async ({ peer, log }) => {
    assert.equal(await log.waitFor("message"), "split hello");
    assert.deepEqual(log.types(), ["open", "message"]);
    const open = log.of("open")[0];
    assert.equal(open.status, 101);
    assert.equal(open.message, "Switching Protocols");
    await peer.write(text("after"));
    assert.equal(await log.waitFor("message", 2000, 2), "after");
  }, { splitBytes: true, byteDelayMs: 1, trailing });
});

Deno.test("handshake: first frames in the same write as the 101 → delivered after open", async () => {
  const trailing = concat([text("first"), binary([9, 8, 7]), frame(Op.Ping, "early")]);
  await withOpen({}, async ({ peer, log }) => {
    await log.waitFor("message", 2000, 2);
    assert.deepEqual(log.types(), ["open", "message", "message"]);
    assert.equal(log.of("message")[0], "first");
    assert.deepEqual(
      new Uint8Array(log.of("message")[1] as ArrayBuffer),
      new Uint8Array([9, 8, 7]),
    );
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, Op.Pong);
    assert.deepEqual(pong.payload, bytes("early"));
  }, { trailing });
});

Deno.test("handshake: violation in the same write as the 101 → open, then 1002", async () => {
  const s = await begin();
  try {
    await s.peer.handshake({ trailing: frame(6, "") });
    assert.ok((await within(s.connected, "connect", 2000)).ok);
    assert.equal(closeCodeOf(await s.peer.closeFrame()), PROTOCOL_ERROR);
    await s.peer.close();
    assert.equal((await s.log.waitFor("close")).code, PROTOCOL_ERROR);
    assert.deepEqual(s.log.types(), ["open", "error", "close"]);
  } finally {
    await end(s);
  }
});

Deno.test("handshake: endless header lines → -1, client stops reading near the 16 KiB limit", async () => {
  const CAP = 64 * 1024;
  let written = 0;
  await expectHandshakeFailure(async (peer) => {
    await peer.request();
    await peer.write(encoder.encode("HTTP/1.1 101 Switching Protocols\r\n"));
    let n = 0;
    while (written < CAP && !peer.ended) {
      let chunk = "";
      while (chunk.length < 1024) chunk += `X-Filler-${n++}: ${"a".repeat(80)}\r\n`;
      try {
        await peer.write(encoder.encode(chunk));
      } catch {
        break; // the client reset the connection
      }
      written += chunk.length;
      await delay(1);
    }
  });
  assert.ok(written < CAP, `server could write all ${written} bytes: the client kept reading`);
  assert.ok(written <= 32 * 1024, `client accepted ${written} bytes of head (limit 16 KiB)`);
});

Deno.test("handshake: a complete but oversized (17 KiB) response head → -1", async () => {
  await expectHandshakeFailure((peer) =>
    peer.handshake({
      response: (accept) => validResponse(accept, `X-Big: ${"b".repeat(17 * 1024)}\r\n`),
    })
  );
});

Deno.test("handshake: server that never answers → -1 after handshakeTimeoutMs", async () => {
  const started = Date.now();
  await expectHandshakeFailure((peer) => peer.request().then(() => {}), undefined, {
    handshakeTimeoutMs: 300,
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 250 && elapsed < 2000, `failed after ${elapsed} ms`);
});

// ====================================================================== TCP end

Deno.test("tcp (RFC 6455 7.1.1): after its own close and the server's answer the client does not end TCP first; it ends its side once the server has", async () => {
  await withOpen({ closeTimeoutMs: 10_000 }, async ({ ws, peer, log }) => {
    assert.equal(await within(ws.close({ code: 1000, reason: "bye" }), "close()", 2000), true);
    assert.equal(closeCodeOf(await peer.closeFrame()), 1000);
    await peer.write(frame(Op.Close, closePayload(1000, "bye")));
    // A bounded wait for an EOF that must not come: the server has not ended TCP yet.
    await assert.rejects(peer.clientEnd(300), /client EOF/);
    assert.deepEqual(log.of("close"), [], "no close event while TCP is still up");
    await peer.endFirst(1000);
    const closed = await log.waitFor("close", 2000);
    assert.deepEqual({ ...closed }, { code: 1000, reason: "bye" });
    assertClientWireDiscipline(peer);
  });
});

Deno.test("tcp (RFC 6455 7.1.1): when the server starts the close, the client echoes it and waits for the server to end TCP (TIME_WAIT stays on the server)", async () => {
  await withOpen({ closeTimeoutMs: 10_000 }, async ({ peer, log }) => {
    await peer.write(frame(Op.Close, closePayload(4001, "server done")));
    assert.equal(closeCodeOf(await peer.closeFrame()), 4001);
    await assert.rejects(peer.clientEnd(300), /client EOF/);
    await peer.endFirst(1000);
    const closed = await log.waitFor("close", 2000);
    assert.deepEqual({ ...closed }, { code: 4001, reason: "server done" });
    assert.deepEqual(log.of("error"), []);
  });
});

Deno.test("tcp: server closes TCP in the middle of a frame → close 1006", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(text("abc", { declaredLength: 10 }));
    await delay(20);
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, ABNORMAL);
    assert.ok(closed.reason.length > 0, "1006 comes with a descriptive reason");
    assert.deepEqual(log.of("message"), []);
    assert.deepEqual(peer.frames, []);
  });
});

Deno.test("tcp: server closes TCP between frames without a close frame → close 1006", async () => {
  await withOpen({}, async ({ peer, log }) => {
    await peer.write(text("last words"));
    assert.equal(await log.waitFor("message"), "last words");
    await peer.close();
    const closed = await log.waitFor("close");
    assert.equal(closed.code, ABNORMAL);
    assert.ok(closed.reason.length > 0);
  });
});

Deno.test("tcp: server never answers our close (closeTimeoutMs 300) → close 1006 in bounded time", async () => {
  await withOpen({ closeTimeoutMs: 300 }, async ({ ws, peer, log }) => {
    const started = Date.now();
    await ws.close();
    assert.equal(closeCodeOf(await peer.closeFrame()), 1000);
    const closed = await log.waitFor("close", 3000);
    const elapsed = Date.now() - started;
    assert.equal(closed.code, ABNORMAL);
    assert.ok(elapsed >= 250 && elapsed < 2000, `close event after ${elapsed} ms`);
    await peer.clientEnd(1000); // the client dropped the socket
    assertClientWireDiscipline(peer);
  });
});

Deno.test("tcp: violation and a server that never ends TCP → close 1002 after closeTimeoutMs", async () => {
  await withOpen({ closeTimeoutMs: 300 }, async ({ peer, log }) => {
    const started = Date.now();
    await peer.write(text("x", { rsv: 4 }));
    assert.equal(closeCodeOf(await peer.closeFrame()), PROTOCOL_ERROR);
    const closed = await log.waitFor("close", 3000);
    const elapsed = Date.now() - started;
    assert.equal(closed.code, PROTOCOL_ERROR);
    assert.ok(elapsed < 2000, `close event after ${elapsed} ms`);
    await peer.clientEnd(1000);
    assertClientWireDiscipline(peer);
  });
});
