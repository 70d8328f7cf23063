/**
 * permessage-deflate (RFC 7692, issue 16): negotiation rules in the core, the bounds
 * (bombs, corrupt data, RSV1 misuse) against our server over raw TCP, Autobahn's
 * section 12 / 13 shapes played by python3-websockets against our client and server,
 * and interop with npm `ws` (`Bun.serve`: tests/node/deflate.test.mjs, run under Bun).
 *
 * Run: npx -y deno@2.9.6 test -A tests/permessage_deflate_test.ts
 * Full Autobahn-shaped matrix (216 cases per role, 1000 messages each):
 *   DEFLATE_FUZZ=full npx -y deno@2.9.6 test -A tests/permessage_deflate_test.ts --filter fuzz
 */
import assert from "node:assert/strict";
import { constants, createInflateRaw, deflateRawSync } from "node:zlib";
import { WebSocket as WsClient, WebSocketServer as WsServer } from "ws";
import webSocket from "../mod.ts";
import {
  acceptDeflateAnswer,
  buildDeflateOffer,
  concatBytes,
  parseDeflateOptions,
  parseExtensions,
  selectDeflateOffer,
} from "../src/protocol/mod.ts";
import { ZLIB_CONCURRENCY, ZlibDeflateEngine, zlibJobs } from "../src/transport/zlib.ts";
import { clientFrame, RawClient, upgradeRequest } from "./helpers/server_peers.ts";
import { within } from "./helpers/deno_server.ts";

const PY = "/usr/bin/python3";
const FUZZER = new URL("./helpers/deflate_fuzzer.py", import.meta.url).pathname;
const FULL = Deno.env.get("DEFLATE_FUZZ") === "full";
const cfg = (o: unknown = true) => parseDeflateOptions(o)!;

// ------------------------------------------------------------ negotiation (core)

Deno.test("rule (RFC 7692 §5, §7.1): the client offer names what it asks for and always client_max_window_bits", () => {
  assert.equal(buildDeflateOffer(cfg()), "permessage-deflate; client_max_window_bits");
  assert.equal(
    buildDeflateOffer(
      cfg({
        server_no_context_takeover: true,
        server_max_window_bits: 10,
        client_max_window_bits: 12,
      }),
    ),
    "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
  );
  assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits="10", x; a=b'), [
    { name: "permessage-deflate", params: [["client_max_window_bits", "10"]] },
    { name: "x", params: [["a", "b"]] },
  ]);
  assert.equal(parseExtensions("permessage-deflate; ="), undefined);
});

Deno.test("rule (RFC 7692 §7.1): the client fails on an answer it did not offer, a duplicate, an unknown or out-of-range parameter", () => {
  const bad = [
    "x-webkit-deflate-frame",
    "permessage-deflate, permessage-deflate",
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "permessage-deflate; foo",
    "permessage-deflate; server_max_window_bits=7",
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; server_max_window_bits",
    "permessage-deflate; client_max_window_bits",
    "permessage-deflate; server_no_context_takeover=1",
  ];
  for (const answer of bad) {
    assert.throws(() => acceptDeflateAnswer(answer, cfg()), /extension/, answer);
  }
  // Not offered at all.
  assert.throws(
    () => acceptDeflateAnswer("permessage-deflate", undefined),
    /did not offer|offered no/,
  );
  // Asked for, missing or larger in the answer.
  assert.throws(() =>
    acceptDeflateAnswer("permessage-deflate", cfg({ server_no_context_takeover: true }))
  );
  assert.throws(() =>
    acceptDeflateAnswer(
      "permessage-deflate; server_max_window_bits=12",
      cfg({ server_max_window_bits: 10 }),
    )
  );
  assert.throws(() =>
    acceptDeflateAnswer(
      "permessage-deflate; client_max_window_bits=12",
      cfg({ client_max_window_bits: 10 }),
    )
  );
  // Accepted answers.
  assert.equal(acceptDeflateAnswer(undefined, cfg()), undefined);
  assert.deepEqual(
    acceptDeflateAnswer(
      "permessage-deflate; client_max_window_bits=9; server_no_context_takeover",
      cfg(),
    ),
    {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 9,
    },
  );
});

