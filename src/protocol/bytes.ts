/**
 * Joining byte arrays, the one copy loop the transports (merged writes) and
 * the server (request bytes held while a gate decides) share.
 *
 * @module
 */

/** Copies `parts[from, to)` one after another into `target`, from its start. */
export function copyParts(
  parts: readonly Uint8Array[],
  target: Uint8Array,
  from = 0,
  to: number = parts.length,
): void {
  let offset = 0;
  for (let i = from; i < to; i++) {
    target.set(parts[i], offset);
    offset += parts[i].length;
  }
}

/** The bytes of `parts` in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  copyParts(parts, joined);
  return joined;
}
