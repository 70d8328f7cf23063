/**
 * The Node transport: {@linkcode ByteStream} over a `node:net` / `node:tls`
 * socket, and a connector built on `net.connect` / `tls.connect`.
 *
 * It also serves Deno when an option needs what `Deno.connectTls` lacks
 * (skipping verification, a minimum TLS version, an encrypted key, a client
 * certificate inside a proxy tunnel). The Node modules are loaded on first
 * use, so importing this file costs nothing on a runtime that never calls
 * {@linkcode connectNode}.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type * as NodeNet from "node:net";
import type * as NodeTls from "node:tls";
import { buildConnectRequest, PROXY_CLOSED_EARLY, TunnelAnswerReader } from "./proxy.ts";
import { copyParts } from "../protocol/bytes.ts";
import { allocateInternal } from "./runtime.ts";
import { isOlderTlsVersion, type TlsVersion } from "./tls_version.ts";
import type {
  ByteStream,
  ByteStreamReader,
  ConnectOptions,
  TlsConnectOptions,
  WriteFailureDescriber,
} from "./types.ts";
import {
  contiguousRun,
  giveBatch,
  joinedView,
  type Recycle,
  takeBatch,
  type WriteBatch,
  WRITTEN,
  WRITTEN_TRUE,
} from "./write_batch.ts";

// Write callbacks run in order, so the last part's callback settles the whole batch.
const ignore = () => {};
/** Why a batch fails that the stream (or close()) dropped before it was all written. */
const CLOSED_BEFORE_WRITTEN = "the stream was closed before these bytes were written";
// Written behind a write that the system took only in part: its callback marks the end.
const NO_BYTES = new Uint8Array(0);

/** What `#writeAtOnce` did with a batch's bytes. */
type WriteOutcome = 0 | 1 | 2;
/** Nothing written: hand the batch over with a callback. */
const NOT_WRITTEN = 0;
/** Written and settled: the system took all of it. */
const SETTLED = 1;
/** Written, and part of it is still queued in the socket. */
const IN_FLIGHT = 2;

/**
 * The part of a Node socket (`net.Socket` or `tls.TLSSocket`) that
 * {@linkcode NodeByteStream} uses. Declared here so that the public types do
 * not depend on `@types/node`.
 */
