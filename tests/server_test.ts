/**
 * The WebSocket server (API 19): interop with three clients over ws and wss
 * plus Python's `websockets`, connection limits, every error code, hostile
 * clients over raw TCP, and shutdown. Loopback addresses only; every wait
 * is bounded.
 */

import assert from "node:assert/strict";
import webSocket, {
  type BusinessError,
  type WebSocketConnection,
  type WebSocketMessage,
  type WebSocketServerConfig,
} from "../mod.ts";
import { Queue, within, writeAll } from "./helpers/deno_server.ts";
import { getTestCerts } from "./helpers/certs.ts";
import {
  clientFrame,
  closeOf,
  connectDenoWebSocket,
  connectOurClient,
  connectWs,
  type EchoPeer,
  findPythonWithWebsockets,
  type Harness,
  RawClient,
  type ServerClose,
  startServer,
  upgradeRequest,
} from "./helpers/server_peers.ts";
import {
  buildAcceptResponse,
  buildRefusalResponse,
  checkUpgradeRequest,
  selectSubprotocol,
} from "../src/protocol/mod.ts";
import { WebSocketServerImpl } from "../src/server/websocket_server.ts";
import type { ListenOptions, StreamListener } from "../src/transport/mod.ts";
import { sha1Base64 } from "../src/transport/mod.ts";
import { concatBytes } from "../src/protocol/bytes.ts";

/** Expects `promise` to reject with a BusinessError of `code`. */
async function rejectsWith(promise: Promise<unknown>, code: number, label: string): Promise<void> {
  await assert.rejects(within(promise, label), (err: BusinessError) => {
    assert.equal(err.code, code, `${label}: ${err.message}`);
    return true;
  }, label);
}

function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

