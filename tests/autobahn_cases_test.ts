/**
 * Autobahn TestSuite client cases over a real socket: the scripted raw-TCP
 * server (tests/helpers/scripted_server.ts) writes the bytes Autobahn's
 * fuzzing server writes for a case — in Autobahn's chop sizes and with its
 * pauses (shortened) — against the ohos client, records every frame the client
 * sends back, and checks the wire (pongs, close codes) and the API (messages,
 * `error`, `close`). Cases whose outcome is a failure get one connection each,
 * as in Autobahn. Unit-level twins: tests/protocol/autobahn_unit_test.ts.
 *
 * Run: npx -y deno@2.9.6 test -A tests/autobahn_cases_test.ts
 */
import assert from "node:assert/strict";
import {
  type BusinessError,
  createWebSocket,
  type WebSocket,
  type WebSocketRequestOptions,
} from "../mod.ts";
import { hex, type Utf8Case, utf8Family } from "./helpers/autobahn_utf8.ts";
import {
  type Bytes,
  bytes,
  closeCodeOf,
  closePayload,
  concat,
  delay,
  frame,
  type FrameOptions,
  Op,
  type ScriptedPeer,
  ScriptedServer,
  within,
} from "./helpers/scripted_server.ts";
import { EventLog } from "./helpers/event_log.ts";

const encoder = new TextEncoder();
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;
const UNKNOWN_ERROR = 2302999;

// ------------------------------------------------------------------ fixtures

type ConnectOutcome = { ok: true } | { ok: false; error: BusinessError<unknown> };

interface Session {
  server: ScriptedServer;
  ws: WebSocket;
  log: EventLog;
  peer: ScriptedPeer;
  connected: Promise<ConnectOutcome>;
}

/** Runs `body` on an open connection and always cleans up (bounded). */
async function withOpen(
  body: (s: Session) => Promise<void>,
  options: WebSocketRequestOptions = {},
): Promise<void> {
  const server = ScriptedServer.start();
  const ws = createWebSocket();
  const log = new EventLog(ws);
  const connected = ws.connect(server.url, options).then(
    (): ConnectOutcome => ({ ok: true }),
    (error): ConnectOutcome => ({ ok: false, error }),
  );
  try {
    const peer = await server.peer();
    await peer.handshake();
    const outcome = await within(connected, "connect", 2000);
    assert.ok(outcome.ok, `connect failed: ${!outcome.ok && JSON.stringify(outcome.error)}`);
    await body({ server, ws, log, peer, connected });
  } finally {
    await server.close();
    const outcome = await within(connected, "connect to settle", 2000);
    if (outcome.ok) await log.waitFor("close", 2000);
  }
}

/** Every client frame is masked, FIN, RSV 0, and nothing follows its close frame. */
function assertClientWireDiscipline(peer: ScriptedPeer): void {
  for (const f of peer.frames) {
    assert.ok(f.masked && f.fin && f.rsv === 0, `client frame opcode ${f.opcode} malformed`);
  }
  assert.deepEqual(
    peer.framesAfterClose().map((f) => f.opcode),
    [],
    "client sent frames after its close frame",
  );
}

/** How the server writes a list of frames. */
type Writer = (peer: ScriptedPeer, frames: Uint8Array[]) => Promise<void>;

/** All frames in one write ("sent in one chop"). */
const oneWrite: Writer = (peer, frames) => peer.write(concat(frames));
/** Each frame in its own write ("per-frame chops", Autobahn's sync = True). */
const perFrame: Writer = (peer, frames) => peer.writeSlowly(frames, 1);
/** One byte per write ("octet-wise chops"). */
const perByte: Writer = (peer, frames) => chopped(peer, concat(frames), 1);

/**
 * Writes `data` in `size`-byte writes; with `pause` (default) it also yields to
 * the timer queue between writes, so the client gets a chance to read each one.
 */
async function chopped(
  peer: ScriptedPeer,
  data: Uint8Array,
  size: number,
  pause = true,
): Promise<void> {
  for (let offset = 0; offset < data.length; offset += size) {
    await peer.write(data.subarray(offset, offset + size));
    if (pause) await delay(0);
  }
}