Deno.test("rule (RFC 7692 §5): the server accepts the first acceptable offer and skips those it cannot honour", () => {
  const choice = selectDeflateOffer(
    "x-foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=10; client_max_window_bits, permessage-deflate",
    cfg(),
  );
  assert.equal(choice?.answer, "permessage-deflate; server_max_window_bits=10");
  assert.equal(choice?.agreement.serverMaxWindowBits, 10);
  // Server limits: it asks clients that allow it for a smaller window, and skips those that cannot be told.
  const limited = cfg({ client_max_window_bits: 11, server_no_context_takeover: true });
  assert.equal(selectDeflateOffer("permessage-deflate", limited), undefined);
  assert.equal(
    selectDeflateOffer("permessage-deflate; client_max_window_bits", limited)?.answer,
    "permessage-deflate; server_no_context_takeover; client_max_window_bits=11",
  );
  assert.equal(
    selectDeflateOffer("permessage-deflate; server_max_window_bits=16", cfg()),
    undefined,
  );
  assert.equal(selectDeflateOffer(undefined, cfg()), undefined);
});

Deno.test("rule: perMessageDeflate options are checked (401 names the field)", async () => {
  for (
    const bad of [
      { server_max_window_bits: 7 },
      { client_max_window_bits: 16 },
      { threshold: -1 },
      { server_no_context_takeover: 1 },
      "yes",
    ]
  ) {
    const ws = webSocket.createWebSocket();
    await assert.rejects(
      ws.connect("ws://127.0.0.1:1", { perMessageDeflate: bad as never }),
      (e: { code: number }) => e.code === 401,
    );
    const server = webSocket.createWebSocketServer();
    await assert.rejects(
      server.start({ serverIP: "127.0.0.1", serverPort: 0, perMessageDeflate: bad as never }),
      (e: { code: number }) => e.code === 401,
    );
  }
});

// ------------------------------------------------------------ bounds (engine, raw socket)

function bomb(inflated: number): Uint8Array {
  const out = deflateRawSync(new Uint8Array(inflated), { level: 9 });
  return out; // raw deflate, final block: a valid message payload once the tail is appended
}

Deno.test("bound: a zip bomb stops at the limit (256 MiB from ~256 KiB costs ~limit, not 256 MiB)", async () => {
  const engine = new ZlibDeflateEngine({
    deflateWindowBits: 15,
    deflateNoContextTakeover: false,
    inflateWindowBits: 15,
    inflateNoContextTakeover: false,
  });
  const payload = bomb(256 * 1024 * 1024);
  assert.ok(payload.length < 300 * 1024, `bomb is ${payload.length} bytes`);
  const before = Deno.memoryUsage().rss;
  const result = await new Promise<string>((resolve) =>
    engine.inflate(
      payload,
      1024 * 1024,
      (out, failure) => resolve(out ? `output ${out.length}` : failure!),
    )
  );
  const grew = Deno.memoryUsage().rss - before;
  engine.close();
  assert.equal(result, "too-big");
  assert.ok(
    grew < 64 * 1024 * 1024,
    `RSS grew by ${grew} bytes while inflating a 256 MiB bomb with a 1 MiB limit`,
  );
  assert.deepEqual(zlibJobs(), { running: 0, waiting: 0 });
});

Deno.test("bound: at most ZLIB_CONCURRENCY zlib jobs run at once in a process; the rest wait and all finish", async () => {
  const directions = {
    deflateWindowBits: 15,
    deflateNoContextTakeover: false,
    inflateWindowBits: 15,
    inflateNoContextTakeover: false,
  };
  const engines = Array.from({ length: 40 }, () => new ZlibDeflateEngine(directions));
  const data = new TextEncoder().encode("compressible ".repeat(2000));
  let peak = 0;
  const jobs = engines.map((engine) =>
    new Promise<void>((resolve) => {
      engine.compress(data, (out) => {
        assert.ok(out !== undefined && out.length < data.length);
        resolve();
      });
      peak = Math.max(peak, zlibJobs().running);
    })
  );
  assert.equal(zlibJobs().running, ZLIB_CONCURRENCY);
  assert.equal(zlibJobs().waiting, engines.length - ZLIB_CONCURRENCY);
  await Promise.all(jobs);
  for (const engine of engines) engine.close();
  assert.equal(peak, ZLIB_CONCURRENCY);
  assert.deepEqual(zlibJobs(), { running: 0, waiting: 0 });
});

