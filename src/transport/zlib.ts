/**
 * The zlib work of permessage-deflate (RFC 7692) on `node:zlib`, which is
 * native on Deno, Node and Bun: raw deflate with `Z_SYNC_FLUSH`, one
 * compressor and one inflater per connection, created on first use, kept
 * for context takeover or freed after each message without it, and freed
 * with the connection. A process-wide cap on jobs in flight keeps many
 * connections from queuing unbounded work in zlib's thread pool.
 *
 * @module
 */

import zlib from "node:zlib";
import {
  concatBytes,
  DEFLATE_TAIL,
  type DeflateDirections,
  type DeflateEngine,
  type InflateFailure,
} from "../protocol/mod.ts";

/** Most zlib jobs in flight in this process at once (as `ws`'s default); the rest wait in order. */
export const ZLIB_CONCURRENCY = 10;

const { Z_SYNC_FLUSH, Z_HUFFMAN_ONLY, Z_DEFAULT_STRATEGY } = zlib.constants;

// Inflate input that fits in this many bytes with the tail is joined with it, in a reused
// buffer, and written once; a longer one is written as it is, then the tail (copying it
// would cost more than the second job).
const JOINED_INPUT_SIZE = 16 * 1024;
// Free joined-input buffers: only running jobs hold one, so there are never more than
// ZLIB_CONCURRENCY (a fresh buffer per message costs the garbage collector more).
const joinedInputs: Uint8Array[] = [];

/** `payload` and the tail in one buffer from {@linkcode joinedInputs}. */
function joinTail(payload: Uint8Array): Uint8Array {
  const buffer = joinedInputs.pop() ?? new Uint8Array(JOINED_INPUT_SIZE);
  buffer.set(payload);
  buffer.set(DEFLATE_TAIL, payload.length);
  return buffer.subarray(0, payload.length + DEFLATE_TAIL.length);
}

// An empty stored block after a sync flush, tail included (RFC 7692 section 7.2.3.6).
const EMPTY_BLOCK = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);

/** Whether a zlib stream reached the end of its deflate stream (a BFINAL block). */
function streamEnded(stream: zlib.InflateRaw | null): boolean {
  if (stream === null) return false;
  const state = (stream as { _readableState?: { ended?: boolean } })._readableState;
  return stream.readableEnded || state?.ended === true;
}

/** A job waiting for a slot: it runs once, when {@linkcode release} gives it one. */
interface Job {
  /** False once the job was abandoned while it waited (its connection closed). */
  readonly wanted: boolean;
  run(): void;
}
// FIFO of jobs waiting for a slot: one entry at most per connection and direction.
const waiting: Job[] = [];
let waitingHead = 0;
let running = 0;

/** True when a job may start now (it then holds a slot until `release`); false: queue it. */
function claimSlot(): boolean {
  if (running >= ZLIB_CONCURRENCY) return false;
  running++;
  return true;
}

/** Gives a slot back, to the first waiting job still wanted (a loop: many may be abandoned). */
function release(): void {
  running--;
  while (waitingHead < waiting.length) {
    const next = waiting[waitingHead];
    waiting[waitingHead++] = undefined as unknown as Job;
    if (waitingHead === waiting.length) {
      waiting.length = waitingHead = 0;
    } else if (waitingHead > 1024 && waitingHead * 2 > waiting.length) {
      // Under a backlog that never empties, the served head is cut off now and then.
      waiting.splice(0, waitingHead);
      waitingHead = 0;
    }
    if (!next.wanted) continue;
    running++;
    next.run();
    return;
  }
}

/** zlib jobs running and waiting in this process (for tests and diagnostics). */
export function zlibJobs(): { running: number; waiting: number } {
  return { running, waiting: waiting.length - waitingHead };
}

type CompressDone = (output: Uint8Array | undefined, error?: unknown) => void;
type InflateDone = (
  output: Uint8Array | undefined,
  failure?: InflateFailure,
  detail?: string,
) => void;

