/**
 * One open WebSocket over a byte stream, shared by the client and the
 * server: the protocol connection, the send-buffer accounting, the
 * heartbeat, the close timer and the close result. The rules (who ends TCP
 * first, which result wins, what an end of the stream means) come from
 * the core's `CloseLifecycle`; this module applies them to the stream and
 * the timers and tells its owner what happened.
 *
 * @module
 */

import {
  type CloseInfo,
  CloseLifecycle,
  type ConnectionHandlers,
  type ConnectionOptions,
  type DeflatePipelineOptions,
  ProtocolConnection,
  type ProtocolError,
  type Role,
  type TcpAction,
} from "../protocol/mod.ts";
import { allocateInternal, allocateMessage, randomFill } from "../transport/mod.ts";
import type { ByteStream, WriteFailureDescriber } from "../transport/types.ts";
import type { CloseResult } from "./close.ts";
import { Heartbeat, type HeartbeatActions, type HeartbeatTiming } from "./heartbeat.ts";
import { type Alarm, sharedAlarmClock } from "./alarms.ts";
import { messageStepPool } from "./inbound.ts";
import { framePool, frameSlab, writeFrame, writeFrameRange } from "./outbound.ts";

/** Settings of a {@linkcode Link}. */
export interface LinkSettings {
  /** Which end this is (masking, and who ends TCP first). */
  role: Role;
  /** Largest incoming message; larger closes with 1009. */
  maxMessageSize: number;
  /** Most frames per incoming message; more closes with 1009. */
  maxMessageFragments: number;
  /** Bytes that may wait to be written before sends are refused (see `writeFrame`). */
  maxBufferedBytes: number;
  /** How long the close handshake and the end of TCP may take. */
  closeTimeoutMs: number;
  /** Ping interval and pong timeout (interval 0: no heartbeat). */
  heartbeat: HeartbeatTiming;
  /** The 1006 reason when the peer stopped reading with `buffered` bytes waiting. */
  notReadingReason(buffered: number): string;
  /** The 1006 reason when no pong came in time. */
  pongMissedReason: string;
  /** The error a `send` to `peer` rejects with when its frame could not be written. */
  sendFailed(error: unknown, peer: { hostname: string; port: number }): Error;
}

/** Something the owner reports as an `error` event. */
export type LinkProblem =
  | { kind: "protocol"; error: ProtocolError }
  | { kind: "not-reading"; reason: string }
  | { kind: "pong-missed"; reason: string }
  | { kind: "lost"; error: unknown };

/** What a {@linkcode Link} tells its owner. */
export interface LinkEvents {
  /** A complete message (text as `string`, binary bytes owned by the callee). */
  message(data: string | Uint8Array): void;
  /** The link stopped being open (a close frame went or came, or it failed); once. */
  closing(): void;
  /** A problem to report; called before `closed`. */
  error(problem: LinkProblem): void;
  /** The stream ended; the close result. Called once, last. */
  closed(result: CloseResult): void;
}

// The connection options of every link made with one settings object (a server's run
// shares them): a connection keeps its options, so each would otherwise hold a copy.
const sharedOptions = new WeakMap<LinkSettings, ConnectionOptions>();

function connectionOptionsOf(settings: LinkSettings): ConnectionOptions {
  let options = sharedOptions.get(settings);
  if (options === undefined) {
    options = {
      role: settings.role,
      maxMessageSize: settings.maxMessageSize,
      maxMessageFragments: settings.maxMessageFragments,
      random: randomFill,
      pool: framePool,
      slab: frameSlab,
      messagePool: messageStepPool,
      allocateMessage,
      allocateInternal,
    };
    sharedOptions.set(settings, options);
  }
  return options;
}

/**
 * One open WebSocket over `stream`. The owner feeds it what the stream
 * reads ({@linkcode Link.receive}, {@linkcode Link.ended}) and sends
 * through {@linkcode Link.connection}; the heartbeat starts at once.
 *
 * The link is itself the handler of its protocol connection and the actor
 * of its heartbeat (methods, not closures), and `settings` may be shared by
 * every link of a server: an idle connection costs as few objects as can be.
 */
export class Link implements ConnectionHandlers, HeartbeatActions, Alarm, WriteFailureDescriber {
  /** The stream the WebSocket runs over. */
  readonly stream: ByteStream;
  /** The protocol connection (send, close state, read target). */
  readonly connection: ProtocolConnection;
  readonly #settings: LinkSettings;
  readonly #events: LinkEvents;
  // Made at the first step of the close (an open connection needs none).
  #closeRules: CloseLifecycle | null = null;
  readonly #heartbeat: Heartbeat;
  /** True once the close timer is set (it is this link's alarm; see `fire`). */
  #closeTimerSet = false;
  /** @internal Owned by the alarm clock. */
  alarmSlot: unknown = null;
  // permessage-deflate: the compression `#compressedSent` waits for (see sent()).
  #compressing: Promise<void> | null = null;
  #compressedSent: Promise<boolean> | null = null;
  #open = true;
  /** Dropped for not reading: nothing more is written or read. */
  #dropped = false;

