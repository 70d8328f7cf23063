/**
 * Raw TCP echo server for the physical-limit client, on 127.0.0.1 and a free
 * port. Prints `PORT <n>` once listening; runs until killed (run.ts stops it)
 * or for at most BENCH_SERVER_LIFETIME_S seconds.
 *
 * @module
 */

const lifetimeS = Number(Deno.env.get("BENCH_SERVER_LIFETIME_S") ?? "3600");
// Bytes each connection reads into; the server bench's idle workload asks for a small one.
const readBufferSize = Number(Deno.env.get("BENCH_TCP_READ_BUFFER") ?? 256 * 1024);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(`PORT ${(listener.addr as Deno.NetAddr).port}`);
setTimeout(() => listener.close(), lifetimeS * 1000);

async function echo(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(readBufferSize);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      for (let offset = 0; offset < n;) {
        offset += await conn.write(buffer.subarray(offset, n));
      }
    }
  } catch {
    // Peer reset: nothing to do.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

try {
  for await (const conn of listener) echo(conn as Deno.TcpConn);
} catch {
  // Listener closed at the end of its lifetime.
}
