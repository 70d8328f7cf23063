/**
 * The Deno listening side: `Deno.listen` / `Deno.listenTls` handing out each
 * accepted connection as a {@linkcode ByteStream}. It knows nothing of
 * WebSocket; failures to listen are classified by {@linkcode ListenError}
 * so that callers can map them to their own error codes without knowing
 * Deno's error classes.
 *
 * @module
 */

import { DenoByteStream } from "./deno_stream.ts";
import type { ByteStream } from "./types.ts";

/** Why listening failed. */
export type ListenFailure =
  /** Another socket already listens on the address and port. */
  | "address-in-use"
  /** The address does not belong to this machine (or cannot be resolved). */
  | "address-unavailable"
  /** A certificate or key file does not exist. */
  | "certificate-missing"
  /** The certificate or key could not be read or used. */
  | "certificate-invalid"
  /** Anything else: permissions, bad port, … */
  | "other";

/** A failure of {@linkcode listenDeno}, with its {@linkcode ListenFailure} kind. */
export class ListenError extends Error {
  /** What kind of failure this is. */
  readonly kind: ListenFailure;

  /**
   * Creates the error with its kind, message and the runtime's own error.
   *
   * @param kind the failure class
   * @param message what went wrong, for humans
   * @param cause the runtime's own error, when there is one
   */
  constructor(kind: ListenFailure, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ListenError";
    this.kind = kind;
  }
}

/** Where and how to listen. */
export interface ListenOptions {
  /** Local address (IP literal or resolvable name) to bind. */
  hostname: string;
  /** TCP port; 0 lets the system pick a free one. */
  port: number;
  /** Present for TLS: paths of the PEM certificate chain and private key. */
  tls?: { certPath: string; keyPath: string };
}

/** Receives what a {@linkcode StreamListener} accepts. */
export interface AcceptSink {
  /** A new connection; the sink owns the stream and must close it. */
  accept(stream: ByteStream): void;
  /** Accepting one connection failed; the listener keeps going. */
  error(error: unknown): void;
}

/** A bound, listening socket that hands out {@linkcode ByteStream}s. */
export interface StreamListener {
  /** The address actually bound (the real port when 0 was asked for). */
  readonly address: { hostname: string; port: number };
  /** Starts handing accepted connections to `sink`; call once. */
  startAccepting(sink: AcceptSink): void;
  /** Stops accepting and releases the port at once. Streams already accepted stay open. */
  close(): void;
  /** Resolves when the accept loop has ended after {@linkcode StreamListener.close}. */
  readonly finished: Promise<void>;
}

/** Binds a {@linkcode StreamListener}; rejects with a {@linkcode ListenError}. */
export type Listen = (options: ListenOptions) => Promise<StreamListener>;

/** Reads a PEM file for the TLS listener, classifying a missing file. */
async function readPem(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ListenError("certificate-missing", `${what} file ${path} does not exist`, error);
    }
    throw new ListenError(
      "certificate-invalid",
      `cannot read ${what} file ${path}: ${describe(error)}`,
      error,
    );
  }
}

function classify(error: unknown): ListenFailure {
  if (error instanceof Deno.errors.AddrInUse) return "address-in-use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "address-unavailable";
  // A name that does not resolve surfaces as NotFound or a plain Error naming the lookup.
  if (error instanceof Deno.errors.NotFound) return "address-unavailable";
  if (error instanceof Error && /lookup|resolve|name or service/i.test(error.message)) {
    return "address-unavailable";
  }
  return "other";
}

/**
 * Binds `options.hostname:options.port` with `Deno.listen`, or with
 * `Deno.listenTls` when `options.tls` is given (the PEM files are read
 * first). Rejects with a {@linkcode ListenError}.
 *
 * @example
 * ```ts
 * import { listenDeno } from "./deno_listener.ts";
 * const listener = await listenDeno({ hostname: "127.0.0.1", port: 0 });
 * listener.startAccepting({ accept: (stream) => stream.close(), error: console.error });
 * listener.close();
 * await listener.finished;
 * ```
 */
export async function listenDeno(options: ListenOptions): Promise<StreamListener> {
  let tls: { cert: string; key: string } | undefined;
  if (options.tls !== undefined) {
    tls = {
      cert: await readPem(options.tls.certPath, "certificate"),
      key: await readPem(options.tls.keyPath, "private key"),
    };
  }
  let listener: Deno.Listener;
  try {
    listener = tls === undefined
      ? Deno.listen({ hostname: options.hostname, port: options.port })
      : Deno.listenTls({ hostname: options.hostname, port: options.port, ...tls });
  } catch (error) {
    const kind = classify(error);
    // listenTls parses the PEM text; a parse failure is a certificate problem, not a port one.
    const certProblem = tls !== undefined && kind === "other" &&
      !(error instanceof Deno.errors.PermissionDenied);
    throw new ListenError(
      certProblem ? "certificate-invalid" : kind,
      `cannot listen on ${options.hostname}:${options.port}: ${describe(error)}`,
      error,
    );
  }
  return new DenoStreamListener(listener);
}

class DenoStreamListener implements StreamListener {
  readonly #listener: Deno.Listener;
  #closed = false;
  #finished: Promise<void> = Promise.resolve();
  readonly address: { hostname: string; port: number };

  constructor(listener: Deno.Listener) {
    this.#listener = listener;
    const addr = listener.addr as Deno.NetAddr;
    this.address = { hostname: addr.hostname, port: addr.port };
  }

  get finished(): Promise<void> {
    return this.#finished;
  }

  startAccepting(sink: AcceptSink): void {
    this.#finished = this.#acceptLoop(sink);
  }

  async #acceptLoop(sink: AcceptSink): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        // Closing the listener interrupts the pending accept: that is the normal end.
        if (this.#closed || error instanceof Deno.errors.BadResource) break;
        sink.error(error);
        // Out of file descriptors and the like: back off briefly instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (this.#closed) {
        conn.close();
        break;
      }
      try {
        // Small frames (pongs, close) should leave at once rather than wait for Nagle.
        if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // Not fatal: the connection works without it.
      }
      sink.accept(new DenoByteStream(conn));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Already closed: the port is free either way.
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
