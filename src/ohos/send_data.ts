/**
 * The argument check of `send(data)`, shared by the client and the server.
 *
 * @module
 */

import { encodeShortAscii } from "../protocol/mod.ts";
import { parameterError } from "./errors.ts";

const encoder = new TextEncoder();

/** A message ready for the wire: text already UTF-8 encoded (once). */
export interface OutgoingMessage {
  /** `true` for a text message. */
  text: boolean;
  /** Payload bytes (a view of the caller's buffer for binary data). */
  bytes: Uint8Array;
}

/**
 * Checks `send`'s data — a string, an `ArrayBuffer` or a view of one — and
 * its size against `maxSendSize`; every problem is a 401.
 */
export function parseSendData(data: unknown, maxSendSize: number): OutgoingMessage {
  let message: OutgoingMessage;
  if (typeof data === "string") {
    message = { text: true, bytes: encodeShortAscii(data) ?? encoder.encode(data) };
  } else if (data instanceof ArrayBuffer) message = { text: false, bytes: new Uint8Array(data) };
  else if (ArrayBuffer.isView(data)) {
    message = {
      text: false,
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } else throw parameterError("data must be a string, an ArrayBuffer or a view of one");
  if (message.bytes.length > maxSendSize) {
    throw parameterError(
      `message of ${message.bytes.length} bytes exceeds the send limit of ${maxSendSize}`,
    );
  }
  return message;
}
