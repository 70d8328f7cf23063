/**
 * Handing frames to a stream, with the send-buffer accounting that the
 * client and the server share.
 *
 * @module
 */

import { BufferPool, MAX_SLAB_FRAME } from "../protocol/mod.ts";
import type { ByteStream } from "../transport/types.ts";

/**
 * Room above `maxBufferedBytes` for frames the connection sends by itself
 * (pongs, close). User sends are refused at the limit, so only a peer that
 * never reads gets past this.
 */
export const CONTROL_HEADROOM = 1024 * 1024;

/**
 * Frames over 1 KiB (smaller ones share per-connection slabs) are built in
 * buffers from this process-wide pool and given back once written, so
 * sending does not allocate fresh memory per message. At most 32 MiB is
 * kept for reuse.
 */
export const framePool: BufferPool = new BufferPool({
  minSize: MAX_SLAB_FRAME + 1,
  maxBytes: 32 * 1024 * 1024,
});

/** The send side of one connection. */
export interface WriteAccount {
  /** Bytes handed to the stream and not yet written. */
  buffered: number;
  /** Settles when the last frame handed over has been written (or failed). */
  lastWrite: Promise<void>;
}

/**
 * Hands `frame` (built by a connection using {@linkcode framePool}) to
 * `stream`. Returns false, without writing, when that would put more than
 * `maxBufferedBytes` + {@linkcode CONTROL_HEADROOM} in flight: the peer is
 * not reading and should be dropped.
 */
export function writeFrame(
  stream: ByteStream,
  account: WriteAccount,
  frame: Uint8Array,
  maxBufferedBytes: number,
): boolean {
  account.buffered += frame.length;
  if (account.buffered > maxBufferedBytes + CONTROL_HEADROOM) return false;
  const written = stream.write(frame);
  account.lastWrite = written;
  // Failures surface through send()'s promise or the read side ending.
  const release = () => {
    account.buffered -= frame.length;
    framePool.give(frame); // the stream holds no reference to it any more
  };
  written.then(release, release);
  return true;
}
