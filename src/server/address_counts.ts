/**
 * How many connections each client address has in one state (still in the
 * handshake, or upgraded), kept as they come and go so that the per-address
 * limits cost one lookup per connection instead of a pass over every
 * connection (which made each accept slower the more clients a server had).
 *
 * @module
 */

/**
 * Counts per address key.
 *
 * @example
 * ```ts
 * import { AddressCounts } from "./address_counts.ts";
 * const counts = new AddressCounts();
 * counts.add("127.0.0.1");
 * counts.add("127.0.0.1");
 * counts.remove("127.0.0.1");
 * // counts.of("127.0.0.1") === 1, counts.of("::1") === 0
 * ```
 */
export class AddressCounts {
  readonly #counts = new Map<string, number>();

  /** One more connection from `key`. */
  add(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** One connection fewer from `key`; the entry goes once none is left (no growth per address seen). */
  remove(key: string): void {
    const count = this.#counts.get(key);
    if (count === undefined) return;
    if (count <= 1) this.#counts.delete(key);
    else this.#counts.set(key, count - 1);
  }

  /** Connections from `key` (0 when none). */
  of(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Addresses with at least one connection. */
  get size(): number {
    return this.#counts.size;
  }
}
