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

/**
 * Checks `send`'s data — a string, an `ArrayBuffer` or a view of one — and
 * its size against `maxSendSize`; every problem is a 401.
 */
export function parseSendData(data: unknown, maxSendSize: number): OutgoingMessage {
  let message: OutgoingMessage;
  if (typeof data === "string") {
    if (isShortAscii(data)) message = { text: true, payload: data, size: data.length };
    else {
      const bytes = encoder.encode(data);
      message = { text: true, payload: bytes, size: bytes.length };
    }
  } else if (data instanceof ArrayBuffer) {
    message = { text: false, payload: new Uint8Array(data), size: data.byteLength };
  } else if (ArrayBuffer.isView(data)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    message = { text: false, payload: bytes, size: bytes.length };
  } else throw parameterError("data must be a string, an ArrayBuffer or a view of one");
  if (message.size > maxSendSize) {
    throw parameterError(
      `message of ${message.size} bytes exceeds the send limit of ${maxSendSize}`,
    );
  }
  return message;
}
