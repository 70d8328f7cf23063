/**
 * A process under attack, for tests that measure what a hostile peer costs
 * the receiving process (its RSS, from /proc). It runs our server or our
 * client and reports what happens as one JSON object per stdout line; it
 * exits when its stdin closes.
 *
 *   deno run --allow-net flood_victim.ts server '<WebSocketServerConfig JSON>'
 *     → {"event":"listening","port":N}, then per client message
 *       {"event":"message","kind":"binary","size":N} (and answers the client
 *       with the text "binary N"), {"event":"close","code":N}, {"event":"error","code":N}
 *   deno run --allow-net flood_victim.ts client ws://127.0.0.1:N/ '<options JSON>'
 *     → {"event":"open"}, {"event":"message",…}, {"event":"close","code":N}, {"event":"error",…}
 *
 * @module
 */

import webSocket, { type BusinessError, type WebSocketRequestOptions } from "../../mod.ts";

function report(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

function describe(data: string | ArrayBuffer): { kind: string; size: number } {
  return typeof data === "string"
    ? { kind: "text", size: new TextEncoder().encode(data).length }
    : { kind: "binary", size: data.byteLength };
}

async function untilStdinCloses(): Promise<void> {
  for await (const _ of Deno.stdin.readable) {
    // Input is ignored: only its end matters.
  }
}

const [mode, first, second] = Deno.args;
if (mode === "server") {
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", (message) => {
    const { kind, size } = describe(message.data);
    report({ event: "message", kind, size });
    server.send(`${kind} ${size}`, message.clientConnection).catch(() => {});
  });
  server.on("close", (_connection, result) => report({ event: "close", code: result.code }));
  server.on("error", (error) => report({ event: "error", code: error.code }));
  const config = JSON.parse(first ?? "{}");
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, ...config });
  report({ event: "listening", port: server.address()!.serverPort });
  await untilStdinCloses();
  await server.stop();
} else if (mode === "client") {
  const ws = webSocket.createWebSocket();
  ws.on("open", () => report({ event: "open" }));
  ws.on("message", (_error, data) => report({ event: "message", ...describe(data) }));
  ws.on("close", (_error, result) => report({ event: "close", code: result.code }));
  ws.on("error", (error) => report({ event: "error", code: error.code }));
  const options: WebSocketRequestOptions = JSON.parse(second ?? "{}");
  ws.connect(first, options).catch((error: BusinessError) => {
    report({ event: "connect failed", code: error.code });
  });
  await untilStdinCloses();
  await ws.close().catch(() => {});
} else {
  throw new Error(`unknown mode ${mode}`);
}
