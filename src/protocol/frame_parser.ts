/**
 * Incremental frame parser. Bytes arrive in chunks of any size; the parser
 * keeps at most the 14 header bytes of the frame in progress and hands
 * payload bytes to its sink as soon as they arrive, so a huge frame is never
 * buffered here and UTF-8 can be checked while it streams in.
 *
 * @module
 */

import { CloseCode, isControlOpcode, MAX_CONTROL_PAYLOAD, Opcode } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { applyMask } from "./mask.ts";

/**
 * Receives the parts of each frame in order: one `frameStart`, zero or more
 * `framePayload` calls with unmasked bytes, one `frameEnd` (or, for a whole
 * final data frame in one chunk, one `wholeFrame` when the sink has it). A sink may throw
 * {@linkcode ProtocolError} to abort parsing.
 */
export interface FrameSink {
  /**
   * A header was parsed and passed the framing rules: the frame's opcode,
   * whether it is the final fragment, its payload length, and its RSV bits
   * (never set unless `allowedRsv` lets them through).
   */
  frameStart(opcode: number, fin: boolean, length: number, rsv: number): void;
  /**
   * Unmasked payload bytes: `chunk[start, end)` of the pushed chunk (given
   * as a range, not a view: a view per frame would be an allocation per
   * message). Copy what must outlive the call.
   */
  framePayload(chunk: Uint8Array, start: number, end: number): void;
  /** The payload of the current frame is complete. */
  frameEnd(): void;
  /**
   * Optional: a whole data frame that ends its message (FIN set, opcode text
   * or binary) whose header passed the framing rules and whose unmasked
   * payload is `chunk[start, end)`, reported in one call instead of
   * `frameStart`, `framePayload` and `frameEnd`. The parser uses it when the
   * header and all of the payload arrived in one chunk: the common small
   * message, for which three calls and the state kept between them cost more
   * than the message itself.
   */
  wholeFrame?(opcode: number, rsv: number, chunk: Uint8Array, start: number, end: number): void;
}

/** How strict the parser is about masking and reserved bits. */
export interface FrameParserOptions {
  /** `true` on a server (client frames must be masked), `false` on a client. */
  expectMasked: boolean;
  /** RSV bits allowed by negotiated extensions; 0 without extensions. */
  allowedRsv?: number;
}

// Bit n set ⇔ opcode n is defined: 0, 1, 2, 8, 9, 10.
const KNOWN_OPCODES = (1 << Opcode.Continuation) | (1 << Opcode.Text) | (1 << Opcode.Binary) |
  (1 << Opcode.Close) | (1 << Opcode.Ping) | (1 << Opcode.Pong);
// Lengths are JavaScript numbers: refuse what cannot be represented exactly.
const MAX_SAFE_HIGH_WORD = 0x1fffff;

/** Size of a frame header, from its second byte (mask bit and length code). */
function headerSize(secondByte: number): number {
  const lengthCode = secondByte & 0x7f;
  const extended = lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0;
  return 2 + extended + ((secondByte & 0x80) !== 0 ? 4 : 0);
}

/** A framing violation: 1002. */
function fail(message: string): never {
  throw new ProtocolError(CloseCode.ProtocolError, message);
}

/**
 * Parses a byte stream into frames, enforcing the framing rules of RFC 6455
 * section 5: reserved bits and opcodes, control-frame size and FIN, masking
 * direction, minimal length encoding and the 64-bit length's top bit.
 *
 * @example
 * ```ts
 * import { FrameParser } from "./frame_parser.ts";
 * const parser = new FrameParser({ expectMasked: false });
 * const parts: Uint8Array[] = [];
 * parser.push(new Uint8Array([0x81, 0x02, 0x68, 0x69]), {
 *   frameStart() {},
 *   framePayload(chunk, start, end) { parts.push(chunk.slice(start, end)); },
 *   frameEnd() {},
 * });
 * ```
 */
export class FrameParser {
  readonly #expectMasked: boolean;
  readonly #allowedRsv: number;
  // The bytes of a header split across reads (allocated the first time one is).
  #head: Uint8Array | null = null;
  #headLength = 0;
  #headNeeded = 2;
  #inPayload = false;
  #remaining = 0;
  // The current frame's masking key, when it is masked: reused, so a frame costs no
  // allocation here (allocated with the first masked frame: idle connections hold none).
  #maskKey: Uint8Array | null = null;
  #masked = false;
  #maskOffset = 0;
  // The header just read (kept in fields: a header costs no object).
  #opcode = 0;
  #fin = false;
  #rsv = 0;

  /** Creates a parser; `options` sets the masking direction and allowed reserved bits. */
  constructor(options: FrameParserOptions) {
    this.#expectMasked = options.expectMasked;
    this.#allowedRsv = options.allowedRsv ?? 0;
  }

  /** True when no partial frame is buffered (a clean place for the stream to end). */
  get idle(): boolean {
    return !this.#inPayload && this.#headLength === 0;
  }

