/**
 * The opening handshake (RFC 6455 section 4): the client's request and the
 * checks on the server's answer, plus the accept-key derivation both roles use.
 *
 * @module
 */

import { HANDSHAKE_GUID } from "./constants.ts";
import { HandshakeError } from "./errors.ts";
import type { RandomFill } from "./frame_encoder.ts";
import { hasHeaderBreak } from "./http_grammar.ts";
import { headerHasToken, headerValue, type HttpHead } from "./http_head.ts";
import { base64Encode } from "./base64.ts";
import { isShortAscii } from "./short_text.ts";
import {
  acceptDeflateAnswer,
  type DeflateAgreement,
  type DeflateConfig,
} from "./permessage_deflate.ts";

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, Base64-encoded. */
export function generateKey(fill: RandomFill): string {
  const bytes = new Uint8Array(16);
  fill(bytes);
  return base64Encode(bytes);
}

/**
 * The SHA-1 digest of `data` in Base64 (28 characters), from the runtime
 * (`node:crypto`: `hash` on Node and Bun, `createHash` on Deno). Injected, as
 * the CSPRNG is, so the core stays synchronous and free of runtime APIs. The
 * handshake needs the digest only in this form. It must read `data` before it
 * returns: the caller reuses that memory.
 */
export type Sha1Base64 = (data: Uint8Array) => string;

// One encoder for every handshake (an encoder holds no state between calls).
const keyEncoder = new TextEncoder();
const GUID_BYTES = keyEncoder.encode(HANDSHAKE_GUID);

/** `Sec-WebSocket-Accept` for `key`: Base64(SHA-1(key + GUID)). */
export function acceptKey(key: string, sha1Base64: Sha1Base64): string {
  return sha1Base64(keyBytes(key));
}

// Scratch for the 60 bytes of a valid key + GUID: written and hashed within one call (the hash
// reads its input before it returns), so it holds nothing between calls. On Deno every fresh
// Uint8Array, however small, is an off-heap allocation (~0.5 µs).
const KEY_LENGTH = 24;
const KEY_AND_GUID = new Uint8Array(KEY_LENGTH + GUID_BYTES.length);
KEY_AND_GUID.set(GUID_BYTES, KEY_LENGTH);

/** UTF-8 of `key` + GUID; a valid key makes it 60 ASCII bytes, written without an encoder call. */
function keyBytes(key: string): Uint8Array {
  if (key.length !== KEY_LENGTH || !isShortAscii(key)) {
    return keyEncoder.encode(key + HANDSHAKE_GUID);
  }
  for (let i = 0; i < KEY_LENGTH; i++) KEY_AND_GUID[i] = key.charCodeAt(i);
  return KEY_AND_GUID;
}

/** Headers a user may not set: they are the handshake itself. */
export const RESERVED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-accept",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
]);

/** What the client's upgrade request contains. */
export interface ClientRequestParams {
  /** `Host` value: hostname (IPv6 in brackets) and the port when not default. */
  host: string;
  /** Request target: path plus query, starting with `/`. */
  path: string;
  /** The `Sec-WebSocket-Key` from {@linkcode generateKey}. */
  key: string;
  /** Subprotocols to offer, in preference order. */
  protocols?: readonly string[];
  /**
   * Extra headers, names already lower-cased and checked. A `host` entry
   * replaces the computed Host value.
   */
  headers?: readonly [string, string][];
  /** A `Sec-WebSocket-Extensions` offer (see `buildDeflateOffer`). */
  extensions?: string;
}

/**
 * Builds the upgrade request text. Throws `TypeError` if any header name or
 * value can break the request (CR, LF, NUL) — callers check user input first
 * and report it with their own error code.
 */
