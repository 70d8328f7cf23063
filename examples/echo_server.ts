/**
 * A small echo server for the demo and local experiments, built on this
 * library's own `createWebSocketServer()`. With `sayBye`, it sends `bye`
 * after each echo, which makes the seed's example close itself.
 *
 * Run it alone: `deno run --allow-net examples/echo_server.ts [port]`.
 *
 * @module
 */

import webSocket from "../mod.ts";

/** A running echo server. */
export interface EchoServer {
  /** `ws://127.0.0.1:<port>/` */
  url: string;
  /** Closes every client (1001), waits for them, and releases the port. */
  stop(): Promise<void>;
}

/** Starts the echo server on `hostname:port` (port 0 picks a free one). */
export async function startEchoServer(
  options: { hostname: string; port: number; sayBye?: boolean },
): Promise<EchoServer> {
  const server = webSocket.createWebSocketServer();
  server.on("messageReceive", ({ clientConnection, data }) => {
    // A client may leave between its message and our answer; that is not an error here.
    server.send(data, clientConnection).catch(() => {});
    if (options.sayBye) server.send("bye", clientConnection).catch(() => {});
  });
  server.on("error", (err) => console.error(`echo server: ${err.message}`));
  await server.start({ serverIP: options.hostname, serverPort: options.port });
  const port = server.address()!.serverPort;
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `ws://${host}:${port}/`,
    stop: async () => {
      await server.stop();
    },
  };
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8080);
  const server = await startEchoServer({ hostname: "127.0.0.1", port });
  console.log(`echo server listening on ${server.url}`);
}
