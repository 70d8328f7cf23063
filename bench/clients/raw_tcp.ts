/**
 * Bench client: raw TCP (`Deno.connect`) against a raw TCP echo server —
 * the physical limit for moving the same payload bytes with the same number
 * of messages in flight. A "message" is just `size` bytes of the stream: no
 * framing, no masking, no UTF-8 check. Sends queued in the same tick go out
 * as one `write` (as a good WebSocket client would batch them).
 *
 * @module
 */

import { main } from "../lib/driver.mjs";
import type { Adapter, Payload } from "./adapter.ts";

// `--fresh`: read every message into a new buffer of its own (see below).
const FRESH = Deno.args.includes("--fresh");
// run.ts passes a small buffer for the idle-connections workload (d).
const READ_BUFFER_SIZE: number = JSON.parse(Deno.env.get("BENCH_CONFIG") ?? "{}").readBufferSize ??
  64 * 1024;

export const adapter: Adapter = {
  async connect(url, onMessage) {
    const { hostname, port } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.setNoDelay(true);
    // Each `size` bytes echoed count as one message; the driver only checks
    // lengths, so it is handed the payload that was sent.
    let size = 0;
    let pendingBytes = 0;
    let unit: Payload = "";
    let sizeKnown = () => {};
    const firstSend = new Promise<void>((resolve) => sizeKnown = resolve);
    const reading = (async () => {
      const buffer = new Uint8Array(READ_BUFFER_SIZE);
      if (FRESH) {
        // Every message lands in an ArrayBuffer of its own, as an API that
        // hands out messages must do: the cheapest that contract allows.
        await firstSend; // the message size is known from then on
        let message = new Uint8Array(size);
        let filled = 0;
        while (true) {
          const n = await conn.read(message.subarray(filled));
          if (n === null) return;
          filled += n;
          if (filled === message.length) {
            onMessage(unit);
            message = new Uint8Array(size);
            filled = 0;
          }
        }
      }
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        pendingBytes += n;
        while (size > 0 && pendingBytes >= size) {
          pendingBytes -= size;
          onMessage(unit);
        }
      }
    })().catch(() => {});

    let queued: Payload[] = [];
    let flushing = false;
    const encoder = new TextEncoder();
    const flush = async () => {
      flushing = true;
      while (queued.length > 0) {
        const batch = queued;
        queued = [];
        let bytes: Uint8Array;
        if (batch.length === 1 && typeof batch[0] !== "string") {
          bytes = batch[0];
        } else {
          const parts = batch.map((p) => typeof p === "string" ? encoder.encode(p) : p);
          bytes = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
          let offset = 0;
          for (const part of parts) {
            bytes.set(part, offset);
            offset += part.length;
          }
        }
        for (let offset = 0; offset < bytes.length;) {
          offset += await conn.write(bytes.subarray(offset));
        }
      }
      flushing = false;
    };
    return {
      send(data) {
        const length = typeof data === "string" ? data.length : data.byteLength;
        if (length !== size) {
          size = length;
          unit = data;
          sizeKnown();
        }
        queued.push(data);
        if (!flushing) return flush();
      },
      close: async () => {
        await conn.closeWrite().catch(() => {});
        await reading;
        conn.close();
      },
    };
  },
};

if (import.meta.main) await main(adapter);
