/**
 * Frame encoder: header + payload in one buffer, masked when a key is given.
 *
 * @module
 */

import type { BufferPool } from "./buffer_pool.ts";
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
 * a view, not a buffer of its own. Blocks are never reused: a frame stays
 * valid for as long as anyone holds it, and a block is freed by the garbage
 * collector when its last frame is dropped. Large frames come from a
 * {@linkcode BufferPool} when one is given.
 */
export class FrameSlab {
  readonly #pool: BufferPool | undefined;
  #block = NO_BLOCK;
  #offset = 0;

  /** `pool`, if given, serves the frames over 1 KiB. */
  constructor(pool?: BufferPool) {
    this.#pool = pool;
  }

  /** A view of `size` bytes that no other frame shares. */
  alloc(size: number): Uint8Array {
    if (size > MAX_SLAB_FRAME) {
      return this.#pool === undefined ? new Uint8Array(size) : this.#pool.take(size);
    }
    if (this.#offset + size > this.#block.length) {
      // Start small (an idle connection keeps its last block) and grow with use.
      this.#block = new Uint8Array(Math.min(16 * 1024, Math.max(1024, this.#block.length * 2)));
      this.#offset = 0;
    }
    const view = this.#block.subarray(this.#offset, this.#offset + size);
    this.#offset += size;
    return view;
  }
}

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
  frame[0] = (fin ? 0x80 : 0) | opcode;
  const maskBit = maskKey !== null ? 0x80 : 0;
  let offset: number;
  if (length < 126) {
    frame[1] = maskBit | length;
    offset = 2;
  } else if (length < 65536) {
    frame[1] = maskBit | 126;
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
    offset = 4;
  } else {
    frame[1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    frame[2] = high >>> 24;
    frame[3] = (high >>> 16) & 0xff;
    frame[4] = (high >>> 8) & 0xff;
    frame[5] = high & 0xff;
    frame[6] = length >>> 24;
    frame[7] = (length >>> 16) & 0xff;
    frame[8] = (length >>> 8) & 0xff;
    frame[9] = length & 0xff;
    offset = 10;
  }
  if (typeof payload === "string") {
    if (maskKey === null) {
      for (let i = 0; i < length; i++) frame[offset + i] = payload.charCodeAt(i);
      return frame;
    }
    frame.set(maskKey, offset);
    offset += 4;
    for (let i = 0; i < length; i++) frame[offset + i] = payload.charCodeAt(i) ^ maskKey[i & 3];
    return frame;
  }
  if (maskKey === null) {
    frame.set(payload, offset);
    return frame;
  }
  frame[offset] = maskKey[0];
  frame[offset + 1] = maskKey[1];
  frame[offset + 2] = maskKey[2];
  frame[offset + 3] = maskKey[3];
  offset += 4;
  if (length < 64) {
    // Copy and mask in one pass: cheaper than set() + applyMask() for small frames.
    for (let i = 0; i < length; i++) frame[offset + i] = payload[i] ^ maskKey[i & 3];
  } else {
    copyMasked(payload, frame, offset, maskKey);
  }
  return frame;
}