const DIRECTIONS = {
  deflateWindowBits: 15,
  deflateNoContextTakeover: false,
  inflateWindowBits: 15,
  inflateNoContextTakeover: false,
};

Deno.test("bound: jobs abandoned while they wait (their connections closed) are skipped, however many, and hold no zlib stream", async () => {
  const engines = Array.from({ length: 20_000 }, () => new ZlibDeflateEngine(DIRECTIONS));
  const data = new TextEncoder().encode("compressible ".repeat(100));
  let done = 0;
  for (const engine of engines) engine.compress(data, () => void done++);
  assert.equal(zlibJobs().waiting, engines.length - ZLIB_CONCURRENCY);
  // Every waiting job is abandoned; the running ones then release their slots to nobody.
  for (const engine of engines.slice(ZLIB_CONCURRENCY)) engine.close();
  const later = new ZlibDeflateEngine(DIRECTIONS);
  const out = await within(
    new Promise<Uint8Array | undefined>((resolve) => later.compress(data, resolve)),
    "a compression after 19,990 abandoned jobs",
  );
  assert.ok(out !== undefined && out.length > 0);
  assert.equal(done, ZLIB_CONCURRENCY, "only the jobs that ran called back");
  for (const engine of [...engines.slice(0, ZLIB_CONCURRENCY), later]) engine.close();
  assert.deepEqual(zlibJobs(), { running: 0, waiting: 0 });
});

Deno.test("rule (RFC 7692 §7.2.3.6): an empty message compresses to one empty stored block (00) every time, not to nothing after the first", async () => {
  const engine = new ZlibDeflateEngine(DIRECTIONS);
  const compress = (text: string) =>
    new Promise<Uint8Array>((resolve, reject) =>
      engine.compress(text, (out, error) => out ? resolve(out) : reject(error))
    );
  const outputs = [];
  for (const text of ["hello", "", "", "world"]) outputs.push(await compress(text));
  engine.close();
  // The tail removed, as on the wire: a stored empty block leaves the single byte 00.
  assert.deepEqual(Array.from(outputs[1].subarray(0, -4)), [0]);
  assert.deepEqual(Array.from(outputs[2].subarray(0, -4)), [0]);
  // One inflater over the whole stream (context takeover) gets every message back.
  const inflate = streamInflater();
  const got: string[] = [];
  for (const out of outputs) {
    got.push(new TextDecoder().decode(await inflate(out.subarray(0, -4))));
  }
  inflate.close();
  assert.deepEqual(got, ["hello", "", "", "world"]);
});

/**
 * One raw inflater kept across messages, as a peer with context takeover inflates: each call
 * inflates one message (with or without the sync-flush tail) and returns its bytes.
 */
function streamInflater(): ((payload: Uint8Array) => Promise<Uint8Array>) & { close(): void } {
  const inflater = createInflateRaw();
  let parts: Uint8Array[] = [];
  inflater.on("data", (chunk: Uint8Array) => parts.push(chunk));
  const inflate = (payload: Uint8Array) =>
    new Promise<Uint8Array>((resolve) => {
      inflater.write(payload);
      inflater.write(Uint8Array.of(0, 0, 0xff, 0xff));
      inflater.flush(constants.Z_SYNC_FLUSH, () => {
        const out = concatBytes(parts);
        parts = [];
        resolve(out);
      });
    });
  return Object.assign(inflate, { close: () => inflater.close() });
}

Deno.test("rule (RFC 7692 §7.2.3.4): a peer that ends each message's deflate stream with a BFINAL block is understood, message after message", async () => {
  const { server, port } = await deflateServer({ perMessageDeflate: { threshold: 0 } });
  const { raw } = await rawDeflateClient(port);
  const texts = ["first message", "second message", "third"];
  // deflateRawSync finishes its stream: the last block has BFINAL set.
  for (const text of texts) {
    await raw.write(compressed(1, deflateRawSync(new TextEncoder().encode(text))));
  }
  const inflate = streamInflater();
  const got: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const frame = await raw.readFrame();
    const payload = (frame as unknown as { payload: Uint8Array }).payload;
    got.push(new TextDecoder().decode(await inflate(payload)));
  }
  inflate.close();
  assert.deepEqual(got, texts);
  raw.close();
  await server.stop();
});

