/**
 * Handing frames to a stream, with the send-buffer accounting that the
 * client and the server share.
 *
 * @module
 */

import { BufferPool, FrameSlab, MAX_SLAB_FRAME } from "../protocol/mod.ts";
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

/**
 * The slab every connection carves its small frames from (bigger ones come
 * from {@linkcode framePool}). Shared, so a connection keeps no block of its
 * own between sends: an idle connection that sent a burst costs nothing
 * here, and a block is freed once its last frame has been written.
 */
export const frameSlab: FrameSlab = new FrameSlab(framePool);

// Frames over MAX_SLAB_FRAME came from framePool; smaller ones are views of a slab.
const recycleFrame = (frame: Uint8Array) => framePool.give(frame);

/**
 * Hands `frame` (built by a connection using {@linkcode framePool}) to
 * `stream`; a pooled frame goes back to the pool once written. Returns
 * false, without writing, when that would put more than `maxBufferedBytes` +
 * {@linkcode CONTROL_HEADROOM} in flight: the peer is not reading and should
 * be dropped.
 */
export function writeFrame(
  stream: ByteStream,
  frame: Uint8Array,
  maxBufferedBytes: number,
): boolean {
  if (stream.bufferedBytes + frame.length > maxBufferedBytes + CONTROL_HEADROOM) return false;
  // Failures surface through send()'s promise (the stream's `written`) or the read side ending.
  stream.write(frame, frame.length > MAX_SLAB_FRAME ? recycleFrame : undefined);
  return true;
}

/**
 * {@linkcode writeFrame} for a small frame given as `block[start, end)` of a
 * slab block (never recycled), under the same bound.
 */
export function writeFrameRange(
  stream: ByteStream,
  block: Uint8Array,
  start: number,
  end: number,
  maxBufferedBytes: number,
): boolean {
  if (stream.bufferedBytes + end - start > maxBufferedBytes + CONTROL_HEADROOM) return false;
  stream.writeRange(block, start, end);
  return true;
}
