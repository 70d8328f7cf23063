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
// Without a handshake a connection the load generator has opened may not be accepted yet when
// the first message arrives: hold messages until this many are open, then send them.
const expected = Number(Deno.env.get("BENCH_BROADCAST_CONNECTIONS") ?? 0);
const held: Uint8Array[] = [];

/** Writes `bytes` to every open connection (held until the expected number is open). */
function broadcastBytes(bytes: Uint8Array): void {
  if (open.size < expected) {
    held.push(bytes);
    return;
  }
  for (const receiver of open) writeAll(receiver, bytes);
}

/**
 * Writes all of `bytes` (a short write continues with the rest); errors end nothing here.
 * There is no queue per connection: (s4) has one broadcast in flight at a time, so two of
 * these never write to the same connection at once.
 */
function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): void {
  conn.write(bytes).then((n) => {
    if (n < bytes.length) writeAll(conn, bytes.subarray(n));
  }, ignore);
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(broadcast ? 4096 : readBufferSize);
  open.add(conn);
  if (open.size === expected) { for (const bytes of held.splice(0)) broadcastBytes(bytes); }
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      if (broadcast) {
        // Every receiver gets the same bytes, copied once out of the read buffer.
        broadcastBytes(buffer.slice(0, n));
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
