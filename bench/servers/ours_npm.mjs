// Our server from the npm build (npm/esm/mod.js, made by `deno task build:npm`),
// on Node or Bun, for `deno task bench:server` (see ours_server.mjs).
import { serveOurs } from "./ours_server.mjs";

const { default: webSocket } = await import("../../npm/esm/mod.js");
await serveOurs(webSocket);
