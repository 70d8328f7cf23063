/**
 * End-to-end tests of the client's connect options and events
 * (/work/shared/spec/ohos-websocket.md sections 3-5): TLS (`caPath`, `clientCert`,
 * `skipServerCertVerification`, `minSupportTlsProtocol`), proxies (explicit `HttpProxy`,
 * `exclusionList`, `'system'`, `'no-proxy'`), subprotocols, `headerReceive` / `openInfo` /
 * `dataEnd` and the event order, the ArkTS 1.2 per-event methods, the heartbeat, the origin
 * header, and the size limits. Only loopback addresses are used; every wait is bounded; the
 * sanitizers stay on.
 *
 * Servers: `Deno.serve` (+ `Deno.upgradeWebSocket`) for ws/wss, raw `Deno.listen` servers that
 * answer the handshake by hand, and `node:tls` servers (Deno cannot ask for client
 * certificates nor cap the TLS version) that answer the handshake by hand.
 *
 * Tests marked "[node transport]" need the node:tls transport (src/transport/node_stream.ts,
 * picked by `defaultConnector(options)`) because Deno's own TLS API lacks the feature:
 * skipServerCertVerification, minSupportTlsProtocol, clientCert.keyPassword, and a client
 * certificate inside a proxy tunnel. Without that transport they fail with "need the
 * node:net/node:tls transport".
 *
 * Error codes a client raises in these areas, and where each is tested:
 *
 * | code    | file                       | tests                                              |
 * |---------|----------------------------|----------------------------------------------------|
 * | 401     | here, tests/client_test.ts | invalid subprotocol; send over the size limit      |
 * |         |                            | (both); bad options/headers/close args (client)    |
 * | 2302001 | tests/client_test.ts, here | bad scheme/URL/fragment/length; here: wss URL      |
 * | 2302002 | here                       | caPath, clientCert.certPath / keyPath missing      |
 * | 2302003 | tests/client_test.ts       | second connect while connecting / open             |
 * | -1      | here, tests/client_test.ts | TLS failures, proxy 407/403/garbage, unoffered     |
 * |         |                            | subprotocol; refused, 404, bad accept, send early  |
 * | 2302999 | tests/client_test.ts, here | close twice / before connect; here: missed pong    |
 */
import assert from "node:assert/strict";
import * as nodeTls from "node:tls";
import webSocket, { BusinessError, TlsProtocol } from "../mod.ts";
import type {
  CloseResult,
  OpenResult,
  ResponseHeaders,
  WebSocket as OhosWebSocket,
  WebSocketOpenInfo,
  WebSocketRequestOptions,
} from "../mod.ts";
import { acceptKey } from "../src/protocol/handshake.ts";
import {
  ClientFrameReader,
  Queue,
  readRequestHead,
  serverFrame,
  startRawServer,
  within,
  writeAll,
} from "./helpers/deno_server.ts";
import { CLIENT_KEY_PASSWORD, getTestCerts, type TestCerts } from "./helpers/certs.ts";
import { type ConnectProxy, startConnectProxy } from "./helpers/connect_proxy.ts";
import { sha1Base64 } from "../src/transport/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

// ------------------------------------------------------------------ client side

/** Records every event of a client, in order. */
class Events {
  readonly log: string[] = [];
  readonly opens = new Queue<OpenResult>();
  readonly messages = new Queue<string | ArrayBuffer>();
  readonly closes = new Queue<CloseResult>();
  readonly errors = new Queue<unknown>();
  readonly headers = new Queue<ResponseHeaders>();
  readonly openInfos = new Queue<WebSocketOpenInfo>();
  dataEnds = 0;

  constructor(ws: OhosWebSocket) {
    ws.on("headerReceive", (headers) => {
      this.log.push("headerReceive");
      this.headers.push(headers);
    });
    ws.on("open", (_err, value) => {
      this.log.push("open");
      this.opens.push(value);
    });
    ws.on("openInfo", (err, info) => {
      assert.equal(err, undefined, "openInfo is an AsyncCallback called (undefined, info)");
      this.log.push("openInfo");
      this.openInfos.push(info);
    });
    ws.on("message", (_err, value) => {
      this.log.push("message");
      this.messages.push(value);
    });
    ws.on("dataEnd", () => {
      this.log.push("dataEnd");
      this.dataEnds++;
    });
    ws.on("close", (_err, value) => {
      this.log.push("close");
      this.closes.push(value);
    });
    ws.on("error", (err) => {
      this.log.push("error");
      this.errors.push(err);
    });
  }
}

function newClient(): { ws: OhosWebSocket; ev: Events } {
  const ws = webSocket.createWebSocket();
  return { ws, ev: new Events(ws) };
}

/** Connects and checks that the promise resolved `true` after `open`. */
async function openClient(url: string, options: WebSocketRequestOptions = {}, ms = 5000) {
  const client = newClient();
  const outcome = await within(
    client.ws.connect(url, options).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    `connect ${url}`,
    ms,
  );
  if ("error" in outcome) {
    const e = outcome.error as BusinessError<unknown>;
    throw new Error(`connect ${url} failed: ${e?.code} ${e?.message}`);
  }
  assert.equal(outcome.value, true);
  assert.ok(client.ev.log.includes("open"), "'open' fired before connect resolved");
  return client;
}

type Attempt = { ws: OhosWebSocket; ev: Events; error?: unknown };

/** Connects and reports the outcome without asserting it (see {@linkcode opened}). */
async function attempt_(url: string, options: WebSocketRequestOptions): Promise<Attempt> {
  const { ws, ev } = newClient();
  const error = await within(
    ws.connect(url, options).then(() => undefined, (e: unknown) => e ?? new Error("rejected")),
    `connect ${url}`,
    5000,
  );
  return { ws, ev, error };
}

/** Asserts that an {@linkcode attempt_} opened. */
function opened(attempt: Attempt): { ws: OhosWebSocket; ev: Events } {
  if (attempt.error !== undefined) {
    const e = attempt.error as BusinessError<unknown>;
    throw new Error(`connect failed: ${e?.code} ${e?.message}`);
  }
  assert.ok(attempt.ev.log.includes("open"));
  return attempt;
}

/** Closes with code 1000 and waits for the close event. */
async function closeClient(ws: OhosWebSocket, ev: Events): Promise<CloseResult> {
  assert.equal(await within(ws.close(), "close()"), true);
  return await ev.closes.next("close event", 5000);
}

/** Asserts `err` is a BusinessError with `code` that JSON-serialises with code and message. */
function assertBusinessError(err: unknown, code: number, label: string): BusinessError<unknown> {
  assert.ok(err instanceof BusinessError, `${label}: expected a BusinessError, got ${err}`);
  assert.equal(err.code, code, `${label}: code (message: ${err.message})`);
  const json = JSON.parse(JSON.stringify(err));
  assert.equal(json.code, code, `${label}: JSON shows the code`);
  assert.ok(typeof json.message === "string" && json.message.length > 0, `${label}: message`);
  return err;
}

/**
 * Connects expecting failure with `code`: the promise rejects, the `error` event carries the
 * same error (for failures after argument checks), and no `open` / `close` event fires.
 */
