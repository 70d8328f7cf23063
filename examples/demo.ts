/**
 * The demo: starts an echo server on 127.0.0.1 (a free port) that also
 * answers `bye`, then runs the seed's complete example against it.
 *
 * Usage: `deno task demo` or `deno task demo ws://host:port/path` to talk to
 * another server instead of the embedded one.
 *
 * @module
 */

import { runSeedExample } from "./seed_example.ts";
import { startEchoServer } from "./echo_server.ts";

if (import.meta.main) {
  const url = Deno.args[0];
  if (url !== undefined) {
    await runSeedExample(url);
  } else {
    const server = await startEchoServer({ hostname: "127.0.0.1", port: 0, sayBye: true });
    await runSeedExample(server.url);
    await server.stop();
  }
}
