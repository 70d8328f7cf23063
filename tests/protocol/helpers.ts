/**
 * Small builders for protocol tests: raw frames and a recording connection.
 *
 * @module
 */

import {
  type BufferPool,
  type CloseInfo,
  ProtocolConnection,
  type ProtocolError,
  type Role,
} from "../../src/protocol/mod.ts";
import { concat } from "../helpers/bytes.ts";

/** Options for {@linkcode frame}. */
export interface RawFrame {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Uint8Array | string;
  /** Mask with this key (4 bytes). */
  mask?: number[];
  /** Force a length encoding: 7, 16 or 64 bits. */
  lengthBits?: 7 | 16 | 64;
  /** Set the top bit of a 64-bit length. */
  topBit?: boolean;
}

/** Builds one frame byte by byte, including deliberately malformed ones. */
export function frame(spec: RawFrame): Uint8Array {
  const payload = typeof spec.payload === "string"
    ? new TextEncoder().encode(spec.payload)
    : spec.payload ?? new Uint8Array(0);
  const len = payload.length;
  const bits = spec.lengthBits ?? (len < 126 ? 7 : len < 65536 ? 16 : 64);
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = spec.mask ? 0x80 : 0;
  if (bits === 7) head.push(maskBit | len);
  else if (bits === 16) head.push(maskBit | 126, len >> 8, len & 255);
  else {
    const high = Math.floor(len / 2 ** 32);
    head.push(
      maskBit | 127,
      (spec.topBit ? 0x80 : 0) | (high >>> 24),
      (high >> 16) & 255,
      (high >> 8) & 255,
      high & 255,
      len >>> 24,
      (len >> 16) & 255,
      (len >> 8) & 255,
      len & 255,
    );
  }
  const body = payload.slice();
  if (spec.mask) {
    head.push(...spec.mask);
    for (let i = 0; i < body.length; i++) body[i] ^= spec.mask[i & 3];
  }
  return concat([new Uint8Array(head), body]);
}

/** Joins byte arrays (the helper every suite shares). */
export { concat };

/** Everything a connection reported. */
export interface Recording {
  conn: ProtocolConnection;
  written: Uint8Array[];
  messages: (string | Uint8Array)[];
  pings: Uint8Array[];
  pongs: Uint8Array[];
  closes: CloseInfo[];
  failures: ProtocolError[];
}

/** A connection whose handlers record into arrays. */
export function recorder(
  role: Role = "client",
  maxMessageSize = 1 << 24,
  maxMessageFragments = 1 << 17,
  messagePool?: BufferPool,
): Recording {
  const rec = {
    written: [],
    messages: [],
    pings: [],
    pongs: [],
    closes: [],
    failures: [],
  } as unknown as Recording;
  rec.conn = new ProtocolConnection(
    {
      role,
      maxMessageSize,
      maxMessageFragments,
      messagePool,
      random: (b) => crypto.getRandomValues(b),
    },
    {
      write: (b) => rec.written.push(b),
      message: (d) => rec.messages.push(typeof d === "string" ? d : d.slice()),
      ping: (p) => rec.pings.push(p.slice()),
      pong: (p) => rec.pongs.push(p.slice()),
      peerClose: (info) => rec.closes.push(info),
      fail: (e) => rec.failures.push(e),
    },
  );
  return rec;
}

/** Decodes a frame written by the connection (masked or not) into its parts. */
export function decodeWritten(
  bytes: Uint8Array,
): { opcode: number; fin: boolean; payload: Uint8Array; masked: boolean } {
  const fin = (bytes[0] & 0x80) !== 0;
  const opcode = bytes[0] & 0x0f;
  const masked = (bytes[1] & 0x80) !== 0;
  let len = bytes[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    len = (bytes[2] << 8) | bytes[3];
    offset = 4;
  } else if (len === 127) {
    len = Number(new DataView(bytes.buffer, bytes.byteOffset + 2, 8).getBigUint64(0));
    offset = 10;
  }
  let payload: Uint8Array;
  if (masked) {
    const key = bytes.subarray(offset, offset + 4);
    offset += 4;
    payload = bytes.slice(offset, offset + len);
    for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
  } else {
    payload = bytes.slice(offset, offset + len);
  }
  return { opcode, fin, payload, masked };
}

/** The close code in a written close frame, or undefined for an empty payload. */
export function closeCodeOf(bytes: Uint8Array): number | undefined {
  const { opcode, payload } = decodeWritten(bytes);
  if (opcode !== 0x8) throw new Error(`not a close frame: opcode ${opcode}`);
  return payload.length >= 2 ? (payload[0] << 8) | payload[1] : undefined;
}
