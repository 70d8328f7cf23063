/**
 * Byte helpers shared by the test suites.
 *
 * @module
 */

/** Joins byte arrays into one new array (an array argument: no spread limit on long lists). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
