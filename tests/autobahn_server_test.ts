/**
 * Autobahn TestSuite fuzzingclient cases (sections 1–7, 9, 10) against our
 * server: the scripted raw-TCP client (tests/helpers/scripted_client.ts) writes
 * the masked frames Autobahn's fuzzing client writes for a case — in its chop
 * sizes, with its pauses shortened — to `createWebSocketServer()` running an
 * echo on 127.0.0.1, records every frame the server sends back and checks the
 * wire: echoes intact and in order, pongs with the ping's payload, the close
 * code, server frames unmasked with RSV 0, nothing after the server's close
 * frame, and the server ending TCP first (RFC 6455 §7.1.1). It also checks the
 * server's `close` event. Every case gets its own connection, as in Autobahn.
 * Section 9 keeps Autobahn's shapes with fewer round trips (9.7 / 9.8).
 * Core-level twins: tests/protocol/autobahn_server_unit_test.ts.
 *
 * Run: npx -y deno@2.9.6 test -A tests/autobahn_server_test.ts
 */
import assert from "node:assert/strict";
import type { WebSocketServerConfig } from "../mod.ts";
import { hex, UTF8_FAMILIES, type Utf8Case, utf8Family } from "./helpers/autobahn_utf8.ts";
import { closePayload, concat, delay, Op } from "./helpers/scripted_server.ts";
import {
  codeOf,
  masked,
  ScriptedClient,
  type ServerWireFrame,
  utf8,
} from "./helpers/scripted_client.ts";
import { type Harness, startServer } from "./helpers/server_peers.ts";

const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;
const MIB = 1024 * 1024;

// ------------------------------------------------------------------ frames

const text = (payload: string | Uint8Array, fin = true) => masked(Op.Text, payload, { fin });
const binary = (payload: Uint8Array, fin = true) => masked(Op.Binary, payload, { fin });
const cont = (payload: string | Uint8Array, fin: boolean) =>
  masked(Op.Continuation, payload, { fin });
const ping = (payload: string | Uint8Array | number[] = []) => masked(Op.Ping, payload);
const pong = (payload: string | Uint8Array = "") => masked(Op.Pong, payload);
const close = (code: number, reason: string | Uint8Array = "") =>
  masked(Op.Close, closePayload(code, reason));

/** A frame we expect from the server: opcode and exact payload. */
type Expected = [opcode: number, payload: string | Uint8Array];
const echoText = (payload: string | Uint8Array): Expected => [Op.Text, payload];
const echoBinary = (payload: Uint8Array): Expected => [Op.Binary, payload];
const pongOf = (payload: string | Uint8Array | number[]): Expected => [
  Op.Pong,
  Array.isArray(payload) ? Uint8Array.from(payload) : payload,
];

function fill(length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

function pattern(length: number, seed = 31): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * seed + (i >> 8)) & 0xff;
  return out;
}

/** Autobahn's text filler ("BAsd7&jh23" repeated), `length` bytes. */
function filler(length: number): Uint8Array {
  const unit = utf8("BAsd7&jh23");
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % 10];
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeFrames(frames: ServerWireFrame[]): string {
  return frames.map((f) =>
    `${f.opcode}:${f.payload.length <= 40 ? hex(f.payload) : `${f.payload.length} bytes`}`
  ).join(", ");
}

/** The server's frames before its close equal `expected`, in order. */
function assertFrames(got: ServerWireFrame[], expected: Expected[], label: string): void {
  const message = `${label}: got [${describeFrames(got)}]`;
  assert.equal(got.length, expected.length, message);
  expected.forEach(([opcode, payload], i) => {
    assert.equal(got[i].opcode, opcode, message);
    const want = typeof payload === "string" ? utf8(payload) : payload;
    assert.ok(sameBytes(got[i].payload, want), `${message} (frame ${i} differs)`);
  });
}

/** Server frames are unmasked, RSV 0, FIN set, and nothing follows the close frame. */
function assertServerWire(c: ScriptedClient, label: string): void {
  for (const f of c.frames) {
    assert.ok(!f.masked, `${label}: server frame opcode ${f.opcode} is masked`);
    assert.equal(f.rsv, 0, `${label}: server frame opcode ${f.opcode} has RSV set`);
    assert.ok(f.fin, `${label}: server frame opcode ${f.opcode} has FIN clear`);
  }
  assert.equal(describeFrames(c.framesAfterClose()), "", `${label}: frames after the close`);
}

// ------------------------------------------------------------------ writers

