/**
 * A scripted raw-TCP WebSocket "server" for hostile-server tests.
 *
 * The test drives both ends: it starts a {@linkcode ScriptedServer} on
 * 127.0.0.1, lets the client connect, takes the accepted {@linkcode ScriptedPeer}
 * and then writes exactly the bytes it wants (a valid or hostile handshake
 * response, frames built with {@linkcode frame}), while every frame the client
 * sends back is parsed, unmasked and recorded.
 *
 * Every wait is bounded by a timer that is always cleared, and `close()` waits
 * for every pending read/accept so Deno's op and resource sanitizers stay happy.
 *
 * @module
 */

import { acceptKey } from "../../src/protocol/handshake.ts";
import { concat } from "./bytes.ts";
import { within } from "./deno_server.ts";
import { sha1Base64 } from "../../src/transport/mod.ts";

const encoder = new TextEncoder();

// ------------------------------------------------------------------ timing

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bounded wait shared by every test helper (defined in `deno_server.ts`). */
export { within };

// ------------------------------------------------------------------ frames

/** Bytes from a string (UTF-8), a byte array or a list of byte values. */
export type Bytes = Uint8Array | string | readonly number[];

/** Converts {@linkcode Bytes} to a fresh `Uint8Array`. */
export function bytes(data: Bytes): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  return Uint8Array.from(data);
}

/** Joins byte arrays (shared with the protocol tests, see `bytes.ts`). */
export { concat };

/** How a frame is encoded; every field can be forced to an illegal value. */
export interface FrameOptions {
  /** FIN bit (default true). */
  fin?: boolean;
  /** RSV1..3 as a number 0–7 (RSV1 = 4, RSV2 = 2, RSV3 = 1). */
  rsv?: number;
  /** Set the MASK bit; `true` uses a fixed key, or give the 4-byte key. */
  mask?: boolean | Uint8Array;
  /** Length encoding: minimal (default), or force the 7-, 16- or 64-bit form. */
  lengthForm?: "minimal" | 7 | 16 | 64;
  /**
   * Length written in the header instead of the payload's real length (the
   * payload bytes given are still appended). A bigint allows the 64-bit top bit.
   */
  declaredLength?: number | bigint;
}

/** Builds one server frame byte by byte: unmasked and minimal unless told otherwise. */
export function frame(opcode: number, payload: Bytes = [], options: FrameOptions = {}): Uint8Array {
  const body = bytes(payload);
  const fin = options.fin ?? true;
  const rsv = options.rsv ?? 0;
  const declared = options.declaredLength ?? body.length;
  const declaredBig = BigInt(declared);
  let form = options.lengthForm ?? "minimal";
  if (form === "minimal") form = declaredBig < 126n ? 7 : declaredBig < 65536n ? 16 : 64;
  const maskKey = options.mask === true
    ? new Uint8Array([0x37, 0xfa, 0x21, 0x3d])
    : options.mask instanceof Uint8Array
    ? options.mask
    : null;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = maskKey !== null ? 0x80 : 0;
  if (form === 7) {
    head.push(maskBit | Number(declaredBig & 0x7fn));
  } else if (form === 16) {
    head.push(maskBit | 126, Number((declaredBig >> 8n) & 0xffn), Number(declaredBig & 0xffn));
  } else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) {
      head.push(Number((declaredBig >> shift) & 0xffn));
    }
  }
  const masked = body.slice();
  if (maskKey !== null) {
    head.push(...maskKey);
    for (let i = 0; i < masked.length; i++) masked[i] ^= maskKey[i & 3];
  }
  return concat([Uint8Array.from(head), masked]);
}

/** Opcodes of RFC 6455. */
export const Op = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** A close payload: 2-byte code and a reason (string as UTF-8, or raw bytes). */
export function closePayload(code: number, reason: Bytes = []): Uint8Array {
  return concat([new Uint8Array([code >> 8, code & 0xff]), bytes(reason)]);
}

/** A frame the client sent, unmasked. */
export interface ClientFrame {
  /** FIN bit. */
  fin: boolean;
  /** RSV bits as 0–7. */
  rsv: number;
  /** Opcode. */
  opcode: number;
  /** Whether the MASK bit was set (it must be, for a client). */
  masked: boolean;
  /** The masking key (empty when unmasked). */
  maskKey: Uint8Array;
  /** Unmasked payload. */
  payload: Uint8Array;
}

/** Code of a recorded close frame (undefined for an empty payload). */
export function closeCodeOf(f: ClientFrame): number | undefined {
  return f.payload.length >= 2 ? (f.payload[0] << 8) | f.payload[1] : undefined;
}

