/**
 * A small typed listener registry with the ohos `on`/`off` rules.
 *
 * @module
 */

import { parameterError } from "./errors.ts";

// The listeners of an event nobody listens to (shared: never changed, only replaced).
const NONE: ReadonlyArray<(...args: never[]) => void> = Object.freeze([]);

/**
 * Listeners per event name. `off(type)` removes all of a type; adding the
 * same function twice keeps one registration (like `addEventListener`).
 * A listener that throws is handed to `onListenerError` and the others still run.
 */
export class ListenerRegistry<Events extends Record<string, (...args: never[]) => void>> {
  readonly #known: ReadonlySet<string>;
  /**
   * The listeners of each known event, an own property per name from the start: every
   * registry of a kind has the same shape, so the lookup per event is a property load
   * (a Map's is a hash lookup). Arrays are replaced, never changed (see `on`).
   */
  readonly #listeners: Record<string, ReadonlyArray<(...args: never[]) => void>>;
  readonly #onListenerError: (type: string, error: unknown) => void;

  /**
   * @param known the event names that are kept (others are ignored, as on the
   *   platform); one set shared by every registry of a kind
   * @param onListenerError reports an exception thrown by a listener
   */
  constructor(known: ReadonlySet<string>, onListenerError: (type: string, error: unknown) => void) {
    this.#known = known;
    this.#onListenerError = onListenerError;
    const listeners: Record<string, ReadonlyArray<(...args: never[]) => void>> = {};
    for (const name of known) listeners[name] = NONE;
    this.#listeners = listeners;
  }

  /** Adds `listener` for `type`; throws a 401 `BusinessError` for bad arguments. */
  on(type: unknown, listener: unknown): void {
    if (typeof type !== "string") throw parameterError("event type must be a string");
    if (typeof listener !== "function") throw parameterError("callback must be a function");
    if (!this.#known.has(type)) return;
    const list = this.#listeners[type];
    if (list.includes(listener as (...args: never[]) => void)) return;
    // Copy on write: emit() iterates the array it started with, unchanged.
    this.#listeners[type] = [...list, listener as (...args: never[]) => void];
  }

  /** Removes `listener`, or every listener of `type` when none is given. */
  off(type: unknown, listener?: unknown): void {
    if (typeof type !== "string") throw parameterError("event type must be a string");
    if (listener !== undefined && typeof listener !== "function") {
      throw parameterError("callback must be a function");
    }
    // Only known names are properties (a name such as "toString" must not reach Object's).
    if (!this.#known.has(type)) return;
    if (listener === undefined) {
      this.#listeners[type] = NONE;
      return;
    }
    const list = this.#listeners[type];
    if (!list.includes(listener as (...args: never[]) => void)) return;
    this.#listeners[type] = list.filter((l) => l !== listener);
  }

  /** True when at least one listener is registered for `type`. */
  has<K extends keyof Events & string>(type: K): boolean {
    return (this.#listeners[type]?.length ?? 0) > 0;
  }

  /**
   * {@linkcode ListenerRegistry.emit} for an event with one argument (a
   * message, a connection): the same calls, without a rest array and a
   * spread call per event.
   */
  emitOne<K extends keyof Events & string>(type: K, arg: Parameters<Events[K]>[0]): void {
    const list = this.#listeners[type];
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        (list[i] as (a: Parameters<Events[K]>[0]) => void)(arg);
      } catch (error) {
        this.#onListenerError(type, error);
      }
    }
  }

  /** Calls each listener of `type` with `args`, in registration order. */
  emit<K extends keyof Events & string>(type: K, ...args: Parameters<Events[K]>): void {
    const list = this.#listeners[type];
    if (list === undefined || list.length === 0) return;
    for (const listener of list) {
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (error) {
        this.#onListenerError(type, error);
      }
    }
  }
}

/**
 * A reporter for callbacks that throw: it logs to `console.error` and
 * changes nothing else, so the connection or server carries on.
 */
export function consoleReporter(owner: string): (type: string, error: unknown) => void {
  return (type, error) => {
    console.error(`[ohos-websocket] a ${owner} '${type}' callback threw; it carries on:`, error);
  };
}