/**
 * The server writes `frames`; the client must fail the connection: a close
 * frame with `code`, one `error` (2302999), then `close` with `code`, and only
 * `expectedMessages` delivered. Returns the opcodes of every frame the client sent.
 */
async function expectFailure(
  frames: Uint8Array[],
  code: number,
  write: Writer = oneWrite,
  expectedMessages: (string | ArrayBuffer)[] = [],
): Promise<number[]> {
  let opcodes: number[] = [];
  await withOpen(async ({ peer, log }) => {
    await write(peer, frames);
    const closeFrame = await peer.closeFrame(2000);
    assert.equal(closeCodeOf(closeFrame), code, "close code the client sent");
    assert.ok(closeFrame.payload.length <= 125);
    await peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(peer);
    opcodes = peer.frames.map((f) => f.opcode);
    await peer.close();
    const closed = await log.waitFor("close", 2000);
    assert.equal(closed.code, code, "close event code");
    const errors = log.of("error");
    assert.equal(errors.length, 1, `exactly one error event, got ${log.types().join(",")}`);
    assert.equal(errors[0].code, UNKNOWN_ERROR);
    assert.deepEqual(log.types().filter((t) => t !== "message"), ["open", "error", "close"]);
    assert.deepEqual(log.of("message"), expectedMessages);
  });
  return opcodes;
}

/**
 * The server closes with `code` (and `reason`): the client must echo the code,
 * end TCP, and report `close` with the server's code and reason, no error.
 */
async function serverClosesCleanly(s: Session, code = 1000, reason: Bytes = ""): Promise<void> {
  await s.peer.write(frame(Op.Close, closePayload(code, reason)));
  const echo = await s.peer.closeFrame();
  assert.equal(closeCodeOf(echo), code, "echoed close code");
  await s.peer.endFirst(1000); // the server ends TCP first, the client follows
  assertClientWireDiscipline(s.peer);
  await s.peer.close();
  const closed = await s.log.waitFor("close");
  const text = typeof reason === "string" ? reason : new TextDecoder().decode(bytes(reason));
  assert.deepEqual({ ...closed }, { code, reason: text });
  assert.deepEqual(s.log.of("error"), []);
}

const text = (payload: Bytes, options: FrameOptions = {}) => frame(Op.Text, payload, options);
const binary = (payload: Bytes, options: FrameOptions = {}) => frame(Op.Binary, payload, options);
const cont = (payload: Bytes, fin: boolean) => frame(Op.Continuation, payload, { fin });
const ping = (payload: Bytes = []) => frame(Op.Ping, payload);
const pong = (payload: Bytes = []) => frame(Op.Pong, payload);

function pattern(length: number, seed = 31): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * seed + (i >> 8)) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The payloads of the client's frames from `from` on, as text, with their opcodes. */
function sent(peer: ScriptedPeer, from = 0): [number, string][] {
  return peer.frames.slice(from).map((f) => [f.opcode, new TextDecoder().decode(f.payload)]);
}

// ===================================================== section 1: framing, chopped

Deno.test("autobahn 1.1.8: a 65536-byte text frame written in 997-byte chunks is delivered intact", async () => {
  await withOpen(async (s) => {
    const payload = "*".repeat(65536);
    await chopped(s.peer, text(payload), 997);
    const got = await s.log.waitFor("message", 3000);
    assert.ok(got === payload, "64 KiB text intact");
    await serverClosesCleanly(s);
  });
});

Deno.test("autobahn 1.2.8: a 65536-byte binary frame written in 997-byte chunks is delivered intact", async () => {
  await withOpen(async (s) => {
    const payload = pattern(65536, 0xfe);
    await chopped(s.peer, binary(payload), 997);
    const got = await s.log.waitFor("message", 3000);
    assert.ok(got instanceof ArrayBuffer && sameBytes(new Uint8Array(got), payload));
    await serverClosesCleanly(s);
  });
});

// ===================================================== section 2: pings and pongs

Deno.test("autobahn 2.6: a 125-byte ping written 1 byte at a time is answered by an identical pong", async () => {
  await withOpen(async (s) => {
    const payload = pattern(125, 0xfe);
    await chopped(s.peer, ping(payload), 1);
    const answer = await s.peer.nextFrame();
    assert.equal(answer.opcode, Op.Pong);
    assert.deepEqual(answer.payload, payload);
    await serverClosesCleanly(s);
  });
});

