/**
 * The connected socket the Deno transport wraps, as a structural type: what
 * `DenoByteStream` calls on it and nothing more. `Deno.Conn`, `Deno.TcpConn`
 * and `Deno.TlsConn` satisfy it as they are. Naming this interface instead of
 * `Deno.Conn` in the stream's constructor keeps every `Deno.*` type out of the
 * declarations the npm build emits, so a Node or Bun project type-checks them
 * without Deno's declarations (the Node stream does the same for its socket).
 *
 * @module
 */

/** The peer's address, as `Deno.Conn.remoteAddr` reports it for any transport. */
export interface DenoConnAddr {
  /** `"tcp"` for the sockets this library opens. */
  readonly transport: string;
  /** Host name or IP of a network address. */
  readonly hostname?: string;
  /** Port of a network address. */
  readonly port?: number;
}

/** The part of `Deno.Conn` the Deno transport uses. */
export interface DenoConn {
  /** Address of the peer. */
  readonly remoteAddr: DenoConnAddr;
  /** Reads into `p`; resolves with the byte count, or `null` at the end of the stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; resolves with how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
  /** Ends the writing side (TCP half-close). */
  closeWrite(): Promise<void>;
  /** Closes the socket. */
  close(): void;
  /** Present on TLS connections only (`Deno.TlsConn`): tells a TLS stream from a TCP one. */
  handshake?(): Promise<unknown>;
}
