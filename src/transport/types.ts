/**
 * The byte-stream interface every transport implements. It knows nothing of
 * WebSocket: it moves bytes and reports the end of the stream.
 *
 * @module
 */

import type { TlsVersion } from "./tls_version.ts";

/** Receives what a {@linkcode ByteStream} reads. */
export interface ByteStreamReader {
  /**
   * Bytes from the peer. The reader may modify them but must copy what it
   * keeps: the stream may reuse the memory once the call returns.
   */
  data(chunk: Uint8Array): void;
  /**
   * Optional: a buffer the next read should fill directly (the rest of a
   * large payload). The stream then passes the filled part of it to `data`.
   */
  readTarget?(): Uint8Array | undefined;
  /** The stream ended: `error` undefined for a clean EOF. Called exactly once. */
  end(error?: unknown): void;
}

/**
 * Says what a failed write means to whoever asked for
 * {@linkcode ByteStream.written} (a WebSocket link: "send failed").
 */
export interface WriteFailureDescriber {
  /**
   * The rejection reason for `error`, the stream's failure. Called
   * synchronously when a batch fails; should not throw (if it does, what it
   * throws becomes the rejection).
   */
  describeWriteFailure(error: unknown): unknown;
}

/** An open, bidirectional byte stream (TCP or TLS). */
export interface ByteStream {
  /** Starts delivering received bytes to `reader`; call once. */
  startReading(reader: ByteStreamReader): void;
  /**
   * Queues `bytes` for sending, behind everything queued before; the stream
   * owns them from now on. `recycle`, when given, gets them back once they
   * are written or dropped (a stream that broke or was closed drops what is
   * queued; {@linkcode ByteStream.drained} then rejects).
   */
  write(bytes: Uint8Array, recycle?: (bytes: Uint8Array) => void): void;
  /**
   * Queues `block[start, end)` as {@linkcode ByteStream.write} queues a view
   * of it (never recycled), without the view: ranges that continue one
   * another in the same block leave as one buffer.
   */
  writeRange(block: Uint8Array, start: number, end: number): void;
  /** Bytes queued with `write` or `writeRange` and not yet handed to the OS. */
  readonly bufferedBytes: number;
  /**
   * Resolves once everything queued so far has been handed to the OS;
   * rejects when the stream broke or was closed first. Writes that leave
   * together share one promise, so asking after each of them costs no more.
   */
  drained(): Promise<void>;
  /**
   * The promise a `send` returns: like {@linkcode ByteStream.drained}, but
   * fulfilled with `true`, and rejected with what `describer` makes of the
   * stream's failure. One promise per batch of writes, with none between it
   * and the write (a `drained().then(...)` would add one per batch). Every
   * call on one stream passes the same describer: the first one asked for a
   * batch is the one used.
   */
  written(describer: WriteFailureDescriber): Promise<boolean>;
  /** Half-closes: tells the peer we will send nothing more (TCP FIN / TLS close_notify). */
  closeWrite(): void;
  /**
   * Closes the socket once everything queued so far is handed to the OS
   * (the FIN follows those bytes; TLS sends close_notify first), without
   * waiting for the peer's end. Pending reads end then.
   */
  closeWhenWritten(): void;
  /** Closes both directions at once; pending reads end. Safe to call twice. */
  close(): void;
  /** Resolves when the read side has finished and `reader.end` has been called; never rejects. */
  readonly finished: Promise<void>;
  /** Address of the peer. */
  readonly remoteAddress: { hostname: string; port: number };
  /** Negotiated TLS version (e.g. `TLSv1.3`), when the stream is TLS. */
  readonly tlsVersion?: string;
}

/** TLS settings of an outgoing connection. */
export interface TlsConnectOptions {
  /** Name to verify the certificate against (also sent as SNI). */
  serverName: string;
  /** Extra PEM root certificates to trust besides the system store. */
  caCerts?: string[];
  /** PEM client certificate chain for mutual TLS. */
  certChain?: string;
  /** PEM private key of the client certificate. */
  privateKey?: string;
  /** Passphrase of an encrypted `privateKey`. */
  keyPassword?: string;
  /** `false` accepts any certificate (chain and name unchecked). Default `true`. */
  verify?: boolean;
  /** Lowest TLS version to accept. */
  minVersion?: TlsVersion;
}

/**
 * The part of `AbortSignal` the transports use, declared here so the
 * published types need no DOM library.
 */
export interface AbortSignalLike {
  /** True once aborted. */
  readonly aborted: boolean;
  /** Registers `listener` for the abort. */
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  /** Unregisters `listener`. */
  removeEventListener(type: "abort", listener: () => void): void;
  /** Throws the abort reason when aborted. */
  throwIfAborted(): void;
}

/** Where and how to connect. */
export interface ConnectOptions {
  /** Host name or IP literal (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Present for TLS. */
  tls?: TlsConnectOptions;
  /**
   * Aborting it abandons the attempt: sockets opened so far are closed, so a
   * silent proxy or TLS peer cannot keep them open after a handshake timeout.
   */
  signal?: AbortSignalLike;
  /** Tunnel through this HTTP proxy with `CONNECT` (TLS, if any, runs inside the tunnel). */
  proxy?: { hostname: string; port: number; credentials?: string };
}

/** Opens a {@linkcode ByteStream}; rejects when the connection cannot be made. */
export type Connector = (options: ConnectOptions) => Promise<ByteStream>;
