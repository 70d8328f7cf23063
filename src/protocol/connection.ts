/**
 * The sans-I/O WebSocket connection: bytes in, events and bytes out.
 *
 * It routes frames (data frames to the message assembler, control frames
 * here), answers pings and runs the close handshake. It never touches a
 * socket or a timer; the client and the server drive it.
 *
 * @module
 */

import { decodeClosePayload, encodeClosePayload } from "./close.ts";
import type { CloseInfo } from "./close.ts";
import type { BufferPool } from "./buffer_pool.ts";
import { CloseCode, MAX_CLOSE_REASON_BYTES, Opcode } from "./constants.ts";
import { describe, ProtocolError } from "./errors.ts";
import {
  encodeFrame,
  FrameSlab,
  headerLength,
  MaskKeySource,
  MAX_SLAB_FRAME,
  type RandomFill,
  writeFrameAt,
} from "./frame_encoder.ts";
import { FrameParser, type FrameSink } from "./frame_parser.ts";
import { type MessageAllocator, MessageAssembler } from "./message_assembler.ts";
import { DeflatePipeline, type DeflatePipelineOptions } from "./deflate_pipeline.ts";
import { checkControlRsv, RSV1 } from "./permessage_deflate.ts";

/** Which end of the connection this is. */
export type Role = "client" | "server";

/** Callbacks through which the connection reports what happened. */
export interface ConnectionHandlers {
  /** Bytes to send to the peer, in order. The callee owns the array. */
  write(bytes: Uint8Array): void;
  /**
   * Optional: a small frame to send, as `block[start, end)` of a slab block
   * (see {@linkcode FrameSlab.reserve}), in order with `write`. The callee
   * owns those bytes; without this method, frames come through `write` as
   * views. Consecutive frames often lie back to back in one block, so a
   * callee can send them as one range without a view per frame.
   */
  writeRange?(block: Uint8Array, start: number, end: number): void;
  /** A complete message: text as `string`, binary as `Uint8Array` (owned by the callee). */
  message(data: string | Uint8Array): void;
  /** A ping arrived (already answered with a pong). */
  ping?(payload: Uint8Array): void;
  /** A pong arrived. */
  pong?(payload: Uint8Array): void;
  /** The peer's close frame arrived; ours has been sent (now or earlier). */
  peerClose(info: CloseInfo): void;
  /**
   * The peer broke a rule, or something inside `receive` threw (then
   * `error.closeCode` is 1011); a close frame with `error.closeCode` has been sent.
   */
  fail(error: ProtocolError): void;
}

/** Settings of a {@linkcode ProtocolConnection}. */
export interface ConnectionOptions {
  /** `client` masks what it sends and refuses masked frames; `server` the reverse. */
  role: Role;
  /** Largest message (sum of fragments) accepted; larger closes with 1009. */
  maxMessageSize: number;
  /** Most frames one message may arrive in; more closes with 1009. */
  maxMessageFragments: number;
  /** CSPRNG for masking keys (used by the client role only). */
  random: RandomFill;
  /**
   * Where frames over 1 KiB are allocated. Whoever writes a frame may give it
   * back to the pool once the write has completed.
   */
  pool?: BufferPool;
  /**
   * Where incoming messages grow until their own buffer can be allocated
   * (the steps go back to it; see {@linkcode MessageAssembler}).
   */
  messagePool?: BufferPool;
  /**
   * Where frames up to 1 KiB are carved (default: a slab of this connection's
   * own). One slab shared by every connection means an idle connection holds
   * no block at all, whatever it sent before.
   */
  slab?: FrameSlab;
  /** Where binary messages handed out are allocated (see {@linkcode MessageAllocator}). */
  allocateMessage?: MessageAllocator;
  /**
   * Where messages that are never handed out (compressed ones, inflated first) are
   * assembled; may return a view of a shared buffer. Default: `allocateMessage`.
   */
  allocateInternal?: MessageAllocator;
  /** permessage-deflate (RFC 7692), when the handshake negotiated it. */
  deflate?: DeflatePipelineOptions;
}

/**
 * `open`: both directions work. `closing`: we sent close and wait for the
 * peer's. `closed`: the close handshake is over or the connection failed.
 */
export type ConnectionState = "open" | "closing" | "closed";

const textEncoder = new TextEncoder();

