/**
 * Message assembly: data frames in, whole messages out (RFC 6455 section
 * 5.4), under the message limits.
 *
 * A message's memory grows geometrically with the bytes that arrived, so it
 * is proportional to its payload and never to the number of fragments it was
 * cut into. A frame header alone cannot claim much: before its bytes arrive,
 * a frame may reserve at most {@linkcode MAX_UPFRONT_RESERVE} bytes, whatever
 * length it announces.
 *
 * Growing does not copy: when the buffer being filled is full, the next one
 * (a "step", from the buffer pool when there is one) makes the total twice
 * the bytes received. Once the message's exact length is known (its last
 * frame has begun) and allowed (at most twice the bytes received), the
 * message gets its own buffer of exactly that length, the steps are copied
 * into it once and go back to the pool, and the rest of the bytes land there
 * directly: a large single-frame message is copied about half once more,
 * and reads can fill its buffer straight from the socket (`readTarget`).
 * Text is checked for UTF-8 as it arrives (see `utf8.ts`) and decoded once,
 * at the end.
 *
 * @module
 */

import type { BufferPool } from "./buffer_pool.ts";
import { copyBytes } from "./bytes.ts";
import { CloseCode, Opcode } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { decodeShortAscii } from "./short_text.ts";
import { decodeCheckedUtf8, decodeUtf8, Utf8Validator } from "./utf8.ts";

/**
 * Allocates the buffer a binary message is handed out in: `size` bytes that
 * need not be zeroed, as the assembler writes every one of them before the
 * message leaves it (a connection that fails midway drops the buffer unseen).
 * Node's `Buffer.allocUnsafeSlow` recycles freed memory instead of faulting
 * in fresh zeroed pages for every large message.
 */
export type MessageAllocator = (size: number) => Uint8Array;

const NO_STEPS: readonly Uint8Array[] = [];

const ZEROED: MessageAllocator = (size) => new Uint8Array(size);

/** Limits on one incoming message. */
export interface AssemblerLimits {
  /** Largest message (sum of its fragments' payloads); larger closes with 1009. */
  maxMessageSize: number;
  /** Most frames one message may arrive in, empty ones included; more closes with 1009. */
  maxFragments: number;
}

/**
 * Most bytes a message buffer may hold beyond what actually arrived, however
 * long the frame being received says it is: a header announcing 16 MiB costs
 * at most this much until the bytes come.
 */
export const MAX_UPFRONT_RESERVE = 64 * 1024;

/**
 * How much a message's memory grows when its buffer is full: to this many
 * times the bytes received so far. Together with
 * {@linkcode MAX_UPFRONT_RESERVE} and {@linkcode READ_TARGET_MIN} it bounds a
 * message's memory at
 * `max(MAX_UPFRONT_RESERVE, GROWTH_FACTOR × received) + READ_TARGET_MIN`.
 */
export const GROWTH_FACTOR = 2;

/**
 * Below this many outstanding payload bytes a read straight into the message
 * buffer is not worth it. A message's memory may also grow by this much more
 * than {@linkcode GROWTH_FACTOR} allows, to take its short tail at once.
 */
export const READ_TARGET_MIN = 16 * 1024;

function decodeText(bytes: Uint8Array, start: number, end: number): string {
  try {
    return decodeShortAscii(bytes, start, end) ?? decodeUtf8(bytes.subarray(start, end));
  } catch {
    throw new ProtocolError(CloseCode.InvalidPayload, "text message is not valid UTF-8");
  }
}

/**
 * Assembles the data frames of one connection into messages. The caller
 * reports each data frame's header, its payload bytes and its end, in order;
 * control frames never reach the assembler.
 *
 * @example
 * ```ts
 * import { MessageAssembler } from "./message_assembler.ts";
 * const assembler = new MessageAssembler({ maxMessageSize: 1 << 20, maxFragments: 100 });
 * assembler.frameStart(0x1, false, 2); // text, more fragments follow
 * assembler.payload(new Uint8Array([0x68, 0x69]));
 * assembler.frameEnd(); // undefined: the message is not complete
 * assembler.frameStart(0x0, true, 1); // the last fragment
 * assembler.payload(new Uint8Array([0x21]));
 * assembler.frameEnd(); // "hi!"
 * ```
 */
