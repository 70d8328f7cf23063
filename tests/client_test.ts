/**
 * End-to-end tests of the ohos WebSocket client (`createWebSocket()`) against local servers:
 * `Deno.serve` + `Deno.upgradeWebSocket` for well-behaved peers, raw `Deno.listen` servers
 * for peers that misbehave (no answer, dropped TCP, no close reply).
 *
 * Contract: /work/shared/spec/ohos-websocket.md sections 2-5. Every test leaves no socket or
 * timer behind (Deno's sanitizers stay on) and every wait is bounded.
 */
import assert from "node:assert/strict";
import webSocket, { BusinessError } from "../mod.ts";
import { acceptKey } from "../src/protocol/handshake.ts";
import type { AsyncCallback, CloseResult, OpenResult, WebSocket as OhosWebSocket } from "../mod.ts";
import {
  acceptHandshake,
  ClientFrameReader,
  drain,
  Queue,
  readRequestHead,
  serverFrame,
  startRawServer,
  startServer,
  within,
  writeAll,
} from "./helpers/deno_server.ts";
import { sha1Base64 } from "../src/transport/mod.ts";

// ------------------------------------------------------------------ helpers

/** The client with loose argument types, for calls the types forbid. */
interface LooseClient {
  connect(...args: unknown[]): Promise<boolean> | void;
  send(...args: unknown[]): Promise<boolean> | void;
  close(...args: unknown[]): Promise<boolean> | void;
  on(...args: unknown[]): void;
  off(...args: unknown[]): void;
}

const loose = (ws: OhosWebSocket): LooseClient => ws as unknown as LooseClient;

/** Records every event of a client, in order. */
class Recorder {
  readonly log: string[] = [];
  readonly opens = new Queue<[unknown, OpenResult]>();
  readonly messages = new Queue<string | ArrayBuffer>();
  readonly messageErrs: unknown[] = [];
  readonly closes = new Queue<[unknown, CloseResult]>();
  readonly errors = new Queue<unknown>();

  constructor(ws: OhosWebSocket) {
    ws.on("open", (err, value) => {
      this.log.push("open");
      this.opens.push([err, value]);
    });
    ws.on("message", (err, value) => {
      this.log.push("message");
      this.messageErrs.push(err);
      this.messages.push(value);
    });
    ws.on("close", (err, value) => {
      this.log.push("close");
      this.closes.push([err, value]);
    });
    ws.on("error", (err) => {
      this.log.push("error");
      this.errors.push(err);
    });
  }
}

function newClient(): { ws: OhosWebSocket; rec: Recorder } {
  const ws = webSocket.createWebSocket();
  return { ws, rec: new Recorder(ws) };
}

/** Connects with the promise form and checks it resolved `true`. */
async function open(url: string, options?: Parameters<OhosWebSocket["connect"]>[1]) {
  const client = newClient();
  const ok = await within(
    options === undefined ? client.ws.connect(url) : client.ws.connect(url, options),
    "connect",
  );
  assert.equal(ok, true);
  return client;
}

/** Closes with the promise form and returns the client's close event value. */
async function closeAndWait(ws: OhosWebSocket, rec: Recorder): Promise<CloseResult> {
  assert.equal(await within(ws.close(), "close()"), true);
  const [err, value] = await rec.closes.next("close event");
  assert.equal(err, undefined);
  return value;
}

/** Resolves with what a node-style callback received. */
function callbackResult<T>(
  start: (cb: AsyncCallback<T, unknown>) => unknown,
  label: string,
): Promise<[unknown, T]> {
  return within(
    new Promise<[unknown, T]>((resolve) => {
      const returned = start((err, data) => resolve([err, data]));
      assert.equal(returned, undefined, `${label}: the callback form returns undefined`);
    }),
    label,
  );
}

/** Asserts a BusinessError with `code` whose JSON shows code and message. */
function assertBusinessError(err: unknown, code: number, label = ""): BusinessError<unknown> {
  assert.ok(err instanceof BusinessError, `${label}: expected a BusinessError, got ${err}`);
  assert.ok(err instanceof Error, `${label}: BusinessError is an Error`);
  assert.equal(err.code, code, `${label}: code (message: ${err.message})`);
  const json = JSON.parse(JSON.stringify(err));
  assert.equal(json.code, code, `${label}: JSON.stringify shows the code`);
  assert.equal(typeof json.message, "string", `${label}: JSON.stringify shows the message`);
  assert.ok(json.message.length > 0, `${label}: message is not empty`);
  return err;
}

/** The promise form rejects with a BusinessError of `code`. */
async function rejectsWith(
  result: Promise<boolean> | void,
  code: number,
  label: string,
): Promise<BusinessError<unknown>> {
  assert.ok(result instanceof Promise, `${label}: the promise form returns a promise`);
  const outcome = await within(
    result.then((value) => ({ value }), (error: unknown) => ({ error })),
    label,
  );
  assert.ok("error" in outcome, `${label}: expected a rejection, got ${JSON.stringify(outcome)}`);
  return assertBusinessError(outcome.error, code, label);
}

/** The callback form gets `(err, undefined)` with a BusinessError of `code`. */
async function callbackFailsWith(
  start: (cb: AsyncCallback<boolean, unknown>) => unknown,
  code: number,
  label: string,
): Promise<BusinessError<unknown>> {
  const [err, data] = await callbackResult(start, label);
  assert.equal(data, undefined, `${label}: no value with an error`);
  return assertBusinessError(err, code, label);
}

/** Waits `ms` with a timer that always completes (no leak). */
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Replies to the client's close frame with the same payload, then closes TCP. */
async function answerCloseThenEnd(conn: Deno.Conn, reader: ClientFrameReader): Promise<void> {
  while (true) {
    const frame = await reader.next();
    if (frame.opcode === 0x8) {
      await writeAll(conn, serverFrame(0x8, frame.payload));
      break;
    }
  }
  conn.close();
}

function bytes(data: ArrayBuffer | Uint8Array | undefined | string): number[] {
  assert.ok(data instanceof ArrayBuffer || data instanceof Uint8Array, `binary expected`);
  return [...new Uint8Array(data)];
}

