/**
 * Process-wide memory for incoming messages, shared by every client and
 * server connection.
 *
 * @module
 */

import { BufferPool } from "../protocol/mod.ts";

/**
 * The steps an incoming message grows through before it gets its own buffer
 * (see `message_assembler.ts`) come from this pool and go back to it, so
 * large messages do not fault in fresh memory for their first half. A pool
 * of its own rather than the frame pool's: sharing one budget, the steps
 * pushed the large outgoing frames out of it (measured on Node). At most
 * 16 MiB is kept; steps under 16 KiB are plain arrays.
 */
export const messageStepPool: BufferPool = new BufferPool({
  minSize: 16 * 1024,
  maxBytes: 16 * 1024 * 1024,
});