export class MessageAssembler {
  readonly #maxMessageSize: number;
  readonly #maxFragments: number;
  readonly #pool: BufferPool | undefined;
  readonly #allocate: MessageAllocator;
  readonly #allocateInternal: MessageAllocator;
  // Where the message in progress gets its own buffer: `#allocateInternal` for a message
  // the caller never hands out (see the constructor), else `#allocate`.
  #allocateOwn: MessageAllocator;
  // The message in progress: its opcode (0 when none) and frames so far.
  #opcode = 0;
  #fragments = 0;
  // The frame in progress: whether it ends the message, and its bytes still to come.
  #fin = false;
  #frameRemaining = 0;
  // The #size payload bytes received so far: the steps the message grew
  // through (#steps, each filled to its length, #stepBytes in all), then
  // #buffer[0, #filled). Growing starts a new step instead of copying the old
  // ones, which are copied once, into the buffer the message is delivered in.
  // Made when a message first grows past one buffer (most never do).
  #steps: Uint8Array[] | null = null;
  #stepBytes = 0;
  #buffer: Uint8Array | null = null;
  #filled = 0;
  #size = 0;
  // Whether #buffer is the message's own buffer (exactly its length, handed
  // out at the end), rather than one from the pool when there is one (a step,
  // or the whole of a text message, which is decoded and never handed out).
  #final = false;
  // Text: the UTF-8 check of the bytes so far (kept once created), and the
  // string of a single-frame text message that arrived in one piece (decoded
  // straight from the caller's bytes, never copied).
  #utf8: Utf8Validator | null = null;
  #wholeText: string | null = null;

  /**
   * Creates an assembler with no message in progress. The steps a message
   * grows through before its own buffer (exactly its length) may be allocated
   * come from `pool` when one is given, and go back to it. A binary
   * message's own buffer comes from `allocate` (default: a zeroed `Uint8Array`),
   * or from `allocateInternal` for a message the caller never hands out (one
   * still compressed, which is inflated first), which may be a view of a
   * shared buffer.
   */
  constructor(
    limits: AssemblerLimits,
    pool?: BufferPool,
    allocate: MessageAllocator = ZEROED,
    allocateInternal: MessageAllocator = allocate,
  ) {
    this.#maxMessageSize = limits.maxMessageSize;
    this.#maxFragments = limits.maxFragments;
    this.#pool = pool;
    this.#allocate = allocate;
    this.#allocateInternal = allocateInternal;
    this.#allocateOwn = allocate;
  }

  /** Bytes of memory held for the message in progress (0 when none). */
  get capacity(): number {
    return this.#stepBytes + (this.#buffer === null ? 0 : this.#buffer.length);
  }

  /** True when no message is in progress (the next data frame must start one). */
  get idle(): boolean {
    return this.#opcode === 0;
  }

  /**
   * A whole message in one frame (opcode text or binary, FIN set) with no
   * message in progress, its payload `chunk[start, end)`: the same checks and
   * result as `frameStart`, `payload` and `frameEnd` in a row, without the
   * state kept between them. Returns the text or a copy of the bytes.
   */
  whole(opcode: number, chunk: Uint8Array, start: number, end: number): string | Uint8Array {
    const length = end - start;
    if (this.#maxFragments < 1) this.#tooManyFragments();
    if (length > this.#maxMessageSize) this.#tooBig();
    if (opcode === Opcode.Text) return decodeText(chunk, start, end);
    const message = this.#allocate(length);
    copyBytes(message, 0, chunk, start, length);
    return message;
  }

  #tooManyFragments(): never {
    throw new ProtocolError(
      CloseCode.MessageTooBig,
      `message arrives in more than ${this.#maxFragments} fragments`,
    );
  }

  #tooBig(): never {
    throw new ProtocolError(
      CloseCode.MessageTooBig,
      `message exceeds the limit of ${this.#maxMessageSize} bytes`,
    );
  }