const HAS_IPV6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

const OPEN_VALUE = { status: 101, message: "Switching Protocols" };
const UNUSED_URL = "ws://127.0.0.1:9/";

// ------------------------------------------------------------------ connect

Deno.test("connect(url, callback): callback gets (undefined, true) after 'open', open value is exactly {status: 101, message: 'Switching Protocols'}", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const [err, value] = await callbackResult<boolean>((cb) => {
      return ws.connect(server.url, (e, v) => {
        rec.log.push("callback");
        cb(e, v);
      });
    }, "connect callback");
    assert.equal(err, undefined);
    assert.equal(value, true);
    assert.deepEqual(rec.log, ["open", "callback"]);
    const [openErr, openValue] = await rec.opens.next("open event");
    assert.equal(openErr, undefined);
    assert.deepEqual(openValue, OPEN_VALUE);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect(url, options, callback): callback gets (undefined, true) after 'open'", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const [err, value] = await callbackResult<boolean>((cb) => {
      return ws.connect(server.url, { header: { "x-test": "1" } }, (e, v) => {
        rec.log.push("callback");
        cb(e, v);
      });
    }, "connect callback");
    assert.equal(err, undefined);
    assert.equal(value, true);
    assert.deepEqual(rec.log, ["open", "callback"]);
    assert.deepEqual((await rec.opens.next("open event"))[1], OPEN_VALUE);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect(url) promise: resolves true only after 'open' fired, with the exact open value", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const ok = await within(ws.connect(server.url).then((v) => (rec.log.push("resolved"), v)), "");
    assert.equal(ok, true);
    assert.deepEqual(rec.log, ["open", "resolved"]);
    const [openErr, openValue] = await rec.opens.next("open event");
    assert.equal(openErr, undefined);
    assert.deepEqual(openValue, OPEN_VALUE);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect(url, options) promise: resolves true only after 'open' fired", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const ok = await within(
      ws.connect(server.url, { header: { "x-a": "b" }, handshakeTimeoutMs: 2000 })
        .then((v) => (rec.log.push("resolved"), v)),
      "connect",
    );
    assert.equal(ok, true);
    assert.deepEqual(rec.log, ["open", "resolved"]);
    assert.deepEqual((await rec.opens.next("open event"))[1], OPEN_VALUE);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

// --------------------------------------------------------------------- send

