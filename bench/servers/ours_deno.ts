/**
 * Our server on Deno, from mod.ts, for `deno task bench:server` (see ours_server.mjs).
 *
 * @module
 */

import webSocket from "../../mod.ts";
import { serveOurs } from "./ours_server.mjs";

await serveOurs(webSocket);
