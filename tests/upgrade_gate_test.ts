/**
 * Extension: the upgrade gate and the Origin allow-list (`extUpgradeGate`,
 * `extAllowedOrigins`). A refused upgrade gets the gate's status, headers
 * and body and raises no `connect`; an accepted one carries the gate's
 * response headers and subprotocol; an Origin outside the list is 403; the
 * gate sees path, query, headers, cookies, Origin and address; a failing
 * gate is a 500 and an `error` event. Loopback only, every wait bounded.
 */

import assert from "node:assert/strict";
import webSocket, { type UpgradeRequestInfo, type WebSocketServerConfig } from "../mod.ts";
import { within } from "./helpers/deno_server.ts";
import { clientFrame, type Harness, RawClient, startServer } from "./helpers/server_peers.ts";

const encoder = new TextEncoder();

/** A raw upgrade to `port` with extra headers and a target. */
function request(port: number, target: string, extra: Record<string, string> = {}): string {
  let text = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
    "Sec-WebSocket-Version: 13\r\n";
  for (const [name, value] of Object.entries(extra)) text += `${name}: ${value}\r\n`;
  return text + "\r\n";
}

/** Runs `body` against a started server and always stops it. */
async function withServer(
  config: Partial<WebSocketServerConfig>,
  body: (h: Harness) => Promise<void>,
): Promise<void> {
  const harness = await startServer({ pingIntervalMs: 0, ...config });
  try {
    await body(harness);
  } finally {
    await harness.stop();
  }
}

/** Sends `text` on a raw socket and returns the answer and the body that follows. */
async function answerTo(port: number, text: string) {
  const client = await RawClient.connect(port);
  try {
    await client.write(text);
    const answer = await client.readAnswer();
    // The rest of the stream (it still holds what followed the head).
    const body = answer.status === 101 ? "" : await client.readToEnd();
    return { ...answer, body };
  } finally {
    client.close();
  }
}

Deno.test("gate: a refusal carries the gate's status, headers and body, and no connect event", async () => {
  await withServer({
    extUpgradeGate: () => ({
      accept: false,
      status: 401,
      headers: { "WWW-Authenticate": 'Bearer realm="chat"', "X-Why": "no token" },
      body: "log in first\n",
    }),
  }, async (h) => {
    const answer = await answerTo(h.port, request(h.port, "/chat"));
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["www-authenticate"], 'Bearer realm="chat"');
    assert.equal(answer.headers["x-why"], "no token");
    assert.equal(answer.headers["connection"], "close");
    assert.equal(answer.body, "log in first\n");
    assert.equal(h.connects.items.length, 0, "a refused upgrade raises no connect event");
    assert.equal(h.server.listAllConnections().length, 0);
  });
});

Deno.test("gate: an accepted upgrade carries the gate's headers and its subprotocol, not the config's choice", async () => {
  await withServer({
    protocol: "chat.v1, chat.v2",
    extUpgradeGate: () => ({
      accept: true,
      headers: { "Set-Cookie": ["session=abc; HttpOnly", "theme=dark"], "X-Server": "gate" },
      protocol: "chat.v2",
    }),
  }, async (h) => {
    const client = await RawClient.connect(h.port);
    try {
      await client.write(request(h.port, "/", { "Sec-WebSocket-Protocol": "chat.v1, chat.v2" }));
      const answer = await client.readAnswer();
      assert.equal(answer.status, 101);
      // Without the gate the server would pick chat.v1, the client's first choice.
      assert.equal(answer.headers["sec-websocket-protocol"], "chat.v2");
      assert.equal(answer.headers["x-server"], "gate");
      assert.equal(answer.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      await h.connects.next("connect after the gate accepted");
      await client.write(clientFrame(0x1, "through the gate"));
      const echo = await client.readFrame();
      assert.equal(new TextDecoder().decode(echo.payload), "through the gate");
    } finally {
      client.close();
    }
  });
});

Deno.test("gate: both Set-Cookie values arrive as two header lines of the 101", async () => {
  await withServer({
    extUpgradeGate: () => ({ accept: true, headers: { "set-cookie": ["a=1", "b=2"] } }),
  }, async (h) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: h.port });
    try {
      await conn.write(encoder.encode(request(h.port, "/")));
      let text = "";
      const buffer = new Uint8Array(4096);
      for (let i = 0; i < 50 && !text.includes("\r\n\r\n"); i++) {
        const n = await within(conn.read(buffer), "101 head");
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
      assert.match(text, /^HTTP\/1\.1 101 /);
      assert.match(text, /\r\nset-cookie: a=1\r\n/);
      assert.match(text, /\r\nset-cookie: b=2\r\n/);
      await h.connects.next("connect");
    } finally {
      conn.close();
    }
  });
});

