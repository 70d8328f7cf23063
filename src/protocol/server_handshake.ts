/**
 * The server side of the opening handshake (RFC 6455 section 4.2): checking a
 * client's upgrade request, choosing a subprotocol, and the text of every
 * answer the server may give (101, 400, 426, 503). Pure: it reads a parsed
 * {@linkcode HttpHead} and returns strings to write.
 *
 * @module
 */

import { utf8Length } from "./close.ts";
import { acceptKey, type Sha1Base64 } from "./handshake.ts";
import { isToken, replaceHeaderBreaks } from "./http_grammar.ts";
import { headerHasToken, headerValue, type HttpHead } from "./http_head.ts";
import { isBase64Of16Bytes } from "./base64.ts";

/** The only protocol version this library speaks (RFC 6455). */
export const WEBSOCKET_VERSION = "13";

// Method, request target and version of an HTTP request line.
const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/(\d)\.(\d)$/;

function refuse(status: RefusalStatus, reason: string): UpgradeCheck {
  return { ok: false, status, reason };
}

/** What a valid upgrade request asked for. */
export interface UpgradeRequest {
  /** Request target (path and query), as sent. */
  path: string;
  /** The client's `Sec-WebSocket-Key`, needed for the accept value. */
  key: string;
  /** Subprotocols the client offered, in its order of preference. */
  protocols: string[];
  /** The client's `Sec-WebSocket-Extensions` offers, as sent (undefined: none). */
  extensions?: string;
}

/** Statuses with which a server may refuse a handshake. */
export type RefusalStatus = 400 | 426 | 503;

/** The outcome of {@linkcode checkUpgradeRequest}. */
export type UpgradeCheck =
  | { ok: true; request: UpgradeRequest }
  | { ok: false; status: RefusalStatus; reason: string };

/**
 * Checks a client's opening handshake against RFC 6455 section 4.2.1:
 * `GET` with HTTP/1.1 or later, a `Host`, `Upgrade: websocket`, `Connection`
 * holding the `upgrade` token, and a `Sec-WebSocket-Key` that is the Base64
 * form of 16 bytes. A missing or different `Sec-WebSocket-Version` asks for
 * 426 (the answer then names the version we speak); everything else wrong
 * asks for 400. The first problem found is reported.
 *
 * @example
 * ```ts
 * import { checkUpgradeRequest } from "./server_handshake.ts";
 * const check = checkUpgradeRequest({
 *   startLine: "GET /chat HTTP/1.1",
 *   headers: [
 *     ["host", "127.0.0.1:8080"],
 *     ["upgrade", "websocket"],
 *     ["connection", "Upgrade"],
 *     ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
 *     ["sec-websocket-version", "13"],
 *   ],
 * });
 * // check.ok === true, check.request.path === "/chat"
 * ```
 */
export function checkUpgradeRequest(head: HttpHead): UpgradeCheck {
  const match = REQUEST_LINE.exec(head.startLine);
  if (match === null) {
    return refuse(400, `malformed request line ${JSON.stringify(head.startLine.slice(0, 80))}`);
  }
  // Indexed, not destructured: this runs once per connection, and a pattern walks an iterator.
  const method = match[1], path = match[2], major = match[3], minor = match[4];
  if (method !== "GET") return refuse(400, `a WebSocket handshake uses GET, not ${method}`);
  if (Number(major) < 1 || (Number(major) === 1 && Number(minor) < 1)) {
    return refuse(400, `a WebSocket handshake needs HTTP/1.1 or later, not ${major}.${minor}`);
  }
  const headers = head.headers;
  if (headerValue(headers, "host") === undefined) return refuse(400, "missing Host header");
  if (!headerHasToken(headerValue(headers, "upgrade"), "websocket")) {
    return refuse(400, "missing `Upgrade: websocket` header");
  }
  if (!headerHasToken(headerValue(headers, "connection"), "upgrade")) {
    return refuse(400, "the Connection header does not hold `upgrade`");
  }
  // A repeated header is joined with ", " by headerValue, so it can't pass as one key.
  const key = headerValue(headers, "sec-websocket-key");
  if (key === undefined) return refuse(400, "missing Sec-WebSocket-Key header");
  if (!isBase64Of16Bytes(key)) {
    return refuse(400, "Sec-WebSocket-Key is not the Base64 form of 16 bytes");
  }
  const version = headerValue(headers, "sec-websocket-version");
  if (version !== WEBSOCKET_VERSION) {
    return refuse(
      426,
      version === undefined
        ? "missing Sec-WebSocket-Version header; this server speaks version 13"
        : `unsupported Sec-WebSocket-Version ${version}; this server speaks version 13`,
    );
  }
  const offered = headerValue(headers, "sec-websocket-protocol");
  const protocols = offered === undefined
    ? []
    : offered.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const badProtocol = protocols.find((p) => !isToken(p));
  if (badProtocol !== undefined) {
    return refuse(400, `subprotocol ${JSON.stringify(badProtocol)} is not an HTTP token`);
  }
  const extensions = headerValue(headers, "sec-websocket-extensions");
  return {
    ok: true,
    request: extensions === undefined
      ? { path, key, protocols }
      : { path, key, protocols, extensions },
  };
}