/** How the client writes a case's frames. */
type Writer = (c: ScriptedClient, frames: Uint8Array[]) => Promise<void>;
/** All frames in one write. */
const oneWrite: Writer = (c, frames) => c.write(concat(frames));
/** Each frame in its own write, a short pause between ("sync" in Autobahn). */
const perFrame: Writer = async (c, frames) => {
  for (const f of frames) {
    await c.write(f);
    await delay(1);
  }
};
/** One octet per write ("octet-wise chops"). */
const perByte: Writer = (c, frames) => c.chopped(concat(frames), 1, 0);
/** Writes in `size`-byte chunks without pauses (Autobahn's chopsize). */
const chops = (size: number): Writer => (c, frames) => c.chopped(concat(frames), size, -1);

// ------------------------------------------------------------------ harness

/** Runs `body` with a fresh echo server (bounded stop). */
async function withServer(
  body: (h: Harness) => Promise<void>,
  config: Partial<WebSocketServerConfig> = {},
): Promise<void> {
  const h = await startServer(config);
  try {
    await body(h);
  } finally {
    await h.stop();
  }
}

/** What a case script does on its own connection. */
type Script = (c: ScriptedClient) => Promise<void>;

/** Opens a connection, runs `script`, always closes the socket. */
async function onConnection(h: Harness, label: string, script: Script): Promise<void> {
  const c = await ScriptedClient.open(h.port);
  try {
    await h.connects.next(`${label}: connect event`);
    await script(c);
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
  } finally {
    await c.close();
  }
}

/**
 * The case must end in a failure: after `expected` (echoes, pongs) the server
 * sends close `code`, nothing after it, ends TCP first, and its `close` event
 * reports `code`, with one `error` event naming it.
 */
async function expectFailure(
  h: Harness,
  label: string,
  send: Script,
  code: number,
  expected: Expected[] = [],
): Promise<void> {
  await onConnection(h, label, async (c) => {
    await send(c);
    const closeFrame = await c.closeFrame();
    assert.equal(codeOf(closeFrame), code, `${label}: close code the server sent`);
    assert.ok(closeFrame.payload.length <= 125);
    // Autobahn's client answers the close; the server may already have shut its side.
    await c.write(close(code)).catch(() => {});
    await c.serverEnd();
    assertServerWire(c, label);
    assertFrames(c.frames.slice(0, c.frames.indexOf(closeFrame)), expected, label);
  });
  const closed = await h.closes.next(`${label}: close event`);
  assert.equal(closed.result.code, code, `${label}: close event code`);
  const error = await h.errors.next(`${label}: error event`);
  assert.match(error.message, new RegExp(`closing with ${code}`), label);
}

/**
 * The case passes cleanly: after `expected` the client closes with `code`
 * (default 1000); the server echoes it, ends TCP first, reports `close` with
 * the client's code and reason and no error.
 */
async function expectClean(
  h: Harness,
  label: string,
  send: Script,
  expected: Expected[],
  ms = 3000,
): Promise<void> {
  const errorsBefore = h.errors.items.length;
  await onConnection(h, label, async (c) => {
    await send(c);
    await c.frameCount(expected.length, `${label}: ${expected.length} frames`, ms);
    await c.write(close(1000, "done"));
    const closeFrame = await c.closeFrame();
    assert.equal(codeOf(closeFrame), 1000, `${label}: echoed close code`);
    await c.serverEnd();
    assertServerWire(c, label);
    assertFrames(c.frames.slice(0, c.frames.indexOf(closeFrame)), expected, label);
  });
  const closed = await h.closes.next(`${label}: close event`);
  assert.deepEqual({ ...closed.result }, { code: 1000, reason: "done" }, `${label}: close event`);
  assert.equal(h.errors.items.length, errorsBefore, `${label}: no error event`);
}

/** A case as a table row. */
interface Case {
  id: string;
  title: string;
  frames: Uint8Array[];
  write?: Writer;
  expected?: Expected[];
  /** Close code of a failing case; absent: the case passes cleanly. */
  fails?: number;
}

function caseTest(c: Case, config: Partial<WebSocketServerConfig> = {}): void {
  const outcome = c.fails === undefined ? "" : ` → ${c.fails}`;
  Deno.test(`autobahn server ${c.id}: ${c.title}${outcome}`, async () => {
    await withServer(async (h) => {
      const send: Script = (client) => (c.write ?? oneWrite)(client, c.frames);
      if (c.fails === undefined) await expectClean(h, c.id, send, c.expected ?? []);
      else await expectFailure(h, c.id, send, c.fails, c.expected ?? []);
    }, config);
  });
}

