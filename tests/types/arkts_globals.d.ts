/**
 * The part of the ArkTS runtime's global scope that the samples in this folder use and that
 * `lib.es2022` does not declare: the `console` object. The type check runs without the DOM
 * library on purpose, so that nothing from a browser leaks into the ArkTS samples.
 *
 * The shapes match the DOM and Node declarations, so this file also merges cleanly with them.
 */

/** The runtime's logging object. */
interface Console {
  /** Logs at debug level. */
  debug(...data: unknown[]): void;
  /** Logs at error level. */
  error(...data: unknown[]): void;
  /** Logs at info level. */
  info(...data: unknown[]): void;
  /** Logs at default level. */
  log(...data: unknown[]): void;
  /** Logs at warning level. */
  warn(...data: unknown[]): void;
}

/** The runtime's logging object. */
// deno-lint-ignore no-var
declare var console: Console;
