/**
 * Frame encoder: header + payload in one buffer, masked when a key is given.
 *
 * @module
 */

import type { BufferPool } from "./buffer_pool.ts";
import { copyBytes } from "./bytes.ts";
import { copyMasked } from "./mask.ts";

/** Fills a buffer with cryptographically secure random bytes. */
export type RandomFill = (buffer: Uint8Array) => void;

/**
 * Hands out 4-byte masking keys from a pool refilled by a CSPRNG, so that a
 * fresh key per frame costs one call to the random source per 64 frames.
 */
export class MaskKeySource {
  readonly #fill: RandomFill;
  // Allocated on the first key: an idle connection that never sends holds none.
  #pool: Uint8Array | null = null;
  #offset = 0;

  /** Draws keys from `fill`, a CSPRNG such as `(b) => crypto.getRandomValues(b)`. */
  constructor(fill: RandomFill) {
    this.#fill = fill;
  }

  /** A new key; the view stays valid until 64 more keys are drawn. */
  next(): Uint8Array {
    let pool = this.#pool;
    if (pool === null || this.#offset === pool.length) {
      pool = this.#pool ??= new Uint8Array(256);
      this.#fill(pool);
      this.#offset = 0;
    }
    const key = pool.subarray(this.#offset, this.#offset + 4);
    this.#offset += 4;
    return key;
  }
}

/** Frames up to this size are carved from a {@linkcode FrameSlab}'s blocks; bigger ones are not. */
export const MAX_SLAB_FRAME = 1024;
// Shared starting point: a connection gets its first block with its first frame.
const NO_BLOCK = new Uint8Array(0);

/**
 * Carves small frames out of shared blocks (1 KiB growing to 16 KiB), so a small message costs
 * a range of a block ({@linkcode FrameSlab.reserve}) or a view of one, not a buffer of its own. Blocks are never reused: a frame stays
 * valid for as long as anyone holds it, and a block is freed by the garbage
 * collector when its last frame is dropped. Large frames come from a
 * {@linkcode BufferPool} when one is given.
 */
export class FrameSlab {
  readonly #pool: BufferPool | undefined;
  #block = NO_BLOCK;
  #offset = 0;
  // The last text noted (see copyText) and where its bytes are.
  #text = "";
  #textBlock: Uint8Array = NO_BLOCK;
  #textAt = 0;

  /** `pool`, if given, serves the frames over 1 KiB. */
  constructor(pool?: BufferPool) {
    this.#pool = pool;
  }

  /** A view of `size` bytes that no other frame shares. */
  alloc(size: number): Uint8Array {
    if (size > MAX_SLAB_FRAME) {
      return this.#pool === undefined ? new Uint8Array(size) : this.#pool.take(size);
    }
    const at = this.reserve(size);
    return this.#block.subarray(at, at + size);
  }

  /**
   * Reserves `size` bytes (at most {@linkcode MAX_SLAB_FRAME}) of
   * {@linkcode FrameSlab.block} that no other frame shares, and returns where
   * they start: a frame as a range, without a view of its own. Read `block`
   * after this call (it may be a new block).
   */
  reserve(size: number): number {
    if (this.#offset + size > this.#block.length) {
      // Start small (an idle connection keeps its last block) and grow with use.
      this.#block = new Uint8Array(Math.min(16 * 1024, Math.max(1024, this.#block.length * 2)));
      this.#offset = 0;
    }
    const at = this.#offset;
    this.#offset += size;
    return at;
  }

  /** The block the last {@linkcode FrameSlab.reserve} took its bytes from. */
  get block(): Uint8Array {
    return this.#block;
  }

