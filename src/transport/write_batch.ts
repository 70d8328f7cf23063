/**
 * The bookkeeping both byte streams share for writes: buffers queued in one
 * batch, the bytes not yet written, and the batch's promises (`drained`'s and
 * the send's, each made only when someone asks for it), so that many small
 * writes cost no promise each.
 *
 * @module
 */

import { viewOf } from "../protocol/bytes.ts";
import type { WriteFailureDescriber } from "./types.ts";

/** Gets a written (or dropped) buffer back; see {@linkcode ByteStream.write}. */
export type Recycle = (bytes: Uint8Array) => void;

// The settle functions of the promise being made: `new Promise(captureSettlers)` leaves them
// here, and the maker takes them at once (no closure per promise).
let capturedResolve: ((value: unknown) => void) | null = null;
let capturedReject: ((error: unknown) => void) | null = null;
function captureSettlers<T>(resolve: (value: T) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

/** A promise with its settle functions. */
export class Deferred<T = void> {
  /** Settles with the batch. */
  readonly promise: Promise<T>;
  /** Fulfils {@linkcode Deferred.promise}. */
  readonly resolve: (value: T) => void;
  /** Rejects {@linkcode Deferred.promise}. */
  readonly reject: (error: unknown) => void;

  /** A pending promise. */
  constructor() {
    this.promise = new Promise<T>(captureSettlers);
    this.resolve = capturedResolve!;
    this.reject = capturedReject!;
    capturedResolve = capturedReject = null;
  }
}

// Where a cleared batch's slots point, so that it keeps no buffer alive while it waits for reuse.
const NO_BYTES = new Uint8Array(0);
/** A cleared batch keeps its arrays up to this many slots (more only after a burst). */
export const MAX_KEPT_SLOTS = 32;

/**
 * Buffers written together: they leave in as few system calls as the
 * stream can manage and settle together.
 */
export class WriteBatch {
  // One slot each to start with: most batches hold one part (frames carved back to back are
  // one range), and a pooled batch should cost little while it waits.
  /**
   * The buffers, in order, in `parts[0, count)`: complete once
   * {@linkcode WriteBatch.seal} has run. The arrays keep their size when
   * the batch is cleared (emptying an array frees its storage, and a batch
   * is reused for every write), so read `count`, not their `length`.
   */
  readonly parts: Uint8Array[] = [NO_BYTES];
  /** For each part, who gets it back once written (undefined: nobody). */
  readonly recycles: (Recycle | undefined)[] = [undefined];
  /** How many of `parts` (and `recycles`) belong to the batch. */
  count = 0;
  /** Sum of the parts' lengths, the open run included. */
  bytes = 0;
  /** The batch handed to the same socket after this one (a stream's queue of writes in flight). */
  next: WriteBatch | null = null;
  // Where a write loop that writes the batch buffer by buffer (the Deno stream's) stands: kept
  // in the batch rather than in the stream, so that an idle stream holds none of it.
  /** The buffers the batch is written as (its parts, or their coalesced form). */
  views: readonly Uint8Array[] | null = null;
  /** How many of `views` there are. */
  viewCount = 0;
  /** The view being written. */
  viewIndex = 0;
  /** How much of it is written. */
  viewOffset = 0;
  /** Merge buffers made for `views`, to give back once written. */
  merged: Uint8Array[] | null = null;
  /** The promise of this batch, once someone asked for it. */
  done: Deferred | null = null;
  // The promise of `written`, once someone asked for it, and how it settles.
  #written: Promise<boolean> | null = null;
  #resolveWritten: ((value: boolean) => void) | null = null;
  #rejectWritten: ((error: unknown) => void) | null = null;
  #describer: WriteFailureDescriber | null = null;
  // The last ranges added, while they lie back to back in one block: they
  // become one part (one view) when something else is added or at `seal`.
  #runBlock: Uint8Array | null = null;
  #runStart = 0;
  #runEnd = 0;

  /** Appends one buffer. */
  add(bytes: Uint8Array, recycle: Recycle | undefined): void {
    if (this.#runBlock !== null) this.seal();
    this.#append(bytes, recycle);
    this.bytes += bytes.length;
  }

  #append(bytes: Uint8Array, recycle: Recycle | undefined): void {
    const at = this.count++;
    this.parts[at] = bytes;
    this.recycles[at] = recycle;
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

  /**
   * Turns the open run of ranges into a part, a view made by `makeView`
   * (default: a plain `Uint8Array`); call before reading `parts`.
   */
  seal(makeView: ViewMaker = viewOf): void {
    const block = this.#runBlock;
    if (block === null) return;
    this.#runBlock = null;
    this.#append(makeView(block, this.#runStart, this.#runEnd), undefined);
  }

  /** The promise that settles with this batch (made on first use). */
  promise(): Promise<void> {
    return (this.done ??= new Deferred()).promise;
  }

  /**
   * The promise a `send` returns for this batch: `true` once it is written,
   * else rejected with what `describer` makes of the failure. Made on first
   * use and shared by every send of the batch: the describer of that first
   * call is the one used (a stream has one).
   */
  written(describer: WriteFailureDescriber): Promise<boolean> {
    if (this.#written === null) {
      this.#written = new Promise<boolean>(captureSettlers);
      this.#resolveWritten = capturedResolve;
      this.#rejectWritten = capturedReject;
      capturedResolve = capturedReject = null;
      this.#describer = describer;
    }
    return this.#written;
  }

  /** Empties the batch for reuse (its promises, if any, stay with whoever holds them). */
  clear(): void {
    this.#runBlock = null;
    if (this.parts.length > MAX_KEPT_SLOTS) {
      // A burst that made many parts: a pooled batch does not keep storage for all of them.
      this.parts.length = this.recycles.length = 1;
      this.parts[0] = NO_BYTES;
      this.recycles[0] = undefined;
    } else {
      for (let i = 0; i < this.count; i++) {
        this.parts[i] = NO_BYTES;
        this.recycles[i] = undefined;
      }
    }
    this.count = 0;
    this.bytes = 0;
    this.next = null;
    this.views = this.merged = null;
    this.viewCount = this.viewIndex = this.viewOffset = 0;
    this.done = null;
    this.#written = this.#resolveWritten = this.#rejectWritten = null;
    this.#describer = null;
  }

  /** The parts are written (or dropped, with `error`): recycle them and settle. */
  settle(error?: unknown): void {
    const recycles = this.recycles;
    for (let i = 0; i < this.count; i++) recycles[i]?.(this.parts[i]);
    const done = this.done;
    if (done !== null) {
      if (error === undefined) done.resolve();
      else done.reject(error);
    }
    if (this.#written !== null) {
      if (error === undefined) {
        this.#resolveWritten!(true);
      } else {
        // Runs inside the stream's write loop or a socket callback: a describer that throws
        // must not stop either, so its error becomes the rejection instead.
        let reason: unknown;
        try {
          reason = this.#describer!.describeWriteFailure(error);
        } catch (thrown) {
          reason = thrown;
        }
        this.#rejectWritten!(reason);
      }
    }
  }
}

// Emptied batches, shared by every stream: an idle stream holds none of its own. A pool large
// enough for a broadcast to a thousand connections (1024: 340 KiB when full) saved ~250 B of
// allocation per delivery, but cost ~1.5 KiB of RSS per connection on the 1000-connection idle
// probe (bench/idle_heap.ts); idle memory is the dearer of the two.
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

/** {@linkcode WriteBatch.written} of a batch with nothing left to write. */
export const WRITTEN_TRUE: Promise<boolean> = Promise.resolve(true);

/**
 * Where runs of small buffers that sit back to back in memory (frames carved
 * one after another from the same block) can be written as one view, with no
 * copy. Returns the length of the run of `parts[from, to)` starting at `from`
 * that is contiguous, at least 1.
 */
export function contiguousRun(parts: readonly Uint8Array[], from: number, to: number): number {
  const first = parts[from];
  const buffer = first.buffer;
  let end = first.byteOffset + first.length;
  let i = from + 1;
  for (; i < to; i++) {
    const part = parts[i];
    if (part.buffer !== buffer || part.byteOffset !== end) break;
    end += part.length;
  }
  return i - from;
}

/** One view of the `count` parts from `from` on, which lie back to back (see {@linkcode contiguousRun}). */
export function joinedView(
  parts: readonly Uint8Array[],
  from: number,
  count: number,
  makeView: ViewMaker = viewOf,
): Uint8Array {
  const first = parts[from];
  if (count === 1) return first;
  const last = parts[from + count - 1];
  return makeView(first, 0, last.byteOffset + last.length - first.byteOffset);
}

/** Makes a view of `bytes[start, end)` (a transport may want its own kind of view). */
export type ViewMaker = (bytes: Uint8Array, start: number, end: number) => Uint8Array;
