/**
 * The sans-I/O WebSocket connection: bytes in, events and bytes out.
 *
 * It assembles messages from fragments, validates UTF-8 as it streams in,
 * enforces the size limit, answers pings and runs the close handshake. It
 * never touches a socket or a timer; the client and the server drive it.
 *
 * @module
 */

import { decodeClosePayload, encodeClosePayload } from "./close.ts";
import type { CloseInfo } from "./close.ts";
import type { BufferPool } from "./buffer_pool.ts";
import { CloseCode, MAX_CLOSE_REASON_BYTES, Opcode } from "./constants.ts";
import { ProtocolError } from "./errors.ts";
import { encodeFrame, FrameSlab, MaskKeySource, type RandomFill } from "./frame_encoder.ts";
import { type FrameHeader, FrameParser, type FrameSink } from "./frame_parser.ts";
import { decodeShortAscii } from "./short_text.ts";

/** Which end of the connection this is. */
export type Role = "client" | "server";

/** Callbacks through which the connection reports what happened. */
export interface ConnectionHandlers {
  /** Bytes to send to the peer, in order. The callee owns the array. */
  write(bytes: Uint8Array): void;
  /** A complete message: text as `string`, binary as `Uint8Array` (owned by the callee). */
  message(data: string | Uint8Array): void;
  /** A ping arrived (already answered with a pong). */
  ping?(payload: Uint8Array): void;
  /** A pong arrived. */
  pong?(payload: Uint8Array): void;
  /** The peer's close frame arrived; ours has been sent (now or earlier). */
  peerClose(info: CloseInfo): void;
  /** The peer broke a rule; a close frame with `error.closeCode` has been sent. */
  fail(error: ProtocolError): void;
}

/** Settings of a {@linkcode ProtocolConnection}. */
export interface ConnectionOptions {
  /** `client` masks what it sends and refuses masked frames; `server` the reverse. */
  role: Role;
  /** Largest message (sum of fragments) accepted; larger closes with 1009. */
  maxMessageSize: number;
  /** CSPRNG for masking keys (used by the client role only). */
  random: RandomFill;
  /**
   * Where frames over 1 KiB are allocated. Whoever writes a frame may give it
   * back to the pool once the write has completed.
   */
  pool?: BufferPool;
}

/**
 * `open`: both directions work. `closing`: we sent close and wait for the
 * peer's. `closed`: the close handshake is over or the connection failed.
 */
export type ConnectionState = "open" | "closing" | "closed";

const textEncoder = new TextEncoder();

function newDecoder(): TextDecoder {
  // fatal: invalid UTF-8 throws (→ 1007); ignoreBOM: a leading U+FEFF is content.
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
}
// Stateless use only (no `stream` option), so one instance serves every connection.
const WHOLE_DECODER = newDecoder();
// Thrown by the sink to stop the parser mid-chunk once the peer's close arrived.
const STOP_PARSING = Symbol("stop parsing");
const EMPTY = new Uint8Array(0);
// A single-frame binary message up to this size gets its buffer when its
// header arrives (so reads can land in it directly); bigger ones are
// collected as they come, so an announced length alone cannot claim more.
const MAX_EAGER_MESSAGE_BUFFER = 16 * 1024 * 1024;
// Below this many outstanding payload bytes a direct read is not worth it.
const MIN_READ_TARGET = 16 * 1024;

/**
 * One WebSocket connection after the opening handshake.
 *
 * @example
 * ```ts
 * import { ProtocolConnection } from "./connection.ts";
 * const out: Uint8Array[] = [];
 * const conn = new ProtocolConnection({
 *   role: "client",
 *   maxMessageSize: 1 << 20,
 *   random: (b) => crypto.getRandomValues(b),
 * }, {
 *   write: (bytes) => out.push(bytes),
 *   message: (data) => console.log(data),
 *   peerClose: () => {},
 *   fail: () => {},
 * });
 * conn.receive(new Uint8Array([0x81, 0x02, 0x68, 0x69])); // logs "hi"
 * conn.sendText("hello"); // out now holds one masked text frame
 * ```
 */
export class ProtocolConnection implements FrameSink {
  readonly #handlers: ConnectionHandlers;
  readonly #parser: FrameParser;
  readonly #maxMessageSize: number;
  readonly #maskKeys: MaskKeySource | null;
  readonly #slab: FrameSlab;
  #closeSent = false;
  #closeReceived = false;
  #failed = false;

  // The frame being parsed.
  #frameOpcode = 0;
  #frameFin = false;
  // Allocated only while a frame needs them, so an idle connection holds none.
  #controlParts: Uint8Array[] | null = null;
  // The message being assembled (opcode 0 when none).
  #messageOpcode = 0;
  #messageSize = 0;
  #binaryParts: Uint8Array[] | null = null;
  // A single-frame binary message whose size is known: its bytes go straight here.
  #binaryBuffer: Uint8Array | null = null;
  #binaryFilled = 0;
  #text = "";
  // A text frame whose whole payload came in one chunk waits here and is
  // decoded once at its end; anything else streams through #streamDecoder.
  #wholeText: Uint8Array | null = null;
  #streaming = false;
  #streamDecoder: TextDecoder | null = null;
  #frameLength = 0;

