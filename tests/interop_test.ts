/**
 * Interop matrix: our client (`createWebSocket()`) against three independent server
 * implementations, each started by the test on 127.0.0.1 port 0 (see `helpers/peers.ts`):
 *
 * - Debian's `python3-websockets` (strict: validates masking, UTF-8, close codes), run by
 *   `/usr/bin/python3`. A missing module FAILS the python rows (no skip): CI must install
 *   the Debian package `python3-websockets`.
 * - npm `ws` 8.23.0's `WebSocketServer`, running inside Deno.
 * - `Deno.serve` + `Deno.upgradeWebSocket`.
 *
 * Every row: text, binary, 0-byte and 1 MiB echoes, a fragmented message from the server,
 * a server ping answered, client-initiated and server-initiated close, abrupt drop → 1006.
 * Where a server API cannot do a row, the row says how it is covered instead (Deno cannot
 * send fragments or pings on demand: its idle-timeout keepalive is used for pings, and a TCP
 * relay in front of it for the drop). Sanitizers stay on; every wait is bounded.
 */
import assert from "node:assert/strict";
import webSocket from "../mod.ts";
import type { CloseResult, WebSocket as OhosWebSocket, WebSocketRequestOptions } from "../mod.ts";
import { Queue, within } from "./helpers/deno_server.ts";
import {
  bulkMessage,
  command,
  delay,
  type InteropPeer,
  type SeenClose,
  silentClientCloseCode,
  startDenoPeer,
  startPythonPeer,
  startWsPeer,
} from "./helpers/peers.ts";

// ------------------------------------------------------------------ client side

/** Our client with everything it reports recorded. */
class Client {
  readonly ws: OhosWebSocket = webSocket.createWebSocket();
  readonly messages = new Queue<string | ArrayBuffer>();
  readonly closes = new Queue<CloseResult>();
  readonly errors: unknown[] = [];
  dataEnds = 0;

  constructor() {
    this.ws.on("message", (err, data) => {
      assert.equal(err, undefined);
      this.messages.push(data);
    });
    this.ws.on("dataEnd", () => this.dataEnds++);
    this.ws.on("close", (_err, result) => this.closes.push(result));
    this.ws.on("error", (err) => this.errors.push(err));
  }

  /** The next message, waiting up to 10 s (1 MiB echoes included). */
  next(label: string): Promise<string | ArrayBuffer> {
    return this.messages.next(label, 10_000);
  }

  get closed(): boolean {
    return this.closes.items.length > 0;
  }

