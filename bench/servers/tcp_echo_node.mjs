// Raw TCP echo server on Node (`node:net`, each socket piped into itself): the
// floor of the server bench on Node. 127.0.0.1 and a free port; prints
// `PORT <n>`; runs until killed or for BENCH_SERVER_LIFETIME_S seconds.
// With BENCH_SERVER_MODE=broadcast (the (s4) floor) every chunk read goes, as
// it is, to every open socket: one `socket.write` per delivery and nothing else.
import net from "node:net";
import process from "node:process";

const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
const broadcast = process.env.BENCH_SERVER_MODE === "broadcast";
const open = new Set();
// Without a handshake a connection the load generator has opened may not be accepted yet when
// the first message arrives: hold messages until this many are open, then send them.
const expected = Number(process.env.BENCH_BROADCAST_CONNECTIONS ?? 0);
const held = [];
function broadcastChunk(chunk) {
  if (open.size < expected) {
    held.push(chunk);
    return;
  }
  for (const receiver of open) receiver.write(chunk);
}
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => {});
  if (!broadcast) {
    socket.pipe(socket);
    return;
  }
  open.add(socket);
  if (open.size === expected) { for (const chunk of held.splice(0)) broadcastChunk(chunk); }
  socket.on("close", () => open.delete(socket));
  socket.on("data", broadcastChunk);
});
server.listen(0, "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
setTimeout(() => process.exit(0), lifetimeS * 1000).unref();
