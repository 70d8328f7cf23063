/**
 * The order-keeping part of permessage-deflate (RFC 7692) for one
 * connection: compressed messages are inflated and outgoing ones compressed
 * by an injected {@linkcode DeflateEngine} whose work may finish later, yet
 * messages reach the application, and frames the wire, in the order they
 * came. Exists only on connections that negotiated the extension.
 *
 * @module
 */

import { CloseCode, Opcode } from "./constants.ts";
import { describe, ProtocolError } from "./errors.ts";
import { compressedFrameStart, DEFLATE_TAIL, removeDeflateTail } from "./permessage_deflate.ts";
import { decodeUtf8 } from "./utf8.ts";

export { DEFLATE_TAIL };

/** Why an inflation stopped without a result. */
export type InflateFailure = "too-big" | "corrupt";

/**
 * The zlib work of one connection, from the runtime (raw deflate with
 * `Z_SYNC_FLUSH`). Calls back exactly once per job, possibly later; jobs of
 * one engine are started one at a time per direction, in order.
 */
export interface DeflateEngine {
  /**
   * Compresses one whole message (a string as its UTF-8 bytes); `output` ends with the
   * sync-flush tail. `data` is not changed by anyone until `done`.
   */
  compress(
    data: Uint8Array | string,
    done: (output: Uint8Array | undefined, error?: unknown) => void,
  ): void;
  /**
   * Inflates one message's payload followed by {@linkcode DEFLATE_TAIL}.
   * Output beyond `limit` bytes stops the work (`too-big`) however small the
   * input; invalid data is `corrupt`. `output` is the callee's to keep.
   */
  inflate(
    payload: Uint8Array,
    limit: number,
    done: (output: Uint8Array | undefined, failure?: InflateFailure, detail?: string) => void,
  ): void;
  /** Frees the zlib contexts; jobs in progress are abandoned (their callbacks may not come). */
  close(): void;
}

/** What the pipeline needs from its connection. */
export interface DeflateHost {
  /** Encodes and writes one whole data message; `compressed` sets RSV1. */
  writeData(opcode: number, payload: Uint8Array | string, compressed: boolean): void;
  /** Writes a frame that waited behind compressed messages (our close). */
  writeFrame(frame: Uint8Array): void;
  /** A complete message, in order. */
  message(data: string | Uint8Array): void;
  /** Fails the connection (the pipeline has been reset). */
  fail(error: ProtocolError): void;
}

/** Settings of a {@linkcode DeflatePipeline}. */
export interface DeflatePipelineOptions {
  /** The zlib work, already configured with the negotiated windows and context rules. */
  engine: DeflateEngine;
  /** Messages shorter than this are sent uncompressed. */
  threshold: number;
}

type Incoming =
  | { kind: 0; compressed: Uint8Array; text: boolean }
  | { kind: 1; message: string | Uint8Array }
  | { kind: 2; then: () => void };

type Outgoing =
  | { kind: 0; opcode: number; data: Uint8Array | string; size: number }
  | { kind: 1; opcode: number; payload: Uint8Array | string }
  | { kind: 2; frame: Uint8Array }
  | { kind: 3; then: () => void };

/**
 * Received messages may wait for inflation up to this many times `maxMessageSize` bytes in
 * all; past that the peer is closed with 1008 (it sends faster than zlib inflates).
 */
export const MAX_BACKLOG_FACTOR = 2;

/**
 * Both directions of the extension on one connection. The connection routes
 * data frames' headers, completed messages, data sends and its close
 * through it; everything else bypasses it.
 */
export class DeflatePipeline {
  readonly #engine: DeflateEngine;
  readonly #threshold: number;
  readonly #host: DeflateHost;
  readonly #maxMessageSize: number;
  // The message being received is compressed (its first frame had RSV1), and as what.
  #compressed = false;
  #text = false;
  readonly #incoming: Incoming[] = [];
  // Bytes of the messages in #incoming: bounded by MAX_BACKLOG_FACTOR × maxMessageSize.
  #incomingBytes = 0;
  #inflating = false;
  readonly #outgoing: Outgoing[] = [];
  #compressing = false;
  #queuedBytes = 0;
  #idle: Promise<void> | null = null;
  #resolveIdle: (() => void) | null = null;
  // Bumped by reset(): callbacks of abandoned jobs are ignored. The generation each
  // running job started in is kept to compare.
  #generation = 0;
  #inflateGeneration = 0;
  #compressGeneration = 0;
  #closed = false;