export function buildClientRequest(params: ClientRequestParams): string {
  let host = params.host;
  const extra: string[] = [];
  for (const [name, value] of params.headers ?? []) {
    if (hasHeaderBreak(name) || hasHeaderBreak(value)) {
      throw new TypeError(`header ${JSON.stringify(name)} holds CR, LF or NUL`);
    }
    if (name === "host") host = value;
    else extra.push(`${name}: ${value}\r\n`);
  }
  let text = `GET ${params.path} HTTP/1.1\r\n` +
    `host: ${host}\r\n` +
    "upgrade: websocket\r\n" +
    "connection: Upgrade\r\n" +
    `sec-websocket-key: ${params.key}\r\n` +
    "sec-websocket-version: 13\r\n";
  if (params.protocols !== undefined && params.protocols.length > 0) {
    text += `sec-websocket-protocol: ${params.protocols.join(", ")}\r\n`;
  }
  if (params.extensions !== undefined) text += `sec-websocket-extensions: ${params.extensions}\r\n`;
  return text + extra.join("") + "\r\n";
}

/** What a valid handshake response told us. */
export interface HandshakeResult {
  /** HTTP status, always 101 for an accepted handshake. */
  status: number;
  /** The reason phrase of the status line, e.g. `Switching Protocols`. */
  message: string;
  /** The subprotocol the server picked, or `""`. */
  protocol: string;
  /** permessage-deflate as the server accepted it, when it did. */
  deflate?: DeflateAgreement;
}

/** Parses `HTTP/1.1 101 Switching Protocols` into its parts. */
export function parseStatusLine(line: string): { status: number; message: string } | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(line);
  if (match === null) return undefined;
  return { status: Number(match[1]), message: match[2] ?? "" };
}

/**
 * Checks the server's answer against RFC 6455 section 4.1: status 101,
 * `Upgrade: websocket`, `Connection: upgrade` (as a token), the accept key,
 * a subprotocol only if one was offered and it is one of ours, no extension
 * but the permessage-deflate we offered (`deflate`), with acceptable
 * parameters (RFC 7692). Throws {@linkcode HandshakeError} on the first problem.
 */
export function validateServerResponse(
  head: HttpHead,
  key: string,
  sha1Base64: Sha1Base64,
  offeredProtocols: readonly string[] = [],
  deflate?: DeflateConfig,
): HandshakeResult {
  const statusLine = parseStatusLine(head.startLine);
  if (statusLine === undefined) {
    throw new HandshakeError(
      `malformed status line ${JSON.stringify(head.startLine.slice(0, 80))}`,
    );
  }
  const { status, message } = statusLine;
  if (status !== 101) {
    throw new HandshakeError(`server answered ${status} ${message} instead of 101`, status);
  }
  const headers = head.headers;
  if (!headerHasToken(headerValue(headers, "upgrade"), "websocket")) {
    throw new HandshakeError("response lacks `Upgrade: websocket`", status);
  }
  if (!headerHasToken(headerValue(headers, "connection"), "upgrade")) {
    throw new HandshakeError("response lacks `Connection: upgrade`", status);
  }
  const accept = headerValue(headers, "sec-websocket-accept");
  if (accept !== acceptKey(key, sha1Base64)) {
    throw new HandshakeError("Sec-WebSocket-Accept does not match the key we sent", status);
  }
  const extensions = headerValue(headers, "sec-websocket-extensions");
  if (deflate === undefined && extensions !== undefined && extensions.trim() !== "") {
    throw new HandshakeError(`server chose extension ${extensions} that we did not offer`, status);
  }
  const agreement = acceptDeflateAnswer(extensions, deflate);
  const chosen = headerValue(headers, "sec-websocket-protocol");
  let protocol = "";
  if (chosen !== undefined) {
    if (chosen.includes(",") || !offeredProtocols.includes(chosen)) {
      throw new HandshakeError(`server chose subprotocol ${chosen} that we did not offer`, status);
    }
    protocol = chosen;
  }
  return agreement === undefined
    ? { status, message, protocol }
    : { status, message, protocol, deflate: agreement };
}
