/**
 * XOR masking of payload bytes (RFC 6455 section 5.3).
 *
 * @module
 */

/**
 * XORs `data[start..end)` in place with `key`, where `keyOffset` is the
 * position in the frame payload of `data[start]` (so masking can resume
 * across chunk boundaries). Works 4 bytes at a time when the view is aligned.
 */
export function applyMask(
  data: Uint8Array,
  key: Uint8Array,
  keyOffset = 0,
  start = 0,
  end: number = data.length,
): void {
  let i = start;
  // Align the key so the 32-bit loop can use it as one word.
  while (i < end && ((data.byteOffset + i) & 3) !== 0) {
    data[i] ^= key[(keyOffset + i - start) & 3];
    i++;
  }
  const words = (end - i) >> 2;
  if (words > 0) {
    const shift = (keyOffset + i - start) & 3;
    const k0 = key[shift & 3], k1 = key[(shift + 1) & 3];
    const k2 = key[(shift + 2) & 3], k3 = key[(shift + 3) & 3];
    // Build the word in platform byte order via a tiny Uint8Array view.
    const keyWord = new Uint32Array(new Uint8Array([k0, k1, k2, k3]).buffer)[0];
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) view[w] ^= keyWord;
    i += words * 4;
  }
  for (; i < end; i++) data[i] ^= key[(keyOffset + i - start) & 3];
}
