/**
 * permessage-deflate (RFC 7692) without I/O: the `Sec-WebSocket-Extensions`
 * grammar, the client's offer and its check of the answer, the server's
 * choice among offers, the parameters each end compresses and inflates with,
 * the RSV1 rules and the `00 00 ff ff` tail. The zlib work itself is
 * injected ({@linkcode DeflateEngine}), as the CSPRNG and SHA-1 are.
 *
 * @module
 */

import { CloseCode, Opcode } from "./constants.ts";
import { HandshakeError, ProtocolError } from "./errors.ts";
import { isToken } from "./http_grammar.ts";

/** The extension's registered name. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** The RSV bit a compressed message sets on its first frame (RSV1). */
export const RSV1 = 0x4;

/**
 * What a `Z_SYNC_FLUSH` leaves at the end of every compressed message. The
 * sender removes it (RFC 7692 section 7.2.1), the receiver appends it back
 * before inflating (section 7.2.2).
 */
export const DEFLATE_TAIL: Uint8Array = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

/** The four parameters of RFC 7692 section 7.1, as one end configures them. */
export interface DeflateOptions {
  /** Client: ask the server to reset its context per message. Server: always do so. */
  server_no_context_takeover?: boolean;
  /** Client: promise to reset ours per message. Server: ask every client to. */
  client_no_context_takeover?: boolean;
  /** Client: ask the server to use at most this LZ77 window (8–15). Server: use at most this. */
  server_max_window_bits?: number;
  /**
   * Client: `true` (or absent) offers the parameter without a value (the
   * server may pick our window); a number also caps it. Server: the window
   * a client that offered the parameter is told to use at most.
   */
  client_max_window_bits?: number | boolean;
  /** Messages shorter than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
}

/** Default {@linkcode DeflateOptions.threshold}: like `ws`, 1 KiB. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/** The parameters agreed in one handshake (RFC 7692 section 7.1). */
export interface DeflateAgreement {
  /** The server resets its compression context after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compression context after each message. */
  clientNoContextTakeover: boolean;
  /** The server's LZ77 window, 8–15 (15 when not negotiated). */
  serverMaxWindowBits: number;
  /** The client's LZ77 window, 8–15 (15 when not negotiated). */
  clientMaxWindowBits: number;
}

/** What one end does with an agreement: its compressor's and its inflater's settings. */
export interface DeflateDirections {
  /** Window our compressor may use (8–15). */
  deflateWindowBits: number;
  /** Our compressor starts afresh for each message. */
  deflateNoContextTakeover: boolean;
  /** Window the peer compresses with, which our inflater must accept. */
  inflateWindowBits: number;
  /** The peer starts afresh for each message, so our inflater may too. */
  inflateNoContextTakeover: boolean;
}

/** One extension of a `Sec-WebSocket-Extensions` list: its name and parameters, in order. */
export interface ExtensionElement {
  /** Extension token, lower-cased. */
  name: string;
  /** Parameters in order; `true` for a parameter without a value. */
  params: [name: string, value: string | true][];
}

/** The settings of one end, checked (see {@linkcode parseDeflateOptions}). */
export interface DeflateConfig extends Required<Omit<DeflateOptions, "client_max_window_bits">> {
  /** `true`: offered without a value; a number: capped. */
  client_max_window_bits: number | true;
}

const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;

function isWindowBits(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= MIN_WINDOW_BITS &&
    value <= MAX_WINDOW_BITS;
}

/**
 * Checks a `perMessageDeflate` option (`true`, or an object of
 * {@linkcode DeflateOptions}); returns undefined for `false`/`undefined`
 * (off) and throws `TypeError` naming the bad field.
 */
export function parseDeflateOptions(value: unknown): DeflateConfig | undefined {
  if (value === undefined || value === false) return undefined;
  const options: Record<string, unknown> = value === true ? {} : value as Record<string, unknown>;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError("perMessageDeflate must be a boolean or an object");
  }
  const flag = (name: string): boolean => {
    const v = options[name];
    if (v !== undefined && typeof v !== "boolean") {
      throw new TypeError(`perMessageDeflate.${name} must be a boolean`);
    }
    return v === true;
  };
  const serverBits = options.server_max_window_bits;
  if (serverBits !== undefined && !isWindowBits(serverBits)) {
    throw new TypeError("perMessageDeflate.server_max_window_bits must be an integer from 8 to 15");
  }
  const clientBits = options.client_max_window_bits;
  if (clientBits !== undefined && clientBits !== true && !isWindowBits(clientBits)) {
    throw new TypeError(
      "perMessageDeflate.client_max_window_bits must be true or an integer from 8 to 15",
    );
  }
  const threshold = options.threshold ?? DEFAULT_DEFLATE_THRESHOLD;
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0) {
    throw new TypeError("perMessageDeflate.threshold must be an integer >= 0");
  }
  return {
    server_no_context_takeover: flag("server_no_context_takeover"),
    client_no_context_takeover: flag("client_no_context_takeover"),
    server_max_window_bits: serverBits ?? MAX_WINDOW_BITS,
    client_max_window_bits: clientBits === undefined ? true : clientBits as number | true,
    threshold,
  };
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 section 9.1: a list of
 * `token *( ";" token [ "=" ( token / quoted-string ) ] )`). Returns
 * undefined when it does not follow that grammar.
 *
 * @example
 * ```ts
 * import { parseExtensions } from "./permessage_deflate.ts";
 * parseExtensions("permessage-deflate; client_max_window_bits, x-foo");
 * // [{ name: "permessage-deflate", params: [["client_max_window_bits", true]] },
 * //  { name: "x-foo", params: [] }]
 * ```
 */