  /** Closes if still open and waits for the close event, so no socket outlives a test. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    try {
      await within(this.ws.close(), "dispose: close()");
    } catch {
      // not open (any more): the close event is on its way or came already
    }
    await this.closes.next("dispose: close event", 8000);
  }
}

/** One implementation under test. */
interface ServerKind {
  /** Label in test names. */
  label: string;
  start(): Promise<InteropPeer>;
}

const PYTHON: ServerKind = { label: "python3-websockets", start: startPythonPeer };
const WS: ServerKind = { label: "npm ws", start: startWsPeer };
const DENO: ServerKind = { label: "Deno.serve", start: () => Promise.resolve(startDenoPeer()) };
const ALL = [PYTHON, WS, DENO];

/**
 * Starts a server, connects a client, runs `body`, then always closes the client (waiting for
 * its close event) and shuts the server down. Fails if the server could not carry out a
 * command or the client reported an error (unless `allowClientErrors`).
 */
async function session(
  start: () => Promise<InteropPeer>,
  body: (client: Client, peer: InteropPeer) => Promise<void>,
  { allowClientErrors = false, options = {} as WebSocketRequestOptions } = {},
): Promise<void> {
  const peer = await start();
  const client = new Client();
  try {
    assert.equal(
      await within(client.ws.connect(peer.url, options), `connect to ${peer.name}`),
      true,
    );
    await body(client, peer);
  } finally {
    try {
      await client.dispose();
    } finally {
      await peer.shutdown();
    }
  }
  assert.deepEqual(peer.failures, [], `${peer.name} could not carry out a command`);
  if (!allowClientErrors) {
    assert.deepEqual(client.errors.map(String), [], "the client reported errors");
  }
}

function bytesOf(data: string | ArrayBuffer): Uint8Array {
  assert.ok(data instanceof ArrayBuffer, `expected an ArrayBuffer, got ${typeof data}`);
  return new Uint8Array(data);
}

function textOf(data: string | ArrayBuffer): string {
  assert.equal(typeof data, "string", "expected a text message");
  return data as string;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function pseudoRandomBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Byte-by-byte equality with a useful message (assert.deepEqual on 1 MiB is slow to print). */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      assert.fail(`${label}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** Every connection the server saw ended the way `expected` says. */
async function serverSaw(peer: InteropPeer, expected: SeenClose, label: string): Promise<void> {
  assert.deepEqual(await peer.closes.next(`${label}: the server's close`, 8000), expected, label);
}

const TEXT = "hello, wörld ✓ 🎉 — interop";
// 16 UTF-8 bytes: 1, 2, 3 and 4-byte characters.
const UNIT16 = "abcdefgé€🎉";
const MIB = 1024 * 1024;

// ------------------------------------------------------------------ the matrix

for (const server of ALL) {
  const label = server.label;

  Deno.test(`interop ${label}: text messages echoed intact and in order`, async () => {
    await session(server.start, async (client) => {
      const texts = [TEXT, "second", "x".repeat(200), "third: \u0000 nul and \uFEFF bom"];
      await Promise.all(texts.map((text) => client.ws.send(text)));
      for (const text of texts) assert.equal(textOf(await client.next("text echo")), text);
      assert.equal(client.dataEnds, texts.length, "one dataEnd per message");
    });
  });

  Deno.test(`interop ${label}: valid UTF-8 edge cases (boundaries, noncharacters, U+FFFD) echoed`, async () => {
    await session(server.start, async (client) => {
      // Autobahn 6.5-6.11, 6.22, 6.23: all valid, a strict client must accept every one.
      const texts = [
        "\u0000\u007F\u0080\u07FF\u0800\uFFFF\u{10000}\u{10FFFF}", // first/last per length
        "\uD7FF\uE000\uFFFD\u{10FFFF}", // around the surrogates, replacement character
        "\uFFFE\uFFFF\u{1FFFE}\u{1FFFF}\u{10FFFE}\uFDD0\uFDEF", // noncharacters
        "κόσμε",
      ];
      for (const text of texts) await client.ws.send(text);
      for (const text of texts) assert.equal(textOf(await client.next("UTF-8 edge echo")), text);
    });
  });

  Deno.test(`interop ${label}: binary messages echoed intact (ArrayBuffer and view)`, async () => {
    await session(server.start, async (client) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const view = pseudoRandomBytes(300, 7).subarray(17, 217); // a view with an offset
      await client.ws.send(all.buffer);
      await client.ws.send(view);
      assert.deepEqual(bytesOf(await client.next("binary echo")), all);
      assert.deepEqual(bytesOf(await client.next("view echo")), view.slice());
    });
  });

  Deno.test(`interop ${label}: 0-byte text and binary messages`, async () => {
    await session(server.start, async (client) => {
      await client.ws.send("");
      await client.ws.send(new ArrayBuffer(0));
      await client.ws.send("after");
      assert.equal(textOf(await client.next("empty text")), "");
      assert.equal(bytesOf(await client.next("empty binary")).length, 0);
      assert.equal(textOf(await client.next("marker")), "after");
      assert.equal(client.dataEnds, 3);
    });
  });

  Deno.test(`interop ${label}: 1 MiB binary and 1 MiB text messages`, async () => {
    await session(server.start, async (client) => {
      const binary = pseudoRandomBytes(MIB, 0x5eed);
      const text = UNIT16.repeat(MIB / 16);
      assert.equal(new TextEncoder().encode(text).length, MIB);
      await client.ws.send(binary.buffer);
      await client.ws.send(text);
      assertSameBytes(bytesOf(await client.next("1 MiB binary")), binary, "1 MiB binary");
      const echoed = textOf(await client.next("1 MiB text"));
      assert.ok(echoed === text, `1 MiB text differs (length ${echoed.length}/${text.length})`);
    });
  });

  Deno.test(`interop ${label}: 16 MiB binary and text messages (Autobahn 9.1.6 / 9.2.6)`, async () => {
    // Over the platform's 5 MiB - 16 send limit: maxSendSize lifts it (docs/differences.md).
    await session(server.start, async (client) => {
      const binary = pseudoRandomBytes(16 * MIB, 0x16);
      const text = UNIT16.repeat(MIB); // 16 MiB of UTF-8
      await client.ws.send(binary);
      assertSameBytes(bytesOf(await client.next("16 MiB binary")), binary, "16 MiB binary");
      await client.ws.send(text);
      const echoed = textOf(await client.next("16 MiB text"));
      assert.ok(echoed === text, `16 MiB text differs (length ${echoed.length}/${text.length})`);
    }, { options: { maxSendSize: 16 * MIB } });
  });

  Deno.test(`interop ${label}: client-initiated close, code and reason seen by the server`, async () => {
    await session(server.start, async (client, peer) => {
      assert.equal(await client.ws.close({ code: 4001, reason: "client bye ✓" }), true);
      const result = await client.closes.next("close event", 8000);
      // The server answers with our code (RFC 6455 5.5.1: typically the same code).
      assert.equal(result.code, 4001, `client close event: ${JSON.stringify(result)}`);
      await serverSaw(peer, { code: 4001, reason: "client bye ✓" }, "server saw our close");
    });
  });

  Deno.test(`interop ${label}: server-initiated close, code and reason seen by the client`, async () => {
    await session(server.start, async (client, peer) => {
      await client.ws.send(command({ op: "close", code: 4002, reason: "server bye ✓" }));
      const result = await client.closes.next("close event", 8000);
      assert.deepEqual(result, { code: 4002, reason: "server bye ✓" });
      // Our reply echoes the code; the server's close handshake completed cleanly.
      const seen = await peer.closes.next("server close", 8000);
      assert.equal(seen.code, 4002, `server saw ${JSON.stringify(seen)}`);
    });
  });
}

// ------------------------------------------------------------------ abrupt drop

for (
  const [label, start] of [
    [PYTHON.label + " (transport.abort())", PYTHON.start],
    [WS.label + " (terminate())", WS.start],
    // Deno cannot abort a WebSocket's TCP connection (aborting Deno.serve sends a close
    // frame, with the invalid code 1005 on Deno 2.9.6): a relay in front of it is cut.
    [
      DENO.label + " (TCP relay in front, cut)",
      () => Promise.resolve(startDenoPeer({ relay: true })),
    ],
  ] as const
) {
  Deno.test(`interop ${label}: abrupt drop of the connection → close 1006`, async () => {
    await session(start, async (client) => {
      await client.ws.send("before");
      assert.equal(textOf(await client.next("echo before the drop")), "before");
      await client.ws.send(command({ op: "drop" }));
      const result = await client.closes.next("close event after the drop", 8000);
      assert.equal(result.code, 1006, `close event: ${JSON.stringify(result)}`);
      assert.ok(result.reason.length > 0, "1006 comes with a descriptive reason");
      // Nothing can be sent on a dropped connection.
      await assert.rejects(Promise.resolve(client.ws.send("after")));
    }, { allowClientErrors: true });
  });
}

// ------------------------------------------------------------------ fragments from the server

for (const server of [PYTHON, WS]) {
  Deno.test(`interop ${server.label}: fragmented messages from the server are reassembled`, async () => {
    await session(server.start, async (client) => {
      // An empty fragment in the middle, multi-byte characters, 64 KiB in one fragment.
      await client.ws.send(command({ op: "fragments", text: ["héllo ", "", "wörld ✓ ", "🎉"] }));
      assert.equal(textOf(await client.next("fragmented text")), "héllo wörld ✓ 🎉");
      const big = [...pseudoRandomBytes(65536, 3)];
      const parts = [[0, 1, 2], [], big, [255]];
      await client.ws.send(command({ op: "fragments", binary: parts }));
      assert.deepEqual(
        bytesOf(await client.next("fragmented binary")),
        new Uint8Array(parts.flat()),
      );
      await client.ws.send("marker");
      assert.equal(textOf(await client.next("marker")), "marker", "each fragmented message once");
      assert.equal(client.dataEnds, 3);
    });
  });
}

for (const server of [PYTHON, WS]) {
  Deno.test(`interop ${server.label}: 4 MiB messages from the server in 64 B to 1 MiB fragments (Autobahn 9.3 / 9.4)`, async () => {
    await session(server.start, async (client) => {
      const total = 4 * MIB;
      const cases = [["text", 64], ["binary", 256], ["text", 65536], ["binary", MIB]] as const;
      for (const [kind, fragment] of cases) {
        await client.ws.send(command({ op: "bulk", kind, total, fragment }));
        const got = await client.next(`4 MiB ${kind} in ${fragment}-byte fragments`);
        const expected = bulkMessage(kind, total);
        if (typeof expected === "string") {
          assert.ok(textOf(got) === expected, `${kind}/${fragment}: text differs`);
        } else {
          assertSameBytes(bytesOf(got), expected, `${kind}/${fragment}`);
        }
      }
      assert.equal(client.dataEnds, cases.length);
    });
  });
}

Deno.test("interop npm ws: close frame in the middle of a fragmented message (Autobahn 7.1.5)", async () => {
  await session(WS.start, async (client, peer) => {
    await client.ws.send(command({ op: "closeMidMessage" }));
    const result = await client.closes.next("close event", 8000);
    assert.deepEqual(result, { code: 1000, reason: "mid-message" });
    assert.equal(client.messages.items.length, 0, "the unfinished message is not delivered");
    // Our reply echoes the code (not the reason): the server's handshake completed cleanly.
    const seen = await peer.closes.next("server close", 8000);
    assert.equal(seen.code, 1000, `server saw ${JSON.stringify(seen)}`);
  });
});

Deno.test("interop npm ws: text fragment boundaries inside UTF-8 characters", async () => {
  // Python strings cannot be split inside a character; ws sends raw bytes as text fragments.
  await session(WS.start, async (client) => {
    const bytes = [...new TextEncoder().encode("é€🎉ok")]; // 2 + 3 + 4 + 2 bytes
    const parts = [bytes.slice(0, 1), bytes.slice(1, 3), bytes.slice(3, 6), bytes.slice(6, 11)];
    await client.ws.send(command({ op: "fragments", utf8: parts }));
    assert.equal(textOf(await client.next("split UTF-8")), "é€🎉ok");
  });
});

// ------------------------------------------------------------------ pings from the server

for (const server of [PYTHON, WS]) {
  Deno.test(`interop ${server.label}: server pings are answered with the same payload`, async () => {
    await session(server.start, async (client) => {
      // The server replies "pong:<payload>" only once a pong with that payload came back.
      // Ten pings asked for at once (Autobahn 2.10): text, empty and 125-byte payloads.
      const payloads = ["are you there? ✓", "", "x".repeat(125)];
      for (let i = 0; payloads.length < 10; i++) payloads.push(`ping ${i}`);
      await Promise.all(
        payloads.map((payload) => client.ws.send(command({ op: "ping", payload }))),
      );
      for (const payload of payloads) {
        assert.equal(textOf(await client.next(`pong for ${payload}`)), "pong:" + payload);
      }
    });
  });
}

Deno.test("interop Deno.serve: idle-timeout keepalive pings are answered (connection survives)", async () => {
  // Deno.serve cannot send a ping on demand; with idleTimeout it pings after idleTimeout/2 s
  // of silence and closes with 1001 when no pong arrives in the next idleTimeout/2 s.
  const peer = startDenoPeer({ idleTimeout: 1 });
  try {
    // Control: a client that never answers is dropped, so survival below means pongs.
    const code = await silentClientCloseCode(peer.url, 5000);
    assert.equal(code, 1001, "Deno closes a client that does not answer its pings");
    await peer.closes.next("the silent client's close", 5000);
  } finally {
    await peer.shutdown();
  }
  await session(() => Promise.resolve(startDenoPeer({ idleTimeout: 1 })), async (client, peer) => {
    await delay(3000); // about six keepalive pings
    assert.equal(client.closed, false, "still open after 3 s of keepalive pings");
    assert.equal(peer.closes.items.length, 0, "the server did not give up on us");
    await client.ws.send("still here");
    assert.equal(textOf(await client.next("echo after keepalive")), "still here");
    await client.ws.close();
    assert.equal((await client.closes.next("close event", 8000)).code, 1000);
    await serverSaw(peer, { code: 1000, reason: "" }, "clean close after keepalive");
  });
});