  /**
   * @param stream the upgraded stream
   * @param settings limits, timeouts and the wording of drop reasons
   * @param events where messages, problems and the close result go
   * @param deflate permessage-deflate, when the handshake negotiated it
   */
  constructor(
    stream: ByteStream,
    settings: LinkSettings,
    events: LinkEvents,
    deflate?: DeflatePipelineOptions,
  ) {
    this.stream = stream;
    this.#settings = settings;
    this.#events = events;
    const shared = connectionOptionsOf(settings);
    this.connection = new ProtocolConnection(
      deflate === undefined ? shared : { ...shared, deflate },
      this,
    );
    this.#heartbeat = new Heartbeat(settings.heartbeat, this);
    this.#heartbeat.start();
  }

  /** Bytes handed to the stream and not yet written. */
  get buffered(): number {
    return this.stream.bufferedBytes + this.connection.queuedBytes;
  }

  /**
   * Resolves `true` once every frame handed over so far is written; rejects
   * with `sendFailed`'s error when that fails. The sends that leave in one
   * batch get the same promise.
   */
  sent(): Promise<boolean> {
    // permessage-deflate: messages still being compressed are not in the stream yet.
    const pending = this.connection.pendingSends();
    if (pending !== null) {
      // Sends made while the same messages are being compressed share one promise too.
      if (pending !== this.#compressing) {
        this.#compressing = pending;
        this.#compressedSent = pending.then(() => this.sent());
      }
      return this.#compressedSent!;
    }
    return this.stream.written(this);
  }

  /** Why a send failed, as the API reports it (the stream's {@linkcode WriteFailureDescriber}). */
  describeWriteFailure(error: unknown): unknown {
    return this.#settings.sendFailed(error, this.stream.remoteAddress);
  }

  /** Bytes the stream read. */
  receive(chunk: Uint8Array): void {
    if (!this.#dropped) this.connection.receive(chunk);
  }

  /** Starts the close handshake (the owner checked `code` and `reason`). */
  close(code: number, reason: string): void {
    this.#leaveOpen();
    this.connection.close(code, reason);
    this.#apply(this.#lifecycle().closeStarted());
  }

  /** The stream ended (`error` undefined for a clean end): reports the close result. */
  ended(error: unknown): void {
    sharedAlarmClock.clear(this);
    this.#heartbeat.stop();
    this.stream.close();
    this.#open = false;
    this.connection.release();
    const end = this.#lifecycle().ended(this.connection.atFrameBoundary, error);
    if (end.unexpected) this.#events.error({ kind: "lost", error });
    this.#events.closed(end.result);
  }

  /** The close rules of this link, from the core (see `close_lifecycle.ts`). */
  #lifecycle(): CloseLifecycle {
    return this.#closeRules ??= new CloseLifecycle(this.#settings.role);
  }

  // ---- ConnectionHandlers: called by the protocol connection ----

  /** @internal A frame to send. */
  write(bytes: Uint8Array): void {
    if (this.#dropped) return;
    if (!writeFrame(this.stream, bytes, this.#settings.maxBufferedBytes)) this.#notReading();
  }

  /** @internal A small frame to send, as a range of a slab block. */
  writeRange(block: Uint8Array, start: number, end: number): void {
    if (this.#dropped) return;
    if (!writeFrameRange(this.stream, block, start, end, this.#settings.maxBufferedBytes)) {
      this.#notReading();
    }
  }

  /** Automatic frames (pongs, close) overflowed: the peer sends and never reads. */
  #notReading(): void {
    this.#dropped = true;
    this.#drop({ kind: "not-reading", reason: this.#settings.notReadingReason(this.buffered) });
  }

  /** @internal A complete message. */
  message(data: string | Uint8Array): void {
    this.#events.message(data);
  }

  /** @internal A pong arrived: the peer is alive. */
  pong(): void {
    this.#heartbeat.pong();
  }

  /** @internal The peer's close frame arrived (ours is out). */
  peerClose(info: CloseInfo): void {
    this.#leaveOpen();
    this.#apply(this.#lifecycle().peerClosed(info));
  }

  /** @internal The peer broke a rule (our close frame is out). */
  fail(error: ProtocolError): void {
    this.#leaveOpen();
    const action = this.#lifecycle().failed(error);
    this.#events.error({ kind: "protocol", error });
    this.#apply(action);
  }

  /** @internal The close timer ran out: the close handshake or the end of TCP took too long. */
  fire(): void {
    this.#apply(this.#lifecycle().timedOut(this.#settings.closeTimeoutMs));
  }

  // ---- HeartbeatActions: called by the heartbeat ----

  /** @internal Time for a ping. */
  sendPing(): boolean {
    return this.connection.ping();
  }

  /** @internal No pong came in time. */
  noPong(): void {
    this.#drop({ kind: "pong-missed", reason: this.#settings.pongMissedReason });
  }

  /** Gives up on the link: 1006 with the problem's reason, reported, socket closed. */
  #drop(problem: LinkProblem & { reason: string }): void {
    this.#leaveOpen();
    const action = this.#lifecycle().dropped(problem.reason);
    this.#events.error(problem);
    this.#apply(action);
  }

  #leaveOpen(): void {
    this.#heartbeat.stop();
    if (!this.#open) return;
    this.#open = false;
    this.#events.closing();
  }

  #apply(action: TcpAction): void {
    if (action === "close") {
      this.stream.close();
      return;
    }
    if (action === "closeWrite") this.stream.closeWrite();
    else if (action === "closeWhenWritten") this.stream.closeWhenWritten();
    // Also the bound for the two above: a peer that never reads or never ends.
    if (this.#closeTimerSet) return;
    this.#closeTimerSet = true;
    sharedAlarmClock.set(this, this.#settings.closeTimeoutMs);
  }
}
