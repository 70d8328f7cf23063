// The built package's deployment extensions under Node (and Bun): the upgrade gate and Origin
// allow-list, one port shared with a node:http server (extAttach), several processes on one port
// (extReusePort where the runtime has it, and Node's cluster), back-pressure on both ends
// (extBufferedAmount / extDrained) and a cancelled connect (extSignal). Loopback only, every wait
// bounded.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { before, test } from "node:test";
import WebSocket from "ws";
import helpers from "./helpers.cjs";

const { builtModulePath, importPackage, recordEvents, within } = helpers;
const T = { timeout: 20_000 };
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** @type {any} */
let webSocket;
before(async () => {
  webSocket = (await importPackage()).default;
});

/** A server on 127.0.0.1 (a free port) with `config`, counting its connect events. */
async function startServer(config = {}) {
  const server = webSocket.createWebSocketServer();
  const connects = [];
  server.on("connect", (c) => connects.push(c));
  server.on("messageReceive", (m) => server.send(m.data, m.clientConnection).catch(() => {}));
  server.on("error", () => {});
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, pingIntervalMs: 0, ...config });
  return { server, connects, port: server.address().serverPort };
}

/** Sends `text` on a raw socket; resolves with the status, headers (last of a name) and body. */
function rawAnswer(port, text) {
  return within(
    5000,
    "raw answer",
    new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString("latin1");
        const end = data.indexOf("\r\n\r\n");
        if (end >= 0 && data.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          resolve(parse(data, end));
        }
      });
      socket.on("end", () => {
        socket.destroy();
        resolve(parse(data, data.indexOf("\r\n\r\n")));
      });
      socket.on("error", reject);
      socket.write(text);
    }),
  );
}

function parse(data, end) {
  const [statusLine, ...lines] = data.slice(0, end).split("\r\n");
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, lines, body: data.slice(end + 4) };
}

function upgrade(port, target = "/", extra = "") {
  return `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
}

/** An npm `ws` client's open, or the status of its refusal. */
function wsOpen(url, protocols, options) {
  const client = new WebSocket(url, protocols, options);
  return within(
    5000,
    "ws open",
    new Promise((resolve) => {
      let response;
      client.once("upgrade", (res) => response = res);
      client.once("open", () => resolve({ client, response }));
      client.once("unexpected-response", (_req, res) => {
        resolve({ refused: res.statusCode, headers: res.headers });
        client.terminate();
      });
      client.once("error", () => {});
    }),
  );
}

test(
  "gate on Node: a refusal carries the gate's status, headers and body, and raises no connect",
  T,
  async () => {
    const { server, connects, port } = await startServer({
      extUpgradeGate: (info) =>
        info.query.get("token") === "good" ? true : {
          accept: false,
          status: 401,
          headers: { "WWW-Authenticate": "Token" },
          body: "token please\n",
        },
    });
    try {
      const refused = await rawAnswer(port, upgrade(port, "/?token=bad"));
      assert.equal(refused.status, 401);
      assert.equal(refused.headers["www-authenticate"], "Token");
      assert.equal(refused.body, "token please\n");
      assert.equal(connects.length, 0);
      const { client } = await wsOpen(`ws://127.0.0.1:${port}/?token=good`);
      client.terminate();
      assert.equal(connects.length <= 1, true);
    } finally {
      await server.stop();
    }
  },
);

test(
  "gate on Node: an accepted upgrade carries the gate's Set-Cookie headers and its subprotocol",
  T,
  async () => {
    const { server, port } = await startServer({
      protocol: "v1,v2",
      extUpgradeGate: (info) => ({
        accept: true,
        headers: { "Set-Cookie": ["a=1", "b=2"] },
        protocol: info.protocols.includes("v2") ? "v2" : null,
      }),
    });
    try {
      const { client, response } = await wsOpen(`ws://127.0.0.1:${port}/`, ["v1", "v2"]);
      assert.equal(client.protocol, "v2", "the gate's choice, not the config's first match");
      assert.deepEqual(response.headers["set-cookie"], ["a=1", "b=2"]);
      client.terminate();
    } finally {
      await server.stop();
    }
  },
);

