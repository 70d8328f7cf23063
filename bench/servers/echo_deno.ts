/**
 * WebSocket echo server on `Deno.serve` + `Deno.upgradeWebSocket`, on
 * 127.0.0.1 and a free port. Prints `PORT <n>` once listening; runs until
 * killed (run.ts stops it) or for at most BENCH_SERVER_LIFETIME_S seconds.
 *
 * @module
 */

const lifetimeS = Number(Deno.env.get("BENCH_SERVER_LIFETIME_S") ?? "3600");

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`PORT ${port}`),
}, (request) => {
  if (request.headers.get("upgrade") !== "websocket") {
    return new Response("echo server: WebSocket only", { status: 426 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => socket.send(event.data);
  socket.onerror = () => {};
  return response;
});

setTimeout(() => server.shutdown(), lifetimeS * 1000);
