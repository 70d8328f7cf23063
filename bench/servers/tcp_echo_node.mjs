// Raw TCP echo server on Node (`node:net`, each socket piped into itself): the
// floor of the server bench on Node. 127.0.0.1 and a free port; prints
// `PORT <n>`; runs until killed or for BENCH_SERVER_LIFETIME_S seconds.
import net from "node:net";
import process from "node:process";

const lifetimeS = Number(process.env.BENCH_SERVER_LIFETIME_S ?? "3600");
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => {});
  socket.pipe(socket);
});
server.listen(0, "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
setTimeout(() => process.exit(0), lifetimeS * 1000).unref();