function sameMessage(actual: string | Uint8Array, expected: string | Uint8Array): boolean {
  if (typeof expected === "string") return actual === expected;
  if (!(actual instanceof Uint8Array) || actual.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

function describeMessage(message: string | Uint8Array): string {
  const kind = typeof message === "string" ? "text" : "binary";
  const size = typeof message === "string" ? message.length : message.length;
  return `${kind} of ${size}`;
}

const FOUR_MIB = 4 * 1024 * 1024;
const ECHO_MESSAGES: (string | Uint8Array)[] = [
  "héllo, wörld ✓",
  Uint8Array.from({ length: 256 }, (_, i) => i),
  "",
  new Uint8Array(0),
  randomBytes(FOUR_MIB),
  "ü".repeat(FOUR_MIB / 2),
];

/** Sends every echo message, checks each answer, then closes 1000 "done" cleanly. */
async function echoRoundTrip(peer: EchoPeer, harness: Harness): Promise<void> {
  for (const message of ECHO_MESSAGES) {
    await peer.send(message);
    const label = `${peer.name}: echo of ${describeMessage(message)}`;
    const echoed = await peer.next(label, 10_000);
    assert.ok(sameMessage(echoed, message), `${label} differs (got ${describeMessage(echoed)})`);
  }
  await peer.close(1000, "done");
  const seen = await within(peer.closed, `${peer.name} close`);
  assert.equal(seen.code, 1000, `${peer.name} close code`);
  const serverSide = await harness.closes.next(`server close event for ${peer.name}`);
  assert.deepEqual(serverSide.result, { code: 1000, reason: "done" });
}

// ------------------------------------------------- pure server handshake

const SAMPLE_HEAD = {
  startLine: "GET /chat?room=1 HTTP/1.1",
  headers: [
    ["host", "127.0.0.1:8080"],
    ["upgrade", "WebSocket"],
    ["connection", "keep-alive, Upgrade"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["sec-websocket-version", "13"],
    ["sec-websocket-protocol", "chat.v2, chat"],
  ] as [string, string][],
};

Deno.test("static view: onConnect/onMessageReceive/onWebSocketServerClose/onWebSocketServerError pairs share on()'s lists; offX(cb) and offX() remove; listAllConnections is an array that await also accepts", async () => {
  const server = webSocket.createWebSocketServer();
  const connects = new Queue<WebSocketConnection>();
  const messages = new Queue<WebSocketMessage>();
  const closes = new Queue<ServerClose>();
  const removed: string[] = [];
  server.onConnect((connection) => connects.push(connection));
  server.onMessageReceive((message) => messages.push(message));
  server.onWebSocketServerClose((connection, result) => closes.push({ connection, result }));
  server.onWebSocketServerError(() => {});
  const viaOn = () => removed.push("on('connect') listener removed by offConnect(cb)");
  server.on("connect", viaOn);
  server.offConnect(viaOn);
  server.onMessageReceive(() => removed.push("messageReceive listener"));
  server.offMessageReceive();
  server.onMessageReceive((message) => messages.push(message));
  await within(
    server.start({
      serverIP: "127.0.0.1",
      serverPort: 0,
      maxConcurrentClientsNumber: 2,
      maxConnectionsForOneClient: 2,
    }),
    "server start",
  );
  try {
    const ws = webSocket.createWebSocket();
    const url = `ws://127.0.0.1:${server.address()!.serverPort}/`;
    assert.equal(await within(ws.connect(url), "connect"), true);
    const connection = await connects.next("connect event");
    const list = server.listAllConnections();
    assert.ok(Array.isArray(list), "the SDK declares WebSocketConnection[]");
    assert.deepEqual(await server.listAllConnections(), list, "await yields the same list");
    assert.deepEqual(list, [connection]);
    await ws.send("to the server");
    assert.equal((await messages.next("messageReceive")).data, "to the server");
    await ws.close();
    const closed = await closes.next("server close event");
    assert.deepEqual(closed.connection, connection);
    assert.equal(closed.result.code, 1000);
    assert.deepEqual(removed, [], "no removed listener was called");
  } finally {
    await within(server.stop(), "server stop", 8000);
  }
});

Deno.test("names the SDK does not have are not on the server: onClose, onError, onMessage", () => {
  const server = webSocket.createWebSocketServer() as unknown as Record<string, unknown>;
  for (const name of ["onClose", "offClose", "onError", "offError", "onMessage"]) {
    assert.equal(server[name], undefined, `${name} is not an SDK name`);
  }
});

Deno.test("server handshake (pure): a valid request is accepted with tokens matched case-insensitively; the 101 carries the RFC 6455 sample accept value and the chosen subprotocol", () => {
  const check = checkUpgradeRequest(SAMPLE_HEAD);
  assert.deepEqual(check, {
    ok: true,
    request: {
      path: "/chat?room=1",
      key: "dGhlIHNhbXBsZSBub25jZQ==",
      protocols: ["chat.v2", "chat"],
    },
  });
  assert.equal(selectSubprotocol(["chat.v2", "chat"], ["chat", "chat.v2"]), "chat.v2");
  assert.equal(selectSubprotocol(["a"], ["b"]), undefined);
  assert.equal(
    buildAcceptResponse({ key: "dGhlIHNhbXBsZSBub25jZQ==", protocol: "chat" }, sha1Base64),
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
  );
});

Deno.test("server handshake (pure): a missing Host, a repeated key, a bad subprotocol token are 400; refusals have an exact Content-Length and can't inject headers through the reason", () => {
  const without = (name: string) => ({
    ...SAMPLE_HEAD,
    headers: SAMPLE_HEAD.headers.filter(([n]) => n !== name),
  });
  const plus = (name: string, value: string) => ({
    ...SAMPLE_HEAD,
    headers: [...SAMPLE_HEAD.headers, [name, value]] as [string, string][],
  });
  for (
    const head of [
      without("host"),
      plus("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA=="),
      plus("sec-websocket-protocol", "bad name"),
    ]
  ) {
    const check = checkUpgradeRequest(head);
    assert.equal(check.ok, false);
    if (!check.ok) assert.equal(check.status, 400, check.reason);
  }
  const text = buildRefusalResponse(503, "full\r\nX-Injected: yes");
  const [head, body] = text.split("\r\n\r\n");
  assert.ok(!head.includes("X-Injected"), "reason stays in the body");
  assert.equal(head.split("\r\n")[0], "HTTP/1.1 503 Service Unavailable");
  const length = Number(/Content-Length: (\d+)/.exec(head)![1]);
  assert.equal(length, new TextEncoder().encode(body).length);
  assert.match(buildRefusalResponse(426, "old"), /\r\nSec-WebSocket-Version: 13\r\n/);
});

// --------------------------------------------------------------- interop

Deno.test("ws echo: our client, Deno's WebSocket and npm ws get text, binary, 0-byte and 4 MiB messages back unchanged; messageReceive gives text as string and binary as ArrayBuffer", async () => {
  const harness = await startServer();
  try {
    await echoRoundTrip(await connectOurClient(harness.url), harness);
    await echoRoundTrip(await connectDenoWebSocket(harness.url), harness);
    await echoRoundTrip(await connectWs(harness.url), harness);
    const kinds = harness.messages.items.map((m) =>
      typeof m.data === "string" ? "string" : m.data instanceof ArrayBuffer ? "ArrayBuffer" : "?"
    );
    const expected = ECHO_MESSAGES.map((m) => typeof m === "string" ? "string" : "ArrayBuffer");
    assert.deepEqual(kinds, [...expected, ...expected, ...expected]);
    assert.equal(harness.errors.items.length, 0);
  } finally {
    await harness.stop();
  }
});

Deno.test("wss echo (serverCert): with a test CA, our client (caPath), Deno's WebSocket (HttpClient caCerts) and npm ws (ca) get text, binary, 0-byte and 4 MiB messages back", async () => {
  const certs = await getTestCerts();
  const harness = await startServer({
    serverCert: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath },
  });
  const httpClient = Deno.createHttpClient({ caCerts: [certs.caPem] });
  try {
    await echoRoundTrip(await connectOurClient(harness.url, { caPath: certs.caPath }), harness);
    await echoRoundTrip(await connectDenoWebSocket(harness.url, httpClient), harness);
    await echoRoundTrip(await connectWs(harness.url, { ca: certs.caPem }), harness);
  } finally {
    httpClient.close();
    await harness.stop();
  }
});

Deno.test("wss: a client that does not trust the server's certificate fails its TLS handshake and the server keeps serving trusting clients", async () => {
  const certs = await getTestCerts();
  const harness = await startServer({
    serverCert: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath },
  });
  try {
    await assert.rejects(connectOurClient(harness.url), "a client without the CA must fail");
    await echoRoundTrip(await connectWs(harness.url, { ca: certs.caPem }), harness);
    assert.equal(harness.connects.items.length, 1, "only the trusting client connected");
  } finally {
    await harness.stop();
  }
});

const PYTHON_CLIENT = `
import asyncio, json, ssl, sys
import websockets

async def main(uri, cafile):
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    out = {}
    async with websockets.connect(uri, ssl=context, max_size=None) as ws:
        await ws.send("héllo from python")
        out["text"] = await ws.recv()
        await ws.send(bytes(range(256)))
        echoed = await ws.recv()
        out["binary"] = isinstance(echoed, bytes) and echoed == bytes(range(256))
        big = bytes(i % 251 for i in range(1024 * 1024))
        await ws.send(big)
        out["big"] = (await ws.recv()) == big
        await ws.close(code=1000, reason="python done")
        out["close_code"] = ws.close_code
    print(json.dumps(out))

asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None), 10))
`;

Deno.test("python websockets client (Debian python3-websockets) completes text, binary and 1 MiB echoes and a clean 1000 close over ws and wss", async () => {
  const python = await findPythonWithWebsockets();
  assert.ok(
    python !== undefined,
    "Python's websockets library is missing: install the Debian package python3-websockets " +
      "(apt-get install -y python3-websockets); it serves /usr/bin/python3",
  );
  const certs = await getTestCerts();
  const plain = await startServer();
  const secure = await startServer({
    serverCert: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath },
  });
  try {
    for (const [harness, extra] of [[plain, []], [secure, [certs.caPath]]] as const) {
      const result = await within(
        new Deno.Command(python, {
          args: ["-c", PYTHON_CLIENT, harness.url, ...extra],
          stdout: "piped",
          stderr: "piped",
        }).output(),
        `python client against ${harness.url}`,
        15_000,
      );
      const stderr = new TextDecoder().decode(result.stderr);
      assert.ok(result.success, `python client failed against ${harness.url}:\n${stderr}`);
      const out = JSON.parse(new TextDecoder().decode(result.stdout));
      assert.deepEqual(out, {
        text: "héllo from python",
        binary: true,
        big: true,
        close_code: 1000,
      });
      const closed = await harness.closes.next("server close event for python");
      assert.deepEqual(closed.result, { code: 1000, reason: "python done" });
    }
  } finally {
    await plain.stop();
    await secure.stop();
  }
});

