/**
 * permessage-deflate's ordering and bounds in the sans-I/O core (RFC 7692, issue 16), with a
 * hand-driven DeflateEngine: its jobs complete only when the test says so, as a slow thread
 * pool would. Proves that messages keep their order both ways while zlib works, that the
 * peer's close and our close wait for them, the RSV1 rules, the backlog bound, and that a
 * connection without the extension never reaches the pipeline.
 *
 * Run: npx -y deno@2.9.6 test -A tests/protocol/deflate_pipeline_test.ts
 */
import assert from "node:assert/strict";
import {
  type DeflateEngine,
  type InflateFailure,
  MAX_BACKLOG_FACTOR,
  ProtocolConnection,
  type ProtocolError,
} from "../../src/protocol/mod.ts";
import { closeCodeOf, decodeWritten, frame } from "./helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** An engine whose "compression" is reversal and whose jobs wait in lists until run. */
class ManualEngine implements DeflateEngine {
  readonly inflates: (() => void)[] = [];
  readonly compresses: (() => void)[] = [];
  closed = false;
  compress(data: Uint8Array, done: (o: Uint8Array | undefined) => void): void {
    this.compresses.push(() =>
      done(Uint8Array.from([...data.slice().reverse(), 0, 0, 0xff, 0xff]))
    );
  }
  inflate(
    payload: Uint8Array,
    limit: number,
    done: (o: Uint8Array | undefined, f?: InflateFailure) => void,
  ): void {
    const copy = payload.slice();
    this.inflates.push(() => {
      if (copy[0] === 0xee) return done(undefined, "corrupt");
      const out = copy.reverse();
      done(out.length > limit ? undefined : out, out.length > limit ? "too-big" : undefined);
    });
  }
  close(): void {
    this.closed = true;
  }
}

function deflateConnection(role: "client" | "server" = "client", maxMessageSize = 1 << 20) {
  const engine = new ManualEngine();
  const rec = {
    written: [] as Uint8Array[],
    messages: [] as (string | Uint8Array)[],
    events: [] as string[],
    failures: [] as ProtocolError[],
  };
  const conn = new ProtocolConnection({
    role,
    maxMessageSize,
    maxMessageFragments: 1000,
    random: (b) => crypto.getRandomValues(b),
    deflate: { engine, threshold: 4 },
  }, {
    write: (b) => rec.written.push(b.slice()),
    message: (d) => {
      rec.messages.push(d);
      rec.events.push(`message:${typeof d === "string" ? d : dec.decode(d)}`);
    },
    peerClose: (info) => rec.events.push(`close:${info.code}`),
    fail: (e) => rec.failures.push(e),
  });
  return { conn, engine, rec };
}

const reversed = (text: string) => enc.encode([...text].reverse().join(""));

Deno.test("rule (RFC 7692 order): a message after a compressed one, and the peer's close, wait until it is inflated", () => {
  const { conn, engine, rec } = deflateConnection();
  conn.receive(frame({ opcode: 1, rsv: 4, payload: reversed("first") }));
  conn.receive(frame({ opcode: 1, payload: "second" }));
  conn.receive(frame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8) }));
  assert.deepEqual(rec.events, []);
  assert.equal(rec.written.length, 0, "our close echo waits too");
  engine.inflates.shift()!();
  assert.deepEqual(rec.events, ["message:first", "message:second", "close:1000"]);
  assert.equal(closeCodeOf(rec.written[0]), 1000);
});

Deno.test("rule (RFC 7692 order): sends after a compressed one, and our close, are written after it; RSV1 only on compressed frames", () => {
  const { conn, engine, rec } = deflateConnection("server");
  conn.sendText("longer message"); // over the threshold: compressed
  conn.sendText("hi"); // under it, but behind the first
  assert.equal(conn.queuedBytes, 16);
  const idle = conn.pendingSends();
  assert.ok(idle !== null);
  conn.ping(Uint8Array.of(1)); // control frames are never held nor compressed
  conn.close(1000);
  assert.equal(conn.sendText("after close"), false);
  assert.equal(rec.written.length, 1);
  assert.equal(decodeWritten(rec.written[0]).opcode, 9);
  assert.equal(rec.written[0][0] & 0x70, 0);
  engine.compresses.shift()!();
  const [, first, second, close] = rec.written;
  assert.equal(first[0] & 0x40, 0x40, "RSV1 on the compressed message");
  assert.deepEqual(decodeWritten(first).payload, reversed("longer message"), "tail removed");
  assert.equal(second[0] & 0x40, 0, "no RSV1 on the uncompressed one");
  assert.equal(dec.decode(decodeWritten(second).payload), "hi");
  assert.equal(closeCodeOf(close), 1000);
  assert.equal(conn.queuedBytes, 0);
  assert.equal(conn.pendingSends(), null);
});

