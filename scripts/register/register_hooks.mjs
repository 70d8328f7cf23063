/**
 * The asynchronous resolve hook `ohos-websocket/register` installs with `module.register` on
 * Node versions without `module.registerHooks` (Node 20): the platform's module names resolve
 * to this package, by a self-reference through its `exports`.
 *
 * @module
 */

/** @type {string[]} */
let names = [];
let self = "";
let parentURL = import.meta.url;

/**
 * Receives the names from `register.mjs`.
 *
 * @param {{ names: string[], self: string }} data
 */
export function initialize(data) {
  names = data.names;
  self = data.self;
  parentURL = new URL("./register.mjs", import.meta.url).href;
}

/**
 * Resolves a platform name to this package; anything else as before.
 *
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context: object) => unknown} nextResolve
 */
export function resolve(specifier, context, nextResolve) {
  return names.includes(specifier)
    ? nextResolve(self, { ...context, parentURL })
    : nextResolve(specifier, context);
}
