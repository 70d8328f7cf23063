// npm `ws` (with bufferutil) on Node for `deno task bench:server`: echo, or with
// BENCH_SERVER_MODE=broadcast every received message goes to every client
// (`wss.clients`). 127.0.0.1 and a free port; prints `PORT <n>`; runs until
// killed or for BENCH_SERVER_LIFETIME_S seconds.
import process from "node:process";
import { WebSocketServer } from "ws";

const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
const broadcast = process.env.BENCH_SERVER_MODE === "broadcast";
const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
server.on("listening", () => console.log(`PORT ${server.address().port}`));
server.on("connection", (ws) => {
  if (broadcast) {
    ws.on("message", (data, isBinary) => {
      for (const client of server.clients) client.send(data, { binary: isBinary });
    });
  } else {
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
  ws.on("error", () => {});
});
setTimeout(() => process.exit(0), lifetimeS * 1000).unref();
