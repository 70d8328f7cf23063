/**
 * The bounded queue of messages sent while a reconnecting WebSocket is not
 * open: bounded in messages and in bytes, with a documented overflow policy.
 * Each entry's promise settles when the message is written after a
 * reconnect, or fails when it is dropped.
 *
 * Written in the subset of TypeScript that ArkTS compiles.
 *
 * @module
 */

import { BusinessError, ErrorCode } from "../web_socket.ts";

/**
 * What a full send queue does with one more message: `"reject-new"` fails the new `send`
 * (the queue is unchanged); `"drop-oldest"` drops the oldest queued messages (their `send`s
 * fail) until the new one fits.
 */
export type QueueOverflow = "reject-new" | "drop-oldest";

/** One queued message: a private copy of the data and how to settle its `send`. */
export class QueuedMessage {
  /** The data, copied at `send` time. */
  readonly data: string | ArrayBuffer;
  /** Its size in bytes (UTF-8 for text). */
  readonly size: number;
  /** Settles the `send` with `true`. */
  readonly resolve: (value: boolean) => void;
  /** Fails the `send`. */
  readonly reject: (error: BusinessError) => void;

  /** Records one message. */
  constructor(
    data: string | ArrayBuffer,
    size: number,
    resolve: (value: boolean) => void,
    reject: (error: BusinessError) => void,
  ) {
    this.data = data;
    this.size = size;
    this.resolve = resolve;
    this.reject = reject;
  }
}

/** A FIFO of {@linkcode QueuedMessage}s, at most `maxMessages` of them and `maxBytes` bytes. */
export class SendQueue {
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly overflow: QueueOverflow;
  private entries: QueuedMessage[] = [];
  private queuedBytes = 0;

  /** An empty queue; `maxMessages` 0 turns queueing off. */
  constructor(maxMessages: number, maxBytes: number, overflow: QueueOverflow) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.overflow = overflow;
  }

  /** Whether `send` queues at all. */
  get enabled(): boolean {
    return this.maxMessages > 0;
  }

  /** Messages waiting. */
  get length(): number {
    return this.entries.length;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /**
   * Queues `entry`, or fails it (returning false) when it cannot fit: larger than `maxBytes`
   * on its own, or the queue is full under `"reject-new"`. Under `"drop-oldest"` the oldest
   * entries are failed until it fits.
   */
  offer(entry: QueuedMessage): boolean {
    if (entry.size > this.maxBytes) {
      entry.reject(
        new BusinessError(
          ErrorCode.Unknown,
          `send queue: a ${entry.size}-byte message is larger than queueMaxBytes (${this.maxBytes})`,
        ),
      );
      return false;
    }
    const fits = (): boolean =>
      this.entries.length < this.maxMessages && this.queuedBytes + entry.size <= this.maxBytes;
    if (!fits() && this.overflow === "reject-new") {
      entry.reject(
        new BusinessError(
          ErrorCode.Unknown,
          `send queue full (${this.entries.length} messages, ${this.queuedBytes} bytes); ` +
            "the message was not queued",
        ),
      );
      return false;
    }
    // Bounded: each round removes one entry, and an empty queue always fits (size checked).
    while (!fits()) {
      const oldest = this.entries.shift();
      if (oldest === undefined) break;
      this.queuedBytes -= oldest.size;
      oldest.reject(
        new BusinessError(ErrorCode.Unknown, "send queue full: the oldest message was dropped"),
      );
    }
    this.entries.push(entry);
    this.queuedBytes += entry.size;
    return true;
  }

  /** Empties the queue, returning its entries oldest first. */
  takeAll(): QueuedMessage[] {
    const taken = this.entries;
    this.entries = [];
    this.queuedBytes = 0;
    return taken;
  }

  /** Empties the queue, failing every entry with `error`. */
  rejectAll(error: BusinessError): void {
    for (const entry of this.takeAll()) entry.reject(error);
  }
}

/**
 * Size of `text` in UTF-8 bytes, counted without encoding it (lone surrogates count 3, as their
 * replacement character). The protocol core has its own count; this module may not import the
 * core, because it must also run on the device on top of the platform's WebSocket.
 */
export function utf8Size(text: string): number {
  let size = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) size += 1;
    else if (unit < 0x800) size += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        size += 4;
        i++;
      } else {
        size += 3;
      }
    } else {
      size += 3;
    }
  }
  return size;
}