Deno.test("autobahn 2.7: an unsolicited empty pong is ignored (nothing sent back), then close 1000 is echoed cleanly", async () => {
  await withOpen(async (s) => {
    await s.peer.write(pong());
    await delay(30);
    assert.equal(s.peer.frames.length, 0, "nothing in reply to the pong");
    await serverClosesCleanly(s);
    assert.deepEqual(s.peer.frames.map((f) => f.opcode), [Op.Close]);
    assert.deepEqual(s.log.types(), ["open", "close"]);
  });
});

Deno.test("autobahn 2.9: unsolicited pong, then ping → only the ping is answered, with its payload", async () => {
  await withOpen(async (s) => {
    await s.peer.write(pong("unsolicited pong payload"), ping("ping payload"));
    const answer = await s.peer.nextFrame();
    assert.equal(answer.opcode, Op.Pong);
    assert.deepEqual(answer.payload, bytes("ping payload"));
    await delay(30);
    assert.equal(s.peer.frames.length, 1, "exactly one pong");
    await serverClosesCleanly(s);
  });
});

Deno.test("autobahn 2.11: 10 pings written 1 byte at a time → 10 pongs with the same payloads, in order", async () => {
  await withOpen(async (s) => {
    const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
    await chopped(s.peer, concat(payloads.map((p) => ping(p))), 1);
    for (const expected of payloads) {
      const answer = await s.peer.nextFrame();
      assert.equal(answer.opcode, Op.Pong);
      assert.equal(new TextDecoder().decode(answer.payload), expected);
    }
    await delay(20);
    assert.equal(s.peer.frames.length, 10, "no extra frames");
    await serverClosesCleanly(s);
  });
});

// ===================================================== section 3: reserved bits

Deno.test("autobahn 3.5: RSV 5 on a binary frame → 1002", async () => {
  await expectFailure([binary([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff], { rsv: 5 })], 1002);
});

Deno.test("autobahn 3.6: RSV 6 on a ping → 1002, no pong", async () => {
  const opcodes = await expectFailure([frame(Op.Ping, "Hello, world!", { rsv: 6 })], 1002);
  assert.deepEqual(opcodes, [Op.Close], "no pong for the bad ping");
});

Deno.test("autobahn 3.7: RSV 7 on a close frame → 1002 (not taken as the server's close)", async () => {
  await expectFailure([frame(Op.Close, [], { rsv: 7 })], 1002);
});

// ===================================================== section 5: fragmentation

Deno.test("autobahn 5.2: a pong in 2 fragments (FIN clear, then continuation) → 1002", async () => {
  await expectFailure(
    [frame(Op.Pong, "fragment1", { fin: false }), cont("fragment2", true)],
    PROTOCOL_ERROR,
  );
});

const CASE_5_12 = [cont("non-continuation payload", false), text("Hello, world!")];
for (
  const [id, how, write] of [
    ["5.12", "in one write", oneWrite],
    ["5.13", "one write per frame", perFrame],
    ["5.14", "one byte per write", perByte],
  ] as const
) {
  Deno.test(`autobahn ${id}: continuation with FIN clear and nothing to continue, then text, ${how} → 1002`, async () => {
    await expectFailure(CASE_5_12, PROTOCOL_ERROR, write);
  });
}

Deno.test("autobahn 5.15: 2-fragment text, then a continuation with FIN clear and text → first message delivered, then 1002", async () => {
  await expectFailure(
    [
      text("fragment1", { fin: false }),
      cont("fragment2", true),
      cont("fragment3", false),
      text("fragment4"),
    ],
    PROTOCOL_ERROR,
    oneWrite,
    ["fragment1fragment2"],
  );
});

Deno.test("autobahn 5.16: twice (continuation with FIN clear, then a 2-fragment text) → 1002, nothing delivered", async () => {
  const round = [
    cont("fragment1", false),
    text("fragment2", { fin: false }),
    cont("fragment3", true),
  ];
  await expectFailure([...round, ...round], PROTOCOL_ERROR);
});