Deno.test("protocol: the server answers with the client's most preferred subprotocol it supports, and with none when nothing matches", async () => {
  const harness = await startServer({ protocol: "chat, superchat" });
  const raw = await RawClient.connect(harness.port);
  try {
    const peer = await connectWs(harness.url, { protocols: ["v9", "superchat", "chat"] });
    assert.equal(peer.protocol, "superchat");
    await peer.close();
    await within(peer.closed, "ws close");
    await raw.write(upgradeRequest(harness.port, { "sec-websocket-protocol": "x, y" }));
    const answer = await raw.readAnswer();
    assert.equal(answer.status, 101);
    assert.equal(answer.headers["sec-websocket-protocol"], undefined);
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("close (RFC 6455 7.1.1): when the server starts the close it ends TCP first — the raw client reads EOF after the close frames, before it ends its own side", async () => {
  const harness = await startServer({}, false);
  const raw = await RawClient.connect(harness.port);
  try {
    await raw.upgrade(harness.port);
    const connection = await harness.connects.next("connect");
    const closing = harness.server.close(connection, { code: 4000, reason: "done" });
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0x8);
    assert.deepEqual(closeOf(frame), { code: 4000, reason: "done" });
    assert.equal(await within(closing, "close()"), true);
    await raw.write(clientFrame(0x8, new Uint8Array([0x0f, 0xa0])));
    // The raw client has sent its close frame and nothing else, and keeps its side open.
    assert.equal(await raw.readToEnd(), "", "nothing after the close frame, then the server's FIN");
    raw.close();
    const closed = await harness.closes.next("close event");
    assert.deepEqual(closed.result, { code: 4000, reason: "" });
  } finally {
    raw.close();
    await harness.stop();
  }
});

/**
 * Reads `conn` to its end and says how it ended: "end" for a clean end (FIN;
 * over TLS, close_notify first), otherwise the error's name. Returns the
 * bytes read before it too.
 */
async function readUntilEnd(conn: Deno.Conn): Promise<{ how: string; bytes: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const chunk = new Uint8Array(4096);
  for (let reads = 0; reads < 1000; reads++) {
    let n: number | null;
    try {
      n = await within(conn.read(chunk), "read until the server's end");
    } catch (error) {
      return { how: (error as Error).name, bytes: concatBytes(parts) };
    }
    if (n === null) return { how: "end", bytes: concatBytes(parts) };
    parts.push(chunk.slice(0, n));
  }
  throw new Error("the server kept sending");
}

for (const secure of [false, true]) {
  const scheme = secure ? "wss" : "ws";
  Deno.test(`close (RFC 6455 7.1.1, ${scheme}): once the client's close frame is answered the server closes TCP as soon as its close frame is written — its close event comes while the client still holds its side open, and the client reads a clean end${secure ? " (close_notify, then FIN)" : " (FIN, not a reset)"}`, async () => {
    const certs = secure ? await getTestCerts() : undefined;
    // A close timeout far beyond the wait below: only closing at once can pass.
    const harness = await startServer({
      closeTimeoutMs: 60_000,
      ...(certs &&
        { serverCert: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath } }),
    });
    const conn = certs === undefined
      ? await Deno.connect({ hostname: "127.0.0.1", port: harness.port })
      : await Deno.connectTls({
        hostname: "127.0.0.1",
        port: harness.port,
        caCerts: [certs.caPem],
      });
    try {
      await writeAll(conn, new TextEncoder().encode(upgradeRequest(harness.port)));
      await harness.connects.next("connect");
      await writeAll(conn, clientFrame(0x8, new Uint8Array([0x0f, 0xa1, 0x68, 0x69]))); // 4001 "hi"
      const closed = await harness.closes.next("close event before the client ends its side");
      assert.deepEqual(closed.result, { code: 4001, reason: "hi" });
      const { how, bytes } = await readUntilEnd(conn);
      assert.equal(how, "end", "a clean end, not a reset or a truncated TLS stream");
      const text = new TextDecoder("latin1").decode(bytes);
      assert.match(text, /^HTTP\/1\.1 101 /);
      const head = text.indexOf("\r\n\r\n") + 4;
      assert.deepEqual(
        [...bytes.subarray(head)],
        [0x88, 0x02, 0x0f, 0xa1],
        "the close frame echoing the client's code, and nothing after it",
      );
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      await harness.stop();
    }
  });
}

Deno.test("close (RFC 6455 7.1.1): after failing a connection (1002) the server ends TCP first, without waiting for the client's close frame", async () => {
  const harness = await startServer({}, false);
  const raw = await RawClient.connect(harness.port);
  try {
    await raw.upgrade(harness.port);
    await harness.connects.next("connect");
    await raw.write(clientFrame(0x1, "unmasked", { masked: false }));
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0x8);
    assert.equal(closeOf(frame).code, 1002);
    assert.equal(await raw.readToEnd(), "", "the server's FIN follows its close frame");
    raw.close();
    const closed = await harness.closes.next("close event");
    assert.equal(closed.result.code, 1002);
  } finally {
    raw.close();
    await harness.stop();
  }
});

