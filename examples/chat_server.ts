/**
 * An authenticated chat server that serves its own page and its WebSocket
 * on one port: a `node:http` server (Deno implements it) answers the page
 * and the login form, and this library's server is attached to its
 * `upgrade` events (`extAttach`). Only a logged-in browser gets in: the
 * upgrade gate checks the session cookie that `POST /login` set, and the
 * Origin allow-list refuses pages of other sites (cross-site WebSocket
 * hijacking). Broadcasts skip a client whose queue is over 1 MiB
 * (`extBufferedAmount`), so one slow reader cannot make the server buffer
 * without bound.
 *
 * Run it: `deno run --allow-net --allow-env examples/chat_server.ts [port]`,
 * open http://127.0.0.1:8080/ in two browser tabs, log in with any name and
 * the password (`CHAT_PASSWORD`, default `letmein`).
 *
 * @module
 */

import http from "node:http";
import type { AddressInfo } from "node:net";
import webSocket, { type UpgradeVerdict, type WebSocketConnection } from "../mod.ts";

/** A running chat server. */
export interface ChatServer {
  /** `http://host:port`, the page's origin. */
  origin: string;
  /** Port of both the page and the WebSocket. */
  port: number;
  /** Closes every chat client (1001), then the HTTP server. */
  stop(): Promise<void>;
}

/** Above this many queued bytes a client misses broadcasts until it catches up. */
const SLOW_CLIENT_BYTES = 1024 * 1024;

const PAGE = (name: string) =>
  `<!doctype html>
<meta charset="utf-8"><title>chat</title>
<p>Logged in as <b>${escapeHtml(name)}</b></p>
<ul id="log"></ul>
<form id="say"><input id="text" autocomplete="off" autofocus><button>send</button></form>
<script>
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/chat", "chat.v1");
  const log = document.getElementById("log");
  ws.onmessage = (e) => { const li = document.createElement("li"); li.textContent = e.data; log.append(li); };
  ws.onclose = (e) => { const li = document.createElement("li"); li.textContent = "closed " + e.code; log.append(li); };
  document.getElementById("say").onsubmit = (e) => {
    e.preventDefault();
    const text = document.getElementById("text");
    ws.send(text.value);
    text.value = "";
  };
</script>`;

const LOGIN = `<!doctype html>
<meta charset="utf-8"><title>chat: log in</title>
<form method="post" action="/login">
  <input name="name" placeholder="name" required>
  <input name="password" type="password" placeholder="password" required>
  <button>log in</button>
</form>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The `session` cookie of a request's `Cookie` header. */
function sessionOf(cookie: string | undefined): string | undefined {
  for (const pair of (cookie ?? "").split(";")) {
    const [key, value] = pair.trim().split("=");
    if (key === "session") return value;
  }
  return undefined;
}

/** Starts the chat on `hostname:port` (0: a free port). */
export async function startChatServer(
  options: { hostname: string; port: number; password: string },
): Promise<ChatServer> {
  /** Session token → user name; a token is 128 random bits. */
  const sessions = new Map<string, string>();
  /** Open chat connections → user name (set by the gate, read on connect). */
  const names = new WeakMap<WebSocketConnection, string>();

  const web = http.createServer((req, res) => {
    res.setHeader("Connection", "close");
    const name = sessions.get(sessionOf(req.headers.cookie) ?? "");
    if (req.method === "GET" && req.url === "/") {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      res.end(name === undefined ? LOGIN : PAGE(name));
    } else if (req.method === "POST" && req.url === "/login") {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
        if (body.length > 4096) req.destroy();
      });
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const user = form.get("name")?.trim() ?? "";
        if (user === "" || user.length > 32 || form.get("password") !== options.password) {
          res.writeHead(401, { "Content-Type": "text/plain" }).end("wrong name or password\n");
          return;
        }
        const token = crypto.randomUUID();
        sessions.set(token, user);
        res.writeHead(303, {
          Location: "/",
          "Set-Cookie": `session=${token}; HttpOnly; SameSite=Strict; Path=/`,
        }).end();
      });
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve) => web.listen(options.port, options.hostname, resolve));
  const port = (web.address() as AddressInfo).port;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const origin = `http://${host}:${port}`;

  const chat = webSocket.createWebSocketServer();
  const broadcast = (text: string) => {
    for (const connection of chat.listAllConnections()) {
      if (chat.extBufferedAmount(connection) > SLOW_CLIENT_BYTES) continue;
      chat.send(text, connection).catch(() => {});
    }
  };
  chat.on("connect", (connection) => broadcast(`* ${names.get(connection)} joined`));
  chat.on("messageReceive", ({ clientConnection, data }) => {
    if (typeof data === "string" && data.length <= 1000) {
      broadcast(`${names.get(clientConnection)}: ${data}`);
    }
  });
  chat.on("close", (connection) => broadcast(`* ${names.get(connection)} left`));
  chat.on("error", (err) => console.error(`chat: ${err.message}`));
  await chat.extAttach(web, {
    protocol: "chat.v1",
    maxConcurrentClientsNumber: 100,
    maxConnectionsForOneClient: 10,
    allowMoreThanPlatformLimit: true,
    maxMessageSize: 64 * 1024,
    // Only this page's origin: another site's page cannot ride on the visitor's cookie.
    extAllowedOrigins: [origin],
    extUpgradeGate: (request): UpgradeVerdict => {
      if (request.pathname !== "/chat") return { accept: false, status: 404 };
      const name = sessions.get(request.cookies.session ?? "");
      if (name === undefined) {
        return { accept: false, status: 401, body: "log in at / first\n" };
      }
      names.set(request.connection, name);
      return { accept: true };
    },
  });

  return {
    origin,
    port,
    async stop() {
      await chat.stop();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8080);
  const password = Deno.env.get("CHAT_PASSWORD") ?? "letmein";
  const server = await startChatServer({ hostname: "127.0.0.1", port, password });
  console.log(`chat on ${server.origin}/ (page and WebSocket on port ${server.port})`);
}
