/**
 * A small echo server for the demo and local experiments. With `sayBye`, it
 * sends `bye` after each echo, which makes the seed's example close itself.
 *
 * Run it alone: `deno run --allow-net examples/echo_server.ts [port]`.
 *
 * @module
 */

/** A running echo server. */
export interface EchoServer {
  /** `ws://127.0.0.1:<port>/` */
  url: string;
  /** Stops listening and waits for open connections to end. */
  stop(): Promise<void>;
}

/** Starts the echo server on `hostname:port` (port 0 picks a free one). */
export function startEchoServer(
  options: { hostname: string; port: number; sayBye?: boolean },
): EchoServer {
  const server = Deno.serve(
    { hostname: options.hostname, port: options.port, onListen: () => {} },
    (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("this is a WebSocket echo server\n", { status: 426 });
      }
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = (event) => {
        socket.send(event.data);
        if (options.sayBye) socket.send("bye");
      };
      return response;
    },
  );
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `ws://${host}:${server.addr.port}/`,
    stop: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 8080);
  const server = startEchoServer({ hostname: "127.0.0.1", port });
  console.log(`echo server listening on ${server.url}`);
}
