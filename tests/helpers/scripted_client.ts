/**
 * A scripted raw-TCP WebSocket client for the server's Autobahn cases: it
 * upgrades to a server on 127.0.0.1, then writes exactly the masked frames a
 * test builds (each with a fresh random key, as Autobahn's fuzzing client
 * does), in the chops and pauses the test chooses, while a read loop parses and
 * records every frame the server sends back (masked or not, so a test can
 * assert that none is masked).
 *
 * Reading appends into one buffer that doubles when full, so a 16 MiB echo
 * costs O(n), not a copy per read. Every wait is bounded, and `close()` waits
 * for the read loop so Deno's op and resource sanitizers stay happy.
 *
 * @module
 */

import { acceptKey } from "../../src/protocol/handshake.ts";
import { concat } from "./bytes.ts";
import { within } from "./deno_server.ts";
import { type Bytes, bytes, delay, frame, type FrameOptions, Op } from "./scripted_server.ts";
import { sha1Base64 } from "../../src/transport/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A frame the server sent, as it was on the wire (payload unmasked if it was masked). */
export interface ServerWireFrame {
  fin: boolean;
  /** RSV1..3 as 0–7. */
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** A client frame: masked with a fresh random key (Autobahn's client masks every frame). */
export function masked(
  opcode: number,
  payload: Bytes = [],
  options: FrameOptions = {},
): Uint8Array {
  const key = crypto.getRandomValues(new Uint8Array(4));
  return frame(opcode, payload, { mask: key, ...options });
}

/** Close code of a frame's payload; 1005 for an empty payload (RFC 6455 §7.1.5). */
export function codeOf(f: ServerWireFrame): number {
  return f.payload.length >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1005;
}

/** One upgraded connection to the server under test. */
export class ScriptedClient {
  readonly conn: Deno.TcpConn;
  /** Every frame the server sent after its 101 answer, in order. */
  readonly frames: ServerWireFrame[] = [];
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #headDone = false;
  #head = "";
  #ended = false;
  #closed = false;
  #parseError: Error | undefined;
  #listeners = new Set<() => void>();
  #readLoop: Promise<void>;
  #cursor = 0;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.#readLoop = this.#read();
  }

  /** Connects to 127.0.0.1:`port` and completes the opening handshake (checks the accept value). */
  static async open(port: number): Promise<ScriptedClient> {
    const conn = await within(
      Deno.connect({ hostname: "127.0.0.1", port }),
      `connect to 127.0.0.1:${port}`,
    );
    conn.setNoDelay(true);
    const client = new ScriptedClient(conn);
    try {
      const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
      await client.write(encoder.encode(
        "GET / HTTP/1.1\r\n" +
          `Host: 127.0.0.1:${port}\r\n` +
          "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ));
      const head = await client.#waitUntil(
        () => (client.#headDone ? client.#head : undefined),
        3000,
        "the 101 answer",
      );
      if (!head.startsWith("HTTP/1.1 101 ")) throw new Error(`expected 101, got: ${head}`);
      const accept = /^sec-websocket-accept:\s*(\S+)\s*$/im.exec(head)?.[1];
      if (accept !== acceptKey(key, sha1Base64)) {
        throw new Error(`wrong Sec-WebSocket-Accept in: ${head}`);
      }
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** True once the server ended its side of TCP (EOF) or the socket failed. */
  get ended(): boolean {
    return this.#ended;
  }

  async #read(): Promise<void> {
    try {
      while (true) {
        if (this.#buffer.length - this.#end < 64 * 1024) this.#grow();
        const n = await this.conn.read(this.#buffer.subarray(this.#end));
        if (n === null) break;
        this.#end += n;
        this.#parse();
        this.#notify();
      }
    } catch {
      // A reset or our own close: either way the stream is over.
    }
    this.#ended = true;
    this.#notify();
  }

  /** Makes room for 64 KiB more: compacts, and doubles when over half full. */
  #grow(): void {
    const used = this.#end - this.#start;
    const size = used + 64 * 1024 > this.#buffer.length / 2
      ? this.#buffer.length * 2
      : this.#buffer.length;
    if (size === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const next = new Uint8Array(size);
      next.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = next;
    }
    this.#start = 0;
    this.#end = used;
  }

  #parse(): void {
    if (!this.#headDone) {
      const text = decoder.decode(this.#buffer.subarray(this.#start, this.#end));
      const at = text.indexOf("\r\n\r\n");
      if (at < 0) return;
      this.#head = text.slice(0, at);
      this.#headDone = true;
      this.#start += encoder.encode(text.slice(0, at + 4)).length;
    }
    while (this.#end - this.#start >= 2) {
      const b = this.#buffer;
      const p = this.#start;
      const isMasked = (b[p + 1] & 0x80) !== 0;
      let length = b[p + 1] & 0x7f;
      let offset = p + 2;
      if (length === 126) {
        if (this.#end - offset < 2) return;
        length = (b[offset] << 8) | b[offset + 1];
        offset += 2;
      } else if (length === 127) {
        if (this.#end - offset < 8) return;
        const big = new DataView(b.buffer, offset, 8).getBigUint64(0);
        if (big > 1n << 40n) {
          this.#parseError = new Error(`server announced a ${big}-byte frame`);
          return;
        }
        length = Number(big);
        offset += 8;
      }
      const keyLength = isMasked ? 4 : 0;
      if (this.#end - offset < keyLength + length) return;
      const key = b.subarray(offset, offset + keyLength);
      const payload = b.slice(offset + keyLength, offset + keyLength + length);
      if (isMasked) { for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3]; }
      this.frames.push({
        fin: (b[p] & 0x80) !== 0,
        rsv: (b[p] >> 4) & 7,
        opcode: b[p] & 0x0f,
        masked: isMasked,
        payload,
      });
      this.#start = offset + keyLength + length;
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Waits (bounded) until `check` returns a value other than undefined. */
  async #waitUntil<T>(check: () => T | undefined, ms: number, label: string): Promise<T> {
    if (this.#parseError !== undefined) throw this.#parseError;
    const now = check();
    if (now !== undefined) return now;
    let listener: (() => void) | undefined;
    const ready = new Promise<T>((resolve, reject) => {
      listener = () => {
        if (this.#parseError !== undefined) return reject(this.#parseError);
        try {
          const value = check();
          if (value !== undefined) resolve(value);
        } catch (error) {
          reject(error);
        }
      };
      this.#listeners.add(listener);
    });
    try {
      return await within(ready, label, ms);
    } finally {
      this.#listeners.delete(listener!);
    }
  }

  /** Writes all of `data` (the arrays concatenated, in one write). */
  async write(...data: Uint8Array[]): Promise<void> {
    const all = data.length === 1 ? data[0] : concat(data);
    let offset = 0;
    while (offset < all.length) offset += await this.conn.write(all.subarray(offset));
  }

  /**
   * Writes `data` in `size`-byte writes; with `pauseMs` >= 0 it waits that long
   * (0: one turn of the timer queue) between writes, so the server reads each one.
   */
  async chopped(data: Uint8Array, size: number, pauseMs = 0): Promise<void> {
    for (let offset = 0; offset < data.length; offset += size) {
      await this.write(data.subarray(offset, offset + size));
      if (pauseMs >= 0) await delay(pauseMs);
    }
  }

  /** The next frame not yet taken; rejects on timeout or EOF. */
  async nextFrame(label = "a frame from the server", ms = 3000): Promise<ServerWireFrame> {
    const got = await this.#waitUntil<ServerWireFrame | "eof">(
      () =>
        this.#cursor < this.frames.length
          ? this.frames[this.#cursor]
          : this.#ended
          ? "eof"
          : undefined,
      ms,
      label,
    );
    if (got === "eof") throw new Error(`server ended TCP before ${label}`);
    this.#cursor++;
    return got;
  }

  /** Waits (bounded) until the server has sent at least `count` frames; throws at EOF before. */
  async frameCount(count: number, label: string, ms = 3000): Promise<void> {
    await this.#waitUntil(
      () => {
        if (this.frames.length >= count) return true;
        if (this.#ended) throw new Error(`server ended TCP before ${label}`);
        return undefined;
      },
      ms,
      label,
    );
  }

  /** The server's first close frame (bounded wait); throws if TCP ends without one. */
  closeFrame(ms = 3000): Promise<ServerWireFrame> {
    return this.#waitUntil(
      () => {
        const found = this.frames.find((f) => f.opcode === Op.Close);
        if (found !== undefined) return found;
        if (this.#ended) throw new Error("server ended TCP without a close frame");
        return undefined;
      },
      ms,
      "a close frame from the server",
    );
  }

  /** Frames the server sent after its first close frame (must be none). */
  framesAfterClose(): ServerWireFrame[] {
    const at = this.frames.findIndex((f) => f.opcode === Op.Close);
    return at < 0 ? [] : this.frames.slice(at + 1);
  }

  /** Waits (bounded) for the server to end its side of TCP. */
  async serverEnd(ms = 3000): Promise<void> {
    await this.#waitUntil(() => (this.#ended ? true : undefined), ms, "the server to end TCP");
  }

  /** Closes the socket and waits for the read loop. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#readLoop;
  }
}

/** Bytes of a string as UTF-8 (a shorthand for the case tables). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export { bytes, concat, delay, Op };