async function deflateServer(options: Record<string, unknown> = {}) {
  const server = webSocket.createWebSocketServer();
  const errors: string[] = [];
  const closes: number[] = [];
  server.on("messageReceive", (m) => server.send(m.data, m.clientConnection).catch(() => {}));
  server.on("error", (e) => errors.push(e.message));
  server.on("close", (_c, r) => closes.push(r.code));
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, perMessageDeflate: true, ...options });
  return { server, port: server.address()!.serverPort, errors, closes };
}

async function rawDeflateClient(port: number, offer = "permessage-deflate") {
  const raw = await RawClient.connect(port);
  await raw.write(upgradeRequest(port, { "sec-websocket-extensions": offer }));
  const answer = await raw.readAnswer();
  assert.equal(answer.status, 101);
  return { raw, answer };
}

const compressed = (opcode: number, payload: Uint8Array, fin = true) => {
  const frame = clientFrame(opcode, payload, { fin });
  frame[0] |= 0x40;
  return frame;
};

async function expectClose(raw: RawClient, code: number): Promise<void> {
  for (let i = 0; i < 16; i++) {
    const frame = await raw.readFrame();
    if (frame.opcode === 8) {
      assert.equal((frame.payload[0] << 8) | frame.payload[1], code);
      return;
    }
  }
  assert.fail("no close frame");
}

Deno.test("bound: a compressed message inflating past maxMessageSize closes with 1009 over the wire", async () => {
  const { server, port } = await deflateServer({ maxMessageSize: 1024 * 1024 });
  const { raw } = await rawDeflateClient(port);
  await raw.write(compressed(2, bomb(64 * 1024 * 1024)));
  await expectClose(raw, 1009);
  raw.close();
  await server.stop();
});

Deno.test("rule (RFC 7692 §7.2.2): corrupt compressed data closes with 1007", async () => {
  const { server, port } = await deflateServer();
  const { raw } = await rawDeflateClient(port);
  await raw.write(compressed(1, Uint8Array.of(0xff, 0xff, 0xff, 0x01, 0x02, 0x03)));
  await expectClose(raw, 1007);
  raw.close();
  await server.stop();
});

Deno.test("rule (RFC 7692 §6): RSV1 on a control frame or a continuation closes with 1002; without the extension too", async () => {
  const { server, port } = await deflateServer();
  {
    const { raw } = await rawDeflateClient(port);
    await raw.write(compressed(9, new Uint8Array(0)));
    await expectClose(raw, 1002);
    raw.close();
  }
  {
    const { raw } = await rawDeflateClient(port);
    const first = deflateRawSync(new TextEncoder().encode("hello"), { finishFlush: 2 }).subarray(
      0,
      -4,
    );
    await raw.write(compressed(1, first, false));
    await raw.write(compressed(0, new Uint8Array(0)));
    await expectClose(raw, 1002);
    raw.close();
  }
  {
    // The client offered nothing: the server answers without the extension and refuses RSV1.
    const raw = await RawClient.connect(port);
    await raw.write(upgradeRequest(port));
    const answer = await raw.readAnswer();
    assert.equal(answer.headers["sec-websocket-extensions"], undefined);
    await raw.write(compressed(1, Uint8Array.of(0xf2, 0x48, 0x05, 0x00)));
    await expectClose(raw, 1002);
    raw.close();
  }
  await server.stop();
});

Deno.test("rule (RFC 7692 §7.2): a compressed message split over frames, empty ones and an uncompressed one echo in order, compressed in one stream", async () => {
  const { server, port } = await deflateServer({ perMessageDeflate: { threshold: 0 } });
  const { raw, answer } = await rawDeflateClient(port);
  assert.equal(answer.headers["sec-websocket-extensions"], "permessage-deflate");
  const text = "κόσμε ".repeat(200);
  const body = deflateRawSync(new TextEncoder().encode(text), { finishFlush: 2 }).subarray(0, -4);
  await raw.write(compressed(1, body.subarray(0, 5), false));
  await raw.write(clientFrame(0, body.subarray(5, 9), { fin: false }));
  await raw.write(clientFrame(0, body.subarray(9)));
  await raw.write(compressed(1, Uint8Array.of(0x00)));
  await raw.write(compressed(1, Uint8Array.of(0x00)));
  await raw.write(clientFrame(1, "plain"));
  // One inflater for all the echoes, as a peer with context takeover keeps: a broken block
  // in any echo (an empty message sent as no bytes at all) breaks the ones after it.
  const inflate = streamInflater();
  const got: string[] = [];
  const emptyPayloads: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const frame = await raw.readFrame();
    assert.ok(frame.rsv1, `echo ${i} is compressed (threshold 0)`);
    if (i === 1 || i === 2) emptyPayloads.push(Array.from(frame.payload));
    got.push(new TextDecoder().decode(await inflate(frame.payload)));
  }
  inflate.close();
  assert.deepEqual(got, [text, "", "", "plain"]);
  assert.deepEqual(emptyPayloads, [[0], [0]], "an empty message is one empty stored block");
  raw.close();
  await server.stop();
});