  /**
   * A data frame's header (opcode text, binary or continuation). Throws
   * {@linkcode ProtocolError}: 1002 for a continuation without a message or a
   * new message inside one, 1009 when the message would pass a limit.
   * `internal`, on a message's first frame, says the caller never hands the
   * message out (see the constructor).
   */
  frameStart(opcode: number, fin: boolean, length: number, internal = false): void {
    if (opcode === Opcode.Continuation) {
      if (this.#opcode === 0) {
        throw new ProtocolError(CloseCode.ProtocolError, "continuation frame without a message");
      }
    } else if (this.#opcode !== 0) {
      throw new ProtocolError(
        CloseCode.ProtocolError,
        "new data frame while a fragmented message is in progress",
      );
    } else {
      this.#opcode = opcode;
      this.#allocateOwn = internal ? this.#allocateInternal : this.#allocate;
    }
    if (++this.#fragments > this.#maxFragments) this.#tooManyFragments();
    if (this.#size + length > this.#maxMessageSize) this.#tooBig();
    this.#fin = fin;
    this.#frameRemaining = length;
  }

  /**
   * Payload bytes of the current frame, unmasked: `chunk[start, end)` (all
   * of `chunk` by default). Copied unless they already sit where
   * {@linkcode MessageAssembler.readTarget} offered; the caller may reuse
   * `chunk` afterwards. Throws a 1007 {@linkcode ProtocolError} at the first
   * byte that makes a text message invalid UTF-8.
   */
  payload(chunk: Uint8Array, start = 0, end: number = chunk.length): void {
    if (
      this.#opcode === Opcode.Text && this.#fin && this.#fragments === 1 && this.#size === 0 &&
      end - start === this.#frameRemaining
    ) {
      // A whole single-frame text message in one piece: decode it in place (no view,
      // no copy: the common small message costs no allocation but its string).
      this.#wholeText = decodeText(chunk, start, end);
      this.#frameRemaining = 0;
      return;
    }
    if (this.#opcode === Opcode.Text) {
      const utf8 = this.#utf8 ??= new Utf8Validator();
      if (!utf8.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end))) {
        throw new ProtocolError(CloseCode.InvalidPayload, "text message is not valid UTF-8");
      }
    }
    let buffer = this.#buffer;
    const length = end - start;
    if (
      buffer !== null && chunk.buffer === buffer.buffer &&
      chunk.byteOffset + start === buffer.byteOffset + this.#filled
    ) {
      // Read through readTarget(): already in place.
      this.#filled += length;
      this.#size += length;
      this.#frameRemaining -= length;
      return;
    }
    let from = start;
    // Bounded: each pass fills the buffer or takes all that is left, and a new one has room.
    for (let pass = 0; pass < 64 && from < end; pass++) {
      if (buffer === null || buffer.length === this.#filled) {
        buffer = this.#grow(this.#size + end - from);
      }
      const take = Math.min(end - from, buffer.length - this.#filled);
      copyBytes(buffer, this.#filled, chunk, from, take);
      this.#filled += take;
      this.#size += take;
      this.#frameRemaining -= take;
      from += take;
    }
  }

  /**
   * The current frame has ended. Returns the message when the frame was its
   * last (text as a string, binary as a `Uint8Array` of exactly its length
   * that the caller owns), else undefined. Throws a 1007
   * {@linkcode ProtocolError} for text that ends inside a character.
   */
  frameEnd(): string | Uint8Array | undefined {
    if (!this.#fin) return undefined;
    let message: string | Uint8Array;
    if (this.#opcode === Opcode.Text) {
      if (this.#wholeText !== null) {
        message = this.#wholeText;
      } else {
        if (this.#utf8 !== null && !this.#utf8.complete) {
          throw new ProtocolError(CloseCode.InvalidPayload, "text message ends mid-character");
        }
        // Every byte passed the validator, and the message ends on a character boundary.
        message = this.#size === 0 ? "" : decodeCheckedUtf8(this.#contiguous());
      }
    } else if (this.#final && this.#filled === this.#buffer!.length) {
      message = this.#buffer!;
      this.#buffer = null;
    } else {
      message = this.#allocateOwn(this.#size);
      this.#gather(message);
    }
    this.reset();
    return message;
  }

  /**
   * Where the next bytes of the current frame may be read to directly: free
   * space of the message buffer, which grows (within its bounds) to offer
   * some. Undefined when no frame payload is arriving or too little of it is
   * left to be worth a read of its own. Passing the filled part of the view
   * to {@linkcode MessageAssembler.payload} then costs no copy.
   */
  readTarget(): Uint8Array | undefined {
    const remaining = this.#frameRemaining;
    if (remaining < READ_TARGET_MIN) return undefined;
    let buffer = this.#buffer;
    // Only a full buffer grows (a step keeps no free space), so a short free tail is offered as is.
    if (buffer === null || buffer.length === this.#filled) buffer = this.#grow(this.#size);
    const free = buffer.length - this.#filled;
    if (free === 0) return undefined;
    return buffer.subarray(this.#filled, this.#filled + Math.min(free, remaining));
  }

  /** Drops the message in progress, if any (after a failure or the peer's close). */
  reset(): void {
    this.#opcode = 0;
    this.#fragments = 0;
    this.#fin = false;
    this.#frameRemaining = 0;
    this.#dropSteps();
    if (!this.#final && this.#buffer !== null) this.#pool?.give(this.#buffer);
    this.#buffer = null;
    this.#final = false;
    this.#allocateOwn = this.#allocate;
    this.#filled = 0;
    this.#size = 0;
    this.#wholeText = null;
    this.#utf8?.reset();
  }

  /**
   * Room for at least `needed` bytes in all (`needed` ≥ the bytes received,
   * counting those about to be stored): the larger of `GROWTH_FACTOR ×
   * needed` and what the current frame announces (at most
   * `MAX_UPFRONT_RESERVE`), plus the rest of the message when under
   * `READ_TARGET_MIN` would remain, but never more than the message can
   * still reach. Returns the buffer to fill next: the message's own buffer
   * once that capacity is its exact length (the bytes so far are gathered
   * into it), else a new step.
   */
  #grow(needed: number): Uint8Array {
    const size = this.#size;
    const announced = Math.min(size + this.#frameRemaining, MAX_UPFRONT_RESERVE);
    // The last frame fixes the message's length; before it, only the limit does.
    const ceiling = this.#fin ? size + this.#frameRemaining : this.#maxMessageSize;
    let capacity = Math.min(ceiling, Math.max(GROWTH_FACTOR * needed, announced, needed));
    // A tail too short for a read of its own would cost one more step: take it now.
    if (ceiling - capacity < READ_TARGET_MIN) capacity = ceiling;
    // Called only when the buffer is full (or there is none): `old` holds no free space.
    const old = this.#buffer;
    if (this.#fin && capacity === ceiling) {
      // Text is decoded from this buffer and never handed out, so it may come from the pool too.
      const text = this.#opcode === Opcode.Text && this.#pool !== undefined;
      const own = text ? this.#pool!.take(capacity) : this.#allocateOwn(capacity);
      this.#gather(own);
      this.#dropSteps();
      if (old !== null && !this.#final) this.#pool?.give(old);
      this.#buffer = own;
      this.#filled = size;
      this.#final = !text;
      return own;
    }
    if (old !== null) {
      (this.#steps ??= []).push(old);
      this.#stepBytes += old.length;
    }
    const room = capacity - size;
    this.#buffer = this.#pool === undefined ? new Uint8Array(room) : this.#pool.take(room);
    this.#filled = 0;
    this.#final = false;
    return this.#buffer;
  }

  /** Gives the steps back to the pool (the array is kept: most messages never grow). */
  #dropSteps(): void {
    const steps = this.#steps;
    if (steps === null || steps.length === 0) return;
    for (const step of steps) this.#pool?.give(step);
    steps.length = 0;
    this.#stepBytes = 0;
  }

  /** Copies the bytes received so far to the start of `target`. */
  #gather(target: Uint8Array): void {
    let at = 0;
    for (const step of this.#steps ?? NO_STEPS) {
      target.set(step, at);
      at += step.length;
    }
    if (this.#buffer !== null && this.#filled > 0) {
      target.set(
        this.#filled === this.#buffer.length
          ? this.#buffer
          : this.#buffer.subarray(0, this.#filled),
        at,
      );
    }
  }

  /** The bytes received so far in one piece (gathered when they span steps). */
  #contiguous(): Uint8Array {
    if (this.#steps === null || this.#steps.length === 0) {
      return this.#buffer!.subarray(0, this.#filled);
    }
    const all = new Uint8Array(this.#size);
    this.#gather(all);
    return all;
  }
}