/** Parses as many complete frames as `buffer` holds; returns them and the bytes consumed. */
function parseClientFrames(buffer: Uint8Array): { frames: ClientFrame[]; used: number } {
  const frames: ClientFrame[] = [];
  let pos = 0;
  while (buffer.length - pos >= 2) {
    const b0 = buffer[pos];
    const b1 = buffer[pos + 1];
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = pos + 2;
    if (length === 126) {
      if (buffer.length - offset < 2) break;
      length = (buffer[offset] << 8) | buffer[offset + 1];
      offset += 2;
    } else if (length === 127) {
      if (buffer.length - offset < 8) break;
      const view = new DataView(buffer.buffer, buffer.byteOffset + offset, 8);
      length = Number(view.getBigUint64(0));
      offset += 8;
    }
    const keyLength = masked ? 4 : 0;
    if (buffer.length - offset < keyLength + length) break;
    const maskKey = buffer.slice(offset, offset + keyLength);
    offset += keyLength;
    const payload = buffer.slice(offset, offset + length);
    if (masked) { for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i & 3]; }
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0x0f,
      masked,
      maskKey,
      payload,
    });
    pos = offset + length;
  }
  return { frames, used: pos };
}

// --------------------------------------------------------------- handshake

/** Options of {@linkcode ScriptedPeer.handshake}. */
export interface HandshakeOptions {
  /**
   * The whole response head, built from the accept value the key demands.
   * Default: a valid `101 Switching Protocols` answer.
   */
  response?: (accept: string) => string;
  /** Write the response one byte per write, pausing `byteDelayMs` between writes. */
  splitBytes?: boolean;
  /** Pause between split writes (default 1 ms). */
  byteDelayMs?: number;
  /** Frame bytes appended to the response in the same write. */
  trailing?: Uint8Array;
}

/** The default, valid answer for `accept`. */
export function validResponse(accept: string, extraHeaders = ""): string {
  return "HTTP/1.1 101 Switching Protocols\r\n" +
    "Upgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${accept}\r\n` +
    extraHeaders +
    "\r\n";
}

// ------------------------------------------------------------------- peer

/** One accepted connection, driven by the test. */
export class ScriptedPeer {
  /** The raw socket. */
  readonly conn: Deno.Conn;
  /** Every frame the client sent, in order, unmasked. */
  readonly frames: ClientFrame[] = [];
  /** Total bytes the client sent (head included). */
  bytesReceived = 0;
  #buffer: Uint8Array = new Uint8Array(0);
  #requestHead: string | null = null;
  #ended = false;
  #endError: unknown = undefined;
  #closed = false;
  #listeners = new Set<() => void>();
  #readLoop: Promise<void>;
  #cursor = 0;

