/**
 * Message assembly: data frames in, whole messages out (RFC 6455 section
 * 5.4), under the message limits.
 *
 * A message is collected in one buffer that grows geometrically as its bytes
 * arrive, so the memory it takes is proportional to its payload and never to
 * the number of fragments it was cut into. A frame header alone cannot claim
 * much: before its bytes arrive, a frame may reserve at most
 * {@linkcode MAX_UPFRONT_RESERVE} bytes, whatever length it announces. Text is
 * checked for UTF-8 as it arrives (see `utf8.ts`) and decoded once, at the end.
 *
 * @module
 */

import { CloseCode, Opcode } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { decodeShortAscii } from "./short_text.ts";
import { Utf8Validator } from "./utf8.ts";

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
 * How much a message buffer grows when it is full: to this many times the
 * bytes received so far (amortised, each byte is copied about once more).
 * Together with {@linkcode MAX_UPFRONT_RESERVE} and {@linkcode READ_TARGET_MIN}
 * it bounds the buffer at
 * `max(MAX_UPFRONT_RESERVE, GROWTH_FACTOR × received) + READ_TARGET_MIN`.
 */
export const GROWTH_FACTOR = 2;

/**
 * Below this many outstanding payload bytes a read straight into the message
 * buffer is not worth it. A buffer may also grow by this much more than
 * {@linkcode GROWTH_FACTOR} allows, to take a message's short tail at once.
 */
export const READ_TARGET_MIN = 16 * 1024;

// fatal: invalid UTF-8 throws; ignoreBOM: a leading U+FEFF is content. Used
// without the `stream` option only, so one instance serves every assembler.
const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decodeText(bytes: Uint8Array): string {
  try {
    return decodeShortAscii(bytes) ?? DECODER.decode(bytes);
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
  // The message in progress: its opcode (0 when none) and frames so far.
  #opcode = 0;
  #fragments = 0;
  // The frame in progress: whether it ends the message, and its bytes still to come.
  #fin = false;
  #frameRemaining = 0;
  // Payload bytes received so far, in #buffer[0, #size). Allocated on demand.
  #buffer: Uint8Array | null = null;
  #size = 0;
  // Text: the UTF-8 check of the bytes so far (kept once created), and the
  // string of a single-frame text message that arrived in one piece (decoded
  // straight from the caller's bytes, never copied into #buffer).
  #utf8: Utf8Validator | null = null;
  #wholeText: string | null = null;

  /** Creates an assembler with no message in progress. */
  constructor(limits: AssemblerLimits) {
    this.#maxMessageSize = limits.maxMessageSize;
    this.#maxFragments = limits.maxFragments;
  }

  /** True while a message has started and its last frame has not ended. */
  get inProgress(): boolean {
    return this.#opcode !== 0;
  }

  /** Bytes of memory held for the message in progress (0 when none). */
  get capacity(): number {
    return this.#buffer === null ? 0 : this.#buffer.length;
  }

  /**
   * A data frame's header (opcode text, binary or continuation). Throws
   * {@linkcode ProtocolError}: 1002 for a continuation without a message or a
   * new message inside one, 1009 when the message would pass a limit.
   */
  frameStart(opcode: number, fin: boolean, length: number): void {
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
    }
    if (++this.#fragments > this.#maxFragments) {
      throw new ProtocolError(
        CloseCode.MessageTooBig,
        `message arrives in more than ${this.#maxFragments} fragments`,
      );
    }
    if (this.#size + length > this.#maxMessageSize) {
      throw new ProtocolError(
        CloseCode.MessageTooBig,
        `message exceeds the limit of ${this.#maxMessageSize} bytes`,
      );
    }
    this.#fin = fin;
    this.#frameRemaining = length;
  }

  /**
   * Payload bytes of the current frame, unmasked. Copied unless they already
   * sit where {@linkcode MessageAssembler.readTarget} offered; the caller may
   * reuse `data` afterwards. Throws a 1007 {@linkcode ProtocolError} at the
   * first byte that makes a text message invalid UTF-8.
   */
  payload(data: Uint8Array): void {
    const length = data.length;
    if (this.#opcode === Opcode.Text) {
      if (
        this.#fin && this.#fragments === 1 && this.#size === 0 && length === this.#frameRemaining
      ) {
        // A whole single-frame text message in one piece: decode it in place.
        this.#wholeText = decodeText(data);
        this.#frameRemaining = 0;
        return;
      }
      const utf8 = this.#utf8 ??= new Utf8Validator();
      if (!utf8.push(data)) {
        throw new ProtocolError(CloseCode.InvalidPayload, "text message is not valid UTF-8");
      }
    }
    const size = this.#size;
    let buffer = this.#buffer;
    if (buffer === null || size + length > buffer.length) buffer = this.#grow(size + length);
    const inPlace = data.buffer === buffer.buffer && data.byteOffset === buffer.byteOffset + size;
    if (!inPlace) buffer.set(data, size);
    this.#size = size + length;
    this.#frameRemaining -= length;
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
        message = this.#buffer === null ? "" : decodeText(this.#buffer.subarray(0, this.#size));
      }
    } else {
      const buffer = this.#buffer;
      if (buffer === null) message = new Uint8Array(0);
      else message = buffer.length === this.#size ? buffer : buffer.slice(0, this.#size);
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
    const size = this.#size;
    let buffer = this.#buffer;
    if (buffer === null || buffer.length - size < READ_TARGET_MIN) buffer = this.#grow(size);
    const free = buffer.length - size;
    if (free === 0) return undefined;
    return buffer.subarray(size, size + Math.min(free, remaining));
  }

  /** Drops the message in progress, if any (after a failure or the peer's close). */
  reset(): void {
    this.#opcode = 0;
    this.#fragments = 0;
    this.#fin = false;
    this.#frameRemaining = 0;
    this.#buffer = null;
    this.#size = 0;
    this.#wholeText = null;
    this.#utf8?.reset();
  }

  /**
   * A buffer for at least `needed` bytes (`needed` ≥ the bytes received,
   * counting those about to be stored): the larger of `GROWTH_FACTOR ×
   * needed` and what the current frame announces (at most
   * `MAX_UPFRONT_RESERVE`), plus the rest of the message when under
   * `READ_TARGET_MIN` would remain, but never more than the message can
   * still reach.
   */
  #grow(needed: number): Uint8Array {
    const announced = Math.min(this.#size + this.#frameRemaining, MAX_UPFRONT_RESERVE);
    // The last frame fixes the message's length; before it, only the limit does.
    const ceiling = this.#fin ? this.#size + this.#frameRemaining : this.#maxMessageSize;
    let capacity = Math.min(ceiling, Math.max(GROWTH_FACTOR * needed, announced, needed));
    // A tail too short for a read of its own would cost one more copy of everything: take it now.
    if (ceiling - capacity < READ_TARGET_MIN) capacity = ceiling;
    const old = this.#buffer;
    if (old !== null && capacity <= old.length) return old;
    const buffer = new Uint8Array(capacity);
    if (old !== null && this.#size > 0) buffer.set(old.subarray(0, this.#size));
    this.#buffer = buffer;
    return buffer;
  }
}
