/**
 * Copying and joining byte arrays: the copy loops the transports (merged
 * writes), the server (request bytes held while a gate decides), the frame
 * encoder and the message assembler share.
 *
 * @module
 */

// Up to this many bytes a loop copies cheaper than a view and a call into the runtime (`set`).
const SHORT_COPY = 32;

/**
 * `target[at…] = source[from, from + length)` (all of `source` by default):
 * a loop for short runs, `set` for longer ones, with no view when the whole
 * of `source` is copied.
 */
export function copyBytes(
  target: Uint8Array,
  at: number,
  source: Uint8Array,
  from = 0,
  length: number = source.length - from,
): void {
  if (length <= SHORT_COPY) {
    for (let i = 0; i < length; i++) target[at + i] = source[from + i];
    return;
  }
  target.set(
    from === 0 && length === source.length ? source : viewOf(source, from, from + length),
    at,
  );
}

/**
 * A view of `bytes[start, end)`, like `bytes.subarray(start, end)` but made
 * with the constructor: `subarray` looks up the species constructor first,
 * which costs about twice as much, and this runs once per write or read.
 * Always a plain `Uint8Array` (also for a Node `Buffer`).
 */
export function viewOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

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