Deno.test("send: string, ArrayBuffer, Uint8Array subarray with offset and DataView reach the server as the exact bytes", async () => {
  const server = startServer({ onMessage() {} });
  try {
    const { ws, rec } = await open(server.url);
    const text = "héllo wörld ✓ 😀";
    const backing = new Uint8Array([9, 9, 9, 1, 2, 3, 4, 5, 9, 9]);
    const whole = new Uint8Array(256).map((_, i) => i);
    const big = new Uint8Array(70_000).map((_, i) => (i * 7) & 255);
    assert.equal(await ws.send(text), true);
    assert.equal(await ws.send(whole.buffer), true);
    assert.equal(await ws.send(backing.subarray(3, 8)), true);
    assert.equal(await ws.send(new DataView(backing.buffer, 2, 4)), true);
    assert.equal(await ws.send(big), true);
    assert.equal(await server.messages.next("text"), text);
    assert.deepEqual(bytes(await server.messages.next("ArrayBuffer") as ArrayBuffer), [...whole]);
    assert.deepEqual(bytes(await server.messages.next("subarray") as ArrayBuffer), [1, 2, 3, 4, 5]);
    assert.deepEqual(bytes(await server.messages.next("DataView") as ArrayBuffer), [9, 1, 2, 3]);
    assert.deepEqual(bytes(await server.messages.next("70000 bytes") as ArrayBuffer), [...big]);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("send(data, callback): callback gets (undefined, true) for string and binary", async () => {
  const server = startServer({ onMessage() {} });
  try {
    const { ws, rec } = await open(server.url);
    const [err1, ok1] = await callbackResult<boolean>((cb) => ws.send("cb text", cb), "send text");
    assert.equal(err1, undefined);
    assert.equal(ok1, true);
    const [err2, ok2] = await callbackResult<boolean>(
      (cb) => ws.send(new Uint8Array([7, 8]).buffer, cb),
      "send binary",
    );
    assert.equal(err2, undefined);
    assert.equal(ok2, true);
    assert.equal(await server.messages.next("text"), "cb text");
    assert.deepEqual(bytes(await server.messages.next("binary") as ArrayBuffer), [7, 8]);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("send: 0-byte text and 0-byte binary messages are sent and echoed as '' and an empty ArrayBuffer", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    assert.equal(await ws.send(""), true);
    assert.equal(await ws.send(new ArrayBuffer(0)), true);
    assert.equal(await ws.send(new Uint8Array(0)), true);
    assert.equal(await server.messages.next("empty text"), "");
    for (const label of ["empty ArrayBuffer", "empty Uint8Array"]) {
      const got = await server.messages.next(label);
      assert.ok(got instanceof ArrayBuffer, label);
      assert.equal(got.byteLength, 0, label);
    }
    assert.equal(await rec.messages.next("echo text"), "");
    for (const label of ["echo 1", "echo 2"]) {
      const got = await rec.messages.next(label);
      assert.ok(got instanceof ArrayBuffer, label);
      assert.equal(got.byteLength, 0, label);
    }
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("send 401: a message over 5,242,864 bytes (5 MiB - 16) fails via callback and promise; exactly the limit is sent; maxSendSize raises it", async () => {
  const server = startServer({ onMessage() {} });
  try {
    const limit = 5 * 1024 * 1024 - 16;
    const { ws, rec } = await open(server.url);
    const over = new Uint8Array(limit + 1);
    await callbackFailsWith((cb) => ws.send(over, cb), 401, "limit + 1 (cb)");
    await rejectsWith(ws.send(over), 401, "limit + 1 (promise)");
    await rejectsWith(ws.send("x".repeat(limit + 1)), 401, "text of limit + 1 bytes");
    assert.equal(await within(ws.send(new Uint8Array(limit)), "send limit"), true);
    const got = await server.messages.next("limit-sized message");
    assert.ok(got instanceof ArrayBuffer);
    assert.equal(got.byteLength, limit);
    await closeAndWait(ws, rec);

    const raised = await open(server.url, { maxSendSize: limit + 100 });
    assert.equal(await within(raised.ws.send(over), "send over the default"), true);
    assert.equal((await server.messages.next("raised") as ArrayBuffer).byteLength, limit + 1);
    await closeAndWait(raised.ws, raised.rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("message over maxMessageSize: the client closes with 1009 (close event 1009, server sees 1009) and fires 'error'", async () => {
  const server = startServer({ onOpen: (socket) => socket.send("0123456789A") });
  try {
    const { rec } = await open(server.url, { maxMessageSize: 10 });
    const [, result] = await rec.closes.next("close event");
    assert.equal(result.code, 1009);
    // The spec fixes no code for this error; it must still be a BusinessError.
    const err = await rec.errors.next("error event");
    assert.ok(err instanceof BusinessError);
    assertBusinessError(err, err.code);
    assert.equal((await server.closes.next("server close")).code, 1009);
    assert.equal(rec.messages.items.length, 0, "the oversized message is not delivered");
  } finally {
    await server.shutdown();
  }
});

Deno.test("message event: text frames arrive as string, binary frames as an ArrayBuffer with exactly the sent bytes", async () => {
  const big = new Uint8Array(200_000).map((_, i) => (i * 13 + 5) & 255);
  const server = startServer({
    onOpen(socket) {
      socket.send("plain text ✓");
      socket.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
      socket.send(big);
      socket.send("after big");
    },
  });
  try {
    const { ws, rec } = await open(server.url);
    assert.equal(await rec.messages.next("text"), "plain text ✓");
    const small = await rec.messages.next("small binary");
    assert.ok(small instanceof ArrayBuffer, "binary is an ArrayBuffer");
    assert.equal(small.byteLength, 6);
    assert.deepEqual(bytes(small), [0, 1, 2, 253, 254, 255]);
    const large = await rec.messages.next("big binary");
    assert.ok(large instanceof ArrayBuffer);
    assert.equal(large.byteLength, big.length);
    assert.deepEqual(new Uint8Array(large), big);
    assert.equal(await rec.messages.next("text after"), "after big");
    assert.ok(rec.messageErrs.every((e) => e === undefined), "message err is undefined");
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

// -------------------------------------------------------------------- close

Deno.test("close(callback): default code 1000 and reason '' reach the server; 'close success' callback fires before the close event", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const [err, ok] = await callbackResult<boolean>((cb) => {
      return ws.close((e, v) => {
        rec.log.push("close callback");
        cb(e, v);
      });
    }, "close callback");
    assert.equal(err, undefined);
    assert.equal(ok, true);
    const [closeErr, result] = await rec.closes.next("close event");
    assert.equal(closeErr, undefined);
    assert.deepEqual(result, { code: 1000, reason: "" });
    assert.deepEqual(rec.log.slice(-2), ["close callback", "close"]);
    const atServer = await server.closes.next("server close");
    assert.equal(atServer.code, 1000);
    assert.equal(atServer.reason, "");
  } finally {
    await server.shutdown();
  }
});

Deno.test("close(options, callback): custom code and reason reach the server; callback fires before the close event", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const [err, ok] = await callbackResult<boolean>((cb) => {
      return ws.close({ code: 4000, reason: "done here" }, (e, v) => {
        rec.log.push("close callback");
        cb(e, v);
      });
    }, "close callback");
    assert.equal(err, undefined);
    assert.equal(ok, true);
    const [, result] = await rec.closes.next("close event");
    assert.deepEqual(result, { code: 4000, reason: "done here" }, "as echoed by the server");
    assert.deepEqual(rec.log.slice(-2), ["close callback", "close"]);
    const atServer = await server.closes.next("server close");
    assert.equal(atServer.code, 4000);
    assert.equal(atServer.reason, "done here");
    assert.equal(atServer.wasClean, true);
  } finally {
    await server.shutdown();
  }
});

Deno.test("close() promise: resolves true; default {code: 1000, reason: ''} at the server and in the close event", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const result = await closeAndWait(ws, rec);
    assert.deepEqual(result, { code: 1000, reason: "" });
    const atServer = await server.closes.next("server close");
    assert.deepEqual([atServer.code, atServer.reason], [1000, ""]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("close(options) promise: a 123-byte UTF-8 reason and an application code reach the server intact", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const reason = "é".repeat(61) + "x"; // 123 bytes
    assert.equal(new TextEncoder().encode(reason).length, 123);
    assert.equal(await within(ws.close({ code: 3001, reason }), "close"), true);
    const [, result] = await rec.closes.next("close event");
    assert.equal(result.code, 3001);
    const atServer = await server.closes.next("server close");
    assert.equal(atServer.code, 3001);
    assert.equal(atServer.reason, reason);
  } finally {
    await server.shutdown();
  }
});

Deno.test("server-initiated close: the client's close event carries the server's code and reason", async () => {
  const server = startServer({
    onOpen(socket) {
      socket.send("last words");
      socket.close(4001, "server says bye");
    },
  });
  try {
    const { rec } = await open(server.url);
    assert.equal(await rec.messages.next("message before close"), "last words");
    const [err, result] = await rec.closes.next("close event");
    assert.equal(err, undefined);
    assert.deepEqual(result, { code: 4001, reason: "server says bye" });
    const atServer = await server.closes.next("server close");
    assert.equal(atServer.code, 4001, "client echoes the server's code");
    assert.deepEqual(rec.log, ["open", "message", "close"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("abrupt drop: server ends TCP right after the handshake without a close frame -> close event 1006", async () => {
  const server = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    conn.close();
  });
  try {
    const { rec } = await open(server.url);
    const [err, result] = await rec.closes.next("close event");
    assert.equal(err, undefined);
    assert.equal(result.code, 1006);
    assert.ok(result.reason.length > 0, "1006 comes with a descriptive reason");
  } finally {
    await server.shutdown();
  }
});

Deno.test("abrupt drop: server ends TCP in the middle of a frame -> message not delivered, close event 1006", async () => {
  const server = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    await writeAll(conn, serverFrame(0x1, new TextEncoder().encode("complete")));
    // Header announces 10 bytes, only 3 follow.
    await writeAll(conn, new Uint8Array([0x82, 10, 1, 2, 3]));
    conn.close();
  });
  try {
    const { rec } = await open(server.url);
    assert.equal(await rec.messages.next("complete message"), "complete");
    const [, result] = await rec.closes.next("close event");
    assert.equal(result.code, 1006);
    assert.ok(result.reason.length > 0);
    assert.equal(rec.messages.items.length, 1, "the partial frame is not delivered");
  } finally {
    await server.shutdown();
  }
});

// ------------------------------------------------------------------- on/off

Deno.test("on: many listeners per event are all called, in registration order", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const calls: string[] = [];
    for (const n of [1, 2, 3]) {
      ws.on("open", (err, value) => {
        assert.equal(err, undefined);
        assert.deepEqual(value, OPEN_VALUE);
        calls.push(`open${n}`);
      });
      ws.on("message", (_err, value) => calls.push(`message${n}:${value}`));
      ws.on("close", (_err, value) => calls.push(`close${n}:${value.code}`));
    }
    await within(ws.connect(server.url), "connect");
    await ws.send("m");
    await rec.messages.next("echo");
    await closeAndWait(ws, rec);
    assert.deepEqual(calls, [
      "open1",
      "open2",
      "open3",
      "message1:m",
      "message2:m",
      "message3:m",
      "close1:1000",
      "close2:1000",
      "close3:1000",
    ]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("off(type, cb) removes only that listener; off(type) removes every listener of the type", async () => {
  // The server echoes; on "three" it echoes and then closes, so the close event proves
  // "three" has been processed by the client.
  const server = startServer({
    onMessage(socket, data) {
      socket.send(data);
      if (data === "three") socket.close(1000, "after three");
    },
  });
  try {
    const { ws, rec } = newClient();
    const seen: string[] = [];
    const a = (_e: unknown, v: string | ArrayBuffer) => seen.push(`a:${v}`);
    const b = (_e: unknown, v: string | ArrayBuffer) => seen.push(`b:${v}`);
    const c = (_e: unknown, v: string | ArrayBuffer) => seen.push(`c:${v}`);
    ws.on("message", a);
    ws.on("message", b);
    await within(ws.connect(server.url), "connect");
    await ws.send("one");
    await rec.messages.next("one");
    ws.off("message", a);
    await ws.send("two");
    await rec.messages.next("two");
    assert.deepEqual(seen, ["a:one", "b:one", "b:two"]);
    ws.on("message", c);
    ws.off("message"); // removes b, c and the recorder's listener
    await ws.send("three");
    const [, result] = await rec.closes.next("close after three");
    assert.deepEqual(result, { code: 1000, reason: "after three" });
    assert.deepEqual(seen, ["a:one", "b:one", "b:two"], "no message listener left");
    assert.equal(rec.messages.items.length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("on/off: a non-string type or a non-function callback throws BusinessError 401 synchronously", () => {
  const ws = loose(webSocket.createWebSocket());
  const is401 = (err: unknown) => {
    assertBusinessError(err, 401);
    return true;
  };
  assert.throws(() => ws.on(42, () => {}), is401);
  assert.throws(() => ws.on(undefined, () => {}), is401);
  assert.throws(() => ws.on("open", 42), is401);
  assert.throws(() => ws.on("open", undefined), is401);
  assert.throws(() => ws.on("message", "not a function"), is401);
  assert.throws(() => ws.on("bogus", {}), is401);
  assert.throws(() => ws.off(42), is401);
  assert.throws(() => ws.off("close", 42), is401);
});

Deno.test("on/off: an unknown event name is ignored (no throw, never called)", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const called: string[] = [];
    const lws = loose(ws);
    lws.on("bogus", () => called.push("bogus"));
    lws.on("Open", () => called.push("Open"));
    lws.on("", () => called.push("empty"));
    await within(ws.connect(server.url), "connect");
    await ws.send("x");
    await rec.messages.next("echo");
    await closeAndWait(ws, rec);
    lws.off("bogus");
    lws.off("bogus", () => {});
    assert.deepEqual(called, []);
  } finally {
    await server.shutdown();
  }
});

// ------------------------------------------------------------- 401 errors

type Form = "callback" | "promise";

/** Runs `call` in callback form and in promise form; both must fail with `code`. */
async function bothFormsFail(
  code: number,
  label: string,
  call: (ws: LooseClient, cb?: AsyncCallback<boolean, unknown>) => Promise<boolean> | void,
  client?: () => LooseClient,
): Promise<Record<Form, BusinessError<unknown>>> {
  const make = client ?? (() => loose(webSocket.createWebSocket()));
  const viaCallback = await callbackFailsWith((cb) => call(make(), cb), code, `${label} (cb)`);
  const viaPromise = await rejectsWith(call(make()), code, `${label} (promise)`);
  return { callback: viaCallback, promise: viaPromise };
}

/** `connect(...args)` with the callback appended when given. */
const connectWith =
  (...args: unknown[]) => (ws: LooseClient, cb?: AsyncCallback<boolean, unknown>) =>
    cb === undefined ? ws.connect(...args) : ws.connect(...args, cb);

Deno.test("connect 401: url that is not a string fails via callback and via promise", async () => {
  for (const url of [42, undefined, null, { href: UNUSED_URL }, new URL(UNUSED_URL)]) {
    await bothFormsFail(401, `url ${String(url)}`, connectWith(url));
  }
});

Deno.test("connect 401: options that are not an object, or a bad header name/timeout option, fail via callback and via promise", async () => {
  const cases: [string, unknown][] = [
    ["options string", "options"],
    ["options number", 5],
    ["options array", []],
    ["header name with a space (not an HTTP token)", { header: { "x a": "b" } }],
    ["header name empty", { header: { "": "b" } }],
    ["handshakeTimeoutMs negative", { handshakeTimeoutMs: -1 }],
    ["closeTimeoutMs string", { closeTimeoutMs: "200" }],
  ];
  for (const [label, options] of cases) {
    await bothFormsFail(401, label, connectWith(UNUSED_URL, options));
  }
});

Deno.test("connect 401: header names or values holding CR, LF or NUL are refused (no header injection)", async () => {
  const cases: Record<string, string>[] = [
    { "x-a\r\nx-injected": "v" },
    { "x-a\n": "v" },
    { "x-a\0": "v" },
    { "x-a": "v\r\nx-injected: 1" },
    { "x-a": "v\ninjected" },
    { "x-a": "v\rinjected" },
    { "x-a": "v\0" },
  ];
  for (const header of cases) {
    await bothFormsFail(401, JSON.stringify(header), connectWith(UNUSED_URL, { header }));
  }
});

Deno.test("connect 401: reserved handshake headers (sec-websocket-key, upgrade, ...) cannot be set, in any case", async () => {
  const names = [
    "sec-websocket-key",
    "Sec-WebSocket-Key",
    "sec-websocket-version",
    "upgrade",
    "Connection",
  ];
  for (const name of names) {
    await bothFormsFail(401, name, connectWith(UNUSED_URL, { header: { [name]: "x" } }));
  }
});

Deno.test("connect/send/close 401: a callback argument that is not a function fails the returned promise", async () => {
  const server = startServer();
  try {
    const ws = loose(webSocket.createWebSocket());
    await rejectsWith(ws.connect(UNUSED_URL, {}, 42), 401, "connect(url, {}, 42)");
    await rejectsWith(ws.connect(UNUSED_URL, {}, "cb"), 401, "connect(url, {}, 'cb')");
    const { ws: opened, rec } = await open(server.url);
    await rejectsWith(loose(opened).send("x", 42), 401, "send('x', 42)");
    await rejectsWith(loose(opened).close({}, "cb"), 401, "close({}, 'cb')");
    // Still open and usable after the refusals.
    await opened.send("still open");
    assert.equal(await rec.messages.next("echo"), "still open");
    await closeAndWait(opened, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("send/close 401 on an open connection: send(42) and bad close options fail via callback and promise; connection stays usable", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const same = () => loose(ws);
    const sendWith = (data: unknown) => (w: LooseClient, cb?: AsyncCallback<boolean, unknown>) =>
      cb === undefined ? w.send(data) : w.send(data, cb);
    for (const data of [42, null, undefined, { length: 1 }, [1, 2], true]) {
      await bothFormsFail(401, `send(${JSON.stringify(data)})`, sendWith(data), same);
    }
    const closeWith =
      (options: unknown) => (w: LooseClient, cb?: AsyncCallback<boolean, unknown>) =>
        cb === undefined ? w.close(options) : w.close(options, cb);
    const badOptions: [string, unknown][] = [
      ["code 1005", { code: 1005 }],
      ["code 1006", { code: 1006 }],
      ["code 1015", { code: 1015 }],
      ["code 999", { code: 999 }],
      ["code 2000", { code: 2000 }],
      ["code 5000", { code: 5000 }],
      ["code 1000.5", { code: 1000.5 }],
      ["code '1000'", { code: "1000" }],
      ["reason 124 ASCII bytes", { reason: "r".repeat(124) }],
      ["reason 124 UTF-8 bytes", { reason: "é".repeat(62) }],
      ["reason number", { reason: 42 }],
      ["options string", "1000"],
    ];
    for (const [label, options] of badOptions) {
      await bothFormsFail(401, `close ${label}`, closeWith(options), same);
    }
    await ws.send("still open");
    assert.equal(await rec.messages.next("echo"), "still open");
    assert.deepEqual(rec.log, ["open", "message"], "argument errors fire no events");
    assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" });
  } finally {
    await server.shutdown();
  }
});

// ---------------------------------------------------------- 2302001 errors

Deno.test("connect 2302001: non-ws scheme, unparsable URL, fragment, and a URL of 8196+ bytes fail via callback and via promise", async () => {
  const prefix = "ws://127.0.0.1:9/";
  const urls: [string, string][] = [
    ["http scheme", "http://127.0.0.1:9/"],
    ["https scheme", "https://127.0.0.1:9/"],
    ["unparsable", "not a url"],
    ["empty", ""],
    ["no host", "ws://"],
    ["fragment", "ws://127.0.0.1:9/path#frag"],
    ["empty fragment", "ws://127.0.0.1:9/#"],
    ["8196 bytes", prefix + "a".repeat(8196 - prefix.length)],
    ["9000 bytes", prefix + "a".repeat(9000 - prefix.length)],
    ["8196 UTF-8 bytes", prefix + "é".repeat((8196 - prefix.length) / 2 + 1)],
  ];
  for (const [label, url] of urls) {
    await bothFormsFail(2302001, label, connectWith(url));
  }
});

Deno.test("connect: a URL of 8195 bytes is not a URL error (fails later with -1 on a closed port)", async () => {
  const prefix = `ws://127.0.0.1:${closedPort()}/`;
  const url = prefix + "a".repeat(8195 - prefix.length);
  assert.equal(new TextEncoder().encode(url).length, 8195);
  const { ws, rec } = newClient();
  const err = await rejectsWith(ws.connect(url), -1, "8195-byte URL");
  assert.equal(await rec.errors.next("error event"), err);
});

// ---------------------------------------------------------- 2302003 errors

Deno.test("connect 2302003: a second connect while the first is connecting fails via callback and via promise; the first still opens", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    const first = ws.connect(server.url);
    // Both forms are called synchronously, so the first connect is surely still in progress.
    await Promise.all([
      callbackFailsWith((cb) => ws.connect(server.url, cb), 2302003, "while connecting (cb)"),
      rejectsWith(ws.connect(server.url), 2302003, "while connecting (promise)"),
    ]);
    assert.equal(await within(first, "first connect"), true);
    assert.equal(rec.opens.items.length, 1);
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect 2302003: a second connect while open fails via callback and via promise; the connection is unaffected", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    await callbackFailsWith((cb) => ws.connect(server.url, cb), 2302003, "while open (cb)");
    await rejectsWith(ws.connect(server.url, {}), 2302003, "while open (promise)");
    await ws.send("ping");
    assert.equal(await rec.messages.next("echo"), "ping");
    await closeAndWait(ws, rec);
    assert.equal(server.requests.items.length, 1, "no second handshake reached the server");
  } finally {
    await server.shutdown();
  }
});

// ------------------------------------------------------------- -1 errors

Deno.test("connect -1: connection refused fails via callback and via promise; 'error' fires with the same error; no 'close' event", async () => {
  const url = `ws://127.0.0.1:${closedPort()}/`;
  const viaCb = newClient();
  const cbErr = await callbackFailsWith((cb) => viaCb.ws.connect(url, cb), -1, "refused (cb)");
  assert.equal(await viaCb.rec.errors.next("error event (cb)"), cbErr);
  const viaPromise = newClient();
  const promiseErr = await rejectsWith(viaPromise.ws.connect(url), -1, "refused (promise)");
  assert.equal(await viaPromise.rec.errors.next("error event (promise)"), promiseErr);
  await delay(50);
  for (const { rec } of [viaCb, viaPromise]) {
    assert.deepEqual(rec.log, ["error"], "only an error event, no open and no close");
  }
});

Deno.test("connect -1: handshake answered with 404 -> error code -1 with data '404' (also in JSON), same error in the 'error' event, no 'close' event", async () => {
  const server = startServer({ refuseWith: 404 });
  try {
    for (const form of ["callback", "promise"] as const) {
      const { ws, rec } = newClient();
      const err = form === "callback"
        ? await callbackFailsWith((cb) => ws.connect(server.url, cb), -1, "404 (cb)")
        : await rejectsWith(ws.connect(server.url), -1, "404 (promise)");
      assert.equal(err.data, "404", `${form}: data is the HTTP status as text`);
      assert.equal(JSON.parse(JSON.stringify(err)).data, "404");
      assert.equal(await rec.errors.next("error event"), err, `${form}: same error object`);
      await delay(30);
      assert.deepEqual(rec.log, ["error"], `${form}: no open and no close`);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("send -1: send before connect fails via callback and via promise", async () => {
  await bothFormsFail(-1, "send before connect", (ws, cb) => cb ? ws.send("x", cb) : ws.send("x"));
  await bothFormsFail(
    -1,
    "binary send before connect",
    (ws, cb) => cb ? ws.send(new ArrayBuffer(1), cb) : ws.send(new ArrayBuffer(1)),
  );
});

Deno.test("send -1: send while connecting (before 'open') fails via callback and via promise", async () => {
  const server = startServer({ onMessage() {} });
  try {
    const { ws, rec } = newClient();
    const connecting = ws.connect(server.url);
    await Promise.all([
      rejectsWith(ws.send("early"), -1, "send while connecting (promise)"),
      callbackFailsWith((cb) => ws.send("early", cb), -1, "send while connecting (cb)"),
    ]);
    assert.equal(await within(connecting, "connect"), true);
    await closeAndWait(ws, rec);
    assert.equal(server.messages.items.length, 0, "nothing reached the server");
  } finally {
    await server.shutdown();
  }
});

Deno.test("send -1: send after close (while closing and after the close event) fails via callback and via promise", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const closing = ws.close();
    // Called synchronously after close(): the connection is surely still closing.
    await Promise.all([
      rejectsWith(ws.send("late"), -1, "send while closing (promise)"),
      callbackFailsWith((cb) => ws.send("late", cb), -1, "send while closing (cb)"),
    ]);
    assert.equal(await within(closing, "close"), true);
    await rec.closes.next("close event");
    await rejectsWith(ws.send("late"), -1, "send after close (promise)");
    await callbackFailsWith((cb) => ws.send(new Uint8Array(1), cb), -1, "send after close (cb)");
    assert.equal(server.messages.items.length, 0, "nothing reached the server");
  } finally {
    await server.shutdown();
  }
});

// --------------------------------------------------------- 2302999 errors

Deno.test("close 2302999: close before connect fails via callback and via promise", async () => {
  await bothFormsFail(2302999, "close before connect", (ws, cb) => cb ? ws.close(cb) : ws.close());
  await bothFormsFail(
    2302999,
    "close(options) before connect",
    (ws, cb) => cb ? ws.close({ code: 1000 }, cb) : ws.close({ code: 1000 }),
  );
});

Deno.test("close 2302999: closing twice (while closing and after closed) fails via callback and via promise", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    const first = ws.close();
    // Called synchronously after close(): the connection is surely still closing.
    await Promise.all([
      rejectsWith(ws.close(), 2302999, "second close while closing (promise)"),
      callbackFailsWith((cb) => ws.close(cb), 2302999, "second close while closing (cb)"),
    ]);
    assert.equal(await within(first, "first close"), true);
    assert.equal((await rec.closes.next("close event"))[1].code, 1000);
    await rejectsWith(ws.close(), 2302999, "close after closed (promise)");
    await callbackFailsWith((cb) => ws.close({ code: 1000 }, cb), 2302999, "after closed (cb)");
    assert.equal(rec.closes.items.length, 1, "exactly one close event");
  } finally {
    await server.shutdown();
  }
});

// ------------------------------------------------------------------ headers

Deno.test("headers: user headers arrive on the wire with lower-cased names and unchanged values", async () => {
  const heads = new Queue<string>();
  const server = startRawServer(async (conn) => {
    heads.push(await acceptHandshake(conn));
    await answerCloseThenEnd(conn, new ClientFrameReader(conn));
  });
  try {
    const { ws, rec } = await open(server.url, {
      header: { "X-Custom-Token": "AbC 123", "Origin": "http://App.Example", "x-lower": "v" },
    });
    const head = await heads.next("request head");
    const lines = head.split("\r\n");
    assert.ok(lines.includes("x-custom-token: AbC 123"), head);
    assert.ok(lines.includes("origin: http://App.Example"), head);
    assert.ok(lines.includes("x-lower: v"), head);
    assert.ok(!head.includes("X-Custom-Token"), "the name is not sent as given");
    assert.ok(!head.includes("Origin:"), "the name is not sent as given");
    assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("headers: any object is read as the platform reads it — own enumerable properties with non-empty string values are sent; other values, inherited properties and a non-object header are skipped", async () => {
  const heads = new Queue<string>();
  const server = startRawServer(async (conn) => {
    heads.push(await acceptHandshake(conn));
    await answerCloseThenEnd(conn, new ClientFrameReader(conn));
  });
  class AppHeaders {
    "x-from-class" = "instance field";
    get "x-getter"(): string {
      return "prototype accessor (not enumerable, not own)";
    }
  }
  const inheriting = Object.create({ "x-inherited": "from the prototype" });
  inheriting["x-own"] = "own";
  const typed: object = {
    "x-kept": "v",
    "x-number": 42,
    "x-boolean": true,
    "x-empty": "",
    "x-null": null,
    "x-object": { v: 1 },
  };
  const cases: [string, unknown, string[], string[]][] = [
    ["object-typed variable", typed, ["x-kept: v"], [
      "x-number",
      "x-boolean",
      "x-empty",
      "x-null",
      "x-object",
    ]],
    ["class instance", new AppHeaders(), ["x-from-class: instance field"], ["x-getter"]],
    ["inherited property", inheriting, ["x-own: own"], ["x-inherited"]],
    ["string instead of an object", "x-a: b", [], ["x-a"]],
    ["number instead of an object", 7, [], []],
  ];
  try {
    for (const [label, header, sent, skipped] of cases) {
      const { ws, rec } = await open(server.url, { header: header as object });
      const head = await heads.next(`request head (${label})`);
      const lines = head.split("\r\n");
      for (const line of sent) assert.ok(lines.includes(line), `${label}: ${line} sent\n${head}`);
      for (const name of skipped) {
        assert.ok(!head.includes(`${name}:`), `${label}: ${name} skipped\n${head}`);
      }
      assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" }, label);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("headers: the server sees user headers, the URL path and query, and a well-formed upgrade request (Deno.serve)", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(`${server.url}chat/room?x=1&y=two`, {
      header: { "X-Trace-Id": "t-1" },
    });
    const request = await server.requests.next("request");
    const target = new URL(request.url);
    assert.equal(target.pathname + target.search, "/chat/room?x=1&y=two", "path and query sent");
    assert.equal(request.headers.get("x-trace-id"), "t-1");
    assert.equal(request.headers.get("host"), new URL(server.url).host);
    assert.equal(request.headers.get("upgrade")?.toLowerCase(), "websocket");
    assert.equal(request.headers.get("sec-websocket-version"), "13");
    await closeAndWait(ws, rec);
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "headers: the Host header of ws://[::1]:port/ is '[::1]:port' (IPv6 literal in brackets)",
  ignore: !HAS_IPV6,
  async fn() {
    const server = startServer({ hostname: "::1" });
    try {
      assert.equal(server.url, `ws://[::1]:${server.port}/`);
      const { ws, rec } = await open(server.url);
      const request = await server.requests.next("request");
      assert.equal(request.headers.get("host"), `[::1]:${server.port}`);
      await ws.send("v6");
      assert.equal(await rec.messages.next("echo"), "v6");
      await closeAndWait(ws, rec);
    } finally {
      await server.shutdown();
    }
  },
});

// ------------------------------------------------------- throwing listeners

Deno.test("a listener that throws (in 'open', 'message' and a connect callback) does not break the connection: later messages arrive and close completes", async () => {
  const server = startServer();
  const original = console.error;
  const reported: unknown[][] = [];
  console.error = (...args: unknown[]) => void reported.push(args);
  try {
    const { ws, rec } = newClient();
    ws.on("open", () => {
      throw new Error("boom in open");
    });
    ws.on("message", () => {
      throw new Error("boom in message");
    });
    const seen: string[] = [];
    ws.on("message", (_e, v) => seen.push(String(v)));
    const [err, ok] = await callbackResult<boolean>((cb) => {
      return ws.connect(server.url, (e, v) => {
        cb(e, v);
        throw new Error("boom in connect callback");
      });
    }, "connect");
    assert.equal(err, undefined);
    assert.equal(ok, true);
    for (const text of ["one", "two", "three"]) await ws.send(text);
    for (const text of ["one", "two", "three"]) {
      assert.equal(await rec.messages.next(text), text);
    }
    assert.deepEqual(seen, ["one", "two", "three"], "the listener after the thrower still runs");
    assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" });
    assert.ok(reported.length >= 5, `console.error called for each throw (${reported.length})`);
    const text = reported.map((args) => args.map(String).join(" ")).join("\n");
    assert.match(text, /boom in open/);
    assert.match(text, /boom in message/);
    assert.match(text, /boom in connect callback/);
  } finally {
    console.error = original;
    await server.shutdown();
  }
});

// ----------------------------------------------------------------- timeouts

Deno.test("handshake timeout: handshakeTimeoutMs 200 against a server that never answers -> connect fails -1 in bounded time, 'error' fires, no 'close'", async () => {
  const server = startRawServer(async (conn) => {
    await readRequestHead(conn);
    await drain(conn); // never answers; waits for the client to give up
    conn.close();
  });
  try {
    const { ws, rec } = newClient();
    const started = performance.now();
    const err = await rejectsWith(
      ws.connect(server.url, { handshakeTimeoutMs: 200 }),
      -1,
      "handshake timeout",
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 150, `not before the timeout (${elapsed} ms)`);
    assert.ok(elapsed < 2000, `bounded (${elapsed} ms)`);
    assert.equal(await rec.errors.next("error event"), err);
    await delay(30);
    assert.deepEqual(rec.log, ["error"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("close timeout: closeTimeoutMs 200 against a server that never answers our close -> close event 1006 mentioning the timeout", async () => {
  const received = new Queue<Uint8Array>();
  const server = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    received.push(await drain(conn)); // reads our close frame, never answers it
    conn.close();
  });
  try {
    const { ws, rec } = await open(server.url, { closeTimeoutMs: 200 });
    const started = performance.now();
    assert.equal(await within(ws.close({ code: 4002, reason: "bye" }), "close()"), true);
    const [err, result] = await rec.closes.next("close event");
    const elapsed = performance.now() - started;
    assert.equal(err, undefined);
    assert.equal(result.code, 1006);
    assert.match(result.reason, /time/i);
    assert.ok(elapsed >= 150 && elapsed < 2000, `bounded by closeTimeoutMs (${elapsed} ms)`);
    const wire = await received.next("bytes the server read");
    assert.equal(wire[0], 0x88, "a close frame was sent");
    assert.equal(wire[1] & 0x80, 0x80, "masked");
  } finally {
    await server.shutdown();
  }
});

// ---------------------------------------------------------------- raw peers

Deno.test("handshake: a response split byte by byte, with the first frame in the same write as the response end, opens then delivers the frame", async () => {
  const server = startRawServer(async (conn) => {
    const head = await readRequestHead(conn);
    const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head)![1];
    const response = new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n\r\n`,
    );
    for (let i = 0; i < response.length - 1; i++) {
      await writeAll(conn, response.subarray(i, i + 1));
      if (i % 16 === 0) await delay(1);
    }
    const first = serverFrame(0x1, new TextEncoder().encode("first"));
    const last = new Uint8Array(1 + first.length);
    last[0] = response[response.length - 1];
    last.set(first, 1);
    await writeAll(conn, last);
    await answerCloseThenEnd(conn, new ClientFrameReader(conn));
  });
  try {
    const { ws, rec } = await open(server.url);
    assert.equal(await rec.messages.next("first frame"), "first");
    assert.deepEqual(rec.log, ["open", "message"], "open comes before the first message");
    assert.deepEqual((await rec.opens.next("open"))[1], OPEN_VALUE);
    assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect -1: a 101 answer with a wrong Sec-WebSocket-Accept fails the connect; 'error' fires with the same error; no 'open', no 'close'", async () => {
  const server = startRawServer(async (conn) => {
    await readRequestHead(conn);
    await writeAll(
      conn,
      new TextEncoder().encode(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${acceptKey("not the key", sha1Base64)}\r\n\r\n`,
      ),
    );
    await drain(conn);
    conn.close();
  });
  try {
    const { ws, rec } = newClient();
    const err = await rejectsWith(ws.connect(server.url), -1, "bad accept");
    assert.equal(await rec.errors.next("error event"), err);
    await delay(30);
    assert.deepEqual(rec.log, ["error"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("server close frame without a status code -> the client echoes it and reports close code 1005 with reason ''", async () => {
  const echoed = new Queue<Uint8Array>();
  const server = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    await writeAll(conn, serverFrame(0x8, new Uint8Array(0)));
    const reply = await new ClientFrameReader(conn).next();
    echoed.push(new Uint8Array([reply.opcode, ...reply.payload]));
    conn.close();
  });
  try {
    const { rec } = await open(server.url);
    const [, result] = await rec.closes.next("close event");
    assert.deepEqual(result, { code: 1005, reason: "" });
    assert.deepEqual([...await echoed.next("client close reply")], [0x8], "empty close echoed");
  } finally {
    await server.shutdown();
  }
});

Deno.test("server-initiated close where the server never ends TCP: close event with the server's code/reason after at most closeTimeoutMs", async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const server = startRawServer(async (conn) => {
    await acceptHandshake(conn);
    const payload = new Uint8Array([0x0f, 0xa3, ...new TextEncoder().encode("going")]); // 4003
    await writeAll(conn, serverFrame(0x8, payload));
    await drain(conn); // the client's close reply, then its FIN
    await released; // ...but the server keeps the socket open
    conn.close();
  });
  try {
    const { rec } = await open(server.url, { closeTimeoutMs: 200 });
    const started = performance.now();
    const [, result] = await rec.closes.next("close event");
    const elapsed = performance.now() - started;
    assert.deepEqual(result, { code: 4003, reason: "going" });
    assert.ok(elapsed < 2000, `bounded (${elapsed} ms)`);
  } finally {
    release();
    await server.shutdown();
  }
});

// ---------------------------------------------------------------- reconnect

Deno.test("reconnect: the same object can connect again after it closed, and works normally", async () => {
  const server = startServer();
  try {
    const { ws, rec } = await open(server.url);
    await ws.send("first");
    assert.equal(await rec.messages.next("first echo"), "first");
    assert.equal((await closeAndWait(ws, rec)).code, 1000);

    assert.equal(await within(ws.connect(server.url), "reconnect"), true);
    assert.deepEqual((await rec.opens.next("first open"))[1], OPEN_VALUE);
    assert.deepEqual((await rec.opens.next("second open"))[1], OPEN_VALUE);
    await ws.send("second");
    assert.equal(await rec.messages.next("second echo"), "second");
    assert.deepEqual(await closeAndWait(ws, rec), { code: 1000, reason: "" });
    assert.deepEqual(rec.log, ["open", "message", "close", "open", "message", "close"]);
    assert.equal(server.requests.items.length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("reconnect: the same object can connect after a failed connect (refused, then success)", async () => {
  const server = startServer();
  try {
    const { ws, rec } = newClient();
    await rejectsWith(ws.connect(`ws://127.0.0.1:${closedPort()}/`), -1, "refused");
    assert.equal(await within(ws.connect(server.url), "connect after failure"), true);
    await closeAndWait(ws, rec);
    assert.deepEqual(rec.log, ["error", "open", "close"]);
  } finally {
    await server.shutdown();
  }
});