async function connectFails(
  url: string,
  options: WebSocketRequestOptions,
  code: number,
  label: string,
  message?: RegExp,
): Promise<BusinessError<unknown>> {
  const { ws, ev } = newClient();
  const outcome = await within(
    ws.connect(url, options).then((value) => ({ value }), (error: unknown) => ({ error })),
    label,
    5000,
  );
  if (!("error" in outcome)) {
    // Unexpectedly open: close it so the failure leaves nothing behind.
    await within(ws.close(), `${label}: close`).catch(() => {});
    await ev.closes.next(`${label}: close event`, 5000).catch(() => {});
    assert.fail(`${label}: expected a rejection, got ${JSON.stringify(outcome)}`);
  }
  const err = assertBusinessError(outcome.error, code, label);
  if (message !== undefined) assert.match(err.message, message, `${label}: message`);
  // Let any stray event arrive before checking there was none.
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!ev.log.includes("open"), `${label}: no 'open' (log: ${ev.log})`);
  assert.ok(!ev.log.includes("close"), `${label}: no 'close' (log: ${ev.log})`);
  if (code !== 401 && code !== 2302001) {
    assert.equal(ev.errors.items.length, 1, `${label}: one 'error' event`);
    assert.equal(ev.errors.items[0], err, `${label}: the 'error' event has the same error`);
  }
  return err;
}

/** Same as {@linkcode connectFails} through the callback form. */
async function connectFailsViaCallback(
  url: string,
  options: WebSocketRequestOptions,
  code: number,
  label: string,
): Promise<void> {
  const ws = webSocket.createWebSocket();
  const [err, data] = await within(
    new Promise<[unknown, unknown]>((resolve) => {
      ws.connect(url, options, (e, d) => resolve([e, d]));
    }),
    label,
    5000,
  );
  assertBusinessError(err, code, label);
  assert.equal(data, undefined, `${label}: no data with an error`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------- Deno.serve servers

interface WsServer {
  port: number;
  /** Upgrade requests seen (headers copied). */
  requests: Queue<Headers>;
  messages: Queue<string | ArrayBuffer>;
  closes: Queue<number>;
  shutdown(): Promise<void>;
}

interface WsServerOptions {
  /** PEM certificate and key: serve wss. */
  tls?: { cert: string; key: string };
  /** Subprotocol to pick (passed to `Deno.upgradeWebSocket`). */
  protocol?: string;
  onOpen?: (socket: WebSocket) => void;
}

/** A `Deno.serve` echo server (ws, or wss with `tls`) on 127.0.0.1 port 0. */
function startWsServer(options: WsServerOptions = {}): WsServer {
  const requests = new Queue<Headers>();
  const messages = new Queue<string | ArrayBuffer>();
  const closes = new Queue<number>();
  const sockets = new Set<WebSocket>();
  const handler = (request: Request) => {
    requests.push(new Headers(request.headers));
    const { socket, response } = Deno.upgradeWebSocket(
      request,
      options.protocol === undefined ? {} : { protocol: options.protocol },
    );
    socket.binaryType = "arraybuffer";
    sockets.add(socket);
    socket.onopen = () => options.onOpen?.(socket);
    socket.onmessage = (event) => {
      messages.push(event.data);
      socket.send(event.data);
    };
    socket.onclose = (event) => {
      sockets.delete(socket);
      closes.push(event.code);
    };
    socket.onerror = () => {};
    return response;
  };
  const base = { hostname: "127.0.0.1", port: 0, onListen() {}, onError: () => new Response() };
  const server = options.tls === undefined
    ? Deno.serve(base, handler)
    : Deno.serve({ ...base, cert: options.tls.cert, key: options.tls.key }, handler);
  return {
    port: server.addr.port,
    requests,
    messages,
    closes,
    async shutdown() {
      for (const socket of sockets) socket.close();
      await within(server.shutdown(), "Deno.serve shutdown");
    },
  };
}

// ------------------------------------------------------------- raw Deno servers

/** Reads the request head and answers 101 with the right accept key plus `extra` lines. */
async function answerHandshake(
  conn: Deno.Conn,
  extra: string[] = [],
  after: Uint8Array = new Uint8Array(0),
): Promise<string> {
  const head = await readRequestHead(conn);
  const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head)?.[1];
  if (key === undefined) throw new Error("no sec-websocket-key in request");
  const response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    `Connection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n` +
    extra.map((line) => `${line}\r\n`).join("") + "\r\n";
  const bytes = encoder.encode(response);
  const all = new Uint8Array(bytes.length + after.length);
  all.set(bytes);
  all.set(after, bytes.length);
  await writeAll(conn, all);
  return head;
}

/**
 * Reads client frames until EOF or a close frame (which it echoes, then ends TCP).
 * `onFrame` sees every frame first; pings are answered with identical pongs when `pong`.
 */
async function serveFrames(
  conn: Deno.Conn,
  options: { pong: boolean; onFrame?: (opcode: number, payload: Uint8Array) => void },
): Promise<void> {
  const reader = new ClientFrameReader(conn);
  try {
    while (true) {
      let frame;
      try {
        frame = await reader.next();
      } catch {
        return; // EOF or reset
      }
      options.onFrame?.(frame.opcode, frame.payload);
      if (frame.opcode === OP_PING && options.pong) {
        await writeAll(conn, serverFrame(OP_PONG, frame.payload));
      } else if (frame.opcode === OP_CLOSE) {
        await writeAll(conn, serverFrame(OP_CLOSE, frame.payload.slice(0, 2))).catch(() => {});
        return;
      }
    }
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

// ------------------------------------------------------------- node:tls servers

interface NodeTlsSeen {
  authorized: boolean;
  protocol: string | null;
  peerCN: string | undefined;
}

interface NodeWssServer {
  port: number;
  /** Connections that completed the TLS handshake. */
  secured: Queue<NodeTlsSeen>;
  /** TLS handshakes that failed on the server side. */
  clientErrors: Queue<string>;
  /** Upgrade request heads. */
  requests: Queue<string>;
  stop(): Promise<void>;
}

/** Parses masked client frames from `buffer`; returns them and the unparsed rest. */
function parseClientFrames(
  buffer: Uint8Array,
): { frames: { opcode: number; payload: Uint8Array }[]; rest: Uint8Array } {
  const frames: { opcode: number; payload: Uint8Array }[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const opcode = buffer[offset] & 0x0f;
    const masked = (buffer[offset + 1] & 0x80) !== 0;
    let length = buffer[offset + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - offset < 4) break;
      length = (buffer[offset + 2] << 8) | buffer[offset + 3];
      header = 4;
    } else if (length === 127) {
      if (buffer.length - offset < 10) break;
      length = Number(
        new DataView(buffer.buffer, buffer.byteOffset + offset + 2, 8).getBigUint64(0),
      );
      header = 10;
    }
    const maskAt = offset + header;
    const start = maskAt + (masked ? 4 : 0);
    if (buffer.length < start + length) break;
    const payload = buffer.slice(start, start + length);
    if (masked) { for (let i = 0; i < payload.length; i++) payload[i] ^= buffer[maskAt + (i & 3)]; }
    frames.push({ opcode, payload });
    offset = start + length;
  }
  return { frames, rest: buffer.slice(offset) };
}

/**
 * A `node:tls` server on 127.0.0.1 port 0 that completes the WebSocket handshake by hand,
 * echoes text/binary frames, and answers a close frame then ends the connection.
 */
async function startNodeWss(options: nodeTls.TlsOptions): Promise<NodeWssServer> {
  const secured = new Queue<NodeTlsSeen>();
  const clientErrors = new Queue<string>();
  const requests = new Queue<string>();
  const sockets = new Set<nodeTls.TLSSocket>();
  const server = nodeTls.createServer(options, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const peer = socket.getPeerCertificate();
    secured.push({
      authorized: socket.authorized,
      protocol: socket.getProtocol(),
      peerCN: peer?.subject?.CN,
    });
    let buffer: Uint8Array = new Uint8Array(0);
    let upgraded = false;
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      if (!upgraded) {
        const text = decoder.decode(buffer);
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        requests.push(text.slice(0, end));
        const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(text)?.[1] ?? "";
        socket.write(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            `Sec-WebSocket-Accept: ${acceptKey(key, sha1Base64)}\r\n\r\n`,
        );
        upgraded = true;
        buffer = buffer.slice(end + 4);
      }
      const { frames, rest } = parseClientFrames(buffer);
      buffer = rest;
      for (const frame of frames) {
        if (frame.opcode === OP_TEXT || frame.opcode === OP_BINARY) {
          socket.write(serverFrame(frame.opcode, frame.payload.slice(0, 125)));
        } else if (frame.opcode === OP_PING) {
          socket.write(serverFrame(OP_PONG, frame.payload));
        } else if (frame.opcode === OP_CLOSE) {
          socket.end(serverFrame(OP_CLOSE, frame.payload.slice(0, 2)));
        }
      }
    });
  });
  server.on("tlsClientError", (error: Error) => clientErrors.push(error.message));
  await within(
    new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)),
    "node:tls listen",
  );
  const port = (server.address() as { port: number }).port;
  return {
    port,
    secured,
    clientErrors,
    requests,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await within(
        new Promise<void>((resolve) => server.close(() => resolve())),
        "node:tls server close",
      );
    },
  };
}

