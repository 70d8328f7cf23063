// `Bun.serve` with its WebSocket support (uWebSockets inside) for `deno task
// bench:server`: echo, or with BENCH_SERVER_MODE=broadcast every received
// message is published to a topic every client subscribes to (uWebSockets'
// own broadcast; `server.publish` includes the sender). 127.0.0.1 and a free
// port; prints `PORT <n>`; runs until killed or for BENCH_SERVER_LIFETIME_S seconds.
import process from "node:process";

const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
const broadcast = process.env.BENCH_SERVER_MODE === "broadcast";
const server = globalThis.Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    if (server.upgrade(request)) return undefined;
    return new Response("WebSocket only", { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 16 * 1024 * 1024,
    // Above the most a workload keeps in flight (4 × 4 MiB), so nothing is dropped.
    backpressureLimit: 64 * 1024 * 1024,
    open(ws) {
      if (broadcast) ws.subscribe("all");
    },
    message: broadcast ? (_ws, message) => server.publish("all", message) : (ws, message) => {
      ws.send(message);
    },
  },
});
console.log(`PORT ${server.port}`);
setTimeout(() => process.exit(0), lifetimeS * 1000).unref();
