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
  const length = text.length;
  if (length > SHORT_TEXT) return false;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
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