  /** @param maxMessageSize the inflated size past which a message closes with 1009 */
  constructor(options: DeflatePipelineOptions, maxMessageSize: number, host: DeflateHost) {
    this.#engine = options.engine;
    this.#threshold = options.threshold;
    this.#maxMessageSize = maxMessageSize;
    this.#host = host;
  }

  /**
   * A data frame's header. Applies the RSV1 rule and returns the opcode the
   * message assembler should see: a compressed message is assembled as
   * binary (its bytes are not text until inflated).
   */
  frameStart(opcode: number, rsv: number): number {
    if (opcode === Opcode.Continuation) {
      compressedFrameStart(opcode, rsv); // throws on RSV1
      return opcode;
    }
    this.#compressed = compressedFrameStart(opcode, rsv);
    if (!this.#compressed) return opcode;
    this.#text = opcode === Opcode.Text;
    return Opcode.Binary;
  }

  /** Whether the message being received is compressed (set by its first frame's header). */
  get receivingCompressed(): boolean {
    return this.#compressed;
  }

  /** A message the assembler completed (still compressed when its first frame said so). */
  received(message: string | Uint8Array): void {
    if (!this.#compressed && this.#incoming.length === 0) {
      this.#host.message(message);
      return;
    }
    // The transport cannot be paused: a peer that sends faster than zlib inflates is cut off
    // once its backlog reaches the bound, rather than queued without limit.
    const size = message.length;
    if (this.#incomingBytes + size > MAX_BACKLOG_FACTOR * this.#maxMessageSize) {
      throw new ProtocolError(
        CloseCode.PolicyViolation,
        `more than ${
          MAX_BACKLOG_FACTOR * this.#maxMessageSize
        } bytes of messages wait to be inflated`,
      );
    }
    this.#incomingBytes += size;
    if (this.#compressed) {
      this.#compressed = false;
      this.#incoming.push({ kind: 0, compressed: message as Uint8Array, text: this.#text });
      this.#pumpIncoming();
    } else {
      this.#incoming.push({ kind: 1, message });
    }
  }

  /**
   * Runs `then` once every message received before it has been delivered;
   * returns false (and does not keep `then`) when nothing is pending, so the
   * caller may go on at once.
   */
  holdClose(then: () => void): boolean {
    if (this.#incoming.length === 0) return false;
    this.#incoming.push({ kind: 2, then });
    return true;
  }

  /** Bytes accepted by {@linkcode DeflatePipeline.send} and not yet handed to the host. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Resolves once every message sent so far has been handed to the host; null when none waits. */
  idle(): Promise<void> | null {
    if (this.#outgoing.length === 0) return null;
    return this.#idle ??= new Promise((resolve) => this.#resolveIdle = resolve);
  }

  /**
   * Sends one data message: compressed unless shorter than the threshold, always in order.
   * `payload` is borrowed (copied if it must wait); `source`, when not empty, is the string
   * a text payload was encoded from, and is what gets compressed.
   */
  send(opcode: number, payload: Uint8Array | string, source = ""): void {
    const size = payload.length;
    if (size < this.#threshold) {
      if (this.#outgoing.length === 0) {
        this.#host.writeData(opcode, payload, false);
        return;
      }
      // Behind a message being compressed: keep a copy, the caller may change its bytes.
      this.#outgoing.push({
        kind: 1,
        opcode,
        payload: typeof payload === "string" ? payload : payload.slice(),
      });
    } else {
      // A string goes to the engine as it is (immutable, so it needs no copy while it waits;
      // zlib encodes small ones in Buffer's shared pool); bytes are copied, the caller may change them.
      const data = source !== "" ? source : typeof payload === "string" ? payload : payload.slice();
      this.#outgoing.push({ kind: 0, opcode, data, size });
    }
    this.#queuedBytes += size;
    this.#pumpOutgoing();
  }

  /** Writes our close frame behind the messages still being compressed; false when none is. */
  holdFrame(frame: Uint8Array): boolean {
    if (this.#outgoing.length === 0) return false;
    this.#outgoing.push({ kind: 2, frame });
    return true;
  }

  /**
   * Runs `then` once every message sent so far (and our close) has been written; false (and
   * `then` is not kept) when nothing waits. The peer's close is reported through it, so the
   * server does not end TCP before its last frames.
   */
  afterSends(then: () => void): boolean {
    if (this.#outgoing.length === 0) return false;
    this.#outgoing.push({ kind: 3, then });
    return true;
  }

  /** Drops everything pending in both directions (the connection failed or was closed). */
  reset(): void {
    this.#generation++;
    this.#incoming.length = 0;
    this.#incomingBytes = 0;
    this.#outgoing.length = 0;
    this.#inflating = this.#compressing = this.#compressed = false;
    this.#queuedBytes = 0;
    this.#settleIdle();
  }

  /** Resets and frees the zlib contexts: the connection has ended. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.reset();
    this.#engine.close();
  }

  #settleIdle(): void {
    const resolve = this.#resolveIdle;
    this.#idle = this.#resolveIdle = null;
    resolve?.();
  }

  #failWith(code: number, message: string): void {
    this.reset();
    this.#host.fail(new ProtocolError(code, message));
  }

  #pumpIncoming(): void {
    const generation = this.#generation;
    // Bounded by the queue, which only shrinks here.
    while (!this.#inflating && this.#incoming.length > 0 && generation === this.#generation) {
      const item = this.#incoming[0];
      if (item.kind === 0) {
        this.#inflating = true;
        this.#inflateGeneration = generation;
        this.#engine.inflate(item.compressed, this.#maxMessageSize, this.#onInflated);
        // The engine may have called back already (then the loop goes on).
        continue;
      }
      this.#incoming.shift();
      if (item.kind === 1) this.#incomingBytes -= item.message.length;
      try {
        if (item.kind === 1) this.#host.message(item.message);
        else item.then();
      } catch (error) {
        this.#internal(error);
      }
    }
  }

  /** The engine's callback for every inflation (one bound function, not one per message). */
  readonly #onInflated = (
    output: Uint8Array | undefined,
    failure?: InflateFailure,
    detail?: string,
  ): void => {
    if (this.#inflateGeneration !== this.#generation) return;
    this.#inflating = false;
    // The head of the queue: nothing leaves it while an inflation runs.
    const item = this.#incoming[0] as { text: boolean };
    this.#inflated(item.text, output, failure, detail);
  };

  #inflated(
    text: boolean,
    output: Uint8Array | undefined,
    failure: InflateFailure | undefined,
    detail: string | undefined,
  ): void {
    if (output === undefined) {
      if (failure === "too-big") {
        this.#failWith(
          CloseCode.MessageTooBig,
          `compressed message inflates beyond the limit of ${this.#maxMessageSize} bytes`,
        );
      } else {
        this.#failWith(
          CloseCode.InvalidPayload,
          `compressed message cannot be inflated${detail ? `: ${detail}` : ""}`,
        );
      }
      return;
    }
    let message: string | Uint8Array = output;
    if (text) {
      try {
        message = decodeUtf8(output);
      } catch {
        this.#failWith(CloseCode.InvalidPayload, "text message is not valid UTF-8");
        return;
      }
    }
    const done = this.#incoming.shift() as { compressed: Uint8Array };
    this.#incomingBytes -= done.compressed.length;
    try {
      this.#host.message(message);
    } catch (error) {
      this.#internal(error);
      return;
    }
    this.#pumpIncoming();
  }