export function parseExtensions(value: string): ExtensionElement[] | undefined {
  const out: ExtensionElement[] = [];
  let at = 0;
  const n = value.length;
  const skipSpace = () => {
    while (at < n && (value[at] === " " || value[at] === "\t")) at++;
  };
  const token = (): string | undefined => {
    const start = at;
    while (at < n && isToken(value[at])) at++;
    return at > start ? value.slice(start, at) : undefined;
  };
  // Bounded: every pass consumes at least one character or returns.
  while (at < n) {
    skipSpace();
    if (at < n && value[at] === ",") {
      at++; // empty list elements are allowed (RFC 7230 section 7)
      continue;
    }
    if (at >= n) break;
    const name = token();
    if (name === undefined) return undefined;
    const element: ExtensionElement = { name: name.toLowerCase(), params: [] };
    skipSpace();
    while (at < n && value[at] === ";") {
      at++;
      skipSpace();
      const param = token();
      if (param === undefined) return undefined;
      skipSpace();
      let paramValue: string | true = true;
      if (at < n && value[at] === "=") {
        at++;
        skipSpace();
        if (value[at] === '"') {
          at++;
          let text = "";
          while (at < n && value[at] !== '"') {
            if (value[at] === "\\") at++;
            if (at < n) text += value[at++];
          }
          if (at >= n) return undefined;
          at++;
          // RFC 6455 section 9.1: a quoted value must itself be a token.
          if (!isToken(text)) return undefined;
          paramValue = text;
        } else {
          const v = token();
          if (v === undefined) return undefined;
          paramValue = v;
        }
        skipSpace();
      }
      element.params.push([param.toLowerCase(), paramValue]);
    }
    out.push(element);
    if (at < n) {
      if (value[at] !== ",") return undefined;
      at++;
    }
  }
  return out;
}

/**
 * The client's offer for `config`: `permessage-deflate` with the parameters
 * it asks for, always with `client_max_window_bits` (we can compress with
 * any window the server names).
 */
export function buildDeflateOffer(config: DeflateConfig): string {
  let offer = PERMESSAGE_DEFLATE;
  if (config.server_no_context_takeover) offer += "; server_no_context_takeover";
  if (config.client_no_context_takeover) offer += "; client_no_context_takeover";
  if (config.server_max_window_bits !== MAX_WINDOW_BITS) {
    offer += `; server_max_window_bits=${config.server_max_window_bits}`;
  }
  offer += config.client_max_window_bits === true
    ? "; client_max_window_bits"
    : `; client_max_window_bits=${config.client_max_window_bits}`;
  return offer;
}