test(
  "origin on Node: an Origin outside extAllowedOrigins is 403, a listed one opens",
  T,
  async () => {
    const { server, connects, port } = await startServer({
      extAllowedOrigins: ["https://chat.example"],
    });
    try {
      const url = `ws://127.0.0.1:${port}/`;
      const evil = await wsOpen(url, undefined, { origin: "https://evil.example" });
      assert.equal(evil.refused, 403);
      assert.equal(connects.length, 0);
      const good = await wsOpen(url, undefined, { origin: "https://chat.example" });
      good.client.terminate();
    } finally {
      await server.stop();
    }
  },
);

test(
  "one port on Node: an http server serves its pages, the attached server the upgrades",
  T,
  async () => {
    const web = http.createServer((req, res) => {
      res.setHeader("Connection", "close");
      res.end(`page ${req.url}`);
    });
    await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
    const port = web.address().port;
    const server = webSocket.createWebSocketServer();
    server.on("messageReceive", (m) => server.send(`echo ${m.data}`, m.clientConnection));
    try {
      assert.equal(await server.extAttach(web, { pingIntervalMs: 0 }), true);
      const page = await within(
        5000,
        "GET",
        new Promise((resolve, reject) => {
          http.get(`http://127.0.0.1:${port}/home`, (res) => {
            let body = "";
            res.on("data", (c) => body += c);
            res.on("end", () => resolve(body));
          }).on("error", reject);
        }),
      );
      assert.equal(page, "page /home");
      const ws = webSocket.createWebSocket();
      const events = recordEvents(ws);
      await within(5000, "connect", ws.connect(`ws://127.0.0.1:${port}/ws`));
      await ws.send("hi");
      assert.equal(await events.next("message"), "echo hi");
      // The RFC checks apply to attached upgrades too.
      const bad = await rawAnswer(port, upgrade(port).replace(KEY, "c2hvcnQ="));
      assert.equal(bad.status, 400);
      await ws.close();
      assert.equal((await events.next("close")).code, 1000);
    } finally {
      await server.stop();
      await new Promise((resolve) => web.close(resolve));
    }
  },
);

/** Writes a child server script into a temp folder; returns its path. */
function childScript(body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ohos-ws-reuse-"));
  const file = path.join(dir, "child.mjs");
  const mod = pathToFileURL(builtModulePath("esm/mod.js")).href;
  fs.writeFileSync(file, `import webSocket from ${JSON.stringify(mod)};\n${body}`);
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The server part of every child: greets each client with its pid, stops on stdin's end. */
const SERVE = `
export async function serve(port, extra) {
  const server = webSocket.createWebSocketServer();
  server.on("connect", (c) => server.send("pid " + process.pid, c).catch(() => {}));
  server.on("error", () => {});
  await server.start({ serverIP: "127.0.0.1", serverPort: port, pingIntervalMs: 0, ...extra });
  return server;
}
`;

/** Starts `file` with `args`; resolves with the port it prints and a stop function. */
async function spawnChild(file, args) {
  const child = spawn(process.execPath, [file, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  let text = "";
  const port = await within(
    20_000,
    "child ready",
    new Promise((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        text += chunk;
        const match = /ready (\d+)\n/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      child.once(
        "exit",
        (code) => reject(new Error(`child exited (${code}) before ready: ${text}`)),
      );
    }),
  );
  return {
    port,
    stop: () =>
      within(
        10_000,
        "child exit",
        new Promise((resolve) => {
          child.once("exit", (code) => resolve(code));
          child.stdin.end();
        }),
      ),
  };
}

/** Connects our client until two pids greeted one (at most 64 times). */
async function spread(port) {
  const seen = new Map();
  for (let i = 0; i < 64 && seen.size < 2; i++) {
    const ws = webSocket.createWebSocket();
    const events = recordEvents(ws);
    await within(5000, "connect", ws.connect(`ws://127.0.0.1:${port}/`, { pingInterval: 0 }));
    const pid = await events.next("message");
    seen.set(pid, (seen.get(pid) ?? 0) + 1);
    await ws.close();
    await events.next("close");
  }
  return seen;
}

/** True when this runtime's node:net binds one port twice with reusePort (Node 22.12+, Bun). */
async function hasReusePort() {
  const listen = (port) =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(null));
      s.listen({ host: "127.0.0.1", port, reusePort: true }, () => resolve(s));
    });
  const a = await listen(0);
  const b = a && await listen(a.address().port);
  for (const s of [a, b]) s?.close();
  return b !== null;
}

