/**
 * Close-frame rules: which codes may travel on the wire, and the payload
 * layout (2-byte code + UTF-8 reason of at most 123 bytes).
 *
 * @module
 */

import { CloseCode, MAX_CLOSE_REASON_BYTES } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { decodeUtf8 } from "./utf8.ts";

const encoder = new TextEncoder();

/**
 * True when `code` may appear in a close frame: 1000–1003, 1007–1014
 * (registered with IANA) and 3000–4999 (libraries and applications).
 * 1004–1006 and 1015 are reserved for local reporting and never sent.
 */
export function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) &&
    ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
      (code >= 3000 && code <= 4999));
}

/** Number of bytes `reason` takes in UTF-8. */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Builds a close payload. Throws `RangeError` for a code that may not be sent
 * or a reason longer than 123 UTF-8 bytes; callers validate user input first.
 */
export function encodeClosePayload(code: number | undefined, reason = ""): Uint8Array {
  if (code === undefined) {
    if (reason !== "") throw new RangeError("a close reason needs a close code");
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
  const reasonBytes = encoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(`close reason is ${reasonBytes.length} bytes; the limit is 123`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/** The code and reason carried by a received close frame. */
export interface CloseInfo {
  /** Status code; 1005 when the frame carried none. */
  code: number;
  /** Reason text; empty when none was given. */
  reason: string;
}

/**
 * Parses a received close payload. An empty payload means 1005 (no status).
 * Throws {@linkcode ProtocolError}: 1002 for a 1-byte payload or a code that
 * may not be sent, 1007 for a reason that is not valid UTF-8.
 */
export function decodeClosePayload(payload: Uint8Array): CloseInfo {
  if (payload.length === 0) return { code: CloseCode.NoStatus, reason: "" };
  if (payload.length === 1) {
    throw new ProtocolError(CloseCode.ProtocolError, "close frame with a 1-byte payload");
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new ProtocolError(CloseCode.ProtocolError, `invalid close code ${code}`);
  }
  let reason: string;
  try {
    reason = decodeUtf8(payload.subarray(2));
  } catch {
    throw new ProtocolError(CloseCode.InvalidPayload, "close reason is not valid UTF-8");
  }
  return { code, reason };
}

/**
 * The close result when TCP ended without a close frame (1006, RFC 6455
 * section 7.1.5), saying whether it ended between frames or in the middle of one.
 */
export function abnormalClose(atFrameBoundary: boolean): CloseInfo {
  return {
    code: CloseCode.Abnormal,
    reason: atFrameBoundary
      ? "connection closed without a close frame"
      : "connection closed in the middle of a frame",
  };
}