/** Parameters of one offer or answer, each at most once; undefined on a duplicate or unknown one. */
function readParams(
  params: ExtensionElement["params"],
): Map<string, string | true> | undefined {
  const seen = new Map<string, string | true>();
  for (const [name, value] of params) {
    if (seen.has(name)) return undefined;
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== true) return undefined;
        break;
      case "server_max_window_bits":
        if (value === true || !isWindowBitsText(value)) return undefined;
        break;
      case "client_max_window_bits":
        if (value !== true && !isWindowBitsText(value)) return undefined;
        break;
      default:
        return undefined;
    }
    seen.set(name, value);
  }
  return seen;
}

/** "8" … "15", without leading zeros or signs (RFC 7692 section 7.1.2.1). */
function isWindowBitsText(text: string): boolean {
  return /^(?:[89]|1[0-5])$/.test(text);
}

/**
 * Checks the server's `Sec-WebSocket-Extensions` answer against our offer
 * (RFC 7692 sections 5 and 7.1): at most one extension, permessage-deflate,
 * each parameter known, once, in range, and consistent with what we asked
 * for. Returns undefined when the server accepted no extension; throws
 * {@linkcode HandshakeError} (the connection then fails) otherwise.
 */
export function acceptDeflateAnswer(
  header: string | undefined,
  config: DeflateConfig | undefined,
): DeflateAgreement | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const fail = (why: string): never => {
    throw new HandshakeError(`server chose extension ${header}: ${why}`, 101);
  };
  if (config === undefined) fail("we offered no extension");
  const elements = parseExtensions(header);
  if (elements === undefined) fail("not a valid extension list");
  if (elements!.length !== 1) fail("more than one extension (we offered one)");
  const [element] = elements!;
  if (element.name !== PERMESSAGE_DEFLATE) fail("we did not offer it");
  const params = readParams(element.params);
  if (params === undefined) fail("unknown, repeated or out-of-range parameter");
  const serverBits = params!.get("server_max_window_bits");
  const clientBits = params!.get("client_max_window_bits");
  const cfg = config!;
  if (clientBits === true) fail("client_max_window_bits needs a value in an answer");
  if (
    clientBits !== undefined && cfg.client_max_window_bits !== true &&
    Number(clientBits) > cfg.client_max_window_bits
  ) {
    fail(`client_max_window_bits above the ${cfg.client_max_window_bits} we offered`);
  }
  if (cfg.server_no_context_takeover && !params!.has("server_no_context_takeover")) {
    fail("server_no_context_takeover, which we asked for, is missing");
  }
  if (cfg.server_max_window_bits !== MAX_WINDOW_BITS) {
    if (serverBits === undefined) fail("server_max_window_bits, which we asked for, is missing");
    if (Number(serverBits) > cfg.server_max_window_bits) {
      fail(`server_max_window_bits above the ${cfg.server_max_window_bits} we asked for`);
    }
  }
  return {
    serverNoContextTakeover: params!.has("server_no_context_takeover"),
    clientNoContextTakeover: cfg.client_no_context_takeover ||
      params!.has("client_no_context_takeover"),
    serverMaxWindowBits: serverBits === undefined ? MAX_WINDOW_BITS : Number(serverBits),
    clientMaxWindowBits: clientBits === undefined
      ? (cfg.client_max_window_bits === true ? MAX_WINDOW_BITS : cfg.client_max_window_bits)
      : Number(clientBits),
  };
}

/**
 * The server's choice (RFC 7692 section 5): the first permessage-deflate
 * offer in `header` it can honour under `config`, with the answer to send.
 * Offers with unknown, repeated or invalid parameters are skipped, as are
 * other extensions. Undefined when no offer is acceptable (the handshake
 * then goes on without the extension).
 *
 * @example
 * ```ts
 * import { parseDeflateOptions, selectDeflateOffer } from "./permessage_deflate.ts";
 * const choice = selectDeflateOffer(
 *   "permessage-deflate; client_max_window_bits",
 *   parseDeflateOptions(true)!,
 * );
 * // choice.answer === "permessage-deflate"
 * ```
 */
