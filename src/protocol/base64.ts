/**
 * Base64, just enough for the handshake's `Sec-WebSocket-Key` and
 * `Sec-WebSocket-Accept` (SHA-1 itself comes from the runtime, injected:
 * see {@linkcode Sha1Base64} in `handshake.ts`).
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard Base64 (with padding) of `bytes`. */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] +
      ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + "==";
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + "=";
  }
  return out;
}

/**
 * Decodes strict Base64 (padding required, no whitespace); `undefined` when
 * the text is not valid Base64.
 */
export function base64Decode(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const ch = text[i + j];
      n = (n << 6) | (ch === "=" ? 0 : ALPHABET.indexOf(ch));
    }
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// 16 bytes take 22 Base64 digits and two padding characters.
const SIXTEEN_BYTES = /^[A-Za-z0-9+/]{22}==$/;

/**
 * True when `text` is strict Base64 (as {@linkcode base64Decode} reads it)
 * of exactly 16 bytes: the form RFC 6455 section 4.1 requires of
 * `Sec-WebSocket-Key`. Checked without decoding.
 */
export function isBase64Of16Bytes(text: string): boolean {
  return text.length === 24 && SIXTEEN_BYTES.test(text);
}
