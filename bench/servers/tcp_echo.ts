/**
 * Raw TCP echo server for the physical-limit client, on 127.0.0.1 and a free
 * port. Prints `PORT <n>` once listening; runs until killed (run.ts stops it)
 * or for at most BENCH_SERVER_LIFETIME_S seconds.
 *
 * With BENCH_SERVER_MODE=broadcast (the server bench's (s4) floor) every read
 * goes, as it is, to every open connection: one `conn.write` per delivery and
 * nothing else, the least a Deno server can do for a broadcast.
 *
 * @module
 */

const lifetimeS = Number(Deno.env.get("BENCH_SERVER_LIFETIME_S") ?? "3600");
// Bytes each connection reads into; the server bench's idle workload asks for a small one.
const readBufferSize = Number(Deno.env.get("BENCH_TCP_READ_BUFFER") ?? 256 * 1024);
const broadcast = Deno.env.get("BENCH_SERVER_MODE") === "broadcast";
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(`PORT ${(listener.addr as Deno.NetAddr).port}`);
setTimeout(() => listener.close(), lifetimeS * 1000);

const open = new Set<Deno.TcpConn>();
const ignore = () => {};

/** Writes all of `bytes` (a short write continues with the rest); errors end nothing here. */
function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): void {
  conn.write(bytes).then((n) => {
    if (n < bytes.length) writeAll(conn, bytes.subarray(n));
  }, ignore);
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(broadcast ? 4096 : readBufferSize);
  open.add(conn);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      if (broadcast) {
        // Every receiver gets the same bytes, copied once out of the read buffer.
        const bytes = buffer.slice(0, n);
        for (const receiver of open) writeAll(receiver, bytes);
        continue;
      }
      for (let offset = 0; offset < n;) {
        offset += await conn.write(buffer.subarray(offset, n));
      }
    }
  } catch {
    // Peer reset: nothing to do.
  } finally {
    open.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

try {
  for await (const conn of listener) serve(conn as Deno.TcpConn);
} catch {
  // Listener closed at the end of its lifetime.
}
