/**
 * Echo server of the issue-15 measurements (bench/deploy/measure.ts):
 * `own` starts on a port of its own (`extReusePort`, so several can share
 * it), `attach` serves through a `node:http` server (`extAttach`); the
 * third argument is busy work per message (loop iterations, default 0).
 * Prints `ready <port>`; stops when stdin closes.
 *
 * @module
 */

import http from "node:http";
import type { AddressInfo } from "node:net";
import webSocket from "../../mod.ts";

const [mode = "own", portArg = "0", workArg = "0"] = Deno.args;
/** Iterations of busy work per message: an application's own CPU cost per message. */
const work = Number(workArg);
let sink = 0;
const server = webSocket.createWebSocketServer();
server.on("messageReceive", (m) => {
  for (let i = 0; i < work; i++) sink = (sink * 31 + i) | 0;
  server.send(m.data, m.clientConnection).catch(() => {});
});
server.on("error", () => {});
const limits = {
  maxConcurrentClientsNumber: 1000,
  maxConnectionsForOneClient: 1000,
  allowMoreThanPlatformLimit: true,
  pingIntervalMs: 0,
};
let port: number;
let web: http.Server | undefined;
if (mode === "attach") {
  web = http.createServer((_req, res) => res.end("page"));
  await new Promise<void>((resolve) => web!.listen(Number(portArg), "127.0.0.1", resolve));
  port = (web.address() as AddressInfo).port;
  await server.extAttach(web, limits);
} else {
  await server.start({
    serverIP: "127.0.0.1",
    serverPort: Number(portArg),
    extReusePort: true,
    ...limits,
  });
  port = server.address()!.serverPort;
}
console.log(`ready ${port}`);
for await (const _ of Deno.stdin.readable) {
  // runs until stdin closes
}
await server.stop();
web?.close();
if (sink === 0.5) console.log(sink); // keeps the work from being optimized away