  /** @param conn the accepted socket; the peer owns it */
  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#readLoop = this.#read();
  }

  /** True once the client ended its side (EOF) or the socket failed. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The error that ended reading, if it was not a clean EOF. */
  get endError(): unknown {
    return this.#endError;
  }

  async #read(): Promise<void> {
    const scratch = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await this.conn.read(scratch);
        if (n === null) break;
        this.bytesReceived += n;
        this.#buffer = concat([this.#buffer, scratch.subarray(0, n)]);
        this.#parse();
        this.#notify();
      }
    } catch (error) {
      if (!this.#closed) this.#endError = error;
    }
    this.#ended = true;
    this.#notify();
  }

  #parse(): void {
    if (this.#requestHead === null) {
      const end = findHeadEnd(this.#buffer);
      if (end < 0) return;
      this.#requestHead = new TextDecoder().decode(this.#buffer.subarray(0, end));
      this.#buffer = this.#buffer.slice(end);
    }
    const { frames, used } = parseClientFrames(this.#buffer);
    this.frames.push(...frames);
    this.#buffer = this.#buffer.slice(used);
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Waits (bounded) until `check` returns a value other than undefined. */
  async #waitUntil<T>(check: () => T | undefined, ms: number, label: string): Promise<T> {
    const now = check();
    if (now !== undefined) return now;
    let listener: (() => void) | undefined;
    const ready = new Promise<T>((resolve, reject) => {
      listener = () => {
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

  /** The client's upgrade request head (waits for it, bounded). */
  request(ms = 2000): Promise<string> {
    return this.#waitUntil(() => this.#requestHead ?? undefined, ms, "upgrade request");
  }

  /** The `Sec-WebSocket-Key` of the request. */
  async key(ms = 2000): Promise<string> {
    const head = await this.request(ms);
    const match = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(head);
    if (match === null) throw new Error(`no Sec-WebSocket-Key in request:\n${head}`);
    return match[1];
  }

  /** Reads the request and writes the (valid by default) response. */
  async handshake(options: HandshakeOptions = {}): Promise<void> {
    const accept = acceptKey(await this.key(), sha1Base64);
    const head = encoder.encode((options.response ?? validResponse)(accept));
    const all = concat([head, options.trailing ?? new Uint8Array(0)]);
    if (options.splitBytes) {
      for (let i = 0; i < all.length; i++) {
        await this.write(all.subarray(i, i + 1));
        await delay(options.byteDelayMs ?? 1);
      }
    } else {
      await this.write(all);
    }
  }

  /** Writes all of `data` (one or more byte arrays, concatenated into one write). */
  async write(...data: Uint8Array[]): Promise<void> {
    const all = data.length === 1 ? data[0] : concat(data);
    let offset = 0;
    while (offset < all.length) offset += await this.conn.write(all.subarray(offset));
  }

  /** Writes each array separately, pausing `ms` between writes. */
  async writeSlowly(chunks: Uint8Array[], ms = 2): Promise<void> {
    for (const chunk of chunks) {
      await this.write(chunk);
      await delay(ms);
    }
  }

  /** The next frame not yet taken by `nextFrame`; rejects on timeout or EOF. */
  async nextFrame(ms = 2000): Promise<ClientFrame> {
    const result = await this.#waitUntil<ClientFrame | "eof">(
      () =>
        this.#cursor < this.frames.length
          ? this.frames[this.#cursor]
          : this.#ended
          ? "eof"
          : undefined,
      ms,
      "a frame from the client",
    );
    if (result === "eof") throw new Error("client ended the connection before sending a frame");
    this.#cursor++;
    return result;
  }

  /** The first close frame the client sent (waits for it, bounded). */
  closeFrame(ms = 2000): Promise<ClientFrame> {
    return this.#waitUntil<ClientFrame>(
      () => {
        const found = this.frames.find((f) => f.opcode === Op.Close);
        if (found !== undefined) return found;
        if (this.#ended) throw new Error("client ended TCP without a close frame");
        return undefined;
      },
      ms,
      "a close frame from the client",
    );
  }

  /** Frames the client sent after its first close frame (must be none). */
  framesAfterClose(): ClientFrame[] {
    const index = this.frames.findIndex((f) => f.opcode === Op.Close);
    return index < 0 ? [] : this.frames.slice(index + 1);
  }

  /** Waits (bounded) for the client to end its side of TCP. */
  async clientEnd(ms = 2000): Promise<void> {
    await this.#waitUntil(() => (this.#ended ? true : undefined), ms, "client EOF");
  }

  /**
   * Ends TCP first, as a server must once the close handshake is over (RFC 6455
   * section 7.1.1): a half-close (FIN), then a bounded wait for the client to end
   * its side in answer. A client that ended before our FIN fails this wait too.
   */
  async endFirst(ms = 2000): Promise<void> {
    if (this.#ended) throw new Error("the client ended TCP before the server did");
    await this.conn.closeWrite();
    await this.clientEnd(ms);
  }

  /** Closes the socket and waits for the read loop. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // already closed
      }
    }
    await this.#readLoop;
  }
}

function findHeadEnd(buffer: Uint8Array): number {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
      return i + 4;
    }
  }
  return -1;
}

// ----------------------------------------------------------------- server

/** A listener on 127.0.0.1 (random port) handing out {@linkcode ScriptedPeer}s. */
export class ScriptedServer {
  readonly #listener: Deno.Listener;
  readonly #peers: ScriptedPeer[] = [];
  readonly #waiting: ScriptedPeer[] = [];
  #wake: (() => void) | null = null;
  #acceptLoop: Promise<void>;
  /** The `ws://` URL of this server. */
  readonly url: string;

  private constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = this.#listener.addr as Deno.NetAddr;
    this.url = `ws://127.0.0.1:${port}/`;
    this.#acceptLoop = this.#accept();
  }

  /** Starts listening. */
  static start(): ScriptedServer {
    return new ScriptedServer();
  }

  async #accept(): Promise<void> {
    try {
      while (true) {
        const conn = await this.#listener.accept();
        (conn as Deno.TcpConn).setNoDelay(true);
        const peer = new ScriptedPeer(conn);
        this.#peers.push(peer);
        this.#waiting.push(peer);
        this.#wake?.();
      }
    } catch {
      // listener closed
    }
  }

  /** The next accepted connection (bounded wait). */
  async peer(ms = 2000): Promise<ScriptedPeer> {
    const waitOne = new Promise<void>((resolve) => {
      if (this.#waiting.length > 0) resolve();
      else this.#wake = resolve;
    });
    try {
      await within(waitOne, "a client connection", ms);
    } finally {
      this.#wake = null;
    }
    return this.#waiting.shift()!;
  }

  /** Stops listening, closes every accepted socket and waits for all loops. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#acceptLoop;
    await Promise.all(this.#peers.map((peer) => peer.close()));
  }
}