  #pumpOutgoing(): void {
    const generation = this.#generation;
    while (!this.#compressing && this.#outgoing.length > 0 && generation === this.#generation) {
      const item = this.#outgoing[0];
      if (item.kind === 0) {
        this.#compressing = true;
        this.#compressGeneration = generation;
        this.#engine.compress(item.data, this.#onCompressed);
        continue;
      }
      this.#outgoing.shift();
      if (item.kind === 1) this.#queuedBytes -= item.payload.length;
      try {
        if (item.kind === 1) this.#host.writeData(item.opcode, item.payload, false);
        else if (item.kind === 2) this.#host.writeFrame(item.frame);
        else item.then();
      } catch (error) {
        this.#internal(error);
      }
    }
    if (this.#outgoing.length === 0 && generation === this.#generation) this.#settleIdle();
  }

  /** The engine's callback for every compression (one bound function, not one per message). */
  readonly #onCompressed = (output: Uint8Array | undefined, error?: unknown): void => {
    if (this.#compressGeneration !== this.#generation) return;
    this.#compressing = false;
    if (output === undefined) {
      this.#failWith(CloseCode.InternalError, `compression failed: ${describe(error)}`);
      return;
    }
    // The head of the queue: nothing leaves it while a compression runs.
    const item = this.#outgoing.shift() as { opcode: number; size: number };
    this.#queuedBytes -= item.size;
    try {
      this.#host.writeData(item.opcode, removeDeflateTail(output), true);
    } catch (error) {
      this.#internal(error);
      return;
    }
    this.#pumpOutgoing();
  };

  #internal(error: unknown): void {
    this.#failWith(CloseCode.InternalError, `internal error: ${describe(error)}`);
  }
}