  /**
   * Copies the bytes of `text` to `block[at…]` from where the last noted
   * text lies, if it is the same text in the current block; false when not.
   * A broadcast writes one string into the frame of every client: from
   * {@linkcode COPY_TEXT_FROM} characters on, one move of the bytes written
   * for the previous client beats encoding it again. Frames in a block are
   * never written over (blocks are not reused), so those bytes stay the text's.
   */
  copyText(text: string, at: number): boolean {
    if (text !== this.#text || this.#textBlock !== this.#block) return false;
    this.#block.copyWithin(at, this.#textAt, this.#textAt + text.length);
    return true;
  }

  /** Notes that `text` (ASCII) was just written to `block[at…]`. */
  noteText(text: string, at: number): void {
    this.#text = text;
    this.#textBlock = this.#block;
    this.#textAt = at;
  }
}

/** Texts from this length on are copied from a slab's last one (see {@linkcode FrameSlab.copyText}). */
export const COPY_TEXT_FROM = 32;

/** Size of the header for a payload of `length` bytes. */
export function headerLength(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Encodes one frame. `maskKey` (4 bytes) masks the copied payload; the
 * caller's `payload` is never modified. A string payload must be ASCII (its
 * char codes are its UTF-8 bytes); it is written without an intermediate array.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./frame_encoder.ts";
 * const frame = encodeFrame(0x1, new TextEncoder().encode("hi"), true, null);
 * // frame is [0x81, 0x02, 0x68, 0x69]
 * ```
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array | string,
  fin: boolean,
  maskKey: Uint8Array | null,
  slab?: FrameSlab,
): Uint8Array {
  const length = payload.length;
  const head = headerLength(length, maskKey !== null);
  // A large masked payload starts on a 4-byte boundary so it can be masked a word at a time.
  const lead = maskKey !== null && length > MAX_SLAB_FRAME ? (4 - (head & 3)) & 3 : 0;
  const size = head + length + lead;
  let frame = slab === undefined ? new Uint8Array(size) : slab.alloc(size);
  if (lead !== 0) frame = frame.subarray(lead);
  writeFrameAt(frame, 0, opcode, payload, fin, maskKey);
  return frame;
}

/**
 * Writes one frame into `target` from `at` on: exactly
 * `headerLength(payload.length, maskKey !== null) + payload.length` bytes,
 * with the same rules as {@linkcode encodeFrame} (which uses it). When
 * `target` is the block of `slab` that the frame was reserved in, a text
 * written there just before may be copied instead of encoded again.
 */
export function writeFrameAt(
  target: Uint8Array,
  at: number,
  opcode: number,
  payload: Uint8Array | string,
  fin: boolean,
  maskKey: Uint8Array | null,
  slab?: FrameSlab,
): void {
  const length = payload.length;
  target[at] = (fin ? 0x80 : 0) | opcode;
  const maskBit = maskKey !== null ? 0x80 : 0;
  let offset: number;
  if (length < 126) {
    target[at + 1] = maskBit | length;
    offset = at + 2;
  } else if (length < 65536) {
    target[at + 1] = maskBit | 126;
    target[at + 2] = length >> 8;
    target[at + 3] = length & 0xff;
    offset = at + 4;
  } else {
    target[at + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    target[at + 2] = high >>> 24;
    target[at + 3] = (high >>> 16) & 0xff;
    target[at + 4] = (high >>> 8) & 0xff;
    target[at + 5] = high & 0xff;
    target[at + 6] = length >>> 24;
    target[at + 7] = (length >>> 16) & 0xff;
    target[at + 8] = (length >>> 8) & 0xff;
    target[at + 9] = length & 0xff;
    offset = at + 10;
  }
  if (typeof payload === "string") {
    if (maskKey === null) {
      const memo = slab !== undefined && length >= COPY_TEXT_FROM && target === slab.block;
      if (!memo || !slab.copyText(payload, offset)) {
        for (let i = 0; i < length; i++) target[offset + i] = payload.charCodeAt(i);
        if (memo) slab.noteText(payload, offset);
      }
      return;
    }
    target.set(maskKey, offset);
    offset += 4;
    for (let i = 0; i < length; i++) target[offset + i] = payload.charCodeAt(i) ^ maskKey[i & 3];
    return;
  }
  if (maskKey === null) {
    copyBytes(target, offset, payload);
    return;
  }
  target[offset] = maskKey[0];
  target[offset + 1] = maskKey[1];
  target[offset + 2] = maskKey[2];
  target[offset + 3] = maskKey[3];
  offset += 4;
  if (length < 64) {
    // Copy and mask in one pass: cheaper than set() + applyMask() for small frames.
    for (let i = 0; i < length; i++) target[offset + i] = payload[i] ^ maskKey[i & 3];
  } else {
    copyMasked(payload, target, offset, maskKey);
  }
}
