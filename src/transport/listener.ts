/**
 * The listening side's contract, the same on every runtime: how to ask for
 * a listening socket ({@linkcode Listen}, {@linkcode ListenOptions}), what
 * the caller gets ({@linkcode StreamListener}), how accepted sockets are
 * handed over ({@linkcode AcceptSink}) and how failures to listen are
 * classified ({@linkcode ListenError}), so that callers can map them to
 * their own error codes without knowing a runtime's error classes. Also the
 * one way both listeners read and check their PEM files.
 *
 * @module
 */

import type { ByteStream } from "./types.ts";
import { isMissingFileError, readTextFile } from "./runtime.ts";
import { describe } from "../protocol/errors.ts";

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

/** A failure of a {@linkcode Listen} function, with its {@linkcode ListenFailure} kind. */
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
  /**
   * Turn TCP keep-alive on for accepted sockets, so the kernel notices a
   * peer that vanished while nothing is sent. Off when the owner detects
   * dead peers itself (a WebSocket heartbeat): it would cost system calls
   * per connection for nothing.
   */
  keepAlive?: boolean;
  /**
   * Linux `SO_REUSEPORT`: several processes may bind the same address and
   * port, and the kernel spreads new connections over them.
   */
  reusePort?: boolean;
}

/** Receives what a {@linkcode StreamListener} accepts. */
export interface AcceptSink {
  /**
   * A new connection, handed over as soon as TCP accepted it: for TLS the
   * handshake is still to come (reads deliver bytes once it is done, and a
   * failed handshake ends the stream with an error). So the sink's own
   * deadline and caps cover sockets that never finish TLS, and its
   * `close()` destroys such a socket at once. The sink owns the stream and
   * must close it.
   */
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

/** A certificate chain and its private key, as PEM text. */
export interface PemPair {
  /** The PEM certificate (chain). */
  cert: string;
  /** The PEM private key. */
  key: string;
}

/**
 * Reads the certificate and key files of `tls` and checks that they are a
 * certificate and the private key that belongs to it, so that an unusable
 * pair fails at listen time rather than in every client's handshake (some
 * TLS engines only look at it then). A missing file is
 * `certificate-missing`; anything else wrong is `certificate-invalid`.
 */
export async function readPemPair(tls: { certPath: string; keyPath: string }): Promise<PemPair> {
  const cert = await readPem(tls.certPath, "certificate");
  const key = await readPem(tls.keyPath, "private key");
  const crypto = await import("node:crypto");
  let matches: boolean;
  try {
    const certificate = new crypto.X509Certificate(cert);
    matches = certificate.checkPrivateKey(crypto.createPrivateKey(key));
  } catch (error) {
    throw new ListenError(
      "certificate-invalid",
      `${tls.certPath} / ${tls.keyPath} are not a PEM certificate and private key: ${
        describe(error)
      }`,
      error,
    );
  }
  if (!matches) {
    throw new ListenError(
      "certificate-invalid",
      `the private key ${tls.keyPath} does not belong to the certificate ${tls.certPath}`,
    );
  }
  return { cert, key };
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readTextFile(path);
  } catch (error) {
    if (isMissingFileError(error)) {
      throw new ListenError("certificate-missing", `${what} file ${path} does not exist`, error);
    }
    throw new ListenError(
      "certificate-invalid",
      `cannot read ${what} file ${path}: ${describe(error)}`,
      error,
    );
  }
}
