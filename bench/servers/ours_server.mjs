// Our server (createWebSocketServer) for bench/server_bench.ts, shared by the
// Deno entry (ours_deno.ts, mod.ts) and the Node/Bun entry (ours_npm.mjs, the
// npm build). Echo, or with BENCH_SERVER_MODE=broadcast every received message
// goes to every open connection. Listens on 127.0.0.1 and a free port, prints
// `PORT <n>`; runs until killed or for BENCH_SERVER_LIFETIME_S seconds.
import process from "node:process";
import { profileOnSignals } from "../lib/signal_profiler.mjs";

/** Extensions: lift the platform's cap of 10 clients for thousands of connections. */
export const BENCH_LIMITS = {
  allowMoreThanPlatformLimit: true,
  maxConcurrentClientsNumber: 20_000,
  maxConnectionsForOneClient: 20_000,
};

/** The bench's handlers: echo each message, or send it to every open connection. */
export function serveBench(server, mode) {
  if (mode === "broadcast") {
    server.on("messageReceive", (m) => {
      for (const connection of server.listAllConnections()) server.send(m.data, connection);
    });
  } else {
    server.on("messageReceive", (m) => server.send(m.data, m.clientConnection));
  }
  server.on("error", () => {});
}

/** Starts the bench server on `webSocket` (the module's default export). */
export async function serveOurs(webSocket) {
  const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
  if (process.env.BENCH_PROFILE) await profileOnSignals(process.env.BENCH_PROFILE);
  // A send to a client that has just gone away rejects; at the end of a job
  // that is expected, and it must neither crash the server nor cost the hot path a `catch`.
  process.on("unhandledRejection", () => {});
  const server = webSocket.createWebSocketServer();
  serveBench(server, process.env.BENCH_SERVER_MODE === "broadcast" ? "broadcast" : "echo");
  await server.start({ serverIP: "127.0.0.1", serverPort: 0, ...BENCH_LIMITS });
  console.log(`PORT ${server.address().serverPort}`);
  setTimeout(() => process.exit(0), lifetimeS * 1000);
}
