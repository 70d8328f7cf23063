/**
 * A child process of the reusePort tests: starts a server with
 * `extReusePort` on 127.0.0.1 and the port given as its argument (0: any),
 * prints `ready <port>`, greets every client with `pid <pid>`, and stops
 * once its stdin closes.
 *
 * @module
 */

import webSocket from "../../mod.ts";

const server = webSocket.createWebSocketServer();
server.on("connect", (connection) => {
  server.send(`pid ${Deno.pid}`, connection).catch(() => {});
});
server.on("error", () => {});
await server.start({
  serverIP: "127.0.0.1",
  serverPort: Number(Deno.args[0] ?? 0),
  extReusePort: true,
  pingIntervalMs: 0,
  closeTimeoutMs: 500,
});
console.log(`ready ${server.address()!.serverPort}`);
// Runs until the parent closes our stdin.
for await (const _ of Deno.stdin.readable) {
  // ignore input
}
await server.stop();
