/**
 * `ohos-websocket/register`: resolves the platform's module names, as device code imports
 * them, to this package, so that code written for OpenHarmony runs unchanged.
 *
 * - Node: `node --import ohos-websocket/register app.js`. Node 22.15+ gets synchronous,
 *   in-thread hooks (`module.registerHooks`), which cover `import` and `require`; Node 20
 *   gets `module.register`, whose hooks cover `import` only.
 * - Bun: `bun --preload ohos-websocket/register app.ts` (`--import` is Bun's alias of it),
 *   or `preload = ["ohos-websocket/register"]` in `bunfig.toml`; a runtime plugin resolves the
 *   names.
 *
 * The names: `@ohos.net.webSocket`, `@kit.NetworkKit`, `@kit.BasicServicesKit`, `@ohos.base`.
 * Each resolves to the package root, which exports the `webSocket` namespace (default and
 * named) and `BusinessError`.
 *
 * @module
 */

import module from "node:module";
import { fileURLToPath } from "node:url";

/** The platform's module names this package stands in for. */
const NAMES = ["@ohos.net.webSocket", "@kit.NetworkKit", "@kit.BasicServicesKit", "@ohos.base"];

/** This package's name: resolving it from here is a self-reference through `exports`. */
const SELF = "ohos-websocket";

const bun = /** @type {{ Bun?: { plugin(p: unknown): void } }} */ (globalThis).Bun;

if (bun !== undefined) {
  // Bun resolves a plugin's answer as a file path; the ES build serves import and require.
  const target = fileURLToPath(new URL("./esm/mod.js", import.meta.url));
  bun.plugin({
    name: "ohos-websocket/register",
    setup(build) {
      build.onResolve(
        { filter: /^@(ohos\.net\.webSocket|kit\.NetworkKit|kit\.BasicServicesKit|ohos\.base)$/ },
        () => ({ path: target }),
      );
    },
  });
} else if (typeof module.registerHooks === "function") {
  const parentURL = import.meta.url;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      return NAMES.includes(specifier)
        ? nextResolve(SELF, { ...context, parentURL })
        : nextResolve(specifier, context);
    },
  });
} else {
  // Node 20: the asynchronous hooks run in a worker, from a module of their own.
  module.register("./register_hooks.mjs", import.meta.url, { data: { names: NAMES, self: SELF } });
}
