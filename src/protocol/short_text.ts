/**
 * Fast paths for short ASCII text. Encoding or decoding a 16-byte message
 * through `TextEncoder`/`TextDecoder` costs a runtime call that dwarfs the
 * work; a plain loop is much cheaper for short ASCII and falls back to the
 * real codecs for anything else.
 *
 * @module
 */

/** Strings up to this length take the ASCII fast path. */
export const SHORT_TEXT = 64;

/**
 * True when `text` is short and pure ASCII, so its UTF-8 form is its
 * char codes and can be written straight into a frame.
 */
export function isShortAscii(text: string): boolean {
  // A server that forwards what it received (echo, relay, broadcast) sends the very
  // string decodeShortAscii made: known to be short ASCII, no need to look again.
  if (text === lastDecoded) return true;
  const length = text.length;
  if (length > SHORT_TEXT) return false;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

// The last string decodeShortAscii returned: short ASCII by construction. A
// memo of a pure function's result; it changes no answer, only saves a scan.
let lastDecoded: string | null = null;

// Scratch for the 16-byte case below: written and read within one call, so it
// holds no state between calls.
const SIXTEEN = new Uint8Array(16);
const fromCharCode = String.fromCharCode;

/**
 * True when every byte of `bytes[start, end)` is ASCII (below 0x80). One OR
 * over the bytes and one test, no branch per byte: the bytes checked here are
 * short or nearly always ASCII.
 */
export function isAsciiRange(bytes: Uint8Array, start: number, end: number): boolean {
  let any = 0;
  for (let i = start; i < end; i++) any |= bytes[i];
  return any < 0x80;
}

/**
 * The text of `bytes[start, end)` when it is short and pure ASCII (always
 * valid UTF-8), else `undefined`. The string is flat (appending char by char
 * would build a rope that every later read of it, such as `isShortAscii` on
 * an echo, must flatten first).
 */
export function decodeShortAscii(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): string | undefined {
  const length = end - start;
  if (length > SHORT_TEXT) return undefined;
  if (length > 16) {
    if (!isAsciiRange(bytes, start, end)) return undefined;
    const view = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
    return lastDecoded = fromCharCode.apply(null, view as unknown as number[]);
  }
  // Up to 16 bytes: one call with a fixed argument list is 2-3x cheaper than
  // `apply`, which first turns the array into an argument list.
  let text: string;
  if (start + 16 <= bytes.length) {
    // The 16 bytes from `start` are all there (those past `end` are cut off below): each is
    // read once, into a local, for both the ASCII check and the string.
    const b = bytes, s = start;
    const c0 = b[s], c1 = b[s + 1], c2 = b[s + 2], c3 = b[s + 3];
    const c4 = b[s + 4], c5 = b[s + 5], c6 = b[s + 6], c7 = b[s + 7];
    const c8 = b[s + 8], c9 = b[s + 9], c10 = b[s + 10], c11 = b[s + 11];
    const c12 = b[s + 12], c13 = b[s + 13], c14 = b[s + 14], c15 = b[s + 15];
    // Bytes past `end` do not count: a short text is checked by a loop over its own bytes.
    const ascii = length === 16
      ? (c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 | c15) < 0x80
      : isAsciiRange(bytes, start, end);
    if (!ascii) return undefined;
    // deno-fmt-ignore
    text = fromCharCode(
      c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15,
    );
  } else {
    if (!isAsciiRange(bytes, start, end)) return undefined;
    const b = SIXTEEN;
    for (let i = 0; i < length; i++) b[i] = bytes[start + i];
    // deno-fmt-ignore
    text = fromCharCode(
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
      b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15],
    );
  }
  return lastDecoded = length === 16 ? text : text.slice(0, length);
}
