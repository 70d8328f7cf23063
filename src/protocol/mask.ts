/**
 * XOR masking of payload bytes (RFC 6455 section 5.3). Long runs go through
 * the WebAssembly SIMD kernel of `mask_kernel.ts` where the runtime has one,
 * shorter ones (and every run elsewhere) through a word loop.
 *
 * @module
 */

import { KERNEL_CHUNK, type MaskKernel, maskKernel } from "./mask_kernel.ts";

// Word-wise masking reads the key as a 32-bit word in the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Below this, the byte loop beats setting up a word view.
const WORD_THRESHOLD = 32;
// From this length on, copying through the SIMD kernel beats the word loop.
const KERNEL_THRESHOLD = 1024;

/**
 * XORs `data[start..end)` in place with `key`, where `keyOffset` is the
 * position in the frame payload of `data[start]` (so masking can resume
 * across chunk boundaries). Works 4 bytes at a time on longer runs, 16
 * through the SIMD kernel from 1 KiB on.
 */
export function applyMask(
  data: Uint8Array,
  key: Uint8Array,
  keyOffset = 0,
  start = 0,
  end: number = data.length,
): void {
  let i = start;
  // k(n) is the key byte for data[n]: the payload position is keyOffset + n - start.
  const shift = keyOffset - start;
  const kernel = end - start >= KERNEL_THRESHOLD ? maskKernel() : null;
  if (kernel !== null) {
    i = throughKernel(kernel, data, start, end, data, start, key, shift);
  } else if (end - start >= WORD_THRESHOLD) {
    // Align to 4 bytes so a Uint32Array view can be laid over the rest.
    while (((data.byteOffset + i) & 3) !== 0) {
      data[i] ^= key[(i + shift) & 3];
      i++;
    }
    const words = (end - i) >> 2;
    const word = keyWord(key, i + shift);
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i += words * 4;
  } else if (end - i >= 4) {
    // Short runs (a small message): four bytes a step with the key bytes in locals, not
    // two index computations and a key load per byte.
    const k0 = key[(i + shift) & 3], k1 = key[(i + shift + 1) & 3];
    const k2 = key[(i + shift + 2) & 3], k3 = key[(i + shift + 3) & 3];
    for (; i + 4 <= end; i += 4) {
      data[i] ^= k0;
      data[i + 1] ^= k1;
      data[i + 2] ^= k2;
      data[i + 3] ^= k3;
    }
  }
  for (; i < end; i++) data[i] ^= key[(i + shift) & 3];
}

/**
 * Masks `source[from, to)` into `target` from `at` on (the same memory for
 * in-place masking) through the kernel's scratch, in whole 16-byte blocks;
 * returns where it stopped in `source` (under 16 bytes before `to`).
 * `shift` maps a source index to its key position, as in `applyMask`.
 */
function throughKernel(
  kernel: MaskKernel,
  source: Uint8Array,
  from: number,
  to: number,
  target: Uint8Array,
  at: number,
  key: Uint8Array,
  shift: number,
): number {
  const scratch = kernel.scratch;
  let i = from;
  while (to - i >= 16) {
    const n = Math.min(KERNEL_CHUNK, to - i) & ~15;
    scratch.set(source.subarray(i, i + n));
    kernel.xor(n, littleEndianKeyWord(key, i + shift));
    target.set(scratch.subarray(0, n), at + i - from);
    i += n;
  }
  return i;
}

/** The key as a little-endian 32-bit word (WebAssembly's order) whose first byte is `key[at & 3]`. */
function littleEndianKeyWord(key: Uint8Array, at: number): number {
  return key[at & 3] | (key[(at + 1) & 3] << 8) | (key[(at + 2) & 3] << 16) |
    (key[(at + 3) & 3] << 24);
}

/** The key as a 32-bit word whose first byte in memory is `key[at & 3]`. */
function keyWord(key: Uint8Array, at: number): number {
  if (LITTLE_ENDIAN) return littleEndianKeyWord(key, at);
  return (key[at & 3] << 24) | (key[(at + 1) & 3] << 16) | (key[(at + 2) & 3] << 8) |
    key[(at + 3) & 3];
}

/**
 * Writes `source` masked with `key` into `target` from `offset` on, leaving
 * `source` untouched. From 1 KiB on it goes through the SIMD kernel; below,
 * when both sides are 4-byte aligned, it is one pass over the bytes, a word
 * at a time; otherwise it copies, then masks.
 */
export function copyMasked(
  source: Uint8Array,
  target: Uint8Array,
  offset: number,
  key: Uint8Array,
): void {
  const length = source.length;
  const kernel = length >= KERNEL_THRESHOLD ? maskKernel() : null;
  if (kernel !== null) {
    const done = throughKernel(kernel, source, 0, length, target, offset, key, 0);
    for (let i = done; i < length; i++) target[offset + i] = source[i] ^ key[i & 3];
    return;
  }
  const targetStart = target.byteOffset + offset;
  if (length < WORD_THRESHOLD || ((source.byteOffset | targetStart) & 3) !== 0) {
    target.set(source, offset);
    applyMask(target, key, 0, offset, offset + length);
    return;
  }
  const words = length >> 2;
  const from = new Uint32Array(source.buffer, source.byteOffset, words);
  const to = new Uint32Array(target.buffer, targetStart, words);
  const word = keyWord(key, 0);
  for (let w = 0; w < words; w++) to[w] = from[w] ^ word;
  for (let i = words * 4; i < length; i++) target[offset + i] = source[i] ^ key[i & 3];
}