export interface NodeSocket {
  /** Registers a listener for bytes, end of input, errors or the final close. */
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  /** Registers a listener for bytes, end of input, errors or the final close. */
  on(event: "end" | "close", listener: () => void): unknown;
  /** Registers a listener for bytes, end of input, errors or the final close. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /**
   * Queues bytes; `callback` runs once they are flushed to the system, or
   * with the failure. Without one, a write the system takes at once
   * completes inside the call (`writableLength` reads 0 after it).
   */
  write(data: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Bytes queued in the socket and not yet handed to the system. */
  readonly writableLength?: number;
  /**
   * The error the socket failed with, once it did. On a `net.Socket` this
   * is the readable side's, to which Node and Bun copy a write's error
   * inside the failing call; the destroyed check before each write covers
   * a socket destroyed without one.
   */
  readonly errored?: Error | null;
  /** Sends FIN (TLS: close_notify, then FIN) after the queued writes; `callback` runs once it is out. */
  end(callback?: () => void): unknown;
  /** Releases the socket at once. */
  destroy(): unknown;
  /** Lets `data` events flow (needed after an explicit `pause()`). */
  resume(): unknown;
  /** Holds writes in memory until `uncork` (then they leave in one writev). */
  cork(): void;
  /** Flushes the writes held since `cork`. */
  uncork(): void;
  /** True once the socket has been destroyed. */
  readonly destroyed: boolean;
  /**
   * True once the write side was ended (by us, by whoever held the socket
   * before, or by Node itself after the peer's FIN without `allowHalfOpen`).
   */
  readonly writableEnded?: boolean;
  /** Peer address, when connected. */
  readonly remoteAddress?: string;
  /** Peer port, when connected. */
  readonly remotePort?: number;
  /** Negotiated TLS version (TLS sockets only). */
  getProtocol?(): string | null;
  /** True on TLS sockets. */
  readonly encrypted?: boolean;
}

/**
 * `bytes[start, end)` as a `Buffer` view. Node's streams take a `Buffer` as
 * it is and make one of any other `Uint8Array` they are given, so a plain
 * view would cost a second view per write (50-80 ns on Node 20).
 */
function bufferView(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
}

/** Up to this many bytes written in one turn are merged into one buffer. */
const MERGE_LIMIT = 64 * 1024;
/**
 * Writes up to this size are made without a callback (see `#writeAtOnce`).
 * One that the system takes only in part settles with the writes queued
 * behind it, so larger ones, which seldom fit whole, keep their callback.
 */
const AT_ONCE_LIMIT = 16 * 1024;

/** Wraps a connected Node socket (TCP or TLS) as a {@linkcode ByteStream}. */
export class NodeByteStream implements ByteStream {
  readonly #socket: NodeSocket;
  // A TLS socket is one from the start and stays one: asked once, not at every write.
  readonly #encrypted: boolean;
  #reader: ByteStreamReader | null = null;
  /** Set once the socket reported its end (EOF, error or close), whether delivered yet or not. */
  #end: { error: unknown } | null = null;
  #endReported = false;
  #closedByUs = false;
  #writeEnded = false;
  /** Buffers written in this turn, not yet handed to the socket (null: none). */
  #pending: WriteBatch | null = null;
  /**
   * True while `reader.data` runs: writes made meanwhile (replies to what was
   * just read) leave together as soon as it returns.
   */
  #delivering = false;
  /** True from a write made at once (`#writeNow`) to the end of the turn. */
  #wroteThisTurn = false;
  /**
   * The batches handed to the socket whose write has not completed, oldest
   * first (linked through `next`): Node calls write callbacks once each and
   * in order (only a write to an ended or destroyed socket is answered out of
   * turn, and the stream never hands one over), so one callback per stream
   * serves them all instead of a closure per batch.
   */
  #firstHanded: WriteBatch | null = null;
  #lastHanded: WriteBatch | null = null;
  // Made at the first write: the callback of every batch's write.
  #afterWrite: ((error?: Error | null) => void) | null = null;
  /** Bytes handed to the socket and not yet written. */
  #handedBytes = 0;
  #writeError: unknown = undefined;
  /** The first handed batch that close() cut off, until its callback comes (then `#cutOff`). */
  #unwrittenFrom: WriteBatch | null = null;
  /** What the batches cut off by close() fail with (their callbacks report no error). */
  #cutOff: Error | null = null;
  // Made when someone asks (most streams are never asked before their end).
  #finished: Promise<void> | null = null;
  #resolveFinished: (() => void) | null = null;
  /** Address of the peer. */
  readonly remoteAddress: { hostname: string; port: number };

