// The close lifecycle rules of the core (close_lifecycle.ts), one test per rule,
// and the 1011 rule of ProtocolConnection.receive for an exception inside the core.
import assert from "node:assert/strict";
import {
  abnormalClose,
  CloseLifecycle,
  ProtocolConnection,
  ProtocolError,
} from "../../src/protocol/mod.ts";
import { closeCodeOf, decodeWritten, frame, recorder } from "./helpers.ts";

Deno.test("rule (RFC 6455 7.1.1): the server closes TCP once its close frame is written when the close handshake is complete, whoever started it", () => {
  const clientStarted = new CloseLifecycle("server");
  assert.equal(clientStarted.peerClosed({ code: 1000, reason: "" }), "closeWhenWritten");

  const serverStarted = new CloseLifecycle("server");
  assert.equal(serverStarted.closeStarted(), "wait", "waits (bounded) for the client's close");
  assert.equal(serverStarted.peerClosed({ code: 1000, reason: "" }), "closeWhenWritten");
});

Deno.test("rule (RFC 6455 7.1.1): the server half-closes right after failing the connection (the peer may still be sending; a close would reset)", () => {
  const server = new CloseLifecycle("server");
  assert.equal(server.failed(new ProtocolError(1002, "bad frame")), "closeWrite");
});

Deno.test("rule (RFC 6455 7.1.1): the client never ends TCP first; it waits for the server's end", () => {
  const serverStarted = new CloseLifecycle("client");
  assert.equal(serverStarted.peerClosed({ code: 1000, reason: "" }), "wait");

  const clientStarted = new CloseLifecycle("client");
  assert.equal(clientStarted.closeStarted(), "wait");
  assert.equal(clientStarted.peerClosed({ code: 1000, reason: "" }), "wait");

  const failing = new CloseLifecycle("client");
  assert.equal(failing.failed(new ProtocolError(1007, "bad UTF-8")), "wait");
});

Deno.test("rule: when the close timeout fires, the socket is closed and 1006 says the handshake was not completed", () => {
  for (const role of ["client", "server"] as const) {
    const lifecycle = new CloseLifecycle(role);
    lifecycle.closeStarted();
    assert.equal(lifecycle.timedOut(250), "close", role);
    assert.deepEqual(lifecycle.ended(true).result, {
      code: 1006,
      reason: "close handshake timed out: not completed within 250 ms",
    });
  }
});

Deno.test("rule: the first recorded close result wins (peer close, our failure, drop, timeout)", () => {
  const peerFirst = new CloseLifecycle("client");
  peerFirst.peerClosed({ code: 4003, reason: "going" });
  peerFirst.failed(new ProtocolError(1002, "late violation"));
  peerFirst.dropped("no pong");
  peerFirst.timedOut(100);
  assert.deepEqual(peerFirst.ended(true).result, { code: 4003, reason: "going" });

  const failureFirst = new CloseLifecycle("server");
  failureFirst.failed(new ProtocolError(1009, "too big"));
  failureFirst.peerClosed({ code: 1000, reason: "" });
  assert.deepEqual(failureFirst.ended(true).result, { code: 1009, reason: "too big" });

  const dropFirst = new CloseLifecycle("server");
  assert.equal(dropFirst.dropped("client stopped reading"), "close");
  dropFirst.timedOut(100);
  assert.deepEqual(dropFirst.ended(false).result, { code: 1006, reason: "client stopped reading" });
});

Deno.test("rule (RFC 6455 7.1.5): an end without a close frame is 1006, saying whether it came at or inside a frame boundary", () => {
  assert.deepEqual(new CloseLifecycle("client").ended(true).result, {
    code: 1006,
    reason: "connection closed without a close frame",
  });
  assert.deepEqual(new CloseLifecycle("server").ended(false).result, {
    code: 1006,
    reason: "connection closed in the middle of a frame",
  });
  assert.deepEqual(abnormalClose(false), new CloseLifecycle("client").ended(false).result);
});

Deno.test("rule: a stream error before any close is under way is an unexpected end; after one it is not", () => {
  const lost = new CloseLifecycle("client");
  assert.equal(lost.closeExpected, false);
  assert.equal(lost.ended(true, new Error("reset")).unexpected, true);

  const clean = new CloseLifecycle("client");
  assert.equal(clean.ended(true).unexpected, false, "a clean EOF is reported by the close alone");

  for (
    const start of [
      (l: CloseLifecycle) => l.closeStarted(),
      (l: CloseLifecycle) => l.peerClosed({ code: 1000, reason: "" }),
      (l: CloseLifecycle) => l.failed(new ProtocolError(1002, "x")),
      (l: CloseLifecycle) => l.dropped("no pong"),
    ]
  ) {
    const lifecycle = new CloseLifecycle("server");
    start(lifecycle);
    assert.equal(lifecycle.closeExpected, true);
    assert.equal(lifecycle.ended(true, new Error("reset")).unexpected, false);
  }
});

Deno.test("rule: an exception inside receive (a handler that throws) fails the connection with 1011", () => {
  const written: Uint8Array[] = [];
  const failures: ProtocolError[] = [];
  const conn = new ProtocolConnection(
    { role: "server", maxMessageSize: 1 << 20, maxMessageFragments: 100, random: () => {} },
    {
      write: (bytes) => written.push(bytes),
      message: () => {
        throw new TypeError("handler bug");
      },
      peerClose: () => assert.fail("no peer close"),
      fail: (error) => failures.push(error),
    },
  );
  const hi = frame({ opcode: 1, payload: "hi", mask: [1, 2, 3, 4] });
  conn.receive(hi); // must not throw
  assert.equal(failures.length, 1);
  assert.equal(failures[0].closeCode, 1011);
  assert.match(failures[0].message, /^internal error: handler bug/);
  assert.equal(written.length, 1, "one close frame");
  assert.equal(closeCodeOf(written[0]), 1011);
  assert.match(new TextDecoder().decode(decodeWritten(written[0]).payload.subarray(2)), /internal/);
  assert.equal(conn.state, "closed");
  conn.receive(hi); // ignored after the failure
  assert.equal(failures.length, 1);
});

Deno.test("rule: a write handler that throws inside receive (the pong) fails with 1011 and the close frame still goes out", () => {
  let calls = 0;
  const written: Uint8Array[] = [];
  const failures: ProtocolError[] = [];
  const conn = new ProtocolConnection(
    { role: "client", maxMessageSize: 1 << 20, maxMessageFragments: 100, random: () => {} },
    {
      write: (bytes) => {
        if (calls++ === 0) throw new Error("write broke");
        written.push(bytes);
      },
      message: () => {},
      peerClose: () => assert.fail("no peer close"),
      fail: (error) => failures.push(error),
    },
  );
  conn.receive(frame({ opcode: 9, payload: "ping" }));
  assert.equal(failures[0]?.closeCode, 1011);
  assert.equal(written.length, 1);
  assert.equal(closeCodeOf(written[0]), 1011);
  assert.equal(conn.closeSent, true);
});

Deno.test("rule: a ProtocolError from the parser keeps its own code (not 1011)", () => {
  const rec = recorder("client");
  rec.conn.receive(frame({ opcode: 1, rsv: 4, payload: "x" }));
  assert.equal(rec.failures[0]?.closeCode, 1002);
  assert.equal(closeCodeOf(rec.written[0]), 1002);
});