/** True when this machine can bind ::1 (IPv6 loopback); CI containers may lack it. */
function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "serverIP '::1': an IPv6 client is served and reported with clientIP '::1' (skipped without IPv6 loopback)",
  ignore: !hasIpv6Loopback(),
  async fn() {
    const harness = await startServer({ serverIP: "::1" });
    try {
      const peer = await connectOurClient(`ws://[::1]:${harness.port}/`);
      assert.equal((await harness.connects.next("IPv6 connect")).clientIP, "::1");
      await peer.send("over IPv6");
      assert.equal(await peer.next("IPv6 echo"), "over IPv6");
      await peer.close();
      await within(peer.closed, "close");
    } finally {
      await harness.stop();
    }
  },
});

// ---------------------------------------------------------------- events

Deno.test("events: connect gives {clientIP, clientPort}; a client's close(3001, 'done') reaches the close event with that code, reason and connection; listAllConnections lists only open ones", async () => {
  const harness = await startServer();
  try {
    const first = await connectWs(harness.url);
    const second = await connectOurClient(harness.url);
    const a = await harness.connects.next("connect 1");
    const b = await harness.connects.next("connect 2");
    for (const connection of [a, b]) {
      assert.equal(connection.clientIP, "127.0.0.1");
      assert.ok(Number.isInteger(connection.clientPort) && connection.clientPort > 0);
    }
    assert.deepEqual(
      harness.server.listAllConnections().map((c) => c.clientPort).sort(),
      [a.clientPort, b.clientPort].sort(),
    );
    await first.close(3001, "done");
    const closed = await harness.closes.next("close event");
    assert.deepEqual(closed.result, { code: 3001, reason: "done" });
    assert.deepEqual(closed.connection, a);
    assert.deepEqual(harness.server.listAllConnections(), [b]);
    await second.close();
    await within(second.closed, "second close");
  } finally {
    await harness.stop();
  }
});

Deno.test("close(connection, {code, reason}) ends that client with the code and reason and leaves the others working; send accepts ArrayBuffer views", async () => {
  const harness = await startServer();
  try {
    const kicked = await connectWs(harness.url);
    const kickedConnection = await harness.connects.next("connect kicked");
    const stays = await connectOurClient(harness.url);
    const staysConnection = await harness.connects.next("connect stays");
    assert.equal(
      await harness.server.close(kickedConnection, { code: 4001, reason: "kicked" }),
      true,
    );
    assert.deepEqual(await within(kicked.closed, "kicked close"), {
      code: 4001,
      reason: "kicked",
    });
    const serverSide = await harness.closes.next("server close event");
    assert.equal(serverSide.result.code, 4001);
    assert.deepEqual(harness.server.listAllConnections(), [staysConnection]);
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    assert.equal(await harness.server.send(view, staysConnection), true);
    assert.deepEqual(await stays.next("view message"), new Uint8Array([1, 2, 3]));
    await stays.send("still here");
    assert.equal(await stays.next("echo after kick"), "still here");
    await stays.close();
    await within(stays.closed, "stays close");
  } finally {
    await harness.stop();
  }
});

Deno.test("listener exceptions: a 'connect' and a 'messageReceive' listener that throw are reported with console.error and the server keeps echoing", async () => {
  const reported: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => reported.push(args);
  const harness = await startServer();
  try {
    harness.server.on("connect", () => {
      throw new Error("boom in connect");
    });
    harness.server.on("messageReceive", () => {
      throw new Error("boom in messageReceive");
    });
    const peer = await connectWs(harness.url);
    await peer.send("ping?");
    assert.equal(await peer.next("echo despite throwing listeners"), "ping?");
    const text = reported.map((args) => args.map(String).join(" ")).join("\n");
    assert.match(text, /boom in connect/);
    assert.match(text, /boom in messageReceive/);
    await peer.close();
    await within(peer.closed, "close");
  } finally {
    console.error = original;
    await harness.stop();
  }
});

// ----------------------------------------------------------------- limits