/** node:tls options of a server presenting the localhost certificate. */
function localhostServerTls(certs: TestCerts): nodeTls.TlsOptions {
  return { cert: certs.serverCertPem, key: certs.serverKeyPem };
}

/** node:tls options of a server that requires a client certificate signed by the test CA. */
function mutualTls(certs: TestCerts): nodeTls.TlsOptions {
  return {
    ...localhostServerTls(certs),
    ca: certs.caPem,
    requestCert: true,
    rejectUnauthorized: true,
  };
}

// ------------------------------------------------------------------ env helpers

const PROXY_VARS = [
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  "no_proxy",
  "NO_PROXY",
];

/** Runs `body` with exactly `vars` among the proxy variables set; restores them after. */
async function withProxyEnv(
  vars: Record<string, string>,
  body: () => Promise<void>,
): Promise<void> {
  const saved = new Map(PROXY_VARS.map((name) => [name, Deno.env.get(name)]));
  try {
    for (const name of PROXY_VARS) {
      if (name in vars) Deno.env.set(name, vars[name]);
      else Deno.env.delete(name);
    }
    await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  }
}

/** An explicit `HttpProxy` option for `proxy`. */
function viaProxy(
  proxy: ConnectProxy,
  extra: { username?: string; password?: string; exclusionList?: string[] } = {},
): WebSocketRequestOptions["proxy"] {
  return { host: proxy.hostname, port: proxy.port, exclusionList: [], ...extra };
}

// ====================================================================== TLS: wss

Deno.test("wss caPath: a server certificate signed by the CA in caPath opens (wss://localhost and wss://127.0.0.1), echo works", async () => {
  const certs = await getTestCerts();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  try {
    for (const host of ["localhost", "127.0.0.1"]) {
      const { ws, ev } = await openClient(`wss://${host}:${server.port}/`, {
        caPath: certs.caPath,
      });
      assert.deepEqual(await ev.opens.next("open"), {
        status: 101,
        message: "Switching Protocols",
      });
      assert.equal(await within(ws.send(`hello over tls ${host}`), "send"), true);
      assert.equal(await ev.messages.next("echo"), `hello over tls ${host}`);
      assert.equal((await closeClient(ws, ev)).code, 1000);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("wss untrusted: without caPath a certificate from an unknown CA fails connect with -1 (promise and callback), 'error' fires, no 'open'", async () => {
  const certs = await getTestCerts();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  try {
    const url = `wss://localhost:${server.port}/`;
    const err = await connectFails(url, {}, -1, "no caPath");
    assert.match(err.message, /certificate|issuer/i, "the message names the certificate problem");
    await connectFailsViaCallback(url, {}, -1, "no caPath (callback)");
    assert.equal(server.requests.items.length, 0, "no upgrade request reached the server");
  } finally {
    await server.shutdown();
  }
});

Deno.test("wss skipServerCertVerification: true opens against an untrusted certificate and against a wrong-name certificate [node transport]", async () => {
  const certs = await getTestCerts();
  const untrusted = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  const wrongName = startWsServer({ tls: { cert: certs.wrongCertPem, key: certs.wrongKeyPem } });
  try {
    for (const [label, port] of [["untrusted", untrusted.port], ["wrong name", wrongName.port]]) {
      const { ws, ev } = await openClient(`wss://localhost:${port}/`, {
        skipServerCertVerification: true,
      });
      assert.equal(await within(ws.send(`skip ${label}`), "send"), true);
      assert.equal(await ev.messages.next("echo"), `skip ${label}`);
      assert.equal((await closeClient(ws, ev)).code, 1000);
    }
  } finally {
    await untrusted.shutdown();
    await wrongName.shutdown();
  }
});

Deno.test("wss wrong hostname: a CA-signed certificate for wrong.example only fails wss://localhost with -1 even with caPath", async () => {
  const certs = await getTestCerts();
  const server = startWsServer({ tls: { cert: certs.wrongCertPem, key: certs.wrongKeyPem } });
  try {
    const url = `wss://localhost:${server.port}/`;
    const err = await connectFails(url, { caPath: certs.caPath }, -1, "wrong name, caPath");
    assert.match(err.message, /certificate|name/i, "the message names the certificate problem");
    await connectFails(
      `wss://127.0.0.1:${server.port}/`,
      { caPath: certs.caPath },
      -1,
      "wrong name, IP URL",
    );
    await connectFails(
      url,
      { caPath: certs.caPath, skipServerCertVerification: false },
      -1,
      "wrong name, skip explicitly false",
    );
    assert.equal(server.requests.items.length, 0, "no upgrade request reached the server");
  } finally {
    await server.shutdown();
  }
});

Deno.test("wss caPath naming a missing file -> 2302002 (promise and callback) before any connection is made", async () => {
  const certs = await getTestCerts();
  let accepted = 0;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        conn.close();
      }
    } catch {
      // closed
    }
  })();
  try {
    const url = `wss://localhost:${port}/`;
    const err = await connectFails(url, { caPath: certs.missingPath }, 2302002, "caPath");
    assert.ok(err.message.includes(certs.missingPath), `message names the path: ${err.message}`);
    await connectFailsViaCallback(url, { caPath: certs.missingPath }, 2302002, "caPath (cb)");
    await connectFails(url, { caPath: certs.dir }, 2302002, "caPath is a directory");
    assert.equal(accepted, 0, "no TCP connection was attempted");
  } finally {
    listener.close();
    await accepting;
  }
});

Deno.test("wss clientCert with a missing certPath or keyPath -> 2302002 (promise and callback)", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const url = `wss://localhost:${server.port}/`;
    const missingCert = {
      caPath: certs.caPath,
      clientCert: { certPath: certs.missingPath, keyPath: certs.clientKeyPath },
    };
    const missingKey = {
      caPath: certs.caPath,
      clientCert: { certPath: certs.clientCertPath, keyPath: certs.missingPath },
    };
    await connectFails(url, missingCert, 2302002, "certPath missing");
    await connectFailsViaCallback(url, missingCert, 2302002, "certPath missing (cb)");
    await connectFails(url, missingKey, 2302002, "keyPath missing");
    await connectFailsViaCallback(url, missingKey, 2302002, "keyPath missing (cb)");
    assert.equal(server.secured.items.length, 0, "no TLS connection reached the server");
  } finally {
    await server.stop();
  }
});

