// WebSocket echo server on npm `ws` under Node, on 127.0.0.1 and a free port.
// Prints `PORT <n>` once listening; runs until killed (run.ts stops it) or for
// at most BENCH_SERVER_LIFETIME_S seconds.
import process from "node:process";
import { WebSocketServer } from "ws";

const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
const server = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  perMessageDeflate: false,
});
server.on("listening", () => console.log(`PORT ${server.address().port}`));
server.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => {});
});
setTimeout(() => {
  for (const ws of server.clients) ws.terminate();
  server.close();
}, lifetimeS * 1000).unref();