  /**
   * Creates a connection in the open state (the opening handshake is done).
   *
   * @param options role, size limit and random source
   * @param handlers where bytes to send and received events go
   */
  constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.#handlers = handlers;
    this.#maxMessageSize = options.maxMessageSize;
    this.#parser = new FrameParser({ expectMasked: options.role === "server" });
    this.#maskKeys = options.role === "client" ? new MaskKeySource(options.random) : null;
    this.#slab = new FrameSlab(options.pool);
  }

  /** Where the close handshake stands. */
  get state(): ConnectionState {
    if (this.#failed || (this.#closeSent && this.#closeReceived)) return "closed";
    return this.#closeSent ? "closing" : "open";
  }

  /** True once we have sent a close frame: no data may follow it. */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** True once the peer's close frame has arrived. */
  get closeReceived(): boolean {
    return this.#closeReceived;
  }

  /** True when the stream is between frames (an EOF here is not mid-frame). */
  get atFrameBoundary(): boolean {
    return this.#parser.idle;
  }

  /**
   * Where the next bytes from the peer may be read to directly: the rest of a
   * large binary payload, in the buffer the message will be delivered in.
   * Undefined when no such payload is in progress. Reading into it and then
   * passing that view to {@linkcode ProtocolConnection.receive} saves a copy.
   */
  readTarget(): Uint8Array | undefined {
    const buffer = this.#binaryBuffer;
    if (buffer === null || this.#failed || this.#closeReceived) return undefined;
    const remaining = this.#parser.payloadRemaining;
    if (remaining < MIN_READ_TARGET) return undefined;
    return buffer.subarray(this.#binaryFilled, this.#binaryFilled + remaining);
  }

  /**
   * Feeds bytes from the peer. The connection may modify `chunk` in place
   * and copies what it keeps, so the caller may reuse the memory once this
   * returns. Bytes after the peer's close frame or after a failure are ignored.
   */
  receive(chunk: Uint8Array): void {
    if (this.#failed || this.#closeReceived) return;
    try {
      this.#parser.push(chunk, this);
    } catch (error) {
      if (error === STOP_PARSING) return;
      if (!(error instanceof ProtocolError)) throw error;
      this.#fail(error);
    }
  }

  /** Sends a text message. Returns false (and sends nothing) after close. */
  sendText(text: string): boolean {
    return this.#sendFrame(Opcode.Text, textEncoder.encode(text));
  }

  /**
   * Sends one message: bytes (`text` marks them as valid UTF-8), or a short
   * ASCII string (see `isShortAscii`). Returns false (and sends nothing) after close.
   */
  sendMessage(payload: Uint8Array | string, text: boolean): boolean {
    return this.#sendFrame(text ? Opcode.Text : Opcode.Binary, payload);
  }

  /** Sends a binary message. Returns false (and sends nothing) after close. */
  sendBinary(data: Uint8Array): boolean {
    return this.#sendFrame(Opcode.Binary, data);
  }

  /** Sends a ping (payload of at most 125 bytes). */
  ping(payload: Uint8Array = EMPTY): boolean {
    if (payload.length > 125) throw new RangeError("ping payload over 125 bytes");
    return this.#sendFrame(Opcode.Ping, payload);
  }

  /**
   * Starts (or answers) the close handshake. `code` undefined sends an empty
   * close payload. Returns false if a close frame was already sent. Throws
   * `RangeError` for a code or reason that may not be sent.
   */
  close(code?: number, reason = ""): boolean {
    if (this.#closeSent) return false;
    const payload = encodeClosePayload(code, reason);
    this.#sendFrame(Opcode.Close, payload);
    this.#closeSent = true;
    return true;
  }

  #sendFrame(opcode: number, payload: Uint8Array | string): boolean {
    if (this.#closeSent) return false;
    const key = this.#maskKeys === null ? null : this.#maskKeys.next();
    this.#handlers.write(encodeFrame(opcode, payload, true, key, this.#slab));
    return true;
  }

  #fail(error: ProtocolError): void {
    this.#failed = true;
    this.#resetMessage();
    if (!this.#closeSent) this.close(error.closeCode, truncateReason(error.message));
    this.#handlers.fail(error);
  }

  // ---- FrameSink: called by the parser ----

  /** @internal */
  frameStart(header: FrameHeader): void {
    // Nothing after the peer's close frame counts, even in the same read.
    if (this.#closeReceived) throw STOP_PARSING;
    const opcode = header.opcode;
    this.#frameOpcode = opcode;
    this.#frameFin = header.fin;
    this.#frameLength = header.length;
    if (opcode >= Opcode.Close) {
      this.#controlParts = null;
      return;
    }
    if (opcode === Opcode.Continuation) {
      if (this.#messageOpcode === 0) {
        throw new ProtocolError(CloseCode.ProtocolError, "continuation frame without a message");
      }
    } else {
      if (this.#messageOpcode !== 0) {
        throw new ProtocolError(
          CloseCode.ProtocolError,
          "new data frame while a fragmented message is in progress",
        );
      }
      this.#messageOpcode = opcode;
      this.#messageSize = 0;
      if (
        opcode === Opcode.Binary && header.fin && header.length > 0 &&
        header.length <= MAX_EAGER_MESSAGE_BUFFER &&
        header.length <= this.#maxMessageSize
      ) {
        this.#binaryBuffer = new Uint8Array(header.length);
        this.#binaryFilled = 0;
      }
    }
    if (this.#messageSize + header.length > this.#maxMessageSize) {
      throw new ProtocolError(
        CloseCode.MessageTooBig,
        `message exceeds the limit of ${this.#maxMessageSize} bytes`,
      );
    }
  }

  /** @internal */
  framePayload(data: Uint8Array): void {
    if (this.#frameOpcode >= Opcode.Close) {
      (this.#controlParts ??= []).push(data.slice());
      return;
    }
    this.#messageSize += data.length;
    const buffer = this.#binaryBuffer;
    if (buffer !== null) {
      // Bytes read through readTarget() are already in place.
      const inPlace = data.buffer === buffer.buffer &&
        data.byteOffset === buffer.byteOffset + this.#binaryFilled;
      if (!inPlace) buffer.set(data, this.#binaryFilled);
      this.#binaryFilled += data.length;
    } else if (this.#messageOpcode !== Opcode.Text) {
      (this.#binaryParts ??= []).push(data.slice());
    } else if (
      !this.#streaming && this.#frameFin && this.#frameOpcode === Opcode.Text &&
      data.length === this.#frameLength
    ) {
      this.#wholeText = data;
    } else {
      // Fragments, or a frame still arriving: validate as the bytes come (fail fast).
      this.#streaming = true;
      this.#streamDecoder ??= newDecoder();
      try {
        this.#text += this.#streamDecoder.decode(data, { stream: true });
      } catch {
        throw new ProtocolError(CloseCode.InvalidPayload, "text message is not valid UTF-8");
      }
    }
  }

  /** @internal */
  frameEnd(): void {
    const opcode = this.#frameOpcode;
    if (opcode >= Opcode.Close) {
      const parts = this.#controlParts ?? [];
      this.#controlParts = null;
      this.#controlFrame(opcode, concat(parts));
      return;
    }
    if (!this.#frameFin) return;
    let data: string | Uint8Array;
    if (this.#binaryBuffer !== null) {
      data = this.#binaryBuffer;
    } else if (this.#messageOpcode !== Opcode.Text) {
      data = concat(this.#binaryParts ?? []);
    } else if (this.#wholeText !== null) {
      try {
        data = decodeShortAscii(this.#wholeText) ?? WHOLE_DECODER.decode(this.#wholeText);
      } catch {
        throw new ProtocolError(CloseCode.InvalidPayload, "text message is not valid UTF-8");
      }
    } else if (this.#streaming) {
      try {
        data = this.#text + this.#streamDecoder!.decode();
      } catch {
        throw new ProtocolError(CloseCode.InvalidPayload, "text message ends mid-character");
      }
      this.#streaming = false; // the flush above left the decoder clean for reuse
    } else {
      data = ""; // no payload bytes at all
    }
    this.#resetMessage();
    this.#handlers.message(data);
  }

  #controlFrame(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.Ping) {
      if (!this.#closeSent) this.#sendFrame(Opcode.Pong, payload);
      this.#handlers.ping?.(payload);
    } else if (opcode === Opcode.Pong) {
      this.#handlers.pong?.(payload);
    } else {
      const info = decodeClosePayload(payload);
      this.#closeReceived = true;
      this.#resetMessage();
      // Echo the peer's code (RFC 6455 section 5.5.1); no code if it sent none.
      if (!this.#closeSent) {
        this.close(info.code === CloseCode.NoStatus ? undefined : info.code);
      }
      this.#handlers.peerClose(info);
    }
  }

  #resetMessage(): void {
    this.#messageOpcode = 0;
    this.#messageSize = 0;
    this.#binaryParts = null;
    this.#binaryBuffer = null;
    this.#text = "";
    this.#wholeText = null;
    if (this.#streaming) {
      // Abandoned mid-message: the decoder may hold a partial character.
      this.#streamDecoder = null;
      this.#streaming = false;
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Cuts a reason to at most 123 UTF-8 bytes without splitting a character. */
export function truncateReason(reason: string): string {
  let bytes = textEncoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let text = reason;
  while (bytes.length > MAX_CLOSE_REASON_BYTES) {
    text = text.slice(0, -1);
    bytes = textEncoder.encode(text);
  }
  return text;
}
