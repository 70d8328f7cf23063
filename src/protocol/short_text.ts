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
 * UTF-8 bytes of `text` when it is short and pure ASCII (where UTF-8 is the
 * identity), else `undefined`.
 */
export function encodeShortAscii(text: string): Uint8Array | undefined {
  const length = text.length;
  if (length > SHORT_TEXT) return undefined;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return undefined;
    bytes[i] = code;
  }
  return bytes;
}

/**
 * The text of `bytes` when they are short and pure ASCII (always valid
 * UTF-8), else `undefined`.
 */
export function decodeShortAscii(bytes: Uint8Array): string | undefined {
  const length = bytes.length;
  if (length > SHORT_TEXT) return undefined;
  let text = "";
  for (let i = 0; i < length; i++) {
    const byte = bytes[i];
    if (byte > 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}
