/**
 * `Deno.serve` + `Deno.upgradeWebSocket` for both benches (`deno task bench`'s
 * echo server and a peer of `deno task bench:server`): echo,
 * or with BENCH_SERVER_MODE=broadcast every received message goes to every
 * open socket (a Set of them). 127.0.0.1 and a free port; prints `PORT <n>`;
 * runs until killed or for BENCH_SERVER_LIFETIME_S seconds.
 *
 * @module
 */

const lifetimeS = Number(Deno.env.get("BENCH_SERVER_LIFETIME_S") ?? "3600");
const broadcast = Deno.env.get("BENCH_SERVER_MODE") === "broadcast";
const sockets = new Set<WebSocket>();

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`PORT ${port}`),
}, (request) => {
  if (request.headers.get("upgrade") !== "websocket") {
    return new Response("WebSocket only", { status: 426 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  if (broadcast) {
    socket.onopen = () => sockets.add(socket);
    socket.onclose = () => sockets.delete(socket);
    socket.onmessage = (event) => {
      for (const other of sockets) other.send(event.data);
    };
  } else {
    socket.onmessage = (event) => socket.send(event.data);
  }
  socket.onerror = () => {};
  return response;
});

setTimeout(() => server.shutdown(), lifetimeS * 1000);