export function selectDeflateOffer(
  header: string | undefined,
  config: DeflateConfig,
): { agreement: DeflateAgreement; answer: string } | undefined {
  if (header === undefined) return undefined;
  const elements = parseExtensions(header);
  if (elements === undefined) return undefined;
  for (const element of elements) {
    if (element.name !== PERMESSAGE_DEFLATE) continue;
    const params = readParams(element.params);
    if (params === undefined) continue;
    const asked = params.get("server_max_window_bits");
    let serverBits = config.server_max_window_bits;
    if (asked !== undefined) serverBits = Math.min(serverBits, Number(asked));
    const clientOffered = params.get("client_max_window_bits");
    let clientBits = MAX_WINDOW_BITS;
    const limit = config.client_max_window_bits;
    if (clientOffered !== undefined) {
      if (clientOffered !== true) clientBits = Number(clientOffered);
      if (limit !== true) clientBits = Math.min(clientBits, limit);
    } else if (limit !== true && limit !== MAX_WINDOW_BITS) {
      // We would need the client to limit its window and it cannot be told to.
      continue;
    }
    const agreement: DeflateAgreement = {
      serverNoContextTakeover: config.server_no_context_takeover ||
        params.has("server_no_context_takeover"),
      clientNoContextTakeover: config.client_no_context_takeover ||
        params.has("client_no_context_takeover"),
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    };
    let answer = PERMESSAGE_DEFLATE;
    if (agreement.serverNoContextTakeover) answer += "; server_no_context_takeover";
    if (agreement.clientNoContextTakeover) answer += "; client_no_context_takeover";
    if (asked !== undefined || serverBits !== MAX_WINDOW_BITS) {
      answer += `; server_max_window_bits=${serverBits}`;
    }
    if (clientOffered !== undefined && (clientOffered !== true || clientBits !== MAX_WINDOW_BITS)) {
      answer += `; client_max_window_bits=${clientBits}`;
    }
    return { agreement, answer };
  }
  return undefined;
}

/** How `role` compresses and inflates under `agreement`. */
export function deflateDirections(
  agreement: DeflateAgreement,
  role: "client" | "server",
): DeflateDirections {
  const client = role === "client";
  return {
    deflateWindowBits: client ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits,
    deflateNoContextTakeover: client
      ? agreement.clientNoContextTakeover
      : agreement.serverNoContextTakeover,
    inflateWindowBits: client ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits,
    inflateNoContextTakeover: client
      ? agreement.serverNoContextTakeover
      : agreement.clientNoContextTakeover,
  };
}

/**
 * The RSV1 rule of RFC 7692 section 6 for a data frame's header once the
 * extension is in use: RSV1 marks the first frame of a compressed message
 * and may not be set on a continuation frame (control frames are checked
 * by the connection). Returns whether a new message is compressed.
 */
export function compressedFrameStart(opcode: number, rsv: number): boolean {
  if ((rsv & RSV1) === 0) return false;
  if (opcode === Opcode.Continuation) {
    throw new ProtocolError(CloseCode.ProtocolError, "RSV1 set on a continuation frame");
  }
  return true;
}

/** The RSV rule for control frames: never compressed (RFC 7692 section 6.1). */
export function checkControlRsv(rsv: number): void {
  if (rsv !== 0) {
    throw new ProtocolError(CloseCode.ProtocolError, `reserved bits ${rsv} set on a control frame`);
  }
}

/**
 * A compressor's output without the trailing `00 00 ff ff` (RFC 7692
 * section 7.2.1). Output that does not end with it is returned as is.
 */
export function removeDeflateTail(output: Uint8Array): Uint8Array {
  const n = output.length;
  if (
    n >= 4 && output[n - 4] === 0x00 && output[n - 3] === 0x00 && output[n - 2] === 0xff &&
    output[n - 1] === 0xff
  ) {
    return output.subarray(0, n - 4);
  }
  return output;
}