// ===================================================== section 1: framing

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];
LENGTHS.forEach((length, i) => {
  const t = fill(length, 0x2a);
  caseTest({
    id: `1.1.${i + 1}`,
    title: `text of ${length} bytes is echoed intact`,
    frames: [text(t)],
    expected: [echoText(t)],
  });
  const b = fill(length, 0xfe);
  caseTest({
    id: `1.2.${i + 1}`,
    title: `binary of ${length} bytes is echoed intact`,
    frames: [binary(b)],
    expected: [echoBinary(b)],
  });
});
caseTest({
  id: "1.1.8",
  title: "a 65536-byte text frame written in 997-byte chops is echoed intact",
  frames: [text(fill(65536, 0x2a))],
  write: chops(997),
  expected: [echoText(fill(65536, 0x2a))],
});
caseTest({
  id: "1.2.8",
  title: "a 65536-byte binary frame written in 997-byte chops is echoed intact",
  frames: [binary(fill(65536, 0xfe))],
  write: chops(997),
  expected: [echoBinary(fill(65536, 0xfe))],
});

// ===================================================== section 2: pings and pongs

const BIN_8 = [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
const TEN = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
const CASES_2: Case[] = [
  {
    id: "2.1",
    title: "ping without payload → empty pong",
    frames: [ping()],
    expected: [pongOf([])],
  },
  {
    id: "2.2",
    title: "ping with a small text payload → pong with it",
    frames: [ping("Hello, world!")],
    expected: [pongOf("Hello, world!")],
  },
  {
    id: "2.3",
    title: "ping with a small binary payload → pong with it",
    frames: [ping(BIN_8)],
    expected: [pongOf(BIN_8)],
  },
  {
    id: "2.4",
    title: "ping with a 125-byte payload → pong with it",
    frames: [ping(fill(125, 0xfe))],
    expected: [pongOf(fill(125, 0xfe))],
  },
  {
    id: "2.5",
    title: "ping with a 126-byte payload",
    frames: [ping(fill(126, 0xfe))],
    fails: 1002,
  },
  {
    id: "2.6",
    title: "a 125-byte ping written one octet per write → pong with it",
    frames: [ping(fill(125, 0xfe))],
    write: perByte,
    expected: [pongOf(fill(125, 0xfe))],
  },
  { id: "2.7", title: "unsolicited empty pong is ignored", frames: [pong()] },
  {
    id: "2.8",
    title: "unsolicited pong with payload is ignored",
    frames: [pong("unsolicited pong payload")],
  },
  {
    id: "2.9",
    title: "unsolicited pong, then ping → only the ping answered",
    frames: [pong("unsolicited pong payload"), ping("ping payload")],
    expected: [pongOf("ping payload")],
  },
  {
    id: "2.10",
    title: "10 pings → 10 pongs, same payloads, in order",
    frames: TEN.map((p) => ping(p)),
    expected: TEN.map(pongOf),
  },
  {
    id: "2.11",
    title: "10 pings written one octet per write → 10 pongs, in order",
    frames: TEN.map((p) => ping(p)),
    write: perByte,
    expected: TEN.map(pongOf),
  },
];
CASES_2.forEach((c) => caseTest(c));

// ===================================================== section 3: reserved bits

const HELLO = "Hello, world!";
const withRsv = (opcode: number, payload: string | Uint8Array | number[], rsv: number) =>
  masked(opcode, payload, { rsv });
const CASES_3: Case[] = [
  { id: "3.1", title: "text with RSV 1", frames: [withRsv(Op.Text, HELLO, 1)], fails: 1002 },
  ...([[2, "3.2", oneWrite, "in one write"], [3, "3.3", perFrame, "one write per frame"], [
    4,
    "3.4",
    perByte,
    "one octet per write",
  ]] as const).map(([rsv, id, write, how]): Case => ({
    id,
    title: `echo, then text with RSV ${rsv}, then ping (${how}) → echo, no pong`,
    frames: [text(HELLO), withRsv(Op.Text, HELLO, rsv), ping(HELLO)],
    write,
    expected: [echoText(HELLO)],
    fails: 1002,
  })),
  { id: "3.5", title: "binary with RSV 5", frames: [withRsv(Op.Binary, BIN_8, 5)], fails: 1002 },
  {
    id: "3.6",
    title: "ping with RSV 6, no pong",
    frames: [withRsv(Op.Ping, HELLO, 6)],
    fails: 1002,
  },
  {
    id: "3.7",
    title: "close with RSV 7 (not taken as the client's close)",
    frames: [withRsv(Op.Close, closePayload(1000), 7)],
    fails: 1002,
  },
];
CASES_3.forEach((c) => caseTest(c));

// ===================================================== section 4: opcodes

for (const [sub, first] of [[1, 3], [2, 11]] as const) {
  const kind = sub === 1 ? "non-control" : "control";
  const op = (i: number) => first + i;
  caseTest({
    id: `4.${sub}.1`,
    title: `reserved ${kind} opcode ${op(0)} without payload`,
    frames: [masked(op(0))],
    fails: 1002,
  });
  caseTest({
    id: `4.${sub}.2`,
    title: `reserved ${kind} opcode ${op(1)} with payload`,
    frames: [masked(op(1), "reserved opcode payload")],
    fails: 1002,
  });
  caseTest({
    id: `4.${sub}.3`,
    title: `echo, reserved ${kind} opcode ${op(2)}, ping → echo, no pong`,
    frames: [text(HELLO), masked(op(2)), ping()],
    expected: [echoText(HELLO)],
    fails: 1002,
  });
  caseTest({
    id: `4.${sub}.4`,
    title: `echo, reserved ${kind} opcode ${op(3)} with payload, ping → echo, no pong`,
    frames: [text(HELLO), masked(op(3), "reserved opcode payload"), ping()],
    expected: [echoText(HELLO)],
    fails: 1002,
  });
  caseTest({
    id: `4.${sub}.5`,
    title: `echo, reserved ${kind} opcode ${op(4)} with payload, ping, one octet per write`,
    frames: [text(HELLO), masked(op(4), "reserved opcode payload"), ping()],
    write: perByte,
    expected: [echoText(HELLO)],
    fails: 1002,
  });
}

// ===================================================== section 5: fragmentation

const WRITES = [["in one write", oneWrite], ["one write per frame", perFrame], [
  "one octet per write",
  perByte,
]] as const;

caseTest({
  id: "5.1",
  title: "ping in 2 fragments",
  frames: [masked(Op.Ping, "fragment1", { fin: false }), cont("fragment2", true)],
  fails: 1002,
});
caseTest({
  id: "5.2",
  title: "pong in 2 fragments",
  frames: [masked(Op.Pong, "fragment1", { fin: false }), cont("fragment2", true)],
  fails: 1002,
});
WRITES.forEach(([how, write], i) => {
  caseTest({
    id: `5.${3 + i}`,
    title: `text in 2 fragments, ${how} → one echo`,
    frames: [text("fragment1", false), cont("fragment2", true)],
    write,
    expected: [echoText("fragment1fragment2")],
  });
  caseTest({
    id: `5.${6 + i}`,
    title: `text in 2 fragments with a ping between, ${how} → pong, then one echo`,
    frames: [text("fragment1", false), ping("pongme!"), cont("fragment2", true)],
    write,
    expected: [pongOf("pongme!"), echoText("fragment1fragment2")],
  });
  caseTest({
    id: `5.${9 + i}`,
    title: `continuation (FIN set) with nothing to continue, then text, ${how} → no echo`,
    frames: [cont("non-continuation payload", true), text(HELLO)],
    write,
    fails: 1002,
  });
  caseTest({
    id: `5.${12 + i}`,
    title: `continuation (FIN clear) with nothing to continue, then text, ${how} → no echo`,
    frames: [cont("non-continuation payload", false), text(HELLO)],
    write,
    fails: 1002,
  });
});
caseTest({
  id: "5.15",
  title: "2-fragment text, then a continuation (FIN clear) and a text → first echoed",
  frames: [
    text("fragment1", false),
    cont("fragment2", true),
    cont("fragment3", false),
    text("fragment4"),
  ],
  expected: [echoText("fragment1fragment2")],
  fails: 1002,
});
for (const [id, firstFin] of [["5.16", false], ["5.17", true]] as const) {
  const round = [cont("fragment1", firstFin), text("fragment2", false), cont("fragment3", true)];
  caseTest({
    id,
    title: `twice (continuation with FIN ${firstFin ? "set" : "clear"}, 2-fragment text) → no echo`,
    frames: [...round, ...round],
    fails: 1002,
  });
}
caseTest({
  id: "5.18",
  title: "text in 2 fragments, both with the text opcode",
  frames: [text("fragment1", false), text("fragment2", true)],
  fails: 1002,
});

const FRAGMENTS = ["fragment1", "fragment2", "fragment3", "fragment4", "fragment5"];
for (
  const [id, write, how] of [["5.19", oneWrite, "in one write"], [
    "5.20",
    perFrame,
    "one write per frame",
  ]] as const
) {
  Deno.test(`autobahn server ${id}: text in 5 fragments, 2 pings between and a pause (${how}) → first pong before the message ends, then pong, echo`, async () => {
    await withServer(async (h) => {
      const send: Script = async (c) => {
        await write(c, [text(FRAGMENTS[0], false), cont(FRAGMENTS[1], false), ping("pongme 1!")]);
        // The first pong comes while the message is still open.
        const first = await c.nextFrame("the first pong");
        assert.equal(first.opcode, Op.Pong);
        await delay(100); // Autobahn pauses 1 s here.
        assert.equal(c.frames.length, 1, "nothing but the pong before the message ends");
        await write(c, [
          cont(FRAGMENTS[2], false),
          cont(FRAGMENTS[3], false),
          ping("pongme 2!"),
          cont(FRAGMENTS[4], true),
        ]);
      };
      await expectClean(h, id, send, [
        pongOf("pongme 1!"),
        pongOf("pongme 2!"),
        echoText(FRAGMENTS.join("")),
      ]);
    });
  });
}

// ===================================================== section 6: UTF-8

const KOSME = utf8("κόσμε");
const UTF8_SAMPLE = "Hello-µ@ßöäüàá-UTF-8!!";

/** One text message as one fragment per octet (an empty text frame first when empty). */
function perOctetFragments(payload: Uint8Array): Uint8Array[] {
  if (payload.length === 0) return [text("")];
  return Array.from(
    payload,
    (x, i) =>
      i === 0
        ? text(Uint8Array.of(x), payload.length === 1)
        : cont(Uint8Array.of(x), i === payload.length - 1),
  );
}

const CASES_6: Case[] = [
  {
    id: "6.1.1",
    title: "empty text frame → empty echo",
    frames: [text("")],
    expected: [echoText("")],
  },
  {
    id: "6.1.2",
    title: "text in 3 empty fragments → empty echo",
    frames: [text("", false), cont("", false), cont("", true)],
    expected: [echoText("")],
  },
  {
    id: "6.1.3",
    title: "text with empty first and last fragment → the middle one",
    frames: [text("", false), cont("middle frame payload", false), cont("", true)],
    expected: [echoText("middle frame payload")],
  },
  {
    id: "6.2.1",
    title: "valid UTF-8 in one frame is echoed",
    frames: [text(UTF8_SAMPLE)],
    expected: [echoText(UTF8_SAMPLE)],
  },
  {
    id: "6.2.2",
    title: "valid UTF-8 in 2 fragments split on a code point boundary is echoed",
    frames: [text("Hello-µ@ßöä", false), cont("üàá-UTF-8!!", true)],
    expected: [echoText(UTF8_SAMPLE)],
  },
  {
    id: "6.2.3",
    title: "valid UTF-8 in one fragment per octet is echoed",
    frames: perOctetFragments(utf8(UTF8_SAMPLE)),
    expected: [echoText(UTF8_SAMPLE)],
  },
  {
    id: "6.2.4",
    title: "κόσμε in one fragment per octet is echoed",
    frames: perOctetFragments(KOSME),
    expected: [echoText(KOSME)],
  },
];
const INVALID_6_3 = concat([KOSME, Uint8Array.of(0xed, 0xa0, 0x80), utf8("edited")]);
CASES_6.push(
  {
    id: "6.3.1",
    title: "invalid UTF-8 (κόσμε ED A0 80 edited) in one frame",
    frames: [text(INVALID_6_3)],
    fails: 1007,
  },
  {
    id: "6.3.2",
    title: "the same invalid UTF-8 in one fragment per octet",
    frames: perOctetFragments(INVALID_6_3),
    fails: 1007,
  },
);
CASES_6.forEach((c) => caseTest(c));

/**
 * 6.4.x fail fast: the server must close with 1007 as soon as the invalid
 * octets arrive, before the rest of the message (or frame) is written (Autobahn
 * pauses 1 s between the parts; here the client waits on the close frame).
 */
const F4_90 = concat([KOSME, Uint8Array.of(0xf4, 0x90, 0x80, 0x80), utf8("edited")]);
const FAIL_FAST: [string, string, () => Uint8Array[]][] = [
  ["6.4.1", "3 fragments, the 2nd (F4 90 80 80, above U+10FFFF) invalid", () => [
    text(KOSME, false),
    cont(Uint8Array.of(0xf4, 0x90, 0x80, 0x80), false),
    cont("edited", true),
  ]],
  ["6.4.2", "3 fragments, κόσμε F4 | 90 | 80 80 edited: invalid at the 2nd's first octet", () => [
    text(concat([KOSME, Uint8Array.of(0xf4)]), false),
    cont(Uint8Array.of(0x90), false),
    cont(concat([Uint8Array.of(0x80, 0x80), utf8("edited")]), true),
  ]],
  ["6.4.3", "one frame in 3 chops, the 2nd (F4 90 80 80) invalid", () => {
    const f = text(F4_90);
    const head = f.length - F4_90.length;
    return [f.subarray(0, head + 11), f.subarray(head + 11, head + 15), f.subarray(head + 15)];
  }],
  ["6.4.4", "one frame in 3 chops, the 2nd (F4 90) invalid", () => {
    const f = text(F4_90);
    const head = f.length - F4_90.length;
    return [f.subarray(0, head + 11), f.subarray(head + 11, head + 13), f.subarray(head + 13)];
  }],
];
for (const [id, what, parts] of FAIL_FAST) {
  Deno.test(`autobahn server ${id}: fail fast on invalid UTF-8: ${what} → 1007 before the rest is sent`, async () => {
    await withServer(async (h) => {
      const [first, second, rest] = parts();
      await expectFailure(h, id, async (c) => {
        await c.write(first);
        await delay(20);
        assert.equal(c.frames.length, 0, "no close while the text is still valid");
        await c.write(second);
        // The close must come without the rest of the message.
        await c.closeFrame();
        await c.write(rest).catch(() => {});
      }, INVALID_PAYLOAD);
    });
  });
}

/** 6.5–6.23: one connection per case; valid ones echoed intact, invalid ones 1007. */
for (const family of UTF8_FAMILIES) {
  const valid = family.cases.filter((c) => c.valid).length;
  const invalid = family.cases.length - valid;
  const outcome = [
    valid > 0 ? `${valid} valid echoed intact` : "",
    invalid > 0 ? `${invalid} invalid → 1007` : "",
  ].filter((s) => s !== "").join(", ");
  const last = family.cases[family.cases.length - 1].id;
  const ids = family.cases.length === 1 ? last : `${family.id}.1-${last}`;
  Deno.test(`autobahn server ${ids}: ${family.title}: ${outcome}`, async () => {
    await withServer(async (h) => {
      for (const c of family.cases) await utf8Case(h, c);
    });
  });
}

async function utf8Case(h: Harness, c: Utf8Case): Promise<void> {
  const label = `${c.id} [${hex(c.payload)}]`;
  const send: Script = (client) => client.write(text(c.payload));
  if (c.valid) await expectClean(h, label, send, [echoText(c.payload)]);
  else await expectFailure(h, label, send, INVALID_PAYLOAD);
}

Deno.test("autobahn server 6.6 (shape): the 11 prefixes of κόσμε, 5 valid, 6 cut mid-character", () => {
  const family = utf8Family("6.6");
  assert.equal(family.cases.length, 11);
  assert.deepEqual(family.cases.filter((c) => c.valid).map((c) => c.payload.length), [
    2,
    5,
    7,
    9,
    11,
  ]);
});

// ===================================================== section 7: close handling

Deno.test("autobahn server 7.1.1: echo, then a clean close 1000", async () => {
  await withServer((h) =>
    expectClean(h, "7.1.1", (c) => c.write(text("Hello World")), [echoText("Hello World")])
  );
});

/**
 * The client closes with `first` and sends `after` behind it: the server
 * answers with `code` and nothing else (no pong, no echo), ends TCP, and
 * reports `code` / `reason`.
 */
async function clientCloses(
  id: string,
  frames: Uint8Array[],
  code: number,
  reason: string,
  expected: Expected[] = [],
): Promise<void> {
  await withServer(async (h) => {
    const errorsBefore = h.errors.items.length;
    await onConnection(h, id, async (c) => {
      await c.write(concat(frames));
      const closeFrame = await c.closeFrame();
      assert.equal(codeOf(closeFrame), code, `${id}: close code the server answered`);
      await c.serverEnd();
      assertServerWire(c, id);
      assertFrames(c.frames.slice(0, c.frames.indexOf(closeFrame)), expected, id);
    });
    const closed = await h.closes.next(`${id}: close event`);
    assert.deepEqual({ ...closed.result }, { code, reason }, `${id}: close event`);
    assert.equal(h.errors.items.length, errorsBefore, `${id}: no error event`);
  });
}

Deno.test("autobahn server 7.1.2: close twice → one close from the server, the second ignored", async () => {
  await clientCloses("7.1.2", [close(1000), close(1000)], 1000, "");
});
Deno.test("autobahn server 7.1.3: close, then ping → no pong", async () => {
  await clientCloses("7.1.3", [close(1000), ping("Hello World")], 1000, "");
});
Deno.test("autobahn server 7.1.4: close, then text → no echo", async () => {
  await clientCloses("7.1.4", [close(1000), text("Hello World")], 1000, "");
});
Deno.test("autobahn server 7.1.5: first fragment, close, last fragment → close 1000, no echo", async () => {
  await clientCloses(
    "7.1.5",
    [text("fragment1", false), close(1000), cont("fragment2", true)],
    1000,
    "",
  );
});
Deno.test("autobahn server 7.1.6: 256 KiB text, text, close, ping in one write → both echoed in order, close, no pong", async () => {
  const big = filler(256 * 1024);
  await clientCloses(
    "7.1.6",
    [text(big), text("Hello World!"), close(1000), ping()],
    1000,
    "",
    [echoText(big), echoText("Hello World!")],
  );
});
Deno.test("autobahn server 7.3.1: empty close payload → empty close back, close event 1005", async () => {
  await clientCloses("7.3.1", [masked(Op.Close)], 1005, "");
});
Deno.test("autobahn server 7.3.2: close with a 1-byte payload → 1002", async () => {
  await withServer((h) =>
    expectFailure(h, "7.3.2", (c) => c.write(masked(Op.Close, [0x03])), PROTOCOL_ERROR)
  );
});
Deno.test("autobahn server 7.3.3: close with code 1000 only → 1000", async () => {
  await clientCloses("7.3.3", [close(1000)], 1000, "");
});
Deno.test("autobahn server 7.3.4: close with code 1000 and a reason → 1000, reason reported", async () => {
  await clientCloses("7.3.4", [close(1000, "Hello World!")], 1000, "Hello World!");
});
Deno.test("autobahn server 7.3.5: close with a 123-byte reason (125-byte payload) → 1000, reason reported", async () => {
  for (const reason of ["*".repeat(123), "é".repeat(61) + "!"]) {
    assert.equal(utf8(reason).length, 123);
    await clientCloses("7.3.5", [close(1000, reason)], 1000, reason);
  }
});
Deno.test("autobahn server 7.3.6: close with a 124-byte reason (126-byte payload) → 1002", async () => {
  await withServer((h) =>
    expectFailure(h, "7.3.6", (c) => c.write(close(1000, "*".repeat(124))), PROTOCOL_ERROR)
  );
});
Deno.test("autobahn server 7.5.1: close reason with invalid UTF-8 (κόσμε ED A0 80 edited) → 1007", async () => {
  await withServer((h) =>
    expectFailure(h, "7.5.1", (c) => c.write(close(1000, INVALID_6_3)), INVALID_PAYLOAD)
  );
});

const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999];
VALID_CODES.forEach((code, i) => {
  Deno.test(`autobahn server 7.7.${i + 1}: close with valid code ${code} → ${code} echoed and reported`, async () => {
    await clientCloses(`7.7.${i + 1}`, [close(code)], code, "");
  });
});

