/**
 * XOR masking of payload bytes (RFC 6455 section 5.3).
 *
 * @module
 */

// Word-wise masking reads the key as a 32-bit word in the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Below this, the byte loop beats setting up a word view.
const WORD_THRESHOLD = 32;

/**
 * XORs `data[start..end)` in place with `key`, where `keyOffset` is the
 * position in the frame payload of `data[start]` (so masking can resume
 * across chunk boundaries). Works 4 bytes at a time on longer runs.
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
  if (end - start >= WORD_THRESHOLD) {
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
  }
  for (; i < end; i++) data[i] ^= key[(i + shift) & 3];
}

/** The key as a 32-bit word whose first byte in memory is `key[at & 3]`. */
function keyWord(key: Uint8Array, at: number): number {
  const b0 = key[at & 3], b1 = key[(at + 1) & 3];
  const b2 = key[(at + 2) & 3], b3 = key[(at + 3) & 3];
  return LITTLE_ENDIAN
    ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24))
    : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3);
}

/**
 * Writes `source` masked with `key` into `target` from `offset` on, leaving
 * `source` untouched. When both sides are 4-byte aligned this is one pass
 * over the bytes, a word at a time; otherwise it copies, then masks.
 */
export function copyMasked(
  source: Uint8Array,
  target: Uint8Array,
  offset: number,
  key: Uint8Array,
): void {
  const length = source.length;
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