// ============================================================== TLS: mutual

Deno.test("mutual TLS: with clientCert (certPath + keyPath signed by the CA) the connection opens; the server sees an authorized client certificate", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const { ws, ev } = await openClient(`wss://localhost:${server.port}/`, {
      caPath: certs.caPath,
      clientCert: { certPath: certs.clientCertPath, keyPath: certs.clientKeyPath },
    });
    const seen = await server.secured.next("server TLS connection");
    assert.equal(seen.authorized, true);
    assert.equal(seen.peerCN, "ohos-ws test client");
    assert.equal(await within(ws.send("mtls"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "mtls");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.stop();
  }
});

Deno.test("mutual TLS: without clientCert a server that requires one refuses -> connect fails with -1, no 'open'", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    await connectFails(`wss://localhost:${server.port}/`, { caPath: certs.caPath }, -1, "no cert");
    assert.match(await server.clientErrors.next("server-side TLS error"), /cert/i);
    assert.equal(server.requests.items.length, 0, "no upgrade request was accepted");
  } finally {
    await server.stop();
  }
});

Deno.test("mutual TLS: an encrypted PKCS#8 key without keyPassword fails with -1 and a message about the key", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const err = await connectFails(
      `wss://localhost:${server.port}/`,
      {
        caPath: certs.caPath,
        clientCert: { certPath: certs.clientCertPath, keyPath: certs.clientEncryptedKeyPath },
      },
      -1,
      "encrypted key, no password",
    );
    assert.match(err.message, /key|decrypt|pass/i);
  } finally {
    await server.stop();
  }
});

Deno.test("mutual TLS: an encrypted PKCS#8 key with the right keyPassword opens [node transport]", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const { ws, ev } = await openClient(`wss://localhost:${server.port}/`, {
      caPath: certs.caPath,
      clientCert: {
        certPath: certs.clientCertPath,
        keyPath: certs.clientEncryptedKeyPath,
        keyPassword: CLIENT_KEY_PASSWORD,
      },
    });
    assert.equal((await server.secured.next("server TLS connection")).authorized, true);
    assert.equal(await within(ws.send("encrypted key"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "encrypted key");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.stop();
  }
});