const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
INVALID_CODES.forEach((code, i) => {
  Deno.test(`autobahn server 7.9.${i + 1}: close with invalid code ${code} → 1002`, async () => {
    await withServer((h) =>
      expectFailure(h, `7.9.${i + 1}`, (c) => c.write(close(code)), PROTOCOL_ERROR)
    );
  });
});
[5000, 65535].forEach((code, i) => {
  Deno.test(`autobahn server 7.13.${i + 1}: close with code ${code} (informational) → 1002`, async () => {
    await withServer((h) =>
      expectFailure(h, `7.13.${i + 1}`, (c) => c.write(close(code)), PROTOCOL_ERROR)
    );
  });
});

// ===================================================== section 9: limits and performance

// Echoes above the platform's 5 MiB send limit need the maxSendSize extension.
const BIG = { maxSendSize: 16 * MIB };
const SIZES_9_1 = [64 * 1024, 256 * 1024, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
const sizeLabel = (n: number) =>
  n >= MIB ? `${n / MIB} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`;

for (const [family, opcode] of [["9.1", Op.Text], ["9.2", Op.Binary]] as const) {
  const kind = opcode === Op.Text ? "text" : "binary";
  SIZES_9_1.forEach((size, i) => {
    Deno.test(`autobahn server ${family}.${i + 1}: a ${sizeLabel(size)} ${kind} message is echoed intact`, async () => {
      const payload = opcode === Op.Text ? filler(size) : pattern(size, 89);
      await withServer(
        (h) =>
          expectClean(
            h,
            `${family}.${i + 1}`,
            (c) => c.write(masked(opcode, payload)),
            [[opcode, payload]],
            15_000,
          ),
        BIG,
      );
    });
  });
}

const FRAGMENT_SIZES = [64, 256, 1024, 4096, 16384, 65536, 262144, MIB, 4 * MIB];
/** `payload` as one message of `size`-byte fragments. */
function fragmented(opcode: number, payload: Uint8Array, size: number): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.length; offset += size) {
    const end = Math.min(offset + size, payload.length);
    frames.push(masked(offset === 0 ? opcode : Op.Continuation, payload.subarray(offset, end), {
      fin: end === payload.length,
    }));
  }
  return concat(frames);
}