Deno.test("maxConcurrentClientsNumber: the (N+1)th client is refused with HTTP 503 at the handshake while the first N keep echoing", async () => {
  const harness = await startServer({ maxConcurrentClientsNumber: 2 });
  const raw = await RawClient.connect(harness.port);
  try {
    const peers = [await connectWs(harness.url), await connectOurClient(harness.url)];
    await raw.write(upgradeRequest(harness.port));
    const answer = await raw.readAnswer();
    assert.equal(answer.status, 503);
    assert.match(await raw.readToEnd(), /maxConcurrentClientsNumber/);
    for (const peer of peers) {
      await peer.send(`${peer.name} still works`);
      assert.equal(await peer.next("echo after refusal"), `${peer.name} still works`);
    }
    assert.equal(harness.connects.items.length, 2);
    for (const peer of peers) {
      await peer.close();
      await within(peer.closed, "close");
    }
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("maxConnectionsForOneClient: the (M+1)th connection from one IP is refused with 503 while that IP's first connection and another IP (127.0.0.2) are served", async () => {
  const harness = await startServer({
    maxConcurrentClientsNumber: 5,
    maxConnectionsForOneClient: 1,
  });
  const raw = await RawClient.connect(harness.port);
  try {
    const first = await connectWs(harness.url);
    await raw.write(upgradeRequest(harness.port));
    assert.equal((await raw.readAnswer()).status, 503);
    assert.match(await raw.readToEnd(), /maxConnectionsForOneClient/);
    const other = await connectWs(harness.url, { localAddress: "127.0.0.2" });
    const ips = harness.server.listAllConnections().map((c) => c.clientIP).sort();
    assert.deepEqual(ips, ["127.0.0.1", "127.0.0.2"]);
    for (const peer of [first, other]) {
      await peer.send("hi");
      assert.equal(await peer.next("echo"), "hi");
      await peer.close();
      await within(peer.closed, "close");
    }
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("maxConnectionsForOneClient counts connections as they come and go: each time the one allowed connection from an IP has ended, the next is admitted, and sockets that hung up mid-handshake leave nothing counted", async () => {
  const harness = await startServer({
    maxConcurrentClientsNumber: 5,
    maxConnectionsForOneClient: 1,
  });
  try {
    // Five rounds: were the handshake count not to drop at each socket's end, the two per
    // round would pass the handshake cap (2 × 1 + 4) in the fourth.
    for (let round = 0; round < 5; round++) {
      // Counted while in the handshake (the handshake cap), then gone without an upgrade.
      const quitter = await RawClient.connect(harness.port);
      await quitter.write(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
      quitter.close();
      const peer = await connectWs(harness.url);
      await peer.send(`round ${round}`);
      assert.equal(await peer.next("echo"), `round ${round}`);
      // While it is open, a second one from the same IP is still refused.
      const second = await RawClient.connect(harness.port);
      await second.write(upgradeRequest(harness.port));
      assert.equal((await second.readAnswer()).status, 503, `round ${round}`);
      second.close();
      await peer.close();
      await within(peer.closed, "client close");
      // The server's close event comes once the connection has ended and left the counts.
      await harness.closes.next(`server close event, round ${round}`);
    }
  } finally {
    await harness.stop();
  }
});

Deno.test("limits are capped at the platform's 10 (the 11th of 20 allowed clients gets 503) unless allowMoreThanPlatformLimit is set", async () => {
  for (const allow of [false, true]) {
    const harness = await startServer({
      maxConcurrentClientsNumber: 20,
      maxConnectionsForOneClient: 20,
      allowMoreThanPlatformLimit: allow,
    });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const raw = await RawClient.connect(harness.port);
        clients.push(raw);
        await raw.upgrade(harness.port);
      }
      const eleventh = await RawClient.connect(harness.port);
      clients.push(eleventh);
      await eleventh.write(upgradeRequest(harness.port));
      assert.equal((await eleventh.readAnswer()).status, allow ? 101 : 503, `allow=${allow}`);
    } finally {
      for (const raw of clients) raw.close();
      await harness.stop();
    }
  }
});

// ------------------------------------------------------------ error codes

Deno.test("start: an address that is not on this machine (192.0.2.1, only bound, never contacted) fails with 2302004", async () => {
  const server = webSocket.createWebSocketServer();
  await rejectsWith(server.start({ serverIP: "192.0.2.1", serverPort: 0 }), 2302004, "start");
  assert.equal(server.address(), undefined);
});

Deno.test("start: a port that another socket listens on fails with 2302007, for a foreign listener and for a second server", async () => {
  const foreign = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const harness = await startServer();
  try {
    const port = (foreign.addr as Deno.NetAddr).port;
    const server = webSocket.createWebSocketServer();
    await rejectsWith(
      server.start({ serverIP: "127.0.0.1", serverPort: port }),
      2302007,
      "foreign",
    );
    await rejectsWith(
      server.start({ serverIP: "127.0.0.1", serverPort: harness.port }),
      2302007,
      "second server",
    );
  } finally {
    foreign.close();
    await harness.stop();
  }
});

Deno.test("start: a missing certificate or key file fails with 2302002; an unusable certificate with 401", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bad.pem`, "not a certificate");
    const server = webSocket.createWebSocketServer();
    const missing = `${dir}/missing.pem`;
    await rejectsWith(
      server.start({ serverPort: 0, serverCert: { certPath: missing, keyPath: missing } }),
      2302002,
      "missing files",
    );
    await rejectsWith(
      server.start({
        serverIP: "127.0.0.1",
        serverPort: 0,
        serverCert: { certPath: `${dir}/bad.pem`, keyPath: `${dir}/bad.pem` },
      }),
      401,
      "bad certificate",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("401: bad start config fields, bad send data, bad connections and close options reject with 401; on/off with a non-function throw 401", async () => {
  const server = webSocket.createWebSocketServer();
  const bad: unknown[] = [
    undefined,
    null,
    "config",
    { serverPort: "8080" },
    { serverPort: 70000 },
    { serverPort: 1.5 },
    { serverPort: 0, serverIP: 5 },
    { serverPort: 0, maxConcurrentClientsNumber: 0 },
    { serverPort: 0, maxConnectionsForOneClient: "2" },
    { serverPort: 0, protocol: 7 },
    { serverPort: 0, protocol: "bad protocol" },
    { serverPort: 0, serverCert: { certPath: "a.pem" } },
    { serverPort: 0, allowMoreThanPlatformLimit: "yes" },
    { serverPort: 0, handshakeTimeoutMs: -1 },
  ];
  for (const config of bad) {
    await rejectsWith(
      server.start(config as WebSocketServerConfig),
      401,
      `start(${JSON.stringify(config)})`,
    );
  }
  const harness = await startServer();
  try {
    const peer = await connectWs(harness.url);
    const connection = await harness.connects.next("connect");
    const send = harness.server.send.bind(harness.server) as (
      data: unknown,
      connection: unknown,
    ) => Promise<boolean>;
    await rejectsWith(send(42, connection), 401, "send(number)");
    await rejectsWith(send("x", { clientIP: 1, clientPort: 2 }), 401, "send to a bad connection");
    await rejectsWith(send("x", undefined), 401, "send without connection");
    await rejectsWith(
      harness.server.send(new ArrayBuffer(5 * 1024 * 1024), connection),
      401,
      "send over 5,242,864 bytes",
    );
    await rejectsWith(harness.server.close(connection, { code: 1005 }), 401, "close(1005)");
    await rejectsWith(
      harness.server.close(connection, { code: 1000, reason: "x".repeat(124) }),
      401,
      "close reason over 123 bytes",
    );
    const on = harness.server.on.bind(harness.server) as (type: unknown, callback: unknown) => void;
    const off = harness.server.off.bind(harness.server) as (
      type: unknown,
      callback?: unknown,
    ) => void;
    assert.throws(() => on("connect", "not a function"), (e: BusinessError) => e.code === 401);
    assert.throws(() => on(5, () => {}), (e: BusinessError) => e.code === 401);
    assert.throws(() => off("close", 5), (e: BusinessError) => e.code === 401);
    await peer.send("still open");
    assert.equal(await peer.next("echo after 401s"), "still open");
    await peer.close();
    await within(peer.closed, "close");
  } finally {
    await harness.stop();
  }
});

Deno.test("2302006: send and close on an unknown connection, on one that has closed, and on a stopped server", async () => {
  const harness = await startServer();
  const stranger = { clientIP: "127.0.0.1", clientPort: 1 };
  try {
    await rejectsWith(harness.server.send("x", stranger), 2302006, "send to unknown");
    await rejectsWith(harness.server.close(stranger), 2302006, "close unknown");
    const peer = await connectWs(harness.url);
    const connection = await harness.connects.next("connect");
    await peer.close();
    await within(peer.closed, "client close");
    await harness.closes.next("server close event");
    await rejectsWith(harness.server.send("x", connection), 2302006, "send to closed");
    await rejectsWith(harness.server.close(connection), 2302006, "close closed");
  } finally {
    await harness.stop();
  }
  await rejectsWith(harness.server.send("x", stranger), 2302006, "send on a stopped server");
});

Deno.test("start on a running server fails with 2302999 and the first listener keeps serving; stop on a stopped server fails with 2302999", async () => {
  const harness = await startServer();
  try {
    await rejectsWith(
      harness.server.start({ serverIP: "127.0.0.1", serverPort: 0 }),
      2302999,
      "second start",
    );
    const peer = await connectWs(harness.url);
    await peer.send("after second start");
    assert.equal(await peer.next("echo"), "after second start");
    await peer.close();
    await within(peer.closed, "close");
  } finally {
    await harness.stop();
  }
  await rejectsWith(harness.server.stop(), 2302999, "stop when stopped");
});

// --------------------------------------------------------- hostile clients

/** A raw client that completed the upgrade, and the server's connection for it. */
async function upgradedRaw(harness: Harness): Promise<RawClient> {
  const raw = await RawClient.connect(harness.port);
  await raw.upgrade(harness.port);
  await harness.connects.next("raw client connect");
  return raw;
}

Deno.test("hostile: an unmasked client frame is answered with close 1002 and reported as close 1002", async () => {
  const harness = await startServer();
  const raw = await upgradedRaw(harness);
  try {
    await raw.write(clientFrame(0x1, "no mask", { masked: false }));
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0x8);
    assert.equal(closeOf(frame).code, 1002);
    assert.ok(await raw.ended(), "server ends TCP after the close frame");
    raw.close();
    const closed = await harness.closes.next("server close event");
    assert.equal(closed.result.code, 1002);
    assert.equal((await harness.errors.next("protocol error event")).code, 2302999);
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("hostile: invalid UTF-8 in a text message is answered with close 1007", async () => {
  const harness = await startServer();
  const raw = await upgradedRaw(harness);
  try {
    await raw.write(clientFrame(0x1, new Uint8Array([0x68, 0xc3, 0x28])));
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0x8);
    assert.equal(closeOf(frame).code, 1007);
    raw.close();
    assert.equal((await harness.closes.next("server close event")).result.code, 1007);
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("hostile: a message over maxMessageSize is answered with close 1009 before its payload is buffered", async () => {
  const harness = await startServer({ maxMessageSize: 1024 });
  const raw = await upgradedRaw(harness);
  try {
    // Only the header announcing 10 MiB is sent: the server must refuse on the length alone.
    await raw.write(
      clientFrame(0x2, new Uint8Array(0), { declaredLength: 10 * 1024 * 1024 }),
    );
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0x8);
    assert.equal(closeOf(frame).code, 1009);
    raw.close();
    assert.equal((await harness.closes.next("server close event")).result.code, 1009);
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("hostile: garbage instead of an upgrade request gets HTTP 400 with a plain-text reason, and the server keeps serving others", async () => {
  const harness = await startServer();
  const raw = await RawClient.connect(harness.port);
  try {
    await raw.write("\x16\x03\x01\x00garbage that is no HTTP\r\n\r\n");
    const answer = await raw.readAnswer();
    assert.equal(answer.status, 400);
    assert.match(answer.headers["content-type"], /^text\/plain/);
    assert.match(await raw.readToEnd(), /400 Bad Request: /);
    const peer = await connectWs(harness.url);
    await peer.send("after garbage");
    assert.equal(await peer.next("echo after garbage"), "after garbage");
    await peer.close();
    await within(peer.closed, "close");
    assert.equal(harness.connects.items.length, 1);
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("handshake refusals: POST, HTTP/1.0, no Upgrade, a key that is not 16 bytes get 400; Sec-WebSocket-Version 8 or none gets 426 naming version 13", async () => {
  const harness = await startServer();
  try {
    const cases: [string, string, number][] = [
      ["POST", upgradeRequest(harness.port).replace("GET", "POST"), 400],
      ["HTTP/1.0", upgradeRequest(harness.port).replace("HTTP/1.1", "HTTP/1.0"), 400],
      ["no Upgrade", upgradeRequest(harness.port, { upgrade: null }), 400],
      ["short key", upgradeRequest(harness.port, { "sec-websocket-key": "c2hvcnQ=" }), 400],
      ["version 8", upgradeRequest(harness.port, { "sec-websocket-version": "8" }), 426],
      ["no version", upgradeRequest(harness.port, { "sec-websocket-version": null }), 426],
    ];
    for (const [name, request, status] of cases) {
      const raw = await RawClient.connect(harness.port);
      try {
        await raw.write(request);
        const answer = await raw.readAnswer();
        assert.equal(answer.status, status, name);
        if (status === 426) assert.equal(answer.headers["sec-websocket-version"], "13", name);
        assert.ok(await raw.ended(), `${name}: connection ends after the refusal`);
      } finally {
        raw.close();
      }
    }
    assert.equal(harness.connects.items.length, 0);
  } finally {
    await harness.stop();
  }
});

Deno.test("slow-loris: a client that sends no complete request within handshakeTimeoutMs is dropped while another client is served", async () => {
  const harness = await startServer({ handshakeTimeoutMs: 300 });
  const slow = await RawClient.connect(harness.port);
  try {
    const started = Date.now();
    await slow.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    const peer = await connectWs(harness.url);
    await peer.send("served meanwhile");
    assert.equal(await peer.next("echo during slow-loris"), "served meanwhile");
    assert.ok(await slow.ended(), "the slow client is dropped");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2500, `dropped after ${elapsed} ms`);
    await peer.close();
    await within(peer.closed, "close");
  } finally {
    slow.close();
    await harness.stop();
  }
});

Deno.test("ping: a client's ping is answered with a pong carrying the same payload", async () => {
  const harness = await startServer();
  const raw = await upgradedRaw(harness);
  try {
    await raw.write(clientFrame(0x9, "are you there"));
    const frame = await raw.readFrame();
    assert.equal(frame.opcode, 0xa);
    assert.equal(new TextDecoder().decode(frame.payload), "are you there");
  } finally {
    raw.close();
    await harness.closes.next("server close event");
    await harness.stop();
  }
});

Deno.test("a client that vanishes without a close frame is reported by the close event as 1006 and removed from listAllConnections", async () => {
  const harness = await startServer();
  const raw = await upgradedRaw(harness);
  raw.close();
  try {
    const closed = await harness.closes.next("server close event");
    assert.equal(closed.result.code, 1006);
    assert.deepEqual(harness.server.listAllConnections(), []);
  } finally {
    await harness.stop();
  }
});

// ------------------------------------------------------------------- stop

Deno.test("stop() with 100 connected clients closes every one with 1001 'server is going away', reports 100 close events, and frees the port for an immediate new start", async () => {
  const harness = await startServer({
    maxConcurrentClientsNumber: 100,
    maxConnectionsForOneClient: 100,
    allowMoreThanPlatformLimit: true,
  });
  const peers = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) => i % 2 === 0 ? connectWs(harness.url) : connectOurClient(harness.url),
    ),
  );
  assert.equal(harness.server.listAllConnections().length, 100);
  assert.equal(await within(harness.server.stop(), "stop with 100 clients", 8000), true);
  const seen = await within(Promise.all(peers.map((p) => p.closed)), "100 client closes");
  for (const close of seen) assert.deepEqual(close, { code: 1001, reason: "server is going away" });
  assert.equal(harness.closes.items.length, 100);
  for (const { result } of harness.closes.items) assert.equal(result.code, 1001);
  assert.deepEqual(harness.server.listAllConnections(), []);
  const again = webSocket.createWebSocketServer();
  assert.equal(await again.start({ serverIP: "127.0.0.1", serverPort: harness.port }), true);
  assert.equal(await again.stop(), true);
});

Deno.test("stop(): a client that never answers the close frame is cut after closeTimeoutMs and reported as 1006", async () => {
  const harness = await startServer({ closeTimeoutMs: 300 });
  const raw = await upgradedRaw(harness);
  try {
    const started = Date.now();
    const stopped = harness.server.stop();
    const frame = await raw.readFrame();
    assert.deepEqual(closeOf(frame), { code: 1001, reason: "server is going away" });
    assert.equal(await within(stopped, "stop bounded by closeTimeoutMs"), true);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 2500, `stop took ${elapsed} ms`);
    assert.equal((await harness.closes.next("server close event")).result.code, 1006);
    assert.ok(await raw.ended(), "the silent client's TCP is closed");
  } finally {
    raw.close();
  }
});

// ------------------------------------------------ resource limits (review)

Deno.test("401: handshakeTimeoutMs, closeTimeoutMs, pingIntervalMs or pongTimeoutMs above 2^31-1 ms or below their minimum, and a maxBufferedBytes that is not a number > 0, reject start with 401 instead of misbehaving", async () => {
  const server = webSocket.createWebSocketServer();
  const bad: unknown[] = [
    { serverPort: 0, handshakeTimeoutMs: 2 ** 31 },
    { serverPort: 0, closeTimeoutMs: 2 ** 31 },
    { serverPort: 0, closeTimeoutMs: 0 },
    { serverPort: 0, pingIntervalMs: -1 },
    { serverPort: 0, pingIntervalMs: 2 ** 31 },
    { serverPort: 0, pingIntervalMs: "20000" },
    { serverPort: 0, pongTimeoutMs: 0 },
    { serverPort: 0, pongTimeoutMs: NaN },
    { serverPort: 0, maxBufferedBytes: 0 },
    { serverPort: 0, maxBufferedBytes: "1" },
    { serverPort: 0, maxBufferedBytes: Infinity },
  ];
  for (const config of bad) {
    await rejectsWith(
      server.start(config as WebSocketServerConfig),
      401,
      `start(${JSON.stringify(config)})`,
    );
  }
});

Deno.test("maxBufferedBytes: with a client that never reads, send fails with 2302999 'send buffer full' at the limit, and pongs pushing it past limit + 1 MiB drop it (close event 1006, 'stopped reading')", async () => {
  const limit = 1024 * 1024;
  const harness = await startServer({ maxBufferedBytes: limit });
  const raw = await upgradedRaw(harness);
  const [connection] = harness.server.listAllConnections();
  const pending: Promise<unknown>[] = [];
  try {
    // The raw client never reads: once the kernel's buffers are full, writes stay queued.
    const chunk = new Uint8Array(256 * 1024);
    let refused: BusinessError | undefined;
    for (let i = 0; i < 400 && refused === undefined; i++) {
      const sent = harness.server.send(chunk, connection);
      pending.push(sent.catch(() => {}));
      try {
        // A refusal is already settled; a queued send is not.
        await Promise.race([sent, "queued"]);
      } catch (error) {
        refused = error as BusinessError;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.ok(refused !== undefined, "send was never refused");
    assert.equal(refused.code, 2302999);
    assert.match(refused.message, /send buffer full/);
    assert.deepEqual(harness.server.listAllConnections(), [connection], "still connected");
    // Pings make the server queue pongs (127 bytes each) on top: 20000 are about 2.4 MiB.
    const ping = clientFrame(0x9, "p".repeat(125));
    const pings = new Uint8Array(ping.length * 20_000);
    for (let i = 0; i < 20_000; i++) pings.set(ping, i * ping.length);
    // The server drops the socket while this is being written; a reset is expected.
    await within(raw.write(pings).catch(() => {}), "write pings");
    const closed = await harness.closes.next("close event of the dropped client");
    assert.ok([1006, 1008].includes(closed.result.code), `close code ${closed.result.code}`);
    assert.match(closed.result.reason, /stopped reading/);
    assert.deepEqual(harness.server.listAllConnections(), []);
    await within(Promise.all(pending), "queued sends settle once the client is dropped");
  } finally {
    raw.close();
    await harness.stop();
  }
});

Deno.test("handshake cap: idle sockets from one IP beyond 2 × maxConnectionsForOneClient + 4 are closed at once, and a well-behaved client from 127.0.0.2 still connects and echoes", async () => {
  const harness = await startServer({
    maxConcurrentClientsNumber: 2,
    maxConnectionsForOneClient: 1,
    handshakeTimeoutMs: 2500,
  });
  const idle: RawClient[] = [];
  try {
    const started = Date.now();
    for (let i = 0; i < 30; i++) idle.push(await RawClient.connect(harness.port));
    const peer = await connectWs(harness.url, { localAddress: "127.0.0.2" });
    await peer.send("through the crowd");
    assert.equal(await peer.next("echo despite idle sockets"), "through the crowd");
    await peer.close();
    await within(peer.closed, "close");
    // Kept sockets end by the handshake timeout (2.5 s); the rest were closed on accept.
    const endedAfter = await Promise.all(
      idle.map(async (raw) => {
        assert.ok(await raw.ended(), "idle socket ends");
        return Date.now() - started;
      }),
    );
    const atOnce = endedAfter.filter((ms) => ms < 1500).length;
    const kept = endedAfter.filter((ms) => ms >= 2000).length;
    assert.equal(kept, 2 * 1 + 4, `kept until the handshake timeout: ${endedAfter}`);
    assert.equal(atOnce, 30 - kept, `closed at once: ${endedAfter}`);
  } finally {
    for (const raw of idle) raw.close();
    await harness.stop();
  }
});

Deno.test("stop(): a listener whose finished promise rejects still leaves the server stopped (stop resolves true, an error event reports it) so it can start again", async () => {
  let failing = true;
  const listen = (): Promise<StreamListener> => {
    const shouldFail = failing;
    let settle!: () => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = () => shouldFail ? reject(new Error("accept loop crashed")) : resolve();
    });
    return Promise.resolve({
      address: { hostname: "127.0.0.1", port: 1 },
      startAccepting() {},
      close: () => settle(),
      finished,
    });
  };
  const server = new WebSocketServerImpl(listen);
  const errors: BusinessError[] = [];
  server.on("error", (error) => errors.push(error));
  assert.equal(await within(server.start({ serverPort: 0 }), "start"), true);
  assert.equal(await within(server.stop(), "stop despite a rejected finished"), true);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /accept loop crashed/);
  assert.equal(server.address(), undefined);
  failing = false;
  assert.equal(await within(server.start({ serverPort: 0 }), "start again"), true);
  assert.equal(await within(server.stop(), "second stop"), true);
});

Deno.test("keep-alive rule: accepted sockets get TCP keep-alive only when the heartbeat is off (with it on, the heartbeat finds dead peers and keep-alive would cost system calls per connection)", async () => {
  const asked: (boolean | undefined)[] = [];
  const listen = (options: ListenOptions): Promise<StreamListener> => {
    asked.push(options.keepAlive);
    return Promise.resolve({
      address: { hostname: "127.0.0.1", port: 1 },
      startAccepting() {},
      close() {},
      finished: Promise.resolve(),
    });
  };
  for (const config of [{ serverPort: 0 }, { serverPort: 0, pingIntervalMs: 0 }]) {
    const server = new WebSocketServerImpl(listen);
    assert.equal(await within(server.start(config), "start"), true);
    assert.equal(await within(server.stop(), "stop"), true);
  }
  assert.deepEqual(asked, [false, true]);
});
