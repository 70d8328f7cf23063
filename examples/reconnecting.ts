/**
 * The reconnecting client (an extension, not on the platform): an echo server on 127.0.0.1
 * goes away for a while and comes back on the same port; the client reconnects on its
 * backoff schedule, and what was sent meanwhile is delivered in order once it is back.
 *
 * Usage: `deno run --allow-net examples/reconnecting.ts`, or with `ws://host:port/path` to
 * watch it against another server (stop and start that server yourself; Ctrl-C ends it).
 *
 * @module
 */

import {
  createReconnectingWebSocket,
  type ReconnectAttempt,
  type ReconnectingWebSocket,
} from "../mod.ts";
import { startEchoServer } from "./echo_server.ts";

/** A client that logs everything it sees; only this line differs from `createWebSocket()`. */
function loggingClient(): ReconnectingWebSocket {
  const ws = createReconnectingWebSocket({
    minDelayMs: 200,
    maxDelayMs: 2000,
    queueMaxMessages: 100,
  });
  ws.on("open", () => console.log("open"));
  ws.on("message", (_err, data) => console.log(`message: ${data}`));
  ws.on("close", (_err, result) => console.log(`close: ${result.code} ${result.reason}`));
  ws.on("error", (err) => console.log(`error: ${err.code} ${err.message}`));
  ws.on("reconnecting", (next) => {
    console.log(`reconnecting: attempt ${next.attempt} in ${next.delayMs} ms`);
  });
  ws.on("giveUp", (end) => console.log(`gave up: ${end.reason}`));
  return ws;
}

/** Resolves on the next `open` of `ws`. */
function nextOpen(ws: ReconnectingWebSocket): Promise<void> {
  return new Promise((resolve) => {
    const listener = () => {
      ws.off("open", listener);
      resolve();
    };
    ws.on("open", listener);
  });
}

/** Resolves when `text` arrives on `ws`. */
function received(ws: ReconnectingWebSocket, text: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (_err: unknown, data: string | ArrayBuffer) => {
      if (data !== text) return;
      ws.off("message", listener);
      resolve();
    };
    ws.on("message", listener);
  });
}

/** Resolves on the next `close` of `ws`. */
function nextClose(ws: ReconnectingWebSocket): Promise<void> {
  return new Promise((resolve) => {
    const listener = () => {
      ws.off("close", listener);
      resolve();
    };
    ws.on("close", listener);
  });
}

/** Resolves on the `reconnecting` event of attempt `attempt`. */
function attemptScheduled(ws: ReconnectingWebSocket, attempt: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (next: ReconnectAttempt) => {
      if (next.attempt < attempt) return;
      ws.off("reconnecting", listener);
      resolve();
    };
    ws.on("reconnecting", listener);
  });
}

if (import.meta.main) {
  const url = Deno.args[0];
  const ws = loggingClient();
  if (url !== undefined) {
    await ws.connect(url, { pingInterval: 10, pongTimeout: 5 });
  } else {
    let server = await startEchoServer({ hostname: "127.0.0.1", port: 0, sayBye: false });
    const port = Number(new URL(server.url).port);
    await ws.connect(server.url);
    const hello = received(ws, "hello");
    await ws.send("hello");
    await hello;

    console.log("-- the server goes away");
    await server.stop();
    // Queued while the server is away, sent in order once it is back.
    const queued = [ws.send("queued 1"), ws.send("queued 2")];
    await attemptScheduled(ws, 3);

    console.log("-- the server is back on the same port");
    server = await startEchoServer({ hostname: "127.0.0.1", port, sayBye: false });
    await nextOpen(ws);
    await Promise.all(queued);
    const bye = received(ws, "bye");
    await ws.send("bye");
    await bye;
    // close() ends the connection and stops reconnecting.
    const closed = nextClose(ws);
    await ws.close();
    await closed;
    await server.stop();
  }
}