Deno.test("gate: it sees path, query, headers, cookies, Origin, offered subprotocols and the address", async () => {
  let seen: UpgradeRequestInfo | undefined;
  await withServer({
    extUpgradeGate: (info) => {
      seen = info;
      return true;
    },
  }, async (h) => {
    const client = await RawClient.connect(h.port);
    try {
      await client.write(request(h.port, "/room/7?token=t%20k&x=1", {
        Cookie: "session=abc; theme=dark",
        Origin: "https://chat.example",
        "Sec-WebSocket-Protocol": "a, b",
        "X-Custom": "yes",
      }));
      assert.equal((await client.readAnswer()).status, 101);
      const connection = await h.connects.next("connect");
      assert.ok(seen !== undefined);
      assert.equal(seen.target, "/room/7?token=t%20k&x=1");
      assert.equal(seen.pathname, "/room/7");
      assert.equal(seen.query.get("token"), "t k");
      assert.equal(seen.headers["x-custom"], "yes");
      assert.deepEqual({ ...seen.cookies }, { session: "abc", theme: "dark" });
      assert.equal(seen.origin, "https://chat.example");
      assert.deepEqual(seen.protocols, ["a", "b"]);
      assert.equal(seen.connection.clientIP, "127.0.0.1");
      assert.equal(seen.connection, connection, "the gate's connection is the event's");
    } finally {
      client.close();
    }
  });
});

Deno.test("gate: an async gate is awaited; frames sent behind the request wait for it", async () => {
  let release!: () => void;
  const decided = new Promise<void>((resolve) => release = resolve);
  await withServer({
    extUpgradeGate: async () => {
      await decided;
      return true;
    },
  }, async (h) => {
    const client = await RawClient.connect(h.port);
    try {
      // The request and a frame in one write: the frame must not be lost while the gate waits.
      const head = encoder.encode(request(h.port, "/"));
      const frame = clientFrame(0x1, "early");
      const both = new Uint8Array(head.length + frame.length);
      both.set(head);
      both.set(frame, head.length);
      await client.write(both);
      await client.write(clientFrame(0x1, "later"));
      assert.equal(h.connects.items.length, 0, "no connect before the gate decided");
      release();
      assert.equal((await client.readAnswer()).status, 101);
      assert.equal(new TextDecoder().decode((await client.readFrame()).payload), "early");
      assert.equal(new TextDecoder().decode((await client.readFrame()).payload), "later");
    } finally {
      client.close();
    }
  });
});

Deno.test("gate: a gate that throws or answers nonsense refuses with 500 and raises error", async () => {
  const verdicts: (() => unknown)[] = [
    () => {
      throw new Error("database down");
    },
    () => Promise.reject(new Error("async failure")),
    () => ({ accept: true, headers: { "Sec-WebSocket-Accept": "forged" } }),
    () => ({ accept: true, protocol: "not-offered" }),
    () => ({ accept: false, status: 200 }),
    () => ({ accept: true, headers: { "X-Bad": "a\r\nInjected: 1" } }),
  ];
  let index = 0;
  await withServer({
    extUpgradeGate: () => verdicts[index]() as boolean,
  }, async (h) => {
    for (; index < verdicts.length; index++) {
      const answer = await answerTo(h.port, request(h.port, "/"));
      assert.equal(answer.status, 500, `verdict ${index}`);
      assert.equal(answer.headers["injected"], undefined);
      const error = await h.errors.next(`error event for verdict ${index}`);
      assert.match(error.message, /upgrade gate failed/);
    }
    assert.equal(h.connects.items.length, 0);
  });
});

Deno.test("gate: the RFC 6455 checks run before it (a bad key is 400 and the gate is not asked)", async () => {
  let asked = 0;
  await withServer({
    extUpgradeGate: () => {
      asked++;
      return true;
    },
  }, async (h) => {
    const bad = request(h.port, "/").replace("dGhlIHNhbXBsZSBub25jZQ==", "short");
    assert.equal((await answerTo(h.port, bad)).status, 400);
    assert.equal(asked, 0);
  });
});

Deno.test("origin: an Origin outside extAllowedOrigins is 403; listed, missing and differently-cased ones pass", async () => {
  let gateCalls = 0;
  await withServer({
    extAllowedOrigins: ["https://chat.example", "http://127.0.0.1:8080"],
    extUpgradeGate: () => {
      gateCalls++;
      return true;
    },
  }, async (h) => {
    for (const origin of ["https://evil.example", "null", "https://chat.example.evil", "garbage"]) {
      const answer = await answerTo(h.port, request(h.port, "/", { Origin: origin }));
      assert.equal(answer.status, 403, origin);
      assert.match(answer.body, /is not allowed/);
    }
    assert.equal(gateCalls, 0, "the gate never sees a refused origin");
    assert.equal(h.connects.items.length, 0);
    const passing: Record<string, string>[] = [
      { Origin: "https://CHAT.example" },
      { Origin: "http://127.0.0.1:8080" },
      {},
    ];
    for (const extra of passing) {
      const client = await RawClient.connect(h.port);
      try {
        await client.write(request(h.port, "/", extra));
        assert.equal((await client.readAnswer()).status, 101, JSON.stringify(extra));
        await h.connects.next("connect");
      } finally {
        client.close();
      }
    }
  });
});

Deno.test("config: bad extAllowedOrigins, extUpgradeGate and extReusePort are 401", async () => {
  const server = webSocket.createWebSocketServer();
  for (
    const bad of [
      { extAllowedOrigins: "https://a.example" },
      { extAllowedOrigins: ["https://a.example/path"] },
      { extAllowedOrigins: ["null"] },
      { extUpgradeGate: "yes" },
      { extReusePort: 1 },
    ]
  ) {
    await assert.rejects(
      server.start({ serverIP: "127.0.0.1", serverPort: 0, ...bad } as WebSocketServerConfig),
      (error: { code: number }) => error.code === 401,
      JSON.stringify(bad),
    );
  }
});