const FRAGMENTS = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"];
const PART_1 = [text(FRAGMENTS[0], { fin: false }), cont(FRAGMENTS[1], false), ping("pongme 1!")];
const PART_2 = [
  cont(FRAGMENTS[2], false),
  cont(FRAGMENTS[3], false),
  ping("pongme 2!"),
  cont(FRAGMENTS[4], true),
];

/** Autobahn 5.19/5.20: part 1, a pause (1 s in Autobahn, 100 ms here), part 2. */
async function case519(write: Writer): Promise<void> {
  await withOpen(async (s) => {
    await write(s.peer, PART_1);
    const first = await s.peer.nextFrame();
    assert.deepEqual(sent(s.peer), [[Op.Pong, "pongme 1!"]], "first pong before the message ends");
    assert.equal(first.opcode, Op.Pong);
    await delay(100);
    assert.deepEqual(s.log.of("message"), [], "no message before its last fragment");
    await write(s.peer, PART_2);
    assert.equal(await s.log.waitFor("message"), FRAGMENTS.join(""));
    await s.peer.nextFrame();
    assert.deepEqual(sent(s.peer), [[Op.Pong, "pongme 1!"], [Op.Pong, "pongme 2!"]]);
    await serverClosesCleanly(s);
    assert.deepEqual(s.log.of("message"), [FRAGMENTS.join("")]);
  });
}

Deno.test("autobahn 5.19: text in 5 fragments with 2 pings between and a pause → first pong at once, one message, both pongs", async () => {
  await case519(oneWrite);
});

Deno.test("autobahn 5.20: as 5.19 with each frame in its own write → first pong at once, one message, both pongs", async () => {
  await case519(perFrame);
});

Deno.test("autobahn 5.20 (chopped): as 5.19 with one byte per write → first pong at once, one message, both pongs", async () => {
  await case519(perByte);
});

// ===================================================== section 6: UTF-8

Deno.test('autobahn 6.1.2 / 6.1.3: text in 3 empty fragments → ""; empty first and last fragment → the middle one', async () => {
  await withOpen(async (s) => {
    await s.peer.writeSlowly([text("", { fin: false }), cont("", false), cont("", true)], 1);
    assert.equal(await s.log.waitFor("message"), "");
    await s.peer.writeSlowly([
      text("", { fin: false }),
      cont("middle frame payload", false),
      cont("", true),
    ], 1);
    assert.equal(await s.log.waitFor("message", 2000, 2), "middle frame payload");
    await serverClosesCleanly(s);
    assert.deepEqual(s.log.of("message"), ["", "middle frame payload"]);
  });
});

/** Valid cases: every one delivered intact, in order, on one connection; then a clean close. */
async function expectDelivered(cases: Utf8Case[]): Promise<void> {
  await withOpen(async (s) => {
    await s.peer.write(...cases.map((c) => text(c.payload)));
    await s.log.waitFor("message", 3000, cases.length);
    const got = s.log.of("message");
    cases.forEach((c, i) => {
      assert.equal(typeof got[i], "string", c.id);
      assert.ok(
        sameBytes(encoder.encode(got[i] as string), c.payload),
        `${c.id} [${hex(c.payload)}]`,
      );
    });
    await serverClosesCleanly(s);
  });
}

/** Invalid cases: one connection each, as in Autobahn; each must close with 1007, nothing delivered. */
async function expectEach1007(cases: Utf8Case[]): Promise<void> {
  for (const c of cases) {
    try {
      await expectFailure([text(c.payload)], INVALID_PAYLOAD);
    } catch (error) {
      throw new Error(`case ${c.id} [${hex(c.payload)}]: ${(error as Error).message}`);
    }
  }
}

function utf8Cases(id: string, valid: boolean): Utf8Case[] {
  const cases = utf8Family(id).cases.filter((c) => c.valid === valid);
  assert.ok(cases.length > 0, `family ${id} has ${valid ? "valid" : "invalid"} cases`);
  return cases;
}

Deno.test("autobahn 6.6.2, 6.6.5, 6.6.7, 6.6.9, 6.6.11: the prefixes of κόσμε that end on a character are delivered intact", async () => {
  await expectDelivered(utf8Cases("6.6", true));
});

Deno.test("autobahn 6.6.1, 6.6.3, 6.6.4, 6.6.6, 6.6.8, 6.6.10: the prefixes of κόσμε that end mid-character → 1007", async () => {
  await expectEach1007(utf8Cases("6.6", false));
});

