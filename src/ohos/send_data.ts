/**
 * The argument check of `send(data)`, shared by the client and the server.
 *
 * @module
 */

import { isShortAscii } from "../protocol/mod.ts";
import { parameterError } from "./errors.ts";

const encoder = new TextEncoder();

// Text is encoded here when it fits (a UTF-16 unit takes at most 3 bytes): the frame
// encoder copies the bytes at once, so a fresh buffer per message would only be garbage.
const SCRATCH_SIZE = 64 * 1024;
let scratch: Uint8Array | null = null;

function encodeText(text: string): Uint8Array {
  if (text.length * 3 > SCRATCH_SIZE) return encoder.encode(text);
  scratch ??= new Uint8Array(SCRATCH_SIZE);
  return scratch.subarray(0, encoder.encodeInto(text, scratch).written);
}

/** A message ready for the wire: text encoded once, or kept as short ASCII. */
export interface OutgoingMessage {
  /** `true` for a text message. */
  text: boolean;
  /**
   * Payload bytes, or a short ASCII string that the frame encoder writes
   * directly. Bytes are borrowed: a view of the caller's buffer for binary
   * data, of a scratch buffer that the next call overwrites for text. The
   * connection copies them before it returns.
   */
  payload: Uint8Array | string;
  /** The string a text message was made from ("" for binary). */
  source: string;
  /** Payload size in bytes. */
  size: number;
}

// One result object, filled by every call: parsing allocates nothing on the hot
// path of every send. Callers read it at once, before the next call.
const result: OutgoingMessage = { text: true, payload: "", source: "", size: 0 };

/**
 * True when `data` is text that {@linkcode parseSendData} would pass on as
 * it is (short ASCII within `maxSendSize`): its payload is the string, its
 * size its length. Lets a caller skip the shared result object for the most
 * common message.
 */
export function isPlainShortText(data: unknown, maxSendSize: number): data is string {
  return typeof data === "string" && data.length <= maxSendSize && isShortAscii(data);
}

/**
 * Checks `send`'s data — a string, an `ArrayBuffer` or a view of one — and
 * its size against `maxSendSize`; every problem is a 401. The object returned
 * is the same on every call: read it before calling again.
 */
export function parseSendData(data: unknown, maxSendSize: number): OutgoingMessage {
  if (typeof data === "string") {
    result.text = true;
    result.source = data;
    if (isShortAscii(data)) {
      result.payload = data;
      result.size = data.length;
    } else {
      const bytes = encodeText(data);
      result.payload = bytes;
      result.size = bytes.length;
    }
  } else if (data instanceof ArrayBuffer) {
    result.source = "";
    result.text = false;
    result.payload = new Uint8Array(data);
    result.size = data.byteLength;
  } else if (ArrayBuffer.isView(data)) {
    result.source = "";
    result.text = false;
    result.payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    result.size = data.byteLength;
  } else throw parameterError("data must be a string, an ArrayBuffer or a view of one");
  if (result.size > maxSendSize) {
    const size = result.size;
    result.payload = result.source = ""; // keep no reference to the refused data
    throw parameterError(`message of ${size} bytes exceeds the send limit of ${maxSendSize}`);
  }
  return result;
}