  /**
   * Feeds `chunk` (which the parser may unmask in place) and reports frames to
   * `sink`. Throws {@linkcode ProtocolError} on a framing violation; the
   * parser must not be used after that.
   */
  push(chunk: Uint8Array, sink: FrameSink): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (!this.#inPayload) {
        if (this.#headLength === 0 && end - pos >= 2) {
          // The common case: the whole header is in this chunk; parse it where it is.
          const size = headerSize(chunk[pos + 1]);
          if (end - pos >= size) {
            const length = this.#readHeader(chunk, pos);
            pos += size;
            const opcode = this.#opcode;
            if (
              this.#fin && length <= end - pos && sink.wholeFrame !== undefined &&
              (opcode === Opcode.Text || opcode === Opcode.Binary)
            ) {
              const payloadEnd = pos + length;
              if (this.#masked) applyMask(chunk, this.#maskKey!, 0, pos, payloadEnd);
              sink.wholeFrame(opcode, this.#rsv, chunk, pos, payloadEnd);
              pos = payloadEnd;
              continue;
            }
            this.#begin(length, sink);
            if (this.#inPayload) continue;
            sink.frameEnd();
            continue;
          }
        }
        const take = Math.min(this.#headNeeded - this.#headLength, end - pos);
        // At most 14 bytes: a loop is cheaper than a view to copy from.
        const head = this.#head ??= new Uint8Array(14);
        for (let i = 0; i < take; i++) head[this.#headLength + i] = chunk[pos + i];
        this.#headLength += take;
        pos += take;
        if (this.#headLength < this.#headNeeded) return;
        if (this.#headNeeded === 2) {
          this.#headNeeded = headerSize(head[1]);
          if (this.#headLength < this.#headNeeded) continue;
        }
        this.#headLength = 0;
        this.#headNeeded = 2;
        this.#startFrame(head, 0, sink);
        if (!this.#inPayload) sink.frameEnd();
        continue;
      }
      const take = Math.min(this.#remaining, end - pos);
      const from = pos;
      pos += take;
      if (this.#masked) {
        applyMask(chunk, this.#maskKey!, this.#maskOffset, from, pos);
        this.#maskOffset += take;
      }
      this.#remaining -= take;
      sink.framePayload(chunk, from, pos);
      if (this.#remaining === 0) this.#endFrame(sink);
    }
  }

  /**
   * Checks the header at `bytes[at…]` (complete: {@linkcode headerSize}
   * bytes), keeps its masking key and length, and reports `frameStart`. The
   * caller reports `frameEnd` for an empty payload.
   */
  #startFrame(bytes: Uint8Array, at: number, sink: FrameSink): void {
    this.#begin(this.#readHeader(bytes, at), sink);
  }

  /** The header just read starts a frame of `length` payload bytes: reports `frameStart`. */
  #begin(length: number, sink: FrameSink): void {
    this.#remaining = length;
    this.#inPayload = length !== 0;
    sink.frameStart(this.#opcode, this.#fin, length, this.#rsv);
  }

  /**
   * Checks the header at `bytes[at…]` against the framing rules and keeps
   * what the frame needs (opcode, FIN, RSV bits, masking key); returns its
   * payload length.
   */
  #readHeader(bytes: Uint8Array, at: number): number {
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    const fin = (b0 & 0x80) !== 0;
    const rsv = (b0 >> 4) & 0x7;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if ((rsv & ~this.#allowedRsv) !== 0) fail(`reserved bits ${rsv} set without an extension`);
    if (((KNOWN_OPCODES >> opcode) & 1) === 0) fail(`reserved opcode 0x${opcode.toString(16)}`);
    if (masked !== this.#expectMasked) {
      fail(this.#expectMasked ? "client frame is not masked" : "server frame is masked");
    }
    if (length === 126) {
      length = (bytes[offset] << 8) | bytes[offset + 1];
      offset += 2;
      if (length < 126) fail("16-bit length used for a payload under 126 bytes");
    } else if (length === 127) {
      const high = ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
        bytes[offset + 3]) >>> 0;
      const low = ((bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) |
        (bytes[offset + 6] << 8) | bytes[offset + 7]) >>> 0;
      offset += 8;
      if (high >= 0x80000000) fail("64-bit length with the most significant bit set");
      if (high > MAX_SAFE_HIGH_WORD) {
        throw new ProtocolError(CloseCode.MessageTooBig, "frame length exceeds 2^53 bytes");
      }
      length = high * 0x100000000 + low;
      if (length < 65536) fail("64-bit length used for a payload under 65536 bytes");
    }
    if (isControlOpcode(opcode)) {
      if (!fin) fail("fragmented control frame");
      if (length > MAX_CONTROL_PAYLOAD) fail(`control frame payload of ${length} bytes`);
    }
    this.#masked = masked;
    if (masked) {
      const key = this.#maskKey ??= new Uint8Array(4);
      key[0] = bytes[offset];
      key[1] = bytes[offset + 1];
      key[2] = bytes[offset + 2];
      key[3] = bytes[offset + 3];
    }
    this.#maskOffset = 0;
    this.#opcode = opcode;
    this.#fin = fin;
    this.#rsv = rsv;
    return length;
  }

  #endFrame(sink: FrameSink): void {
    this.#inPayload = false;
    sink.frameEnd();
  }
}
