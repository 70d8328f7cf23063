/**
 * The Deno transport: {@linkcode ByteStream} over `Deno.Conn`, and a
 * connector built on `Deno.connect` / `Deno.connectTls`.
 *
 * @module
 */

import { BufferPool } from "../protocol/buffer_pool.ts";
import { copyParts, viewOf } from "../protocol/bytes.ts";
import { buildConnectRequest, PROXY_CLOSED_EARLY, TunnelAnswerReader } from "./proxy.ts";
import type {
  ByteStream,
  ByteStreamReader,
  ConnectOptions,
  WriteFailureDescriber,
} from "./types.ts";
import {
  contiguousRun,
  Deferred,
  giveBatch,
  joinedView,
  type Recycle,
  takeBatch,
  type WriteBatch,
  WRITTEN,
  WRITTEN_TRUE,
} from "./write_batch.ts";

// The read buffer starts small, as an idle connection holds it while its read
// is pending (256 bytes take most handshake heads; a longer one takes another
// read), doubles whenever a read fills it, up to the maximum, and shrinks to a
// quarter, not below the minimum, after a read that used less than that.
const MIN_READ_BUFFER = 256;
const MAX_READ_BUFFER = 1024 * 1024;

// Small writes are merged up to this size; bigger buffers go out as they are.
const COALESCE_LIMIT = 256 * 1024;
// Merge buffers are reused across writes and streams: a fresh 256 KiB buffer
// per batch would be fresh memory to fault in each time.
const mergePool = new BufferPool({ minSize: 16 * 1024, maxBytes: 2 * 1024 * 1024 });

/**
 * The buffers of one batch (`parts[0, count)`) as few buffers to write: parts that sit back to
 * back in memory become one view, runs of other small parts are merged into
 * one buffer from {@linkcode mergePool} (listed in `merged`, to give back).
 */
function coalesce(parts: readonly Uint8Array[], count: number, merged: Uint8Array[]): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let i = 0; i < count;) {
    const run = contiguousRun(parts, i, count);
    views.push(joinedView(parts, i, run));
    i += run;
  }
  if (views.length === 1) return views;
  const out: Uint8Array[] = [];
  let from = 0;
  let runBytes = 0;
  const flushRun = (to: number) => {
    if (to - from === 1) out.push(views[from]);
    else if (to - from > 1) {
      const buffer = mergePool.take(runBytes);
      merged.push(buffer);
      copyParts(views, buffer, from, to);
      out.push(buffer);
    }
    from = to;
    runBytes = 0;
  };
  for (let i = 0; i < views.length; i++) {
    if (runBytes + views[i].length > COALESCE_LIMIT) flushRun(i);
    runBytes += views[i].length;
  }
  flushRun(views.length);
  return out;
}

/** Wraps an open Deno connection (TCP or TLS) as a {@linkcode ByteStream}. */
export class DenoByteStream implements ByteStream {
  readonly #conn: import("./deno_conn.ts").DenoConn;
  /** Writes not yet started (null: none); they leave together once the one in flight is done. */
  #queued: WriteBatch | null = null;
  /** The batch being written. */
  #inFlight: WriteBatch | null = null;
  #writing = false;
  /**
   * True while `reader.data` runs: writes made meanwhile (replies to what was
   * just read) wait and leave together in one write once it returns.
   */
  #delivering = false;
  #writeError: unknown = undefined;
  // The write promises' callback (fulfilled and rejected), made at the first write. Where the
  // loop is in the batch in flight is kept in the batch, not here: an idle stream holds nothing.
  #onWriteSettled: ((result: unknown) => void) | null = null;
  // A lone write (see #writeLone): what is left of it to write (null: none in flight), the
  // promise its send gets, the describer of whoever took that promise (null: nobody yet), and
  // drained()'s promise, once asked for.
  #lone: Uint8Array | null = null;
  #loneSent: Promise<boolean | undefined> | null = null;
  #loneDescriber: WriteFailureDescriber | null = null;
  #loneDrained: Deferred | null = null;
  // The lone write's callbacks (fulfilled, rejected), made at the first one.
  #onLoneWrote: ((n: number) => Promise<boolean | undefined> | boolean | undefined) | null = null;
  #onLoneFailed: ((error: unknown) => undefined) | null = null;
  #closeWriteRequested = false;
  #closeWhenWrittenRequested = false;
  /** Settles once the socket is closed; made only when a read must wait for that. */
  #whenClosed: Deferred | null = null;
  #closed = false;
  #finished: Promise<void> = Promise.resolve();
  /** Wraps `conn`, a connected Deno socket; the stream takes ownership of it. */
  constructor(conn: import("./deno_conn.ts").DenoConn) {
    this.#conn = conn;
  }

