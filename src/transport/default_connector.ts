/**
 * Picks the transport for the runtime the code runs in.
 *
 * @module
 */

import { connectDeno } from "./deno_stream.ts";
import type { ConnectOptions, Connector } from "./types.ts";

/** The connector for this runtime (Deno today; Node comes with the npm build). */
export function defaultConnector(_options?: ConnectOptions): Connector {
  if ("Deno" in globalThis) return connectDeno;
  throw new Error("no transport for this runtime yet: run under Deno");
}
