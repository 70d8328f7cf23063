/**
 * Picks the transport for the runtime the code runs in.
 *
 * @module
 */

import { connectDeno, denoCanConnect } from "./deno_stream.ts";
import { connectNode } from "./node_stream.ts";
import { listenDeno } from "./deno_listener.ts";
import type { Listen } from "./listener.ts";
import { listenNode } from "./node_listener.ts";
import type { ConnectOptions, Connector } from "./types.ts";

/**
 * The connector for this runtime and these options: `Deno.connect` /
 * `Deno.connectTls` on Deno when they can honour every option, otherwise
 * `node:net` / `node:tls` (on Node, and on Deno for the TLS settings Deno's
 * own API lacks).
 *
 * @example
 * ```ts ignore
 * import { defaultConnector } from "./default_connector.ts";
 * const options = { hostname: "127.0.0.1", port: 8080 };
 * const stream = await defaultConnector(options)(options);
 * stream.close();
 * ```
 */
export function defaultConnector(options?: ConnectOptions): Connector {
  // Only a property check: `Deno` itself is never referenced outside Deno.
  if ("Deno" in globalThis && (options === undefined || denoCanConnect(options))) {
    return connectDeno;
  }
  return connectNode;
}

/**
 * The listener for this runtime: `Deno.listen` on Deno (`node:tls` for TLS,
 * see `deno_listener.ts`), `node:net` / `node:tls` on Node.
 */
export function defaultListen(): Listen {
  return "Deno" in globalThis ? listenDeno : listenNode;
}
