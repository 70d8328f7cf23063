/**
 * A small cache of large byte buffers, so that sending big frames does not
 * allocate (and fault in) fresh memory for every message.
 *
 * @module
 */

/** Limits of a {@linkcode BufferPool}. */
export interface BufferPoolOptions {
  /** Smallest request served from the pool; smaller ones get a fresh array. */
  minSize: number;
  /** Most bytes kept for reuse at once; buffers given back beyond it are dropped. */
  maxBytes: number;
}

// Capacities are rounded up to 2^k × {1, 1.25, 1.5, 1.75}: requests of nearly
// the same size share a size class (and its buffers), wasting at most a quarter.
function roundCapacity(size: number): number {
  const power = 2 ** Math.floor(Math.log2(size));
  const step = power / 4;
  return Math.ceil(size / step) * step;
}

/**
 * Hands out views of reusable buffers. A view must be given back with
 * {@linkcode BufferPool.give} only once nothing reads it any more (for a
 * frame: when the socket write has completed); its bytes are then
 * overwritten by a later {@linkcode BufferPool.take}.
 *
 * @example
 * ```ts
 * import { BufferPool } from "./buffer_pool.ts";
 * const pool = new BufferPool({ minSize: 64 * 1024, maxBytes: 32 * 1024 * 1024 });
 * const frame = pool.take(4 * 1024 * 1024 + 14);
 * // ... fill and write `frame`, then once the write is done:
 * pool.give(frame);
 * ```
 */
export class BufferPool {
  readonly #minSize: number;
  readonly #maxBytes: number;
  // Kept buffers by capacity (always a size class).
  readonly #free = new Map<number, ArrayBuffer[]>();
  #freeBytes = 0;

  /** Creates an empty pool. */
  constructor(options: BufferPoolOptions) {
    this.#minSize = options.minSize;
    this.#maxBytes = options.maxBytes;
  }

  /** Bytes currently kept for reuse. */
  get keptBytes(): number {
    return this.#freeBytes;
  }

  /**
   * A view of exactly `size` bytes that nobody else holds. Its content is
   * unspecified (it may hold an earlier frame): the caller overwrites it.
   */
  take(size: number): Uint8Array {
    if (size < this.#minSize) return new Uint8Array(size);
    const capacity = roundCapacity(size);
    const buffer = this.#free.get(capacity)?.pop();
    if (buffer === undefined) return new Uint8Array(capacity).subarray(0, size);
    this.#freeBytes -= capacity;
    return new Uint8Array(buffer, 0, size);
  }

  /**
   * Returns a view from {@linkcode BufferPool.take} for reuse. Views under
   * the pool's `minSize` and buffers of no size class (neither came from it)
   * are ignored.
   */
  give(view: Uint8Array): void {
    if (view.byteLength < this.#minSize) return;
    const buffer = view.buffer as ArrayBuffer;
    const capacity = buffer.byteLength;
    if (capacity !== roundCapacity(capacity) || capacity > this.#maxBytes) return;
    const list = this.#free.get(capacity) ?? [];
    // Most recently used size class last: when the budget is full, the classes
    // nobody has given back for longest make room (a burst of one size must
    // not pin the pool once traffic moves to another size).
    this.#free.delete(capacity);
    this.#free.set(capacity, list);
    for (const [stale, buffers] of this.#free) {
      if (this.#freeBytes + capacity <= this.#maxBytes || stale === capacity) break;
      while (buffers.length > 0 && this.#freeBytes + capacity > this.#maxBytes) {
        buffers.pop();
        this.#freeBytes -= stale;
      }
      if (buffers.length === 0) this.#free.delete(stale);
    }
    if (this.#freeBytes + capacity > this.#maxBytes) return; // its own class fills the budget
    list.push(buffer);
    this.#freeBytes += capacity;
  }
}