Deno.test("rule: messages sent back to back (long and non-ASCII text, short ASCII, binary changed after send) echo intact and in order, with compression on each side of its threshold and without it", async () => {
  for (const perMessageDeflate of [{ threshold: 200 }, false]) {
    const { server, port } = await deflateServer({ perMessageDeflate });
    const ws = webSocket.createWebSocket();
    const messages: (string | ArrayBuffer)[] = [];
    const expected: (string | number[])[] = [];
    const got = new Promise<void>((resolve) => {
      ws.on("message", (_e, data) => {
        messages.push(data);
        if (messages.length === expected.length) resolve();
      });
    });
    await ws.connect(`ws://127.0.0.1:${port}/`, { perMessageDeflate });
    const bytes = new Uint8Array(300);
    for (let i = 0; i < 60; i++) {
      const text = i % 3 === 0 ? `ascii ${i}` : `κόσμε ${i} `.repeat(i % 3 === 1 ? 4 : 80);
      expected.push(text);
      void ws.send(text);
      // The same buffer, changed after each send: what was sent must not change with it.
      bytes.fill(i);
      expected.push(Array.from(bytes));
      void ws.send(bytes.buffer);
    }
    await within(got, "all 120 echoes", 10_000);
    assert.deepEqual(
      messages.map((m) => typeof m === "string" ? m : Array.from(new Uint8Array(m))),
      expected,
    );
    await ws.close();
    await server.stop();
  }
});

// ------------------------------------------------------------ Autobahn 12 / 13 shapes (python)

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
}

const SUBSET = [
  "12.1.1",
  "12.1.4",
  "12.1.11",
  "12.2.5",
  "12.3.16",
  "12.5.10",
  "13.1.4",
  "13.2.12",
  "13.3.5",
  "13.4.11",
  "13.5.4",
  "13.6.16",
  "13.7.9",
];
const COUNT = FULL ? 1000 : 20;