Deno.test("rule (RFC 7692 order): the peer's close is reported (and the server may end TCP) only after our compressed frames and close are written", () => {
  const { conn, engine, rec } = deflateConnection("server");
  conn.sendText("a long reply being compressed");
  conn.receive(frame({ opcode: 8, payload: Uint8Array.of(0x03, 0xe8), mask: [1, 2, 3, 4] }));
  assert.deepEqual(rec.events, [], "peerClose waits for the frames still being compressed");
  assert.equal(rec.written.length, 0);
  engine.compresses.shift()!();
  assert.equal(rec.written.length, 2);
  assert.equal(rec.written[0][0] & 0x40, 0x40);
  assert.equal(closeCodeOf(rec.written[1]), 1000);
  assert.deepEqual(rec.events, ["close:1000"]);
});

Deno.test("rule (RFC 7692 §6): RSV1 on a continuation or a control frame closes with 1002", () => {
  for (
    const frames of [
      [frame({ opcode: 1, fin: false, payload: "a" }), frame({ opcode: 0, rsv: 4, payload: "b" })],
      [frame({ opcode: 9, rsv: 4 })],
      [frame({ opcode: 8, rsv: 4, payload: Uint8Array.of(3, 0xe8) })],
    ]
  ) {
    const { conn, rec } = deflateConnection();
    for (const f of frames) conn.receive(f);
    assert.equal(rec.failures[0]?.closeCode, 1002);
    assert.equal(closeCodeOf(rec.written.at(-1)!), 1002);
  }
  // RSV2 and RSV3 stay refused with the extension.
  const { conn, rec } = deflateConnection();
  conn.receive(frame({ opcode: 1, rsv: 2, payload: "x" }));
  assert.equal(rec.failures[0]?.closeCode, 1002);
});

Deno.test("rule: corrupt data → 1007, invalid UTF-8 once inflated → 1007, inflating past maxMessageSize → 1009", () => {
  for (
    const [opcode, payload] of [[2, Uint8Array.of(0xee, 1, 2)], [
      1,
      Uint8Array.of(0xff, 0x41),
    ]] as const
  ) {
    const { conn, engine, rec } = deflateConnection("client", 100);
    conn.receive(frame({ opcode, rsv: 4, payload }));
    engine.inflates.shift()!();
    assert.equal(rec.failures[0]?.closeCode, 1007);
    assert.equal(closeCodeOf(rec.written.at(-1)!), 1007);
    assert.deepEqual(rec.messages, []);
  }
  const { conn, engine, rec } = deflateConnection("client", 100);
  // A compressed message in 3 fragments (RSV1 on the first only), 100 bytes: at the limit.
  conn.receive(frame({ opcode: 2, rsv: 4, fin: false, payload: new Uint8Array(60).fill(1) }));
  conn.receive(frame({ opcode: 0, fin: false, payload: new Uint8Array(30).fill(2) }));
  conn.receive(frame({ opcode: 0, payload: new Uint8Array(10).fill(3) }));
  engine.inflates.shift()!();
  assert.equal(rec.failures.length, 0);
  assert.equal(rec.messages.length, 1);
  // The engine is given the limit and reports too-big past it.
  let given = 0;
  engine.inflate = (_p, limit, done) => {
    given = limit;
    done(undefined, "too-big");
  };
  conn.receive(frame({ opcode: 2, rsv: 4, payload: new Uint8Array(5) }));
  assert.equal(given, 100);
  assert.equal(rec.failures[0]?.closeCode, 1009);
  assert.equal(closeCodeOf(rec.written.at(-1)!), 1009);
});

Deno.test("bound: messages waiting for inflation are capped at 2 × maxMessageSize (1008), not queued without limit", () => {
  const { conn, engine, rec } = deflateConnection("client", 1000);
  let sent = 0;
  for (let i = 0; i < 100 && rec.failures.length === 0; i++) {
    conn.receive(frame({ opcode: 2, rsv: 4, payload: new Uint8Array(500) }));
    sent++;
  }
  assert.equal(rec.failures[0]?.closeCode, 1008);
  assert.equal(sent, (MAX_BACKLOG_FACTOR * 1000) / 500 + 1);
  // The jobs of a failed connection are ignored when they complete.
  for (const job of engine.inflates) job();
  assert.deepEqual(rec.messages, []);
  conn.release();
  assert.ok(engine.closed, "release() frees the zlib contexts");
});

Deno.test("rule: without the extension, RSV1 is refused with 1002 and the connection holds no pipeline", () => {
  const conn = new ProtocolConnection({
    role: "client",
    maxMessageSize: 1000,
    maxMessageFragments: 10,
    random: (b) => crypto.getRandomValues(b),
  }, {
    write: () => {},
    message: () => {},
    peerClose: () => {},
    fail: (e) => assert.equal(e.closeCode, 1002),
  });
  assert.equal(conn.pendingSends(), null);
  assert.equal(conn.queuedBytes, 0);
  conn.receive(frame({ opcode: 1, rsv: 4, payload: "x" }));
  assert.equal(conn.state, "closed");
});