test(
  "reusePort on Node: two processes start on one port with extReusePort and both receive connections",
  T,
  async (t) => {
    if (!(await hasReusePort())) {
      t.skip(
        `node:net has no reusePort on ${process.version} (Node 22.12+ and Bun have it; see the cluster test)`,
      );
      return;
    }
    const { file, cleanup } = childScript(
      SERVE + `
const server = await serve(Number(process.argv[2]), { extReusePort: true });
console.log("ready " + server.address().serverPort);
process.stdin.resume();
process.stdin.on("end", async () => { await server.stop(); process.exit(0); });
`,
    );
    const first = await spawnChild(file, ["0"]);
    let second;
    try {
      second = await spawnChild(file, [String(first.port)]);
      const seen = await spread(first.port);
      assert.equal(seen.size, 2, `per process: ${JSON.stringify([...seen])}`);
    } finally {
      if (second) assert.equal(await second.stop(), 0);
      assert.equal(await first.stop(), 0);
      cleanup();
    }
  },
);

test(
  "cluster on Node: two cluster workers serve one port (start() with no extension) and both receive connections",
  T,
  async () => {
    const { file, cleanup } = childScript(
      SERVE + `
import cluster from "node:cluster";
if (cluster.isPrimary) {
  const port = Number(process.argv[2]);
  let ready = 0;
  for (let i = 0; i < 2; i++) {
    cluster.fork().on("message", (m) => { if (++ready === 2) console.log("ready " + m); });
  }
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const w of Object.values(cluster.workers)) w.send("stop");
    let left = 2;
    cluster.on("exit", () => { if (--left === 0) process.exit(0); });
  });
} else {
  const server = await serve(Number(process.env.PORT), {});
  process.send(server.address().serverPort);
  process.on("message", async () => { await server.stop(); process.exit(0); });
}
`,
    );
    // Workers need a fixed port to share (0 would give each its own); take a free one.
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = probe.address().port;
    await new Promise((resolve) => probe.close(resolve));
    process.env.PORT = String(port);
    const primary = await spawnChild(file, [String(port)]);
    try {
      assert.equal(primary.port, port);
      const seen = await spread(port);
      assert.equal(seen.size, 2, `per worker: ${JSON.stringify([...seen])}`);
    } finally {
      assert.equal(await primary.stop(), 0);
      delete process.env.PORT;
      cleanup();
    }
  },
);

test(
  "back-pressure on Node (server): extBufferedAmount rises while the client does not read; extDrained resolves when it reads",
  T,
  async () => {
    const { server, connects, port } = await startServer();
    const socket = net.connect(port, "127.0.0.1");
    try {
      let head = "";
      await within(
        5000,
        "101",
        new Promise((resolve) => {
          socket.on("data", function onData(chunk) {
            head += chunk.toString("latin1");
            if (head.includes("\r\n\r\n")) {
              socket.off("data", onData);
              socket.pause();
              resolve();
            }
          });
          socket.write(upgrade(port));
        }),
      );
      const connection = connects[0] ??
        await within(5000, "connect", new Promise((r) => server.on("connect", r)));
      assert.equal(server.extBufferedAmount(connection), 0);
      const payload = new Uint8Array(256 * 1024);
      let sent = 0;
      // Until bytes stay queued across a turn: the kernel's buffers are full, not just busy.
      do {
        server.send(payload, connection).catch(() => {});
        sent++;
        await new Promise((r) => setTimeout(r, 0));
      } while (server.extBufferedAmount(connection) === 0 && sent < 256);
      assert.ok(server.extBufferedAmount(connection) > 0, `queued after ${sent} sends`);
      let settled = false;
      const drained = server.extDrained(connection).finally(() => settled = true);
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(settled, false, "not drained while the client does not read");
      let read = 0;
      socket.on("data", (chunk) => read += chunk.length);
      socket.resume();
      assert.equal(await within(10_000, "extDrained", drained), true);
      assert.equal(server.extBufferedAmount(connection), 0);
      assert.ok(read > 0);
    } finally {
      socket.destroy();
      await server.stop();
    }
  },
);