/**
 * One zlib stream and the job on it (one at a time: the pipeline runs one job per
 * direction). The stream's events and the write callback are bound once, at creation;
 * a job's input and callback are fields, so a message costs no closures.
 */
class Context implements Job {
  /** Made when the first job runs: a job waiting for a slot holds no zlib memory. */
  stream: zlib.DeflateRaw | zlib.InflateRaw | null = null;
  readonly #engine: ZlibDeflateEngine;
  readonly inflating: boolean;
  parts: Uint8Array[] = [];
  total = 0;
  limit = Infinity;
  /** The job's input: what `run` writes (a compress job's may be a string). */
  input: Uint8Array | string | null = null;
  /** The inflate input, joined with the tail in a buffer of `joinedInputs`; or null. */
  joined: Uint8Array | null = null;
  /** The caller's callback while a job is on; null between jobs. */
  done: CompressDone | InflateDone | null = null;

  constructor(engine: ZlibDeflateEngine, inflating: boolean) {
    this.#engine = engine;
    this.inflating = inflating;
  }

  #open(): zlib.DeflateRaw | zlib.InflateRaw {
    const stream = this.#engine.newStream(this.inflating);
    stream.on("data", (chunk: Uint8Array) => {
      if (this.done === null) return;
      this.total += chunk.length;
      if (this.total > this.limit) {
        // A bomb: stop at once, whatever input remains.
        this.finish("too-big");
        return;
      }
      this.parts.push(chunk);
    });
    stream.on("error", (error: Error) => this.finish("corrupt", error.message));
    return stream;
  }

  /** A job is set up and not abandoned. */
  get wanted(): boolean {
    return this.done !== null;
  }

  /** Starts the job set up in the fields (it holds a slot). */
  run(): void {
    const stream = this.stream ??= this.#open();
    const input = this.input!;
    this.input = null;
    if (!this.inflating) {
      stream.write(input, this.flushed);
      return;
    }
    const payload = input as Uint8Array;
    if (payload.length + DEFLATE_TAIL.length <= JOINED_INPUT_SIZE) {
      this.joined = joinTail(payload);
      stream.write(this.joined, this.flushed);
    } else {
      stream.write(payload);
      stream.write(DEFLATE_TAIL, this.flushed);
    }
  }

  /**
   * The job's last write completed (bound once, passed as the write's callback); on Deno
   * that comes before the `error` event of bad data.
   */
  readonly flushed = (): void => {
    const errored = (this.stream as { errored?: Error | null } | null)?.errored;
    if (errored) this.finish("corrupt", errored.message);
    else this.finish();
  };

  finish(failure?: InflateFailure, detail?: string): void {
    const done = this.done;
    if (done === null) return;
    this.done = null;
    const joined = this.joined;
    this.joined = null;
    // zlib has read all of it; after a failure it may still be reading, so it is dropped.
    if (joined !== null && failure === undefined) joinedInputs.push(new Uint8Array(joined.buffer));
    if (failure !== undefined) this.stream?.destroy();
    release();
    this.#engine.ended(this, done, failure, detail);
  }

  /**
   * The job's output in one piece, as a plain `Uint8Array` (a `Buffer`'s `slice` is a view,
   * not the copy callers expect). A single chunk is not copied: zlib never writes into a
   * chunk it has emitted (a full output buffer is replaced, not reused).
   */
  take(): Uint8Array {
    const first = this.parts[0];
    const out = this.parts.length === 1
      ? new Uint8Array(first.buffer, first.byteOffset, first.length)
      : concatBytes(this.parts);
    this.parts.length = 0; // the array is kept: one per stream, not one per message
    this.total = 0;
    return out;
  }
}

/**
 * A {@linkcode DeflateEngine} for one connection, as `directions` (from the
 * handshake) say: window sizes and whether each side keeps its context.
 * Compressing with a window of 8 bits, which zlib's raw deflate cannot do,
 * uses Huffman coding only (no back-references, so any window inflates it).
 */
