/**
 * The argument check of `send(data)`, shared by the client and the server.
 *
 * @module
 */

import { isShortAscii } from "../protocol/mod.ts";
import { parameterError } from "./errors.ts";

const encoder = new TextEncoder();

/** A message ready for the wire: text encoded once, or kept as short ASCII. */
export interface OutgoingMessage {
  /** `true` for a text message. */
  text: boolean;
  /**
   * Payload bytes (a view of the caller's buffer for binary data), or a
   * short ASCII string that the frame encoder writes directly.
   */
  payload: Uint8Array | string;
  /** Payload size in bytes. */
  size: number;
}

// One result object, filled by every call: parsing allocates nothing on the hot
// path of every send. Callers read it at once, before the next call.
const result: OutgoingMessage = { text: true, payload: "", size: 0 };

/**
 * Checks `send`'s data — a string, an `ArrayBuffer` or a view of one — and
 * its size against `maxSendSize`; every problem is a 401. The object returned
 * is the same on every call: read it before calling again.
 */
export function parseSendData(data: unknown, maxSendSize: number): OutgoingMessage {
  if (typeof data === "string") {
    result.text = true;
    if (isShortAscii(data)) {
      result.payload = data;
      result.size = data.length;
    } else {
      const bytes = encoder.encode(data);
      result.payload = bytes;
      result.size = bytes.length;
    }
  } else if (data instanceof ArrayBuffer) {
    result.text = false;
    result.payload = new Uint8Array(data);
    result.size = data.byteLength;
  } else if (ArrayBuffer.isView(data)) {
    result.text = false;
    result.payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    result.size = data.byteLength;
  } else throw parameterError("data must be a string, an ArrayBuffer or a view of one");
  if (result.size > maxSendSize) {
    const size = result.size;
    result.payload = ""; // keep no reference to the refused data
    throw parameterError(`message of ${size} bytes exceeds the send limit of ${maxSendSize}`);
  }
  return result;
}