test(
  "back-pressure on Node (client): extBufferedAmount rises while the server does not read; extDrained resolves when it reads",
  T,
  async () => {
    const sockets = [];
    const tcp = net.createServer((socket) => {
      sockets.push(socket);
      let head = "";
      socket.on("data", function onData(chunk) {
        head += chunk.toString("latin1");
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1];
        if (!head.includes("\r\n\r\n") || key === undefined) return;
        socket.off("data", onData);
        socket.pause();
        import("node:crypto").then(({ createHash }) => {
          const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
            .digest("base64");
          socket.write(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
              `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
          );
        });
      });
    });
    await new Promise((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    const ws = webSocket.createWebSocket();
    ws.on("error", () => {});
    try {
      assert.equal(ws.extBufferedAmount, 0);
      await within(
        5000,
        "connect",
        ws.connect(`ws://127.0.0.1:${tcp.address().port}/`, {
          pingInterval: 0,
          closeTimeoutMs: 200,
        }),
      );
      const payload = new Uint8Array(256 * 1024);
      let sent = 0;
      do {
        ws.send(payload.buffer).catch(() => {});
        sent++;
        await new Promise((r) => setTimeout(r, 0));
      } while (ws.extBufferedAmount === 0 && sent < 256);
      assert.ok(ws.extBufferedAmount > 0, `queued after ${sent} sends`);
      let settled = false;
      const drained = ws.extDrained().finally(() => settled = true);
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(settled, false, "not drained while the server does not read");
      sockets[0].on("data", () => {});
      sockets[0].resume();
      assert.equal(await within(10_000, "client extDrained", drained), true);
      assert.equal(ws.extBufferedAmount, 0);
    } finally {
      await ws.close().catch(() => {});
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    }
  },
);

test(
  "cancel a connect on Node: an aborted extSignal rejects at once (-1) and the socket is closed",
  T,
  async () => {
    const heads = [];
    let closedByClient;
    const closed = new Promise((resolve) => closedByClient = resolve);
    let accepted = 0;
    const tcp = net.createServer((socket) => {
      accepted++;
      socket.on("data", (chunk) => heads.push(chunk.toString()));
      socket.on("error", () => {});
      socket.on("close", () => closedByClient());
    });
    await new Promise((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    const url = `ws://127.0.0.1:${tcp.address().port}/`;
    try {
      const ws = webSocket.createWebSocket();
      ws.on("error", () => {});
      await assert.rejects(
        ws.connect(url, { extSignal: AbortSignal.abort(new Error("gone")) }),
        (e) => e.code === -1 && /connect aborted: gone/.test(e.message),
      );
      const controller = new AbortController();
      const connecting = ws.connect(url, { extSignal: controller.signal });
      await within(
        5000,
        "request head",
        new Promise((resolve) => {
          const check = setInterval(() => {
            if (heads.join("").includes("\r\n\r\n")) {
              clearInterval(check);
              resolve();
            }
          }, 5);
        }),
      );
      controller.abort();
      await assert.rejects(within(2000, "aborted connect", connecting), /connect aborted/);
      await within(2000, "server sees the close", closed);
      assert.equal(accepted, 1, "the pre-aborted connect opened no socket");
    } finally {
      await new Promise((resolve) => tcp.close(resolve));
    }
  },
);