Deno.test("autobahn 6.8.1-6.8.2: 5- and 6-byte forms (F8 88 80 80 80, FC 84 80 80 80 80) → 1007", async () => {
  await expectEach1007(utf8Cases("6.8", false));
});

Deno.test("autobahn 6.9.1-6.9.4: last code point of each length (U+007F, U+07FF, U+FFFF, U+10FFFF) is delivered intact", async () => {
  await expectDelivered(utf8Cases("6.9", true));
});

Deno.test("autobahn 6.10.1-6.10.3: last 4-, 5-, 6-byte forms (F7 BF BF BF, FB BF…, FD BF…) → 1007", async () => {
  await expectEach1007(utf8Cases("6.10", false));
});

const INVALID_FAMILIES: [string, string][] = [
  ["6.12", "unexpected continuation bytes (80, BF, 80 BF …, 80..BE)"],
  ["6.13", "lonely start bytes C0-DE, E0-EE, F0-F6, F8-FA, FC, each followed by a space"],
  ["6.16", "impossible bytes (FE, FF, FE FE FF FF)"],
  ["6.17", "overlong ASCII '/' in 2-, 3-, 4-, 5- and 6-byte forms"],
  ["6.18", "maximum overlong forms (C1 BF, E0 9F BF, F0 8F BF BF, F8 87…, FC 83…)"],
  ["6.19", "overlong NUL (C0 80, E0 80 80, F0 80 80 80, F8…, FC…)"],
  ["6.20", "the 7 single UTF-16 surrogates"],
  ["6.21", "the 8 paired UTF-16 surrogates"],
];

for (const [id, what] of INVALID_FAMILIES) {
  const cases = utf8Cases(id, false);
  Deno.test(`autobahn ${id}.1-${cases[cases.length - 1].id}: ${what} → 1007`, async () => {
    assert.equal(cases.length, utf8Family(id).cases.length, "every case of the family is invalid");
    await expectEach1007(cases);
  });
}

Deno.test("autobahn 6.22.1-6.22.34: all 34 noncharacters (U+nFFFE, U+nFFFF) and U+FDD0-U+FDEF are delivered intact", async () => {
  const cases = utf8Cases("6.22", true);
  assert.equal(cases.length, 34);
  const fdd0: Utf8Case[] = [];
  for (let cp = 0xfdd0; cp <= 0xfdef; cp++) {
    fdd0.push({
      id: `U+${cp.toString(16)}`,
      payload: encoder.encode(String.fromCodePoint(cp)),
      valid: true,
    });
  }
  await expectDelivered([...cases, ...fdd0]);
});

// ===================================================== section 7: close handling

Deno.test("autobahn 7.1.2: the server sends close twice → the second is ignored, one echo 1000, clean close", async () => {
  await withOpen(async (s) => {
    await s.peer.write(frame(Op.Close, closePayload(1000)), frame(Op.Close));
    const echo = await s.peer.closeFrame();
    assert.equal(closeCodeOf(echo), 1000);
    await s.peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(s.peer);
    assert.deepEqual(s.peer.frames.map((f) => f.opcode), [Op.Close], "exactly one close frame");
    await s.peer.close();
    assert.deepEqual({ ...(await s.log.waitFor("close")) }, { code: 1000, reason: "" });
    assert.deepEqual(s.log.types(), ["open", "close"]);
  });
});

Deno.test("autobahn 7.1.6: 256 KiB text, text, close, ping in one write → both messages delivered, close echoed, no pong", async () => {
  await withOpen(async (s) => {
    const big = "BAsd7&jh23".repeat(Math.ceil(256 * 1024 / 10)).slice(0, 256 * 1024);
    await s.peer.write(
      text(big),
      text("Hello World!"),
      frame(Op.Close, closePayload(1000)),
      ping(),
    );
    const echo = await s.peer.closeFrame(3000);
    assert.equal(closeCodeOf(echo), 1000);
    await s.peer.endFirst(1000); // the server ends TCP first, the client follows
    assertClientWireDiscipline(s.peer);
    assert.deepEqual(s.peer.frames.map((f) => f.opcode), [Op.Close], "no pong after the close");
    await s.peer.close();
    assert.deepEqual({ ...(await s.log.waitFor("close")) }, { code: 1000, reason: "" });
    const messages = s.log.of("message");
    assert.equal(messages.length, 2);
    assert.ok(messages[0] === big, "256 KiB message intact");
    assert.equal(messages[1], "Hello World!");
    assert.deepEqual(s.log.types(), ["open", "message", "message", "close"]);
  });
});