Deno.test("fuzz server: Autobahn 12.x / 13.x shapes from python3-websockets against our server, every echo intact", async () => {
  const { server, port } = await deflateServer({
    perMessageDeflate: { threshold: 0 },
    maxMessageSize: 1 << 20,
  });
  const child = new Deno.Command(PY, {
    args: [FUZZER, "client", String(port), String(COUNT), ...(FULL ? ["all"] : SUBSET)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const results: { case: string; ok: boolean; detail: string; ext: string }[] = [];
  await readLines(child.stdout, (line) => results.push(JSON.parse(line)));
  await child.status;
  await server.stop();
  const failed = results.filter((r) => !r.ok || !r.ext.startsWith("permessage-deflate"));
  console.log(`server: ${results.length} cases, ${failed.length} FAILED`);
  assert.equal(results.length, FULL ? 216 : SUBSET.length);
  assert.deepEqual(failed, []);
});

Deno.test("fuzz client: Autobahn 12.x / 13.x shapes from a python3-websockets server against our client, every echo intact", async () => {
  const child = new Deno.Command(PY, {
    args: [FUZZER, "server", String(COUNT)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const results: { case: string; ok: boolean; detail: string; ext: string }[] = [];
  let resolvePort!: (p: number) => void;
  const portP = new Promise<number>((r) => resolvePort = r);
  const lines = readLines(child.stdout, (line) => {
    const v = JSON.parse(line);
    if ("port" in v) resolvePort(v.port);
    else results.push(v);
  });
  const port = await within(portP, "fuzzer port", 10_000);
  const cases = FULL ? allCases() : SUBSET;
  for (const name of cases) {
    const ws = webSocket.createWebSocket();
    const closed = new Promise<number>((r) => ws.on("close", (_e, v) => r(v.code)));
    ws.on("message", (_e, data) => ws.send(data).catch(() => {}));
    await ws.connect(`ws://127.0.0.1:${port}/${name}`, { perMessageDeflate: { threshold: 0 } });
    // The biggest full-mode cases (1000 messages of 128 KiB in 256-byte fragments) take
    // python3-websockets about 70 s here.
    assert.equal(await within(closed, name, FULL ? 600_000 : 60_000), 1000, name);
  }
  child.stdin.close();
  await lines;
  await child.status;
  const failed = results.filter((r) => !r.ok);
  console.log(`client: ${results.length} cases, ${failed.length} FAILED`);
  assert.equal(results.length, cases.length);
  assert.deepEqual(failed, []);
});

function allCases(): string[] {
  const out: string[] = [];
  for (let s = 1; s <= 5; s++) for (let i = 1; i <= 18; i++) out.push(`12.${s}.${i}`);
  for (let s = 1; s <= 7; s++) for (let i = 1; i <= 18; i++) out.push(`13.${s}.${i}`);
  return out;
}

// ------------------------------------------------------------ interop: npm ws

const JSON_MSG = JSON.stringify({
  id: 1,
  kind: "telemetry",
  values: Array.from({ length: 60 }, (_, i) => i % 7),
  tags: ["a", "b", "c"],
});

Deno.test("interop npm ws: our client ↔ ws server with perMessageDeflate, with and without context takeover", async () => {
  for (
    const opts of [true, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      threshold: 0,
    }]
  ) {
    const wss = new WsServer({ host: "127.0.0.1", port: 0, perMessageDeflate: opts });
    await new Promise((r) => wss.once("listening", r));
    let ext = "";
    wss.on("connection", (sock: WsClient, req: { headers: Record<string, unknown> }) => {
      ext = String(req.headers["sec-websocket-extensions"]);
      sock.on(
        "message",
        (data: Uint8Array, isBinary: boolean) => sock.send(data, { binary: isBinary }),
      );
    });
    const port = (wss.address() as { port: number }).port;
    const ws = webSocket.createWebSocket();
    const got: unknown[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => done = r);
    let negotiated = "";
    ws.on("headerReceive", (h) => negotiated = String(h["sec-websocket-extensions"]));
    ws.on("message", (_e, d) => {
      got.push(d);
      if (got.length === 3) done();
    });
    await ws.connect(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0 } });
    assert.match(negotiated, /^permessage-deflate/);
    assert.match(ext, /permessage-deflate/);
    ws.send(JSON_MSG);
    ws.send(JSON_MSG.repeat(100));
    ws.send(new Uint8Array(3000).fill(9).buffer);
    await within(all, "ws echoes");
    assert.deepEqual(got.slice(0, 2), [JSON_MSG, JSON_MSG.repeat(100)]);
    assert.equal((got[2] as ArrayBuffer).byteLength, 3000);
    await ws.close();
    await new Promise((r) => wss.close(r));
  }
});

Deno.test("interop npm ws: ws client with perMessageDeflate ↔ our server, with and without context takeover", async () => {
  for (
    const [client, serverOpts] of [[true, true], [{ threshold: 0 }, {
      server_no_context_takeover: true,
      client_no_context_takeover: true,
      threshold: 0,
    }]] as const
  ) {
    const { server, port, errors } = await deflateServer({ perMessageDeflate: serverOpts });
    const ws = new WsClient(`ws://127.0.0.1:${port}`, { perMessageDeflate: client });
    await new Promise((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    assert.match(ws.extensions, /permessage-deflate/);
    const got: string[] = [];
    const all = new Promise<void>((r) =>
      ws.on("message", (d: Uint8Array) => {
        got.push(String(d));
        if (got.length === 3) r();
      })
    );
    ws.send(JSON_MSG);
    ws.send(JSON_MSG.repeat(50));
    ws.send(JSON_MSG);
    await within(all, "echoes from our server");
    assert.deepEqual(got, [JSON_MSG, JSON_MSG.repeat(50), JSON_MSG]);
    const closed = new Promise((r) => ws.once("close", r));
    ws.close(1000);
    await closed;
    await server.stop();
    assert.deepEqual(errors, []);
  }
});
