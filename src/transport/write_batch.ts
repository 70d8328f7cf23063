/**
 * The bookkeeping both byte streams share for writes: buffers queued in one
 * batch, the bytes not yet written, and one promise per batch (made only
 * when someone asks for it), so that many small writes cost no promise each.
 *
 * @module
 */

/** Gets a written (or dropped) buffer back; see {@linkcode ByteStream.write}. */
export type Recycle = (bytes: Uint8Array) => void;

/** A promise with its settle functions. */
export class Deferred {
  /** Settles with the batch. */
  readonly promise: Promise<void>;
  /** Fulfils {@linkcode Deferred.promise}. */
  resolve!: () => void;
  /** Rejects {@linkcode Deferred.promise}. */
  reject!: (error: unknown) => void;

  /** A pending promise. */
  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * Buffers written together: they leave in as few system calls as the
 * stream can manage and settle together.
 */
export class WriteBatch {
  /** The buffers, in order: complete once {@linkcode WriteBatch.seal} has run. */
  readonly parts: Uint8Array[] = [];
  /** For each part, who gets it back once written (undefined: nobody). */
  readonly recycles: (Recycle | undefined)[] = [];
  /** Sum of the parts' lengths, the open run included. */
  bytes = 0;
  /** The promise of this batch, once someone asked for it. */
  done: Deferred | null = null;
  // The last ranges added, while they lie back to back in one block: they
  // become one part (one view) when something else is added or at `seal`.
  #runBlock: Uint8Array | null = null;
  #runStart = 0;
  #runEnd = 0;

  /** Appends one buffer. */
  add(bytes: Uint8Array, recycle: Recycle | undefined): void {
    if (this.#runBlock !== null) this.seal();
    this.parts.push(bytes);
    this.recycles.push(recycle);
    this.bytes += bytes.length;
  }

  /**
   * Appends `block[start, end)` (never recycled). A range that starts where
   * the previous one ended, in the same block, extends it: frames carved one
   * after another cost no view each.
   */
  addRange(block: Uint8Array, start: number, end: number): void {
    this.bytes += end - start;
    if (this.#runBlock === block && this.#runEnd === start) {
      this.#runEnd = end;
      return;
    }
    if (this.#runBlock !== null) this.seal();
    this.#runBlock = block;
    this.#runStart = start;
    this.#runEnd = end;
  }

  /** Turns the open run of ranges into a part; call before reading `parts`. */
  seal(): void {
    const block = this.#runBlock;
    if (block === null) return;
    this.#runBlock = null;
    this.parts.push(block.subarray(this.#runStart, this.#runEnd));
    this.recycles.push(undefined);
  }

  /** The promise that settles with this batch (made on first use). */
  promise(): Promise<void> {
    return (this.done ??= new Deferred()).promise;
  }

  /** Empties the batch for reuse (its promise, if any, stays with whoever holds it). */
  clear(): void {
    this.#runBlock = null;
    this.parts.length = 0;
    this.recycles.length = 0;
    this.bytes = 0;
    this.done = null;
  }

  /** The parts are written (or dropped, with `error`): recycle them and settle. */
  settle(error?: unknown): void {
    const recycles = this.recycles;
    for (let i = 0; i < recycles.length; i++) recycles[i]?.(this.parts[i]);
    const done = this.done;
    if (done === null) return;
    if (error === undefined) done.resolve();
    else done.reject(error);
  }
}

// Emptied batches, shared by every stream: an idle stream holds none of its own.
const freeBatches: WriteBatch[] = [];
const MAX_FREE_BATCHES = 256;

/** An empty batch, reused when one is free. */
export function takeBatch(): WriteBatch {
  return freeBatches.pop() ?? new WriteBatch();
}

/**
 * Gives a settled batch back for reuse. Its promise, if it had one, stays
 * with whoever holds it; the batch itself must not be touched afterwards.
 */
export function giveBatch(batch: WriteBatch): void {
  if (freeBatches.length >= MAX_FREE_BATCHES) return;
  batch.clear();
  freeBatches.push(batch);
}

/** The promise of a batch with nothing left to write. */
export const WRITTEN: Promise<void> = Promise.resolve();

/**
 * Where runs of small buffers that sit back to back in memory (frames carved
 * one after another from the same block) can be written as one view, with no
 * copy. Returns the length of the run of `parts` starting at `from` that is
 * contiguous, at least 1.
 */
export function contiguousRun(parts: readonly Uint8Array[], from: number): number {
  const first = parts[from];
  const buffer = first.buffer;
  let end = first.byteOffset + first.length;
  let i = from + 1;
  for (; i < parts.length; i++) {
    const part = parts[i];
    if (part.buffer !== buffer || part.byteOffset !== end) break;
    end += part.length;
  }
  return i - from;
}

/** One view of the `count` parts from `from` on, which lie back to back (see {@linkcode contiguousRun}). */
export function joinedView(parts: readonly Uint8Array[], from: number, count: number): Uint8Array {
  const first = parts[from];
  if (count === 1) return first;
  const last = parts[from + count - 1];
  return new Uint8Array(
    first.buffer,
    first.byteOffset,
    last.byteOffset + last.length - first.byteOffset,
  );
}
