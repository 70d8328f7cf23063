/**
 * examples/chat_server.ts: one port serves the page, the login and the
 * WebSocket; only a logged-in client from the page's own origin gets in;
 * messages reach every member. Loopback only, every wait bounded.
 */

import assert from "node:assert/strict";
import webSocket from "../mod.ts";
import { startChatServer } from "../examples/chat_server.ts";
import { Queue, within } from "./helpers/deno_server.ts";
import { RawClient } from "./helpers/server_peers.ts";

/** One raw HTTP exchange; returns the whole answer text. */
async function exchange(port: number, request: string): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    await client.write(request);
    return await client.readToEnd();
  } finally {
    client.close();
  }
}

function login(port: number, name: string, password: string): Promise<string> {
  const body = `name=${encodeURIComponent(name)}&password=${encodeURIComponent(password)}`;
  return exchange(
    port,
    `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Our client in the chat, as a browser tab would connect. */
async function member(url: string, header: Record<string, string>) {
  const ws = webSocket.createWebSocket();
  const lines = new Queue<string>();
  ws.on("message", (_err, data) => lines.push(String(data)));
  ws.on("error", () => {});
  await within(ws.connect(url, { header, protocol: "chat.v1" }), "join");
  return { ws, lines };
}

Deno.test("chat example: the page, the login and the authenticated WebSocket share one port", async () => {
  const chat = await startChatServer({ hostname: "127.0.0.1", port: 0, password: "pw" });
  try {
    const { port, origin } = chat;
    assert.match(
      await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      /action="\/login"/,
    );
    assert.match(await login(port, "mallory", "guess"), /^HTTP\/1\.1 401/);
    const cookieOf = async (name: string) => {
      const answer = await login(port, name, "pw");
      assert.match(answer, /^HTTP\/1\.1 303/);
      return /set-cookie: (session=[^;]+)/i.exec(answer)![1];
    };
    const alice = await cookieOf("alice");
    const bob = await cookieOf("bob");
    assert.match(
      await exchange(
        port,
        `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${alice}\r\nConnection: close\r\n\r\n`,
      ),
      /Logged in as <b>alice<\/b>/,
    );

    const url = `ws://127.0.0.1:${port}/chat`;
    const refused = webSocket.createWebSocket();
    refused.on("error", () => {});
    // No session: 401. A session, but another site's page: 403. A wrong path: 404.
    await assert.rejects(refused.connect(url, { header: { origin } }), /401/);
    await assert.rejects(
      refused.connect(url, { header: { origin: "https://evil.example", cookie: alice } }),
      /403/,
    );
    await assert.rejects(
      refused.connect(`ws://127.0.0.1:${port}/other`, { header: { origin, cookie: alice } }),
      /404/,
    );

    const a = await member(url, { origin, cookie: alice });
    assert.equal(await a.lines.next("alice joined"), "* alice joined");
    const b = await member(url, { origin, cookie: bob });
    assert.equal(await a.lines.next("bob joined (seen by alice)"), "* bob joined");
    assert.equal(await b.lines.next("bob joined (seen by bob)"), "* bob joined");
    await a.ws.send("hello bob");
    assert.equal(await b.lines.next("message"), "alice: hello bob");
    assert.equal(await a.lines.next("own echo"), "alice: hello bob");
    await b.ws.close();
    assert.equal(await a.lines.next("bob left"), "* bob left");
    await a.ws.close();
  } finally {
    await chat.stop();
  }
});