// Thrown by the sink to stop the parser mid-chunk once the peer's close arrived.
const STOP_PARSING = Symbol("stop parsing");
const EMPTY = new Uint8Array(0);

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
 *   maxMessageFragments: 1000,
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
  // Kept to make the parser and the assembler when the first bytes and the first data
  // frame arrive: a connection that has received nothing holds neither (the options may be shared).
  readonly #options: ConnectionOptions;
  #parser: FrameParser | null = null;
  readonly #maskKeys: MaskKeySource | null;
  readonly #slab: FrameSlab;
  #assembler: MessageAssembler | null = null;
  // Only on connections that negotiated permessage-deflate.
  readonly #deflate: DeflatePipeline | null = null;
  #closeSent = false;
  #closeReceived = false;
  #failed = false;
  // The control frame being received (null while a data frame is): at most 125 bytes.
  #control: Uint8Array | null = null;
  #controlOpcode = 0;
  #controlFilled = 0;

  /**
   * Creates a connection in the open state (the opening handshake is done).
   *
   * @param options role, message limits and random source; kept (the parser and the
   *   assembler are made from them when first needed), so not to be changed afterwards
   * @param handlers where bytes to send and received events go
   */
  constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.#handlers = handlers;
    this.#options = options;
    this.#maskKeys = options.role === "client" ? new MaskKeySource(options.random) : null;
    this.#slab = options.slab ?? new FrameSlab(options.pool);
    if (options.deflate !== undefined) {
      this.#deflate = new DeflatePipeline(options.deflate, options.maxMessageSize, {
        writeData: (opcode, payload, compressed) => {
          const key = this.#maskKeys === null ? null : this.#maskKeys.next();
          const frame = encodeFrame(opcode, payload, true, key, this.#slab);
          if (compressed) frame[0] |= RSV1 << 4;
          this.#handlers.write(frame);
        },
        writeFrame: (frame) => this.#handlers.write(frame),
        message: (data) => this.#handlers.message(data),
        fail: (error) => this.#fail(error),
      });
    }
  }

  /**
   * Bytes of messages waiting to be compressed (0 without permessage-deflate):
   * they count towards the send buffer.
   */
  get queuedBytes(): number {
    return this.#deflate === null ? 0 : this.#deflate.queuedBytes;
  }

  /**
   * Resolves once every message sent so far has been encoded and written
   * (with permessage-deflate, compression may take a while); null when
   * nothing waits.
   */
  pendingSends(): Promise<void> | null {
    return this.#deflate === null ? null : this.#deflate.idle();
  }

  /** Frees what the connection holds beyond its buffers (zlib contexts): the stream ended. */
  release(): void {
    this.#deflate?.close();
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

  #newParser(): FrameParser {
    return new FrameParser({
      expectMasked: this.#options.role === "server",
      allowedRsv: this.#deflate === null ? 0 : RSV1,
    });
  }

  #newAssembler(): MessageAssembler {
    const options = this.#options;
    return new MessageAssembler(
      { maxMessageSize: options.maxMessageSize, maxFragments: options.maxMessageFragments },
      options.messagePool,
      options.allocateMessage,
      options.allocateInternal,
    );
  }

  /** True once the peer's close frame has arrived. */
  get closeReceived(): boolean {
    return this.#closeReceived;
  }

  /** True when the stream is between frames (an EOF here is not mid-frame). */
  get atFrameBoundary(): boolean {
    return this.#parser === null || this.#parser.idle;
  }

  /** Bytes of memory held for the incoming message in progress (0 between messages). */
  get messageBufferSize(): number {
    return this.#assembler === null ? 0 : this.#assembler.capacity;
  }

  /**
   * Where the next bytes from the peer may be read to directly: free space in
   * the buffer of the message being received, while a large data frame's
   * payload is arriving. Undefined otherwise. Reading into it and then
   * passing that view to {@linkcode ProtocolConnection.receive} saves a copy.
   */
  readTarget(): Uint8Array | undefined {
    if (this.#failed || this.#closeReceived || this.#control !== null) return undefined;
    return this.#assembler?.readTarget();
  }

  /**
   * Feeds bytes from the peer. The connection may modify `chunk` in place
   * and copies what it keeps, so the caller may reuse the memory once this
   * returns. Bytes after the peer's close frame or after a failure are ignored.
   * Anything else than a {@linkcode ProtocolError} thrown on the way (a bug,
   * or a handler that threw) fails the connection with 1011 instead of
   * escaping into the transport's read loop.
   */
  receive(chunk: Uint8Array): void {
    if (this.#failed || this.#closeReceived) return;
    try {
      (this.#parser ??= this.#newParser()).push(chunk, this);
    } catch (error) {
      if (error === STOP_PARSING) return;
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.InternalError, `internal error: ${describe(error)}`),
      );
    }
  }

  /** Sends a text message. Returns false (and sends nothing) after close. */
  sendText(text: string): boolean {
    return this.#sendFrame(Opcode.Text, textEncoder.encode(text));
  }

  /**
   * Sends one message: bytes (`text` marks them as valid UTF-8), or a short
   * ASCII string (see `isShortAscii`). Bytes are copied before it returns.
   * `source`, the string a text message was encoded from, is what
   * permessage-deflate compresses (a string needs no copy to be kept).
   * Returns false (and sends nothing) after close.
   */
  sendMessage(payload: Uint8Array | string, text: boolean, source = ""): boolean {
    return this.#sendFrame(text ? Opcode.Text : Opcode.Binary, payload, source);
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
    const key = this.#maskKeys === null ? null : this.#maskKeys.next();
    const frame = encodeFrame(Opcode.Close, payload, true, key, this.#slab);
    // Before the write: even a write that throws must not let data follow the close.
    this.#closeSent = true;
    // With permessage-deflate, messages still being compressed go first.
    if (this.#deflate !== null && this.#deflate.holdFrame(frame)) return true;
    this.#handlers.write(frame);
    return true;
  }

  #sendFrame(opcode: number, payload: Uint8Array | string, source = ""): boolean {
    if (this.#closeSent) return false;
    if (this.#deflate !== null && opcode < Opcode.Close) {
      this.#deflate.send(opcode, payload, source);
      return true;
    }
    const key = this.#maskKeys === null ? null : this.#maskKeys.next();
    const handlers = this.#handlers;
    const size = headerLength(payload.length, key !== null) + payload.length;
    if (size <= MAX_SLAB_FRAME && handlers.writeRange !== undefined) {
      const slab = this.#slab;
      const at = slab.reserve(size);
      writeFrameAt(slab.block, at, opcode, payload, true, key, slab);
      handlers.writeRange(slab.block, at, at + size);
      return true;
    }
    handlers.write(encodeFrame(opcode, payload, true, key, this.#slab));
    return true;
  }

  #fail(error: ProtocolError): void {
    this.#failed = true;
    this.#assembler?.reset();
    this.#deflate?.reset();
    this.#control = null;
    try {
      if (!this.#closeSent) this.close(error.closeCode, truncateReason(error.message));
    } catch {
      // The write handler threw again: the close frame is lost, the failure is still reported.
    }
    this.#handlers.fail(error);
  }

  // ---- FrameSink: called by the parser ----

  /** @internal */
  frameStart(opcode: number, fin: boolean, length: number, rsv?: number): void {
    // Nothing after the peer's close frame counts, even in the same read.
    if (this.#closeReceived) throw STOP_PARSING;
    if (opcode >= Opcode.Close) {
      // Only a negotiated extension lets the parser pass reserved bits.
      if (rsv) checkControlRsv(rsv);
      // The parser has checked the length (at most 125): keeping it is cheap.
      this.#control = length === 0 ? EMPTY : new Uint8Array(length);
      this.#controlOpcode = opcode;
      this.#controlFilled = 0;
      return;
    }
    const assembler = this.#assembler ??= this.#newAssembler();
    if (this.#deflate === null) {
      assembler.frameStart(opcode, fin, length);
    } else {
      opcode = this.#deflate.frameStart(opcode, rsv!);
      // A compressed message is inflated, never handed out: its buffer may be shared.
      assembler.frameStart(opcode, fin, length, this.#deflate.receivingCompressed);
    }
  }

  /** @internal A whole final data frame in one chunk (see {@linkcode FrameSink.wholeFrame}). */
  wholeFrame(opcode: number, rsv: number, chunk: Uint8Array, start: number, end: number): void {
    if (this.#closeReceived) throw STOP_PARSING;
    const assembler = this.#assembler ??= this.#newAssembler();
    if (this.#deflate !== null || !assembler.idle) {
      // Compressed, or inside a fragmented message (an error the assembler reports): the
      // general path, which holds every rule for those.
      this.frameStart(opcode, true, end - start, rsv);
      this.framePayload(chunk, start, end);
      this.frameEnd();
      return;
    }
    this.#handlers.message(assembler.whole(opcode, chunk, start, end));
  }

  /** @internal */
  framePayload(chunk: Uint8Array, start: number, end: number): void {
    const control = this.#control;
    if (control === null) {
      this.#assembler!.payload(chunk, start, end);
      return;
    }
    control.set(chunk.subarray(start, end), this.#controlFilled);
    this.#controlFilled += end - start;
  }

  /** @internal */
  frameEnd(): void {
    const control = this.#control;
    if (control !== null) {
      this.#control = null;
      this.#controlFrame(this.#controlOpcode, control);
      return;
    }
    const message = this.#assembler!.frameEnd();
    if (message === undefined) return;
    if (this.#deflate === null) this.#handlers.message(message);
    else this.#deflate.received(message);
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
      this.#assembler?.reset();
      if (this.#deflate !== null) {
        // Messages still being inflated are delivered before the peer's close.
        if (!this.#deflate.holdClose(() => this.#peerClosed(info))) this.#peerClosed(info);
        return;
      }
      // Echo the peer's code (RFC 6455 section 5.5.1); no code if it sent none.
      if (!this.#closeSent) {
        this.close(info.code === CloseCode.NoStatus ? undefined : info.code);
      }
      this.#handlers.peerClose(info);
    }
  }

  /**
   * The peer's close with permessage-deflate, once the messages inflated before it are
   * delivered; reported once our frames still being compressed (and our close) are written.
   */
  #peerClosed(info: CloseInfo): void {
    if (this.#failed) return;
    if (!this.#closeSent) this.close(info.code === CloseCode.NoStatus ? undefined : info.code);
    if (this.#deflate!.afterSends(() => this.#handlers.peerClose(info))) return;
    this.#handlers.peerClose(info);
  }
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