  /** Address of the peer (read from the socket when asked: an idle connection keeps no copy). */
  get remoteAddress(): { hostname: string; port: number } {
    const addr = this.#conn.remoteAddr;
    return { hostname: addr.hostname ?? "", port: addr.port ?? 0 };
  }

  /** Resolves when the read loop has ended (never rejects). */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /** Bytes queued with `write` or `writeRange` and not yet written. */
  get bufferedBytes(): number {
    return (this.#queued?.bytes ?? 0) + (this.#inFlight?.bytes ?? 0) + (this.#lone?.length ?? 0);
  }

  /** Starts the read loop. */
  startReading(reader: ByteStreamReader): void {
    this.#finished = this.#readLoop(reader);
  }

  async #readLoop(reader: ByteStreamReader): Promise<void> {
    // One scratch buffer per stream, reused for every read: the reader copies
    // what it keeps. A large payload is read straight into its destination.
    let scratch = new Uint8Array(MIN_READ_BUFFER);
    let failure: unknown;
    try {
      // Asked once after each read, and used by the next one.
      let target = reader.readTarget?.();
      while (true) {
        // Closing once the writes are out (the close handshake is complete): wait for that
        // instead of leaving a read pending, which the close would reject with an error made
        // (stack and all) for nothing.
        if (this.#closeWhenWrittenRequested) await (this.#whenClosed ??= new Deferred()).promise;
        if (this.#closed) break;
        if (target !== undefined) {
          const n = await this.#conn.read(target);
          if (n === null) break;
          this.#deliver(reader, viewOf(target, 0, n));
          target = reader.readTarget?.();
          continue;
        }
        const n = await this.#conn.read(scratch);
        if (n === null) break;
        this.#deliver(reader, viewOf(scratch, 0, n));
        target = reader.readTarget?.();
        if (target !== undefined) {
          // The read ended inside a large payload that the next reads fill directly:
          // what this read held of it had to be copied, so read less next time.
          if (scratch.length > MIN_READ_BUFFER) scratch = new Uint8Array(MIN_READ_BUFFER);
        } else if (n === scratch.length && n < MAX_READ_BUFFER) {
          scratch = new Uint8Array(n * 2);
        } else if (n < scratch.length / 4 && scratch.length > MIN_READ_BUFFER) {
          // Back towards idle size.
          scratch = new Uint8Array(Math.max(MIN_READ_BUFFER, scratch.length / 4));
        }
      }
    } catch (error) {
      // Closing the socket ourselves interrupts the pending read: that is an end, not an error.
      if (!this.#closed) failure = error;
    }
    try {
      reader.end(failure);
    } catch (error) {
      // The reader is ours: a bug, reported; `finished` still resolves (it never rejects).
      console.error("[ohos-websocket] a stream reader's end() threw:", error);
    }
  }

  #deliver(reader: ByteStreamReader, chunk: Uint8Array): void {
    this.#delivering = true;
    try {
      reader.data(chunk);
    } finally {
      this.#delivering = false;
      if (this.#queued !== null && !this.#writing) this.#flush();
    }
  }

  /**
   * Queues `bytes` behind everything queued before. Writes queued while one
   * is in flight, or while a read is being delivered, leave together in one
   * system call (small frames cost one `write` per batch, not per frame).
   */
  write(bytes: Uint8Array, recycle?: Recycle): void {
    if (recycle === undefined && this.#idleForLone() && bytes.length !== 0) {
      this.#writeLone(bytes);
      return;
    }
    const queued = this.#batchForWrite();
    if (queued === null) {
      recycle?.(bytes);
      return;
    }
    queued.add(bytes, recycle);
    if (!this.#writing && !this.#delivering) this.#flush();
  }

  /** Queues `block[start, end)` like `write` (see {@linkcode ByteStream.writeRange}). */
  writeRange(block: Uint8Array, start: number, end: number): void {
    if (this.#idleForLone() && end > start) {
      this.#writeLone(viewOf(block, start, end));
      return;
    }
    const queued = this.#batchForWrite();
    if (queued === null) return;
    queued.addRange(block, start, end);
    if (!this.#writing && !this.#delivering) this.#flush();
  }

  /** The batch that takes the next write, or null when the stream can no longer write. */
  #batchForWrite(): WriteBatch | null {
    if (this.#closed) this.#writeError ??= new Error("the stream is closed");
    if (this.#writeError !== undefined) return null;
    // From the shared free list: an idle stream holds no batch.
    return this.#queued ??= takeBatch();
  }

  /** Settles once everything queued so far is written, or cannot be. */
  drained(): Promise<void> {
    if (this.#writeError !== undefined) return Promise.reject(this.#writeError);
    if (this.#queued !== null) return this.#queued.promise();
    if (this.#lone !== null) return (this.#loneDrained ??= new Deferred()).promise;
    return this.#inFlight?.promise() ?? WRITTEN;
  }

  /** `true` once everything queued so far is written; see {@linkcode ByteStream.written}. */
  written(describer: WriteFailureDescriber): Promise<boolean> {
    if (this.#writeError !== undefined) {
      return Promise.reject(describer.describeWriteFailure(this.#writeError));
    }
    const batch = this.#queued ?? this.#inFlight;
    if (batch !== null) return batch.written(describer);
    if (this.#lone === null) return WRITTEN_TRUE;
    // Taken: from now on a failure rejects it (untaken, it resolves unseen, not unhandled).
    this.#loneDescriber = describer;
    return this.#loneSent as Promise<boolean>;
  }

  /**
   * True when a write would start the write loop at once with nothing else in it: no write in
   * flight or queued, no read being delivered (its replies leave together), nothing broken.
   */
  #idleForLone(): boolean {
    return !this.#writing && !this.#delivering && !this.#closed && this.#writeError === undefined;
  }

  /**
   * Writes `bytes` (ours, see {@linkcode ByteStream.write}) at once and without a batch: the
   * one frame a broadcast or a timer sends to an idle stream. Its write's promise, followed by
   * our callbacks, is the promise its send returns, so the frame costs one promise of ours
   * and no batch (no batch to take and clear, no view list, no promise made for the send).
   * What is written meanwhile queues as usual and leaves once this is out.
   */
  #writeLone(bytes: Uint8Array): void {
    this.#writing = true;
    this.#lone = bytes;
    const wrote = this.#onLoneWrote ??= (n) => this.#loneWrote(n);
    const failed = this.#onLoneFailed ??= (error) => this.#loneFailed(error);
    let writing: Promise<number>;
    try {
      writing = this.#conn.write(bytes);
    } catch (error) {
      this.#loneFailed(error);
      return;
    }
    this.#loneSent = writing.then(wrote, failed);
  }

  /**
   * `n` more bytes of the lone write are out: the rest goes next (the send's promise follows
   * it), or, once all are, the send resolves `true` and the queue behind it starts.
   */
  #loneWrote(n: number): Promise<boolean | undefined> | boolean | undefined {
    const rest = this.#lone!;
    if (n < rest.length) {
      const left = viewOf(rest, n, rest.length);
      this.#lone = left;
      try {
        return this.#conn.write(left).then(this.#onLoneWrote!, this.#onLoneFailed!);
      } catch (error) {
        return this.#loneFailed(error);
      }
    }
    const drained = this.#loneDrained;
    this.#endLone();
    drained?.resolve();
    this.#nextBatch();
    return true;
  }

  /** The lone write is over, either way (the caller read who waits on it first). */
  #endLone(): void {
    this.#lone = this.#loneSent = null;
    this.#loneDescriber = this.#loneDrained = null;
  }

  /**
   * The lone write failed: the stream is broken (as after a batch's failure), what queued
   * behind it fails, and the send's promise rejects if someone took it.
   */
  #loneFailed(error: unknown): undefined {
    const failure = error ?? new Error("the write failed");
    this.#writeError ??= failure;
    const describer = this.#loneDescriber, drained = this.#loneDrained;
    this.#endLone();
    drained?.reject(failure);
    this.#nextBatch();
    if (describer !== null) throw describer.describeWriteFailure(failure);
    return undefined;
  }

  // The write loop runs on the write promises' callbacks, not in an async function: a call of
  // one per batch, with its frame and the closures of each await, cost more than the write.

  /** Starts writing what is queued (the caller checked that no write is in flight). */
  #flush(): void {
    this.#writing = true;
    this.#nextBatch();
  }

  /** Writes the next queued batch, or ends the loop when none is left. */
  #nextBatch(): void {
    const batch = this.#queued;
    if (batch === null || this.#writeError !== undefined) {
      // A batch queued before the stream broke or was closed fails with it (it would
      // otherwise never settle: nothing else writes it).
      if (batch !== null) {
        this.#queued = null;
        batch.settle(this.#writeError);
      }
      this.#writing = false;
      this.#writesDone();
      return;
    }
    this.#queued = null;
    this.#inFlight = batch;
    batch.seal();
    // Usually one part (frames back to back are one range): nothing to coalesce.
    if (batch.count === 1) {
      batch.views = batch.parts;
      batch.viewCount = 1;
    } else {
      batch.merged = [];
      batch.views = coalesce(batch.parts, batch.count, batch.merged);
      batch.viewCount = batch.views.length;
    }
    batch.viewIndex = 0;
    batch.viewOffset = 0;
    this.#writeView(batch);
  }

  /** Writes what is left of the batch's current view. */
  #writeView(batch: WriteBatch): void {
    const bytes = batch.views![batch.viewIndex];
    const offset = batch.viewOffset;
    let writing: Promise<number>;
    try {
      writing = this.#conn.write(offset === 0 ? bytes : viewOf(bytes, offset, bytes.length));
    } catch (error) {
      this.#batchDone(error);
      return;
    }
    // One callback for both outcomes: a write fulfils with a count, and fails with an error
    // (Deno.Conn never rejects with a number).
    const settled = this.#onWriteSettled ??= (result) => {
      if (typeof result === "number") this.#wrote(result);
      else this.#batchDone(result ?? new Error("the write failed"));
    };
    writing.then(settled, settled);
  }

  #wrote(n: number): void {
    const batch = this.#inFlight!;
    batch.viewOffset += n;
    if (batch.viewOffset < batch.views![batch.viewIndex].length) {
      this.#writeView(batch);
    } else if (batch.viewIndex + 1 < batch.viewCount) {
      batch.viewIndex++;
      batch.viewOffset = 0;
      this.#writeView(batch);
    } else {
      this.#batchDone(undefined);
    }
  }

  /** The batch in flight is written, or failed with `failure`; the loop goes on. */
  #batchDone(failure: unknown): void {
    // A broken socket stays broken: this batch and everything after it fail.
    if (failure !== undefined) this.#writeError = failure;
    const batch = this.#inFlight!;
    this.#inFlight = null;
    const merged = batch.merged;
    if (merged !== null) {
      batch.merged = null;
      for (const buffer of merged) mergePool.give(buffer);
    }
    batch.settle(failure);
    // After a failure the batch is not reused, and #nextBatch fails what is queued behind it.
    if (failure === undefined) giveBatch(batch);
    this.#nextBatch();
  }

  /** Every queued write is done: a FIN or a close asked for meanwhile goes now. */
  #writesDone(): void {
    if (this.#closeWhenWrittenRequested) {
      this.#closeWhenWrittenRequested = false;
      // TLS: close_notify first, so that the peer sees an end and not a truncation.
      if (this.#conn.handshake !== undefined && this.#writeError === undefined) {
        const close = () => this.close();
        this.#conn.closeWrite().then(close, close);
      } else {
        this.close();
      }
    } else if (this.#closeWriteRequested && this.#writeError === undefined) {
      this.#closeWriteRequested = false;
      this.#conn.closeWrite().catch(() => {});
    }
  }

  /** Sends FIN (or TLS close_notify) once queued writes are done. */
  closeWrite(): void {
    this.#closeWriteRequested = true;
    if (!this.#writing) this.#flush();
  }

  /** Closes the socket once queued writes are done (TLS: after close_notify). */
  closeWhenWritten(): void {
    if (this.#closed) return;
    this.#closeWhenWrittenRequested = true;
    if (!this.#writing) this.#flush();
  }

  /** Closes the socket; the read loop ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#whenClosed?.resolve();
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime (peer reset): nothing left to release.
    }
  }
}

/**
 * Connects with `Deno.connect` (through a `CONNECT` tunnel when a proxy is
 * given), then `Deno.connectTls` / `Deno.startTls` when `options.tls` is set.
 */
export async function connectDeno(options: ConnectOptions): Promise<ByteStream> {
  if (!denoCanConnect(options)) {
    throw new Error("these TLS or proxy options need the node:net/node:tls transport");
  }
  const tls = options.tls;
  const proxy = options.proxy;
  const signal = options.signal;
  // Only the TCP connect step takes a signal natively; later steps close the socket instead.
  const nativeSignal = signal as AbortSignal | undefined;
  // The socket in use so far; closing it makes the pending step (tunnel, TLS) fail.
  let current: Deno.Conn | undefined;
  const abandon = () => closeQuietly(current);
  signal?.addEventListener("abort", abandon, { once: true });
  try {
    if (proxy !== undefined) {
      const raw = await Deno.connect({
        hostname: proxy.hostname,
        port: proxy.port,
        signal: nativeSignal,
      });
      current = raw;
      raw.setNoDelay(true); // before startTls, which takes over the socket's resource
      signal?.throwIfAborted();
      await openTunnel(raw, options.hostname, options.port, proxy.credentials);
      if (tls !== undefined) {
        current = await Deno.startTls(raw, { hostname: options.hostname, caCerts: tls.caCerts });
        signal?.throwIfAborted();
        await (current as Deno.TlsConn).handshake();
      }
    } else if (tls === undefined) {
      const tcp = await Deno.connect({
        hostname: options.hostname,
        port: options.port,
        signal: nativeSignal,
      });
      current = tcp;
      tcp.setNoDelay(true);
    } else {
      const base: Deno.ConnectTlsOptions = {
        hostname: options.hostname,
        port: options.port,
        caCerts: tls.caCerts,
      };
      const secured = tls.certChain !== undefined && tls.privateKey !== undefined
        ? await Deno.connectTls({ ...base, cert: tls.certChain, key: tls.privateKey })
        : await Deno.connectTls(base);
      current = secured;
      signal?.throwIfAborted();
      // Finish the TLS handshake now so certificate errors fail the connect step.
      await secured.handshake();
    }
    signal?.throwIfAborted();
  } catch (error) {
    closeQuietly(current);
    throw error;
  } finally {
    signal?.removeEventListener("abort", abandon);
  }
  return new DenoByteStream(current);
}

function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch {
    // Already closed, or its resource was taken over by startTls.
  }
}

/** Asks the proxy on `conn` for a tunnel to `host:port`; throws unless it agrees. */
async function openTunnel(
  conn: Deno.Conn,
  host: string,
  port: number,
  credentials: string | undefined,
): Promise<void> {
  const request = new TextEncoder().encode(buildConnectRequest(host, port, credentials));
  for (let offset = 0; offset < request.length;) {
    offset += await conn.write(request.subarray(offset));
  }
  const reader = new TunnelAnswerReader();
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(PROXY_CLOSED_EARLY);
    if (reader.push(buffer.slice(0, n))) return;
  }
}

/**
 * True when `Deno.connect`/`Deno.connectTls`/`Deno.startTls` can honour
 * every option: no TLS setting Deno lacks (skipping verification, a minimum
 * version, an encrypted key, a client certificate inside a proxy tunnel).
 */
export function denoCanConnect(options: ConnectOptions): boolean {
  const tls = options.tls;
  if (tls === undefined) return true;
  // Deno.startTls (used inside a proxy tunnel) takes no client certificate.
  if (options.proxy !== undefined && tls.certChain !== undefined) return false;
  return tls.verify !== false && tls.minVersion === undefined && tls.keyPassword === undefined;
}