for (const [family, opcode] of [["9.3", Op.Text], ["9.4", Op.Binary]] as const) {
  const kind = opcode === Op.Text ? "text" : "binary";
  const payload = opcode === Op.Text ? filler(4 * MIB) : pattern(4 * MIB, 97);
  FRAGMENT_SIZES.forEach((size, i) => {
    Deno.test(`autobahn server ${family}.${i + 1}: 4 MiB ${kind} in ${sizeLabel(size)} fragments is echoed intact`, async () => {
      await withServer(
        (h) =>
          expectClean(
            h,
            `${family}.${i + 1}`,
            (c) => c.write(fragmented(opcode, payload, size)),
            [[opcode, payload]],
            15_000,
          ),
        BIG,
      );
    });
  });
}

const CHOPS = [64, 128, 256, 512, 1024, 2048];
for (const [family, opcode] of [["9.5", Op.Text], ["9.6", Op.Binary]] as const) {
  const kind = opcode === Op.Text ? "text" : "binary";
  const payload = opcode === Op.Text ? filler(MIB) : pattern(MIB, 89);
  CHOPS.forEach((chop, i) => {
    Deno.test(`autobahn server ${family}.${i + 1}: a 1 MiB ${kind} frame written in ${chop}-byte chops is echoed intact`, async () => {
      await withServer((h) =>
        expectClean(
          h,
          `${family}.${i + 1}`,
          (c) => chops(chop)(c, [masked(opcode, payload)]),
          [[opcode, payload]],
          15_000,
        )
      );
    });
  });
}