Deno.test("mutual TLS: an encrypted key with a wrong keyPassword fails with -1 and a message about the key/password [node transport]", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const err = await connectFails(
      `wss://localhost:${server.port}/`,
      {
        caPath: certs.caPath,
        clientCert: {
          certPath: certs.clientCertPath,
          keyPath: certs.clientEncryptedKeyPath,
          keyPassword: "not-the-password",
        },
      },
      -1,
      "wrong password",
    );
    assert.match(err.message, /key|decrypt|pass/i);
    assert.doesNotMatch(err.message, /need the node/, "not the missing-transport error");
    assert.equal(server.requests.items.length, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("mutual TLS: a wrong keyPassword fails the connect (-1) even when the server only asks for a certificate; it never opens silently without one [node transport]", async () => {
  const certs = await getTestCerts();
  // Asks for a client certificate but accepts connections without one.
  const server = await startNodeWss({
    ...localhostServerTls(certs),
    ca: certs.caPem,
    requestCert: true,
    rejectUnauthorized: false,
  });
  try {
    const err = await connectFails(
      `wss://localhost:${server.port}/`,
      {
        caPath: certs.caPath,
        clientCert: {
          certPath: certs.clientCertPath,
          keyPath: certs.clientEncryptedKeyPath,
          keyPassword: "not-the-password",
        },
      },
      -1,
      "wrong password, optional client cert",
    );
    assert.match(err.message, /key|decrypt|pass/i);
    const anonymous = server.secured.items.filter((seen) => seen.peerCN === undefined);
    assert.equal(anonymous.length, 0, "no TLS session without the client certificate");
  } finally {
    await server.stop();
  }
});

// ==================================================== TLS: minSupportTlsProtocol

Deno.test("minSupportTlsProtocol TLS_V_1_3 against a server capped at TLS 1.2 -> connect fails -1 with a message about the TLS version [node transport]", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss({ ...localhostServerTls(certs), maxVersion: "TLSv1.2" });
  try {
    const err = await connectFails(
      `wss://localhost:${server.port}/`,
      { caPath: certs.caPath, minSupportTlsProtocol: TlsProtocol.TLS_V_1_3 },
      -1,
      "min 1.3 vs max 1.2",
    );
    assert.doesNotMatch(err.message, /need the node/, "not the missing-transport error");
    assert.match(err.message, /version|protocol/i);
    assert.equal(server.requests.items.length, 0);
  } finally {
    await server.stop();
  }
});

Deno.test("minSupportTlsProtocol TLS_V_1_2 against a server capped at TLS 1.2 opens with TLS 1.2 [node transport]", async () => {
  const certs = await getTestCerts();
  const server = await startNodeWss({ ...localhostServerTls(certs), maxVersion: "TLSv1.2" });
  try {
    const { ws, ev } = await openClient(`wss://localhost:${server.port}/`, {
      caPath: certs.caPath,
      minSupportTlsProtocol: TlsProtocol.TLS_V_1_2,
    });
    assert.equal((await server.secured.next("server TLS connection")).protocol, "TLSv1.2");
    assert.equal(await within(ws.send("tls12"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "tls12");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.stop();
  }
});

Deno.test("minSupportTlsProtocol: values outside TlsProtocol (4, -1, 1.5, '3') are a 401", async () => {
  for (const value of [4, -1, 1.5, "3"]) {
    await connectFails(
      "wss://localhost:1/",
      { minSupportTlsProtocol: value as unknown as TlsProtocol },
      401,
      `minSupportTlsProtocol ${JSON.stringify(value)}`,
    );
  }
});

// ==================================================================== proxy

Deno.test("proxy ws: an explicit HttpProxy gets 'CONNECT 127.0.0.1:<port>'; the tunnel count rises; the server sees the upgrade; echo works", async () => {
  const proxy = startConnectProxy();
  const server = startWsServer();
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/path`, {
      proxy: viaProxy(proxy),
    });
    assert.equal(proxy.tunnels, 1);
    assert.equal(proxy.requests.length, 1);
    assert.equal(proxy.requests[0].method, "CONNECT");
    assert.equal(proxy.requests[0].target, `127.0.0.1:${server.port}`);
    assert.equal(proxy.requests[0].authorization, undefined, "no credentials, no header");
    const headers = await server.requests.next("upgrade request at the server");
    assert.equal(headers.get("upgrade")?.toLowerCase(), "websocket");
    assert.equal(await within(ws.send("through the proxy"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "through the proxy");
    assert.equal((await closeClient(ws, ev)).code, 1000);
    assert.equal(await server.closes.next("server close"), 1000);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy wss: TLS with caPath runs inside the CONNECT tunnel; the tunnel count rises; the server sees the upgrade; echo works", async () => {
  const certs = await getTestCerts();
  const proxy = startConnectProxy();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  try {
    const attempt = await attempt_(`wss://127.0.0.1:${server.port}/`, {
      caPath: certs.caPath,
      proxy: viaProxy(proxy),
    });
    assert.equal(proxy.tunnels, 1, "the tunnel was made");
    assert.equal(proxy.requests[0].target, `127.0.0.1:${server.port}`);
    const { ws, ev } = opened(attempt);
    await server.requests.next("upgrade request at the server");
    assert.equal(await within(ws.send("tls in tunnel"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "tls in tunnel");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy wss + mutual TLS: clientCert works inside the CONNECT tunnel [node transport]", async () => {
  const certs = await getTestCerts();
  const proxy = startConnectProxy();
  const server = await startNodeWss(mutualTls(certs));
  try {
    const { ws, ev } = await openClient(`wss://localhost:${server.port}/`, {
      caPath: certs.caPath,
      clientCert: { certPath: certs.clientCertPath, keyPath: certs.clientKeyPath },
      proxy: viaProxy(proxy),
    });
    assert.equal(proxy.tunnels, 1);
    assert.equal(proxy.requests[0].target, `localhost:${server.port}`);
    assert.equal((await server.secured.next("server TLS connection")).authorized, true);
    assert.equal(await within(ws.send("mtls in tunnel"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "mtls in tunnel");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.stop();
    await proxy.stop();
  }
});

Deno.test("proxy wss: an untrusted certificate behind the tunnel still fails with -1 (verification is not skipped by the proxy)", async () => {
  const certs = await getTestCerts();
  const proxy = startConnectProxy();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  try {
    const err = await connectFails(
      `wss://127.0.0.1:${server.port}/`,
      { proxy: viaProxy(proxy) },
      -1,
      "untrusted behind the proxy",
    );
    assert.equal(proxy.tunnels, 1, "the tunnel itself was made");
    assert.match(err.message, /certificate|issuer/i, "fails for the certificate, not otherwise");
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy username/password -> the proxy receives 'proxy-authorization: Basic base64(user:pass)' and the tunnel opens", async () => {
  const expected = `Basic ${btoa("alice:s3cr:t")}`;
  const proxy = startConnectProxy({ requireAuthorization: expected });
  const server = startWsServer();
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`, {
      proxy: viaProxy(proxy, { username: "alice", password: "s3cr:t" }),
    });
    assert.equal(proxy.requests[0].authorization, expected);
    assert.equal(proxy.tunnels, 1);
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy exclusionList: an exact entry ('127.0.0.1') and a wildcard ('*.localhost') bypass the proxy; a non-matching list does not", async () => {
  const proxy = startConnectProxy();
  const server = startWsServer();
  try {
    for (
      const [url, exclusionList] of [
        [`ws://127.0.0.1:${server.port}/`, ["example.test", "127.0.0.1"]],
        [`ws://localhost:${server.port}/`, ["*.localhost"]],
        [`ws://LOCALHOST:${server.port}/`, ["localhost"]],
      ] as const
    ) {
      const { ws, ev } = await openClient(url, {
        proxy: viaProxy(proxy, { exclusionList: [...exclusionList] }),
      });
      assert.equal((await closeClient(ws, ev)).code, 1000);
      assert.equal(proxy.requests.length, 0, `${url} with ${exclusionList}: proxy not used`);
    }
    assert.equal(server.requests.items.length, 3, "every connection reached the server");
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`, {
      proxy: viaProxy(proxy, { exclusionList: ["*.example.test", "localhost", "127.0.0.2"] }),
    });
    assert.equal(proxy.tunnels, 1, "a host not in the list goes through the proxy");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy 'system' ws: http_proxy is used; HTTPS_PROXY alone is not; no_proxy bypasses; no variable means direct", async () => {
  const proxy = startConnectProxy();
  const server = startWsServer();
  const url = `ws://127.0.0.1:${server.port}/`;
  try {
    await withProxyEnv({ http_proxy: proxy.url }, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system" });
      assert.equal(proxy.tunnels, 1, "ws went through http_proxy");
      assert.equal(proxy.requests[0].target, `127.0.0.1:${server.port}`);
      await closeClient(ws, ev);
    });
    await withProxyEnv({ HTTP_PROXY: proxy.url }, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system" });
      assert.equal(proxy.tunnels, 2, "ws went through HTTP_PROXY");
      await closeClient(ws, ev);
    });
    await withProxyEnv({ HTTPS_PROXY: proxy.url, https_proxy: proxy.url }, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system" });
      assert.equal(proxy.requests.length, 2, "ws does not use https_proxy");
      await closeClient(ws, ev);
    });
    await withProxyEnv({ http_proxy: proxy.url, no_proxy: "example.test, 127.0.0.1" }, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system" });
      assert.equal(proxy.requests.length, 2, "no_proxy bypassed the proxy");
      await closeClient(ws, ev);
    });
    await withProxyEnv({ http_proxy: proxy.url, NO_PROXY: "*.localhost" }, async () => {
      const { ws, ev } = await openClient(`ws://localhost:${server.port}/`, { proxy: "system" });
      assert.equal(proxy.requests.length, 2, "NO_PROXY wildcard bypassed the proxy");
      await closeClient(ws, ev);
    });
    await withProxyEnv({}, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system" });
      assert.equal(proxy.requests.length, 2, "no variable: direct");
      await closeClient(ws, ev);
    });
    assert.equal(server.requests.items.length, 6, "every connection reached the server");
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy 'system' wss: HTTPS_PROXY is used for wss (TLS with caPath inside the tunnel); http_proxy alone is not", async () => {
  const certs = await getTestCerts();
  const proxy = startConnectProxy();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  const url = `wss://127.0.0.1:${server.port}/`;
  try {
    await withProxyEnv({ http_proxy: proxy.url, HTTP_PROXY: proxy.url }, async () => {
      const { ws, ev } = await openClient(url, { proxy: "system", caPath: certs.caPath });
      assert.equal(proxy.requests.length, 0, "wss does not use http_proxy");
      await closeClient(ws, ev);
    });
    await withProxyEnv({ HTTPS_PROXY: proxy.url }, async () => {
      const attempt = await attempt_(url, { proxy: "system", caPath: certs.caPath });
      assert.equal(proxy.requests.length, 1, "wss asked HTTPS_PROXY for a tunnel");
      assert.equal(proxy.requests[0].target, `127.0.0.1:${server.port}`);
      const { ws, ev } = opened(attempt);
      assert.equal(await within(ws.send("system wss"), "send"), true);
      assert.equal(await ev.messages.next("echo"), "system wss");
      await closeClient(ws, ev);
    });
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy 'system': a socks5:// proxy variable fails connect with -1 naming the unsupported scheme", async () => {
  await withProxyEnv({ http_proxy: "socks5://127.0.0.1:1" }, async () => {
    await connectFails("ws://127.0.0.1:1/", { proxy: "system" }, -1, "socks5", /socks5|http:/);
  });
});

Deno.test("proxy 'no-proxy' (and no proxy option) connects directly even when http_proxy is set", async () => {
  const proxy = startConnectProxy();
  const server = startWsServer();
  try {
    await withProxyEnv({ http_proxy: proxy.url, HTTP_PROXY: proxy.url }, async () => {
      for (const options of [{ proxy: "no-proxy" as const }, {}]) {
        const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`, options);
        await closeClient(ws, ev);
      }
    });
    assert.equal(proxy.requests.length, 0);
    assert.equal(server.requests.items.length, 2);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy answering 407 -> connect fails with -1 mentioning 407 / authentication; 'error' fires; no 'open'", async () => {
  const proxy = startConnectProxy({ mode: "407" });
  const server = startWsServer();
  try {
    const err = await connectFails(
      `ws://127.0.0.1:${server.port}/`,
      { proxy: viaProxy(proxy) },
      -1,
      "407",
    );
    assert.match(err.message, /407/);
    assert.match(err.message, /authenticat/i);
    assert.equal(proxy.tunnels, 0);
    assert.equal(server.requests.items.length, 0);
  } finally {
    await server.shutdown();
    await proxy.stop();
  }
});

Deno.test("proxy answering 403 -> connect fails with -1 mentioning 403; no 'open'", async () => {
  const proxy = startConnectProxy({ mode: "403" });
  try {
    const err = await connectFails("ws://127.0.0.1:9/", { proxy: viaProxy(proxy) }, -1, "403");
    assert.match(err.message, /403/);
    assert.equal(proxy.requests.length, 1);
  } finally {
    await proxy.stop();
  }
});

Deno.test("proxy answering a garbage status line -> connect fails with -1 mentioning the malformed answer; no 'open'", async () => {
  const proxy = startConnectProxy({ mode: "garbage" });
  try {
    const err = await connectFails("ws://127.0.0.1:9/", { proxy: viaProxy(proxy) }, -1, "garbage");
    assert.match(err.message, /proxy/i);
    assert.match(err.message, /malformed|status/i);
  } finally {
    await proxy.stop();
  }
});

Deno.test("proxy unreachable (nothing listens on the proxy port) -> connect fails with -1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await connectFails(
    "ws://127.0.0.1:9/",
    { proxy: { host: "127.0.0.1", port, exclusionList: [] } },
    -1,
    "proxy down",
  );
});

Deno.test("proxy option errors are a 401: missing host, port 0 / 70000 / '80', non-array exclusionList, non-string username", async () => {
  const bad: unknown[] = [
    { port: 1, exclusionList: [] },
    { host: "127.0.0.1", port: 0, exclusionList: [] },
    { host: "127.0.0.1", port: 70000, exclusionList: [] },
    { host: "127.0.0.1", port: "80", exclusionList: [] },
    { host: "127.0.0.1", port: 80, exclusionList: "localhost" },
    { host: "127.0.0.1", port: 80, exclusionList: [], username: 7 },
    "direct",
  ];
  for (const proxy of bad) {
    await connectFails(
      "ws://127.0.0.1:9/",
      { proxy: proxy as WebSocketRequestOptions["proxy"] },
      401,
      `proxy ${JSON.stringify(proxy)}`,
    );
  }
});

// ============================================================== subprotocols

Deno.test("protocol 'chat, superchat': the server sees the offer; the server picking 'superchat' -> openInfo.protocol === 'superchat'", async () => {
  const server = startWsServer({ protocol: "superchat" });
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`, {
      protocol: "chat, superchat",
    });
    const headers = await server.requests.next("upgrade request");
    const offered = (headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    assert.deepEqual(offered, ["chat", "superchat"]);
    assert.deepEqual(await ev.openInfos.next("openInfo"), {
      status: 101,
      message: "Switching Protocols",
      protocol: "superchat",
    });
    assert.equal((await ev.headers.next("headerReceive"))["sec-websocket-protocol"], "superchat");
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("protocol: without an offer no sec-websocket-protocol is sent and openInfo.protocol is ''", async () => {
  const server = startWsServer();
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`);
    assert.equal((await server.requests.next("request")).get("sec-websocket-protocol"), null);
    assert.equal((await ev.openInfos.next("openInfo")).protocol, "");
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("protocol: a server answering a subprotocol that was not offered (or any when none was) -> connect fails with -1", async () => {
  const server = startRawServer(async (conn) => {
    try {
      await answerHandshake(conn, ["Sec-WebSocket-Protocol: mqtt"]);
      await serveFrames(conn, { pong: true });
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  });
  try {
    const err = await connectFails(server.url, { protocol: "chat, superchat" }, -1, "unoffered");
    assert.match(err.message, /protocol|mqtt/i);
    await connectFails(server.url, {}, -1, "none offered");
  } finally {
    await server.shutdown();
  }
});

Deno.test("protocol: an invalid subprotocol list (space or ';' inside a token, empty entry, duplicate, non-string) is a 401 via promise and callback", async () => {
  for (
    const protocol of [
      "super chat",
      "chat;v=1",
      "chat,,superchat",
      "chat, ",
      "chat, chat",
      "ch\u00e4t",
    ]
  ) {
    await connectFails(
      "ws://127.0.0.1:9/",
      { protocol },
      401,
      `protocol ${JSON.stringify(protocol)}`,
    );
  }
  await connectFails(
    "ws://127.0.0.1:9/",
    { protocol: 42 as unknown as string },
    401,
    "protocol 42",
  );
  await connectFailsViaCallback("ws://127.0.0.1:9/", { protocol: "a b" }, 401, "callback");
});

// =================================================================== events

Deno.test("headerReceive: handshake response headers with lower-case names; Set-Cookie sent twice arrives as an array in order", async () => {
  const server = startRawServer(async (conn) => {
    await answerHandshake(conn, [
      "Set-Cookie: a=1; Path=/",
      "X-Mixed-Case: Some Value",
      "Set-Cookie: b=2",
    ]);
    await serveFrames(conn, { pong: true });
  });
  try {
    const { ws, ev } = await openClient(server.url);
    const headers = await ev.headers.next("headerReceive");
    for (const name of Object.keys(headers)) assert.equal(name, name.toLowerCase(), name);
    assert.deepEqual(headers["set-cookie"], ["a=1; Path=/", "b=2"]);
    assert.equal(headers["x-mixed-case"], "Some Value", "values keep their case");
    assert.equal(headers["upgrade"], "websocket");
    assert.equal(headers["connection"], "Upgrade");
    assert.equal(typeof headers["sec-websocket-accept"], "string");
    assert.equal(ev.headers.items.length, 1, "headerReceive fires once");
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("event order: headerReceive -> open -> openInfo -> message -> dataEnd, with a message sent in the same write as the 101", async () => {
  const server = startRawServer(async (conn) => {
    await answerHandshake(conn, [], serverFrame(OP_TEXT, encoder.encode("first")));
    await writeAll(conn, serverFrame(OP_BINARY, new Uint8Array([1, 2, 3])));
    await serveFrames(conn, { pong: true });
  });
  try {
    const { ws, ev } = await openClient(server.url);
    assert.equal(await ev.messages.next("first"), "first");
    const second = await ev.messages.next("second");
    assert.ok(second instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(second)], [1, 2, 3]);
    assert.deepEqual(ev.log, [
      "headerReceive",
      "open",
      "openInfo",
      "message",
      "dataEnd",
      "message",
      "dataEnd",
    ]);
    assert.deepEqual(await ev.openInfos.next("openInfo"), {
      status: 101,
      message: "Switching Protocols",
      protocol: "",
    });
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("dataEnd: fires once after each complete message, including a fragmented one (after the last fragment only)", async () => {
  const server = startRawServer(async (conn) => {
    await answerHandshake(conn);
    const fragment = (fin: boolean, opcode: number, text: string) => {
      const frame = serverFrame(opcode, encoder.encode(text));
      if (!fin) frame[0] &= 0x7f;
      return frame;
    };
    await writeAll(conn, fragment(false, OP_TEXT, "frag-"));
    await writeAll(conn, fragment(false, 0x0, "ment-"));
    await writeAll(conn, fragment(true, 0x0, "ed"));
    await writeAll(conn, serverFrame(OP_TEXT, encoder.encode("whole")));
    await serveFrames(conn, { pong: true });
  });
  try {
    const { ws, ev } = await openClient(server.url);
    assert.equal(await ev.messages.next("fragmented"), "frag-ment-ed");
    assert.equal(await ev.messages.next("whole"), "whole");
    assert.equal(ev.dataEnds, 2);
    const afterOpen = ev.log.slice(ev.log.indexOf("openInfo") + 1);
    assert.deepEqual(afterOpen, ["message", "dataEnd", "message", "dataEnd"]);
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("static-view methods onOpen/offOpen, onMessage/offMessage, onWebSocketClose/offWebSocketClose, onWebSocketError/offWebSocketError, onDataEnd/offDataEnd, onHeaderReceive/offHeaderReceive share on/off's lists; onOpen hands one argument", async () => {
  // The server sends "hi" then a 12-byte message: over maxMessageSize 10 -> error + close 1009.
  const server = startWsServer({
    onOpen(socket) {
      socket.send("hi");
      socket.send("0123456789AB");
    },
  });
  // SDK static method suffix -> the dynamic view's event name.
  const events = {
    Open: "open",
    Message: "message",
    WebSocketClose: "close",
    WebSocketError: "error",
    DataEnd: "dataEnd",
    HeaderReceive: "headerReceive",
  } as const;
  const types = Object.keys(events) as (keyof typeof events)[];
  type Method = (typeof types)[number];
  type Registrar = (cb?: (...args: unknown[]) => void) => void;
  const method = (ws: OhosWebSocket, prefix: "on" | "off", type: Method) =>
    (ws[`${prefix}${type}` as keyof OhosWebSocket] as unknown as Registrar).bind(ws);
  const eventName = (type: Method) => events[type];
  try {
    // Client 1: keep[] registered with onX; dropped[] registered with onX and removed with
    // offX(cb); viaOn[] registered with on(type) and removed with offX(cb).
    const ws1 = webSocket.createWebSocket();
    const calls: Record<string, unknown[][]> = {};
    const record = (label: string) => (...args: unknown[]) => {
      (calls[label] ??= []).push(args);
    };
    for (const type of types) {
      const dropped = record(`dropped ${type}`);
      const viaOn = record(`viaOn ${type}`);
      method(ws1, "on", type)(record(`keep ${type}`));
      method(ws1, "on", type)(dropped);
      (ws1.on as unknown as (t: string, cb: unknown) => void)(eventName(type), viaOn);
      method(ws1, "off", type)(dropped);
      method(ws1, "off", type)(viaOn);
    }
    const closed = new Queue<CloseResult>();
    ws1.on("close", (_e, value) => closed.push(value));
    assert.equal(
      await within(ws1.connect(`ws://127.0.0.1:${server.port}/`, { maxMessageSize: 10 }), "c1"),
      true,
    );
    assert.equal((await closed.next("close 1")).code, 1009);
    for (const type of types) {
      assert.ok((calls[`keep ${type}`] ?? []).length >= 1, `on${type} listener called`);
      assert.equal(calls[`dropped ${type}`], undefined, `off${type}(cb) removed it`);
      assert.equal(calls[`viaOn ${type}`], undefined, `off${type}(cb) removes an on() listener`);
    }
    // Callback<OpenResult>: the value alone, not (err, value).
    assert.deepEqual(calls["keep Open"][0], [{ status: 101, message: "Switching Protocols" }]);
    assert.deepEqual(calls["keep Message"][0], [undefined, "hi"]);
    assert.equal(calls["keep Message"].length, 1, "the oversized message is not delivered");
    assert.equal(calls["keep DataEnd"].length, 1);
    assert.equal(calls["keep WebSocketClose"][0][0], undefined, "(undefined, result)");
    assert.equal((calls["keep WebSocketClose"][0][1] as CloseResult).code, 1009);
    assert.ok(calls["keep WebSocketError"][0][0] instanceof BusinessError);
    assert.equal(
      (calls["keep HeaderReceive"][0][0] as ResponseHeaders)["upgrade"],
      "websocket",
    );

    // Client 2: offX() without a callback removes every listener of the type, also on() ones.
    const ws2 = webSocket.createWebSocket();
    const stray: string[] = [];
    for (const type of types) {
      method(ws2, "on", type)(() => stray.push(`on${type}`));
      (ws2.on as unknown as (t: string, cb: unknown) => void)(
        eventName(type),
        () => stray.push(`on('${eventName(type)}')`),
      );
      method(ws2, "off", type)();
    }
    const closed2 = new Queue<CloseResult>();
    ws2.on("close", (_e, value) => closed2.push(value));
    assert.equal(
      await within(ws2.connect(`ws://127.0.0.1:${server.port}/`, { maxMessageSize: 10 }), "c2"),
      true,
    );
    assert.equal((await closed2.next("close 2")).code, 1009);
    assert.deepEqual(stray, [], "no removed listener was called");
  } finally {
    await server.shutdown();
  }
});

Deno.test("static-view methods: a listener that is not a function is a 401, as with on()", () => {
  const ws = webSocket.createWebSocket() as unknown as Record<string, (cb?: unknown) => void>;
  for (const name of ["onOpen", "offOpen", "onMessage", "onWebSocketClose", "onWebSocketError"]) {
    assert.throws(() => ws[name]("not a function"), (e: unknown) => {
      assertBusinessError(e, 401, `${name}("not a function")`);
      return true;
    });
  }
});

Deno.test("names the SDK does not have are not on the client: onClose, offClose, onError, offError", () => {
  const ws = webSocket.createWebSocket() as unknown as Record<string, unknown>;
  for (const name of ["onClose", "offClose", "onError", "offError"]) {
    assert.equal(ws[name], undefined, `${name} is not an SDK name`);
  }
  for (const name of ["onWebSocketClose", "offWebSocketClose", "onWebSocketError"]) {
    assert.equal(typeof ws[name], "function", `${name} is the SDK's name`);
  }
});

// ================================================================= heartbeat

Deno.test("heartbeat: a server that never answers pings, pingInterval 1 / pongTimeout 1 -> 'error' then 'close' 1006 whose reason mentions the pong, within ~2-3 s", async () => {
  const pings: Uint8Array[] = [];
  const server = startRawServer(async (conn) => {
    await answerHandshake(conn);
    await serveFrames(conn, {
      pong: false,
      onFrame: (opcode, payload) => {
        if (opcode === OP_PING) pings.push(payload);
      },
    });
  });
  try {
    const started = Date.now();
    const { ev } = await openClient(server.url, { pingInterval: 1, pongTimeout: 1 });
    const closed = await ev.closes.next("close after the missed pong", 4000);
    const elapsed = Date.now() - started;
    assert.equal(closed.code, 1006);
    assert.match(closed.reason, /pong/i);
    assert.ok(elapsed >= 1800 && elapsed <= 3500, `closed after ${elapsed} ms`);
    const err = ev.errors.items[0];
    assertBusinessError(err, 2302999, "missed-pong error event (docs/options.md)");
    assert.match((err as BusinessError).message, /pong/i);
    const afterOpen = ev.log.slice(ev.log.indexOf("openInfo") + 1);
    assert.deepEqual(afterOpen, ["error", "close"], "error, then close");
    assert.equal(pings.length, 1, "one ping, no answer, then the link is dropped");
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: pingInterval 1 against a Deno.upgradeWebSocket server (answers pings) stays open over 2.5 s and still echoes", async () => {
  const server = startWsServer();
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`, {
      pingInterval: 1,
      pongTimeout: 1,
    });
    await sleep(2500);
    assert.deepEqual(ev.errors.items, [], "no error");
    assert.equal(ev.closes.items.length, 0, "still open");
    assert.equal(await within(ws.send("still here"), "send"), true);
    assert.equal(await ev.messages.next("echo"), "still here");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: pingInterval 1 sends a masked ping every second to a server that answers (>= 2 in 2.5 s); pingInterval 0 sends none", async () => {
  const pingsByPath = new Map<string, number>();
  const server = startRawServer(async (conn) => {
    const head = await answerHandshake(conn);
    const path = /^GET (\S+)/.exec(head)?.[1] ?? "?";
    pingsByPath.set(path, 0);
    await serveFrames(conn, {
      pong: true,
      onFrame: (opcode) => {
        if (opcode === OP_PING) pingsByPath.set(path, pingsByPath.get(path)! + 1);
      },
    });
  });
  try {
    const every = await openClient(`${server.url}every`, { pingInterval: 1, pongTimeout: 1 });
    const never = await openClient(`${server.url}never`, { pingInterval: 0, pongTimeout: 1 });
    await sleep(2500);
    assert.ok(pingsByPath.get("/every")! >= 2, `pings seen: ${pingsByPath.get("/every")}`);
    assert.equal(pingsByPath.get("/never"), 0, "pingInterval 0 disables the heartbeat");
    for (const { ws, ev } of [every, never]) {
      assert.deepEqual(ev.errors.items, []);
      assert.equal((await closeClient(ws, ev)).code, 1000);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: the client answers server pings (empty, text, 125-byte binary) with masked pongs carrying identical payloads", async () => {
  const payloads = [
    new Uint8Array(0),
    encoder.encode("ping ✓ payload"),
    new Uint8Array(125).map((_, i) => (i * 7 + 3) & 255),
  ];
  const pongs = new Queue<{ payload: Uint8Array; masked: boolean }>();
  const server = startRawServer(async (conn) => {
    await answerHandshake(conn);
    const reader = new ClientFrameReader(conn);
    try {
      for (const payload of payloads) {
        await writeAll(conn, serverFrame(OP_PING, payload));
        const frame = await reader.next();
        if (frame.opcode === OP_PONG) pongs.push(frame);
      }
      const close = await reader.next();
      if (close.opcode === OP_CLOSE) await writeAll(conn, serverFrame(OP_CLOSE, close.payload));
    } finally {
      conn.close();
    }
  });
  try {
    const { ws, ev } = await openClient(server.url, { pingInterval: 0 });
    for (const payload of payloads) {
      const pong = await pongs.next("pong");
      assert.equal(pong.masked, true, "client frames are masked");
      assert.deepEqual(pong.payload, payload);
    }
    assert.equal(ev.messages.items.length, 0, "pings are not messages");
    assert.equal((await closeClient(ws, ev)).code, 1000);
  } finally {
    await server.shutdown();
  }
});

Deno.test("heartbeat: pingInterval / pongTimeout that are negative, NaN or not numbers are a 401", async () => {
  for (
    const options of [{ pingInterval: -1 }, { pongTimeout: -1 }, { pingInterval: NaN }, {
      pongTimeout: "1",
    }]
  ) {
    await connectFails(
      "ws://127.0.0.1:9/",
      options as unknown as WebSocketRequestOptions,
      401,
      JSON.stringify(options),
    );
  }
});

// ==================================================================== origin

Deno.test("supportOriginPort: true -> the server receives 'origin: http://127.0.0.1:<port>'; by default no origin header is sent", async () => {
  const server = startWsServer();
  try {
    const withOrigin = await openClient(`ws://127.0.0.1:${server.port}/`, {
      supportOriginPort: true,
    });
    assert.equal(
      (await server.requests.next("request with origin")).get("origin"),
      `http://127.0.0.1:${server.port}`,
    );
    await closeClient(withOrigin.ws, withOrigin.ev);

    const plain = await openClient(`ws://127.0.0.1:${server.port}/`);
    assert.equal((await server.requests.next("request without origin")).get("origin"), null);
    await closeClient(plain.ws, plain.ev);

    const explicit = await openClient(`ws://127.0.0.1:${server.port}/`, {
      supportOriginPort: false,
      header: { Origin: "http://app.example" },
    });
    assert.equal(
      (await server.requests.next("request with a user origin")).get("origin"),
      "http://app.example",
      "a user origin header is sent as given",
    );
    await closeClient(explicit.ws, explicit.ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("supportOriginPort: true over wss -> 'origin: https://localhost:<port>'", async () => {
  const certs = await getTestCerts();
  const server = startWsServer({ tls: { cert: certs.serverCertPem, key: certs.serverKeyPem } });
  try {
    const { ws, ev } = await openClient(`wss://localhost:${server.port}/`, {
      caPath: certs.caPath,
      supportOriginPort: true,
    });
    assert.equal(
      (await server.requests.next("request")).get("origin"),
      `https://localhost:${server.port}`,
    );
    await closeClient(ws, ev);
  } finally {
    await server.shutdown();
  }
});

// ================================================================= size limits

Deno.test("send-size guard: a message of 5,242,865 bytes is a 401 and nothing is sent; with maxSendSize raised it goes through", async () => {
  const limit = 5 * 1024 * 1024 - 16;
  const server = startWsServer();
  try {
    const { ws, ev } = await openClient(`ws://127.0.0.1:${server.port}/`);
    const err = await within(
      ws.send(new Uint8Array(limit + 1)).then(() => undefined, (e: unknown) => e),
      "oversized send",
    );
    assertBusinessError(err, 401, "limit + 1");
    assert.equal(await within(ws.send("after"), "send after the refused one"), true);
    assert.equal(await server.messages.next("first message at the server"), "after");
    await closeClient(ws, ev);

    const raised = await openClient(`ws://127.0.0.1:${server.port}/`, { maxSendSize: limit * 2 });
    assert.equal(await within(raised.ws.send(new Uint8Array(limit + 1)), "raised send"), true);
    const got = await server.messages.next("big message at the server");
    assert.ok(got instanceof ArrayBuffer);
    assert.equal(got.byteLength, limit + 1);
    await closeClient(raised.ws, raised.ev);
  } finally {
    await server.shutdown();
  }
});

Deno.test("maxMessageSize: an inbound message over the limit -> the client closes with 1009 (server sees 1009), 'error' fires, message not delivered", async () => {
  const server = startWsServer({ onOpen: (socket) => socket.send("x".repeat(101)) });
  try {
    const { ev } = await openClient(`ws://127.0.0.1:${server.port}/`, { maxMessageSize: 100 });
    assert.equal((await ev.closes.next("close")).code, 1009);
    assert.equal(await server.closes.next("server close"), 1009);
    assert.ok(ev.errors.items[0] instanceof BusinessError);
    assert.equal(ev.messages.items.length, 0);
  } finally {
    await server.shutdown();
  }
});

Deno.test("connect 2302001 for wss: a wss URL with a fragment or an https: URL fails before any TLS option is read", async () => {
  const certs = await getTestCerts();
  await connectFails(
    "wss://localhost:1/#frag",
    { caPath: certs.missingPath },
    2302001,
    "fragment wins over the missing caPath",
  );
  await connectFails("https://localhost:1/", { caPath: certs.caPath }, 2302001, "https scheme");
});