Deno.test("autobahn 7.3.5: a close with code 1000 and a 123-byte reason (125-byte payload) is accepted, echoed and reported", async () => {
  for (const reason of ["*".repeat(123), "é".repeat(61) + "!"]) {
    assert.equal(encoder.encode(reason).length, 123);
    await withOpen((s) => serverClosesCleanly(s, 1000, reason));
  }
});

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
VALID_CODES.forEach((code, i) => {
  Deno.test(`autobahn 7.7.${i + 1}: a close with valid code ${code} is echoed with ${code} and reported`, async () => {
    await withOpen((s) => serverClosesCleanly(s, code));
  });
});

const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
INVALID_CODES.forEach((code, i) => {
  Deno.test(`autobahn 7.9.${i + 1}: a close with invalid code ${code} → 1002`, async () => {
    await expectFailure([frame(Op.Close, closePayload(code))], PROTOCOL_ERROR);
  });
});

// ===================================================== section 9: 4 MiB in fragments

Deno.test("autobahn 9.3.1 / 9.4.1: 4 MiB text and 4 MiB binary in 64-byte fragments over a socket are delivered intact", async () => {
  const size = 4 * 1024 * 1024;
  const unit = "Autobahn 9.3 ✓ κόσμε 😀 ";
  const unitBytes = encoder.encode(unit).length;
  const big = unit.repeat(Math.floor(size / unitBytes)) + "x".repeat(size % unitBytes);
  const textBytes = encoder.encode(big);
  assert.equal(textBytes.length, size);
  const binaryBytes = pattern(size, 97);
  const fragments = (opcode: number, payload: Uint8Array) => {
    const frames: Uint8Array[] = [];
    for (let offset = 0; offset < size; offset += 64) {
      frames.push(
        frame(offset === 0 ? opcode : Op.Continuation, payload.subarray(offset, offset + 64), {
          fin: offset + 64 >= size,
        }),
      );
    }
    return concat(frames);
  };
  await withOpen(async (s) => {
    await s.peer.write(fragments(Op.Text, textBytes));
    await s.peer.write(fragments(Op.Binary, binaryBytes));
    await s.log.waitFor("message", 8000, 2);
    const [gotText, gotBinary] = s.log.of("message");
    assert.ok(gotText === big, "4 MiB text intact");
    assert.ok(
      gotBinary instanceof ArrayBuffer && sameBytes(new Uint8Array(gotBinary), binaryBytes),
    );
    await serverClosesCleanly(s);
  });
});

const ONE_MIB = 1024 * 1024;
const CHOPS = [64, 128, 256, 512, 1024, 2048];

for (const [family, opcode] of [["9.5", Op.Text], ["9.6", Op.Binary]] as const) {
  const kind = opcode === Op.Text ? "text" : "binary";
  Deno.test(`autobahn ${family}.1-${family}.6: a 1 MiB ${kind} frame written in ${CHOPS.join(", ")}-byte chunks is delivered intact`, async () => {
    const payload = opcode === Op.Text
      ? encoder.encode("BAsd7&jh23".repeat(ONE_MIB / 10 + 1).slice(0, ONE_MIB))
      : pattern(ONE_MIB, 89);
    await withOpen(async (s) => {
      for (const [i, chop] of CHOPS.entries()) {
        await chopped(s.peer, frame(opcode, payload), chop, false);
        const got = await s.log.waitFor("message", 5000, i + 1);
        const view = typeof got === "string" ? encoder.encode(got) : new Uint8Array(got);
        assert.equal(typeof got === "string", opcode === Op.Text, `${family}.${i + 1}: type`);
        assert.ok(sameBytes(view, payload), `${family}.${i + 1} (${chop}-byte chunks): intact`);
      }
      await serverClosesCleanly(s);
    });
  });
}