/**
 * Picks the subprotocol to answer with: the client's most preferred one that
 * the server supports, or `undefined` when none matches (the handshake then
 * goes on without `Sec-WebSocket-Protocol`, as RFC 6455 section 4.2.2 allows;
 * the client decides whether that is acceptable). Names match exactly.
 *
 * @example
 * ```ts
 * import { selectSubprotocol } from "./server_handshake.ts";
 * selectSubprotocol(["chat.v2", "chat"], ["chat"]); // "chat"
 * ```
 */
export function selectSubprotocol(
  offered: readonly string[],
  supported: readonly string[],
): string | undefined {
  return offered.find((protocol) => supported.includes(protocol));
}

// Every 101 answer up to the accept key's value.
const ACCEPT_HEAD = "HTTP/1.1 101 Switching Protocols\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: ";

/**
 * The `101 Switching Protocols` answer for a request that passed
 * {@linkcode checkUpgradeRequest}, with the chosen subprotocol if any.
 * `extensions` is the accepted extension's answer (see `selectDeflateOffer`).
 *
 * @example
 * ```ts
 * import { createHash } from "node:crypto";
 * import { buildAcceptResponse } from "./server_handshake.ts";
 * const sha1Base64 = (data: Uint8Array) => createHash("sha1").update(data).digest("base64");
 * const text = buildAcceptResponse({ key: "dGhlIHNhbXBsZSBub25jZQ==" }, sha1Base64);
 * // text contains "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export function buildAcceptResponse(
  params: { key: string; protocol?: string; extensions?: string },
  sha1Base64: Sha1Base64,
): string {
  let text = `${ACCEPT_HEAD}${acceptKey(params.key, sha1Base64)}\r\n`;
  if (params.protocol !== undefined) text += `Sec-WebSocket-Protocol: ${params.protocol}\r\n`;
  if (params.extensions !== undefined) {
    text += `Sec-WebSocket-Extensions: ${params.extensions}\r\n`;
  }
  return text + "\r\n";
}

const PLAIN_ACCEPT_HEAD = new TextEncoder().encode(ACCEPT_HEAD);
// The accept key is the Base64 of a 20-byte digest.
const ACCEPT_KEY_LENGTH = 28;
// The head, the key, then CRLF and the blank line.
const PLAIN_ACCEPT_LENGTH = PLAIN_ACCEPT_HEAD.length + ACCEPT_KEY_LENGTH + 4;

/**
 * The bytes of `buildAcceptResponse({ key }, sha1Base64)`: an answer with no
 * subprotocol and no extension (most are), written straight into a buffer
 * from `allocate` (default: a fresh `Uint8Array`) without building the text
 * and encoding it.
 */
export function encodePlainAcceptResponse(
  key: string,
  sha1Base64: Sha1Base64,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array {
  const accept = acceptKey(key, sha1Base64);
  const bytes = allocate(PLAIN_ACCEPT_LENGTH);
  bytes.set(PLAIN_ACCEPT_HEAD);
  let at = PLAIN_ACCEPT_HEAD.length;
  for (let i = 0; i < ACCEPT_KEY_LENGTH; i++) bytes[at++] = accept.charCodeAt(i);
  bytes[at] = 13;
  bytes[at + 1] = 10;
  bytes[at + 2] = 13;
  bytes[at + 3] = 10;
  return bytes;
}

const STATUS_TEXT: Record<RefusalStatus, string> = {
  400: "Bad Request",
  426: "Upgrade Required",
  503: "Service Unavailable",
};

/**
 * A complete refusal: status line, a plain-text body stating `reason`, and
 * `Connection: close`. A 426 also carries `Sec-WebSocket-Version: 13` and
 * `Upgrade: websocket` so the client learns what this server speaks.
 * CR and LF in `reason` are replaced, so it can't add header lines.
 *
 * @example
 * ```ts
 * import { buildRefusalResponse } from "./server_handshake.ts";
 * const text = buildRefusalResponse(503, "too many connections");
 * // text starts with "HTTP/1.1 503 Service Unavailable\r\n"
 * ```
 */
export function buildRefusalResponse(status: RefusalStatus, reason: string): string {
  const body = `${status} ${STATUS_TEXT[status]}: ${replaceHeaderBreaks(reason)}\n`;
  let text = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
    "Content-Type: text/plain; charset=utf-8\r\n" +
    `Content-Length: ${utf8Length(body)}\r\n` +
    "Connection: close\r\n";
  if (status === 426) {
    text += `Upgrade: websocket\r\nSec-WebSocket-Version: ${WEBSOCKET_VERSION}\r\n`;
  }
  return text + "\r\n" + body;
}