export class ZlibDeflateEngine implements DeflateEngine {
  readonly #directions: DeflateDirections;
  #deflater: Context | null = null;
  #inflater: Context | null = null;
  #closed = false;

  /** @param directions the negotiated windows and context rules of this end */
  constructor(directions: DeflateDirections) {
    this.#directions = directions;
  }

  /** Compresses one message; the output ends with the sync-flush tail. */
  compress(data: Uint8Array | string, done: CompressDone): void {
    if (this.#closed) return;
    const context = this.#deflater ??= new Context(this, false);
    context.input = data;
    context.done = done;
    if (claimSlot()) context.run();
    else waiting.push(context);
  }

  /** Inflates one message (payload + tail), stopping past `limit` bytes of output. */
  inflate(payload: Uint8Array, limit: number, done: InflateDone): void {
    if (this.#closed) return;
    const context = this.#inflater ??= new Context(this, true);
    context.limit = limit;
    context.input = payload;
    context.done = done;
    if (claimSlot()) context.run();
    else waiting.push(context);
  }

  /** @internal A zlib stream for a context, as the handshake's parameters say. */
  newStream(inflating: boolean): zlib.DeflateRaw | zlib.InflateRaw {
    if (inflating) {
      return zlib.createInflateRaw({
        // Any window up to the negotiated one may have been used; 15 accepts them all.
        windowBits: Math.max(this.#directions.inflateWindowBits, 9),
        flush: Z_SYNC_FLUSH,
      });
    }
    const bits = this.#directions.deflateWindowBits;
    return zlib.createDeflateRaw({
      windowBits: bits === 8 ? 9 : bits,
      strategy: bits === 8 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY,
      memLevel: bits < 15 ? 7 : 8,
      // Every write is sync-flushed: one zlib job per message, not a write and a flush
      // (each job is a round trip to zlib's thread pool, which on Node and Bun costs
      // more than compressing a small message).
      flush: Z_SYNC_FLUSH,
    });
  }

  /** @internal A job of `context` ended (its slot is released): tells its caller. */
  ended(
    context: Context,
    done: CompressDone | InflateDone,
    failure: InflateFailure | undefined,
    detail: string | undefined,
  ): void {
    if (failure !== undefined) {
      if (context === this.#deflater) this.#deflater = null;
      if (context === this.#inflater) this.#inflater = null;
      context.parts.length = 0;
      if (context.inflating) (done as InflateDone)(undefined, failure, detail);
      else (done as CompressDone)(undefined, new Error(detail ?? failure));
      return;
    }
    let output = context.take();
    if (context.inflating) {
      // A peer may end its deflate stream with a BFINAL block (RFC 7692 section 7.2.3.4):
      // zlib then ignores any later input, so the next message needs a fresh inflater.
      if (
        this.#directions.inflateNoContextTakeover ||
        streamEnded(context.stream as zlib.InflateRaw | null)
      ) {
        this.#drop("inflate");
      }
    } else {
      // With nothing to compress after a sync flush zlib writes nothing, but an empty
      // message must still be a deflate block: an empty stored one (00 after the tail goes).
      if (output.length === 0) output = EMPTY_BLOCK.slice();
      if (this.#directions.deflateNoContextTakeover) this.#drop("deflate");
    }
    done(output);
  }

  /** Frees both contexts. */
  close(): void {
    this.#closed = true;
    this.#drop("deflate");
    this.#drop("inflate");
  }

  #drop(which: "deflate" | "inflate"): void {
    const context = which === "deflate" ? this.#deflater : this.#inflater;
    if (context === null) return;
    if (which === "deflate") this.#deflater = null;
    else this.#inflater = null;
    if (context.done !== null) {
      if (context.input !== null) {
        // Still waiting for a slot: release() skips it.
        context.done = null;
        context.input = null;
        context.stream?.close();
        return;
      }
      // A job still running is abandoned: finishing it releases its slot.
      context.finish("corrupt", "connection closed");
      return;
    }
    context.stream?.close();
  }
}