// Autobahn sends 1000 messages per case; 100 keep the shape (each waits for its echo).
const ROUND_TRIPS = 100;
const RTT_SIZES = [0, 16, 64, 256, 1024, 4096];
for (const [family, opcode] of [["9.7", Op.Text], ["9.8", Op.Binary]] as const) {
  const kind = opcode === Op.Text ? "text" : "binary";
  RTT_SIZES.forEach((size, i) => {
    Deno.test(`autobahn server ${family}.${i + 1}: ${ROUND_TRIPS} ${kind} round trips of ${size} bytes, each echo awaited, intact and in order`, async () => {
      await withServer(async (h) => {
        // Filled by the script, checked by expectClean once the client closes.
        const expected: Expected[] = [];
        await expectClean(h, `${family}.${i + 1}`, async (c) => {
          for (let n = 0; n < ROUND_TRIPS; n++) {
            const payload = opcode === Op.Text ? filler(size) : pattern(size, n + 1);
            expected.push([opcode, payload]);
            await c.write(masked(opcode, payload));
            await c.nextFrame(`echo ${n}`);
          }
        }, expected);
      });
    });
  });
}

// ===================================================== section 10: auto-fragmentation

Deno.test("autobahn server 10.1.1: 65536-byte text sent in 1300-byte fragments is echoed intact", async () => {
  const payload = filler(65536);
  await withServer((h) =>
    expectClean(h, "10.1.1", (c) => c.write(fragmented(Op.Text, payload, 1300)), [
      echoText(payload),
    ])
  );
});

// ============================== beyond Autobahn: a message over maxMessageSize

Deno.test("autobahn server (limit): a message over maxMessageSize → 1009, whole and in 9.3-style fragments", async () => {
  const limit = 64 * 1024;
  const payload = filler(limit + 1);
  await withServer(async (h) => {
    await expectFailure(h, "one frame", (c) => c.write(text(payload)), 1009);
    await expectFailure(
      h,
      "1 KiB fragments",
      (c) => c.write(fragmented(Op.Text, payload, 1024)),
      1009,
    );
    const fits = filler(limit);
    await expectClean(h, "at the limit", (c) => c.write(text(fits)), [echoText(fits)]);
  }, { maxMessageSize: limit });
});
