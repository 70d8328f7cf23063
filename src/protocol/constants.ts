/**
 * Numbers fixed by RFC 6455: opcodes, close codes and the handshake GUID.
 *
 * @module
 */

/** Frame opcodes (RFC 6455 section 5.2). */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** One of the opcodes defined by RFC 6455. */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/** Close status codes used by this library (RFC 6455 section 7.4.1). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reported locally when a close frame carried no code; never sent. */
  NoStatus: 1005,
  /** Reported locally when the TCP link ended without a close frame; never sent. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
} as const;

/** The fixed GUID appended to `Sec-WebSocket-Key` to derive the accept value. */
export const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Largest payload a control frame may carry. */
export const MAX_CONTROL_PAYLOAD = 125;

/** Largest close reason in UTF-8 bytes (125 minus the 2-byte code). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** True for close, ping and pong (opcodes with the high bit set). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}