  /**
   * Takes over a connected socket and starts listening for its end and errors.
   *
   * @param socket a connected socket; the stream takes ownership. Create it
   *   with `allowHalfOpen: true` so that a peer's FIN does not end our side.
   */
  constructor(socket: NodeSocket) {
    this.#socket = socket;
    this.#encrypted = socket.encrypted === true;
    this.remoteAddress = { hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    // Listening for errors from the start also keeps an unhandled socket error
    // from crashing the process before startReading is called.
    socket.on("error", (error) => this.#ended(error));
    const ended = () => this.#ended(undefined);
    socket.on("end", ended);
    socket.on("close", ended);
  }

  /**
   * Negotiated TLS version (e.g. `TLSv1.3`) once the socket's TLS handshake
   * is done; `undefined` before that and for plain TCP.
   */
  get tlsVersion(): string | undefined {
    const protocol = this.#socket.getProtocol?.();
    return typeof protocol === "string" ? protocol : undefined;
  }

  /**
   * Resolves once `reader.end` has been called (at once when reading never
   * started, as nothing will be reported). Never rejects.
   */
  get finished(): Promise<void> {
    if (this.#reader === null || this.#endReported) return Promise.resolve();
    return this.#finished ??= new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  /** Starts delivering bytes to `reader`; call once. */
  startReading(reader: ByteStreamReader): void {
    if (this.#reader !== null) throw new Error("startReading may be called only once");
    this.#reader = reader;
    this.#socket.on("data", (chunk) => {
      if (this.#end !== null) return;
      // A Buffer's slice() is a view, not a copy; hand over a plain Uint8Array
      // so the reader's slice() behaves as it does everywhere else.
      this.#delivering = true;
      try {
        reader.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        this.#delivering = false;
        // Replies to this read leave now, inside the read's callback, not a microtask later.
        this.#flushPending();
      } catch (error) {
        this.#delivering = false;
        // As in the Deno transport, a reader that throws ends the stream with that error
        // (instead of an uncaught exception out of the socket's event).
        this.#ended(error);
        this.#socket.destroy();
        this.#flushPending(); // settles what was written meanwhile (as failed)
      }
    });
    // A 'data' listener does not restart a socket that was paused explicitly (after a
    // proxy's CONNECT answer, for one).
    this.#socket.resume();
    if (this.#end !== null) this.#report();
  }

  #ended(error: unknown): void {
    if (this.#end !== null) return;
    // Closing the socket ourselves is an end, not an error (as in the Deno transport).
    this.#end = { error: this.#closedByUs ? undefined : error };
    if (this.#reader !== null) this.#report();
  }

  #report(): void {
    if (this.#endReported) return;
    this.#endReported = true;
    try {
      this.#reader!.end(this.#end!.error);
    } catch (error) {
      // The reader is ours: a bug, reported, but not thrown out of a socket event (a crash).
      console.error("[ohos-websocket] a stream reader's end() threw:", error);
    } finally {
      this.#resolveFinished?.();
    }
  }

  /** Bytes queued with `write` or `writeRange` and not yet written. */
  get bufferedBytes(): number {
    return (this.#pending?.bytes ?? 0) + this.#handedBytes;
  }

  /**
   * Queues `bytes` after everything written before. The buffers written in
   * one turn (by every stream) are handed to their sockets together in one
   * microtask; small ones leave merged as one buffer (one system call, and
   * Node's stream machinery runs once instead of per frame).
   */
  write(bytes: Uint8Array, recycle?: Recycle): void {
    const pending = this.#batchForWrite();
    if (pending === null) recycle?.(bytes);
    else pending.add(bytes, recycle);
  }

  /** Queues `block[start, end)` like `write` (see {@linkcode ByteStream.writeRange}). */
  writeRange(block: Uint8Array, start: number, end: number): void {
    if (!this.#delivering && this.#pending === null && !this.#wroteThisTurn) {
      if (this.#writeNow(block, start, end)) return;
    }
    this.#batchForWrite()?.addRange(block, start, end);
  }

  /**
   * The first small frame written to an idle stream outside a read (one
   * client of a broadcast, a message sent from a timer) goes to the socket at
   * once, as `ws` writes: no batch, no microtask, no promise of its own. What
   * else is written in the same turn is batched behind it as usual, so a
   * burst still leaves in one more system call, not one per frame. Returns
   * false when the stream is not in the state for it (then the caller
   * batches).
   */
  #writeNow(block: Uint8Array, start: number, end: number): boolean {
    const socket = this.#socket;
    if (
      this.#firstHanded !== null || this.#writeError !== undefined || this.#writeEnded ||
      this.#closedByUs || end - start > AT_ONCE_LIMIT || this.#encrypted ||
      socket.writableLength !== 0 || this.#socketShut()
    ) {
      return false;
    }
    this.#wroteThisTurn = true;
    // The flag ends with the turn: the turn's flush clears it.
    NodeByteStream.#schedule(this);
    socket.write(bufferView(block, start, end));
    const error = socket.errored;
    if (error) this.#writeError ??= error;
    else if (socket.writableLength !== 0) {
      // The system took only part of it: like a batch in flight, it is waited for (the
      // empty write's callback comes once the rest is out), and what follows queues behind.
      const batch = takeBatch();
      batch.bytes = end - start;
      socket.write(NO_BYTES, this.#handOver(batch));
    }
    return true;
  }

  /** The batch of this turn (scheduled to leave), or null when the stream can no longer write. */
  #batchForWrite(): WriteBatch | null {
    // After a failed write the stream writes nothing more, even while Node has yet to destroy
    // the socket (it does so a tick after a write that failed inside the call).
    if (this.#writeError !== undefined) return null;
    if (this.#writeEnded || this.#closedByUs) {
      // Node would also emit an 'error' for a write after end(); refuse it here instead.
      this.#writeError = new Error("the stream is closed for writing");
      return null;
    }
    // A socket shut by someone else (Node after a read error, say) is caught once per batch,
    // in #flushPending, which fails the batch: asking the socket per write costs two getters.
    let pending = this.#pending;
    if (pending === null) {
      // From the shared free list: an idle stream holds no batch.
      pending = this.#pending = takeBatch();
      if (!this.#delivering) NodeByteStream.#schedule(this);
    }
    return pending;
  }

  /** Settles once everything queued so far is written, or cannot be. */
  drained(): Promise<void> {
    // Once a write failed or was refused the stream writes nothing more: what was asked
    // for since cannot be written, whatever is still in flight.
    if (this.#writeError !== undefined) return Promise.reject(this.#writeError);
    if (this.#pending !== null) return this.#pending.promise();
    return this.#lastHanded?.promise() ?? WRITTEN;
  }

  /** `true` once everything queued so far is written; see {@linkcode ByteStream.written}. */
  written(describer: WriteFailureDescriber): Promise<boolean> {
    if (this.#writeError !== undefined) {
      return Promise.reject(describer.describeWriteFailure(this.#writeError));
    }
    return (this.#pending ?? this.#lastHanded)?.written(describer) ?? WRITTEN_TRUE;
  }

  // Streams with writes pending in this turn; one microtask hands them all over.
  static #due: NodeByteStream[] = [];

  static #schedule(stream: NodeByteStream): void {
    if (NodeByteStream.#due.length === 0) queueMicrotask(NodeByteStream.#flushDue);
    NodeByteStream.#due.push(stream);
  }

  static #flushDue(): void {
    const due = NodeByteStream.#due;
    NodeByteStream.#due = [];
    for (let i = 0; i < due.length; i++) {
      // A batch settled in the flush runs its recycle functions here: one that throws (a bug)
      // must not keep the other streams of the turn from writing.
      try {
        due[i].#wroteThisTurn = false;
        due[i].#flushPending();
      } catch (error) {
        console.error("[ohos-websocket] flushing a stream's writes threw:", error);
      }
    }
  }

  /** Hands the buffers written in this turn to the socket. */
  #flushPending(): void {
    const batch = this.#pending;
    if (batch === null) return;
    this.#pending = null;
    if (this.#writeError !== undefined || this.#socketShut()) {
      this.#writeError ??= new Error(CLOSED_BEFORE_WRITTEN);
      batch.settle(this.#writeError);
      return;
    }
    batch.seal(bufferView);
    const { parts, count } = batch;
    let chunk: Uint8Array | null = null;
    if (contiguousRun(parts, 0, count) === count) {
      // Frames carved one after another from the same block: one view, no copy.
      chunk = joinedView(parts, 0, count, bufferView);
    } else if (batch.bytes <= MERGE_LIMIT) {
      // Every byte is written below, so not zeroed; small ones are carved from Node's shared
      // pool (a fresh ArrayBuffer costs more than the copy).
      chunk = allocateInternal(batch.bytes);
      copyParts(parts, chunk, 0, count);
    }
    // Only small writes go without a callback: a large one seldom fits the socket's buffer whole.
    const outcome = chunk === null || chunk.length > AT_ONCE_LIMIT
      ? NOT_WRITTEN
      : this.#writeAtOnce(chunk, batch);
    if (outcome === SETTLED) return;
    const done = this.#handOver(batch);
    if (outcome === IN_FLIGHT) {
      // The system took only part of it: the rest is queued in the socket, and an empty write
      // behind it calls back once it is out (callbacks come in order).
      this.#socket.write(NO_BYTES, done);
    } else if (chunk !== null) {
      this.#socket.write(chunk, done);
    } else {
      // Large buffers are not copied; corked, they still leave in one writev.
      this.#socket.cork();
      const last = count - 1;
      for (let i = 0; i < last; i++) this.#socket.write(parts[i], ignore);
      this.#socket.write(parts[last], done);
      this.#socket.uncork();
    }
  }

  /**
   * Queues `batch` as handed to the socket (counted until its write's
   * callback) and returns the callback that write must carry.
   */
  #handOver(batch: WriteBatch): (error?: Error | null) => void {
    this.#handedBytes += batch.bytes;
    if (this.#lastHanded === null) this.#firstHanded = batch;
    else this.#lastHanded.next = batch;
    this.#lastHanded = batch;
    return this.#afterWrite ??= (error) => this.#handedWritten(error);
  }

  /**
   * Writes `chunk` without a callback when nothing is in flight, and settles
   * `batch` at once when the system took all of it. Node completes such a
   * write inside `write` and, with no callback to call, schedules nothing
   * (a callback costs a tick per stream and turn and its bookkeeping, which
   * `ws`, for one, does not pay).
   */
  #writeAtOnce(chunk: Uint8Array, batch: WriteBatch): WriteOutcome {
    const socket = this.#socket;
    // TLS sockets complete every write later (after encryption): the callback is cheaper there.
    // A socket without these fields (a test double) takes the callback path too.
    if (this.#firstHanded !== null || this.#encrypted || socket.writableLength !== 0) {
      return NOT_WRITTEN;
    }
    socket.write(chunk);
    if (socket.writableLength !== 0) return IN_FLIGHT;
    // Node reports a write that failed at once by `errored` now and by an 'error' event later.
    this.#settle(batch, socket.errored);
    return SETTLED;
  }

  /**
   * True when the socket takes no more writes. Node answers a write to an ended or destroyed
   * socket with an error on the next tick, ahead of the writes still in flight: such a write
   * must never be handed over, or its callback would settle another batch.
   */
  #socketShut(): boolean {
    return this.#socket.destroyed || this.#socket.writableEnded === true;
  }

  /** The socket wrote (or failed to write) the oldest batch handed to it. */
  #handedWritten(error?: Error | null): void {
    const batch = this.#firstHanded;
    // Every batch handed over is queued first; a callback with none queued is not ours.
    if (batch === null) return;
    this.#firstHanded = batch.next;
    batch.next = null;
    if (this.#firstHanded === null) this.#lastHanded = null;
    this.#handedBytes -= batch.bytes;
    if (batch === this.#unwrittenFrom) {
      // This batch and every one behind it were cut off by close() (see #markUnwritten).
      this.#unwrittenFrom = null;
      this.#cutOff = new Error(CLOSED_BEFORE_WRITTEN);
    }
    this.#settle(batch, !error && this.#cutOff !== null ? this.#cutOff : error);
  }

  /** A batch is written, or failed with `error` (then the stream writes nothing more). */
  #settle(batch: WriteBatch, error: Error | null | undefined): void {
    if (error) this.#writeError ??= error;
    batch.settle(error ?? undefined);
    giveBatch(batch);
  }

  /** Sends FIN (TLS: close_notify) once queued writes are flushed. */
  closeWrite(): void {
    if (this.#writeEnded || this.#closedByUs) return;
    this.#flushPending(); // the bytes written before must go out before the FIN
    this.#writeEnded = true;
    this.#socket.end();
  }

  /** Closes the socket once the queued writes are handed to the system (TLS: after close_notify). */
  closeWhenWritten(): void {
    if (this.#closedByUs) return;
    this.#flushPending();
    const close = () => this.close();
    if (this.#encrypted) {
      // close_notify first; `end` also takes the callback when the write side was ended before.
      this.#writeEnded = true;
      this.#socket.end(close);
    } else {
      // Waits for the batch in flight, if any: destroying the socket before its callback makes
      // Node build an ERR_STREAM_DESTROYED error (with its stack) for nothing, which costs more
      // than waiting. A batch the system took whole has settled already.
      this.drained().then(close, close);
    }
  }

  /** Closes both directions now; the reader gets its end. Safe to call twice. */
  close(): void {
    if (this.#closedByUs) return;
    this.#closedByUs = true;
    this.#markUnwritten();
    this.#socket.destroy();
  }

  /**
   * Before a destroy: finds the first handed batch whose bytes are not all
   * out yet. Node answers a write that the destroy cancels as if it were done
   * (its callback gets no error), so that batch and those behind it are failed
   * by the stream instead of reported written.
   */
  #markUnwritten(): void {
    const unwritten = this.#socket.writableLength;
    if (this.#firstHanded === null || typeof unwritten !== "number" || unwritten <= 0) return;
    // The handed batches are written in order: the first `out` of their bytes left.
    let out = this.#handedBytes - unwritten;
    for (let batch: WriteBatch | null = this.#firstHanded; batch !== null; batch = batch.next) {
      out -= batch.bytes;
      if (out < 0) {
        this.#unwrittenFrom = batch;
        return;
      }
    }
  }
}

/** The two Node modules the transport uses. */
export interface NodeModules {
  net: typeof NodeNet;
  tls: typeof NodeTls;
}

let nodeModules: Promise<NodeModules> | undefined;

/** Loads `node:net` and `node:tls` once, on first use (Deno users never pay for them). */
export function loadNodeModules(): Promise<NodeModules> {
  nodeModules ??= Promise.all([import("node:net"), import("node:tls")]).then(
    ([net, tls]) => ({ net, tls }),
  );
  return nodeModules;
}

/** The `tls.connect` options this transport sets: a subset of Node's `tls.ConnectionOptions`. */
export interface NodeTlsSettings {
  /** Fail the handshake when the chain or the name does not verify. */
  rejectUnauthorized: boolean;
  /** Checks the certificate against the expected name; returns the failure, if any. */
  checkServerIdentity(host: string, cert: object): Error | undefined;
  /** SNI name (never an IP address). */
  servername?: string;
  /** Trusted roots; unset means Node's defaults. */
  ca?: string[];
  /** PEM client certificate chain. */
  cert?: string;
  /** PEM private key. */
  key?: string;
  /** Passphrase of `key`. */
  passphrase?: string;
  /** Lowest TLS version to accept. */
  minVersion?: TlsConnectOptions["minVersion"];
}

/** What {@linkcode nodeTlsOptions} needs of `node:tls`. */
export interface NodeTlsModule {
  /** Node's name check (`tls.checkServerIdentity`). */
  checkServerIdentity(host: string, cert: never): Error | undefined;
  /** The bundled Mozilla roots (`tls.rootCertificates`). */
  readonly rootCertificates: readonly string[];
  /** Node 22.15+: the default roots including `NODE_EXTRA_CA_CERTS` and the system store. */
  getCACertificates?(type?: "default"): string[];
}

/**
 * The `tls.connect` options for `tls`: certificates verified (chain and
 * name) unless `verify` is `false`; extra CAs trusted together with the
 * default roots; the name checked is always `serverName`, also when it is
 * an IP address (which is not sent as SNI, as RFC 6066 forbids).
 */
export function nodeTlsOptions(
  tlsModule: NodeTlsModule,
  isIP: (input: string) => number,
  tls: TlsConnectOptions,
): NodeTlsSettings {
  const verify = tls.verify !== false;
  const options: NodeTlsSettings = {
    rejectUnauthorized: verify,
    checkServerIdentity: verify
      ? (_host, cert) => tlsModule.checkServerIdentity(tls.serverName, cert as never)
      : () => undefined,
  };
  if (isIP(tls.serverName) === 0) options.servername = tls.serverName;
  if (tls.caCerts !== undefined && tls.caCerts.length > 0) {
    // Node's `ca` replaces its default roots; keep them and add the extra ones.
    options.ca = [...defaultRoots(tlsModule), ...tls.caCerts];
  }
  if (tls.certChain !== undefined) options.cert = tls.certChain;
  if (tls.privateKey !== undefined) options.key = tls.privateKey;
  if (tls.keyPassword !== undefined) options.passphrase = tls.keyPassword;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  return options;
}

/**
 * The roots Node trusts by default: with `NODE_EXTRA_CA_CERTS` and the
 * system store when this Node can list them (`tls.getCACertificates`,
 * Node 22.15+), else the bundled Mozilla roots.
 */
function defaultRoots(tlsModule: NodeTlsModule): readonly string[] {
  if (typeof tlsModule.getCACertificates === "function") {
    try {
      return tlsModule.getCACertificates("default");
    } catch {
      // Fall back to the bundled roots below.
    }
  }
  return tlsModule.rootCertificates ?? [];
}

/** Resolves with `socket` once `readyEvent` fires; rejects (and destroys it) on an error first. */
function whenReady<S extends NodeNet.Socket>(socket: S, readyEvent: string): Promise<S> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      socket.off("error", onError);
      resolve(socket);
    };
    const onError = (error: Error) => {
      socket.off(readyEvent, onReady);
      socket.destroy();
      reject(error);
    };
    socket.once(readyEvent, onReady);
    socket.once("error", onError);
  });
}

/** Asks the proxy on `socket` for a tunnel to `host:port`; rejects unless it agrees. */
function openTunnel(
  socket: NodeNet.Socket,
  host: string,
  port: number,
  credentials: string | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const reader = new TunnelAnswerReader();
    const finish = (error?: Error) => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", finish);
      // Removing the listener does not stop the flow: pause, or bytes are lost.
      socket.pause();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Uint8Array) => {
      try {
        if (reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) finish();
      } catch (error) {
        finish(error as Error);
      }
    };
    const onEnd = () => finish(new Error(PROXY_CLOSED_EARLY));
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("error", finish);
    socket.write(new TextEncoder().encode(buildConnectRequest(host, port, credentials)));
  });
}

/**
 * Connects with `node:net` (through an HTTP `CONNECT` tunnel when
 * `options.proxy` is set), then `node:tls` when `options.tls` is set.
 * The TLS handshake, certificate and host-name checks finish before the
 * promise resolves, so their failures reject it.
 *
 * @example
 * ```ts ignore
 * import { connectNode } from "./node_stream.ts";
 * const stream = await connectNode({
 *   hostname: "example.com",
 *   port: 443,
 *   tls: { serverName: "example.com" },
 * });
 * stream.close();
 * ```
 */
export async function connectNode(options: ConnectOptions): Promise<ByteStream> {
  const { net, tls } = await loadNodeModules();
  // Each socket dies with the attempt; destroy() makes the pending step reject.
  const guard = <S extends NodeNet.Socket>(socket: S): S => {
    const abandon = () => socket.destroy(new Error("connection attempt abandoned"));
    if (options.signal?.aborted) abandon();
    else options.signal?.addEventListener("abort", abandon, { once: true });
    return socket;
  };
  const tlsSettings = options.tls;
  const proxy = options.proxy;
  let socket: NodeNet.Socket;
  if (proxy !== undefined) {
    const raw = await whenReady(
      guard(net.connect({ host: proxy.hostname, port: proxy.port, allowHalfOpen: true })),
      "connect",
    );
    raw.setNoDelay(true);
    try {
      await openTunnel(raw, options.hostname, options.port, proxy.credentials);
    } catch (error) {
      raw.destroy();
      throw error;
    }
    if (tlsSettings === undefined) {
      socket = raw;
    } else {
      // Failures of the tunnel's socket surface through the TLS socket above it.
      raw.on("error", () => {});
      const secured = guard(tls.connect(halfOpen({
        ...nodeTlsOptions(tls, net.isIP, tlsSettings),
        socket: raw,
      })));
      secured.once("close", () => raw.destroy());
      socket = await whenReady(secured, "secureConnect");
    }
  } else if (tlsSettings === undefined) {
    socket = await whenReady(
      guard(net.connect({ host: options.hostname, port: options.port, allowHalfOpen: true })),
      "connect",
    );
    socket.setNoDelay(true);
  } else {
    socket = await whenReady(
      guard(tls.connect(halfOpen({
        ...nodeTlsOptions(tls, net.isIP, tlsSettings),
        host: options.hostname,
        port: options.port,
      }))),
      "secureConnect",
    );
    socket.setNoDelay(true);
  }
  if (tlsSettings?.minVersion !== undefined) checkMinVersion(socket, tlsSettings.minVersion);
  return new NodeByteStream(socket);
}

/**
 * `tls.connect` passes `allowHalfOpen` on to its `TLSSocket` (as
 * `net.connect` does), although `@types/node` does not list it there.
 */
function halfOpen(options: NodeTls.ConnectionOptions): NodeTls.ConnectionOptions {
  return Object.assign(options, { allowHalfOpen: true });
}

/**
 * `minVersion` is also passed to `tls.connect`; checking the negotiated
 * version again covers runtimes whose `node:tls` ignores the option.
 */
function checkMinVersion(socket: NodeNet.Socket, minVersion: TlsVersion): void {
  const negotiated = (socket as NodeTls.TLSSocket).getProtocol?.();
  if (typeof negotiated !== "string") return;
  if (isOlderTlsVersion(negotiated, minVersion)) {
    socket.destroy();
    throw new Error(`server negotiated ${negotiated}, older than the required ${minVersion}`);
  }
}
