/**
 * Extension (not on the platform): the upgrade gate. After a request passed
 * the RFC 6455 checks, it applies the Origin allow-list and the user's gate
 * function and turns their verdict into the text to answer with: header
 * lines for the 101, or a whole refusal. Built once per server run, and only
 * when `extAllowedOrigins` or `extUpgradeGate` is set, so a server without
 * them does no work and holds nothing for it.
 *
 * @module
 */

import {
  hasHeaderBreak,
  headerMap,
  type HttpHead,
  isToken,
  replaceHeaderBreaks,
  type UpgradeRequest,
  utf8Length,
} from "../protocol/mod.ts";
import { parameterError } from "../ohos/errors.ts";
import type {
  UpgradeGate as GateFunction,
  UpgradeHeaders,
  UpgradeRequestInfo,
  UpgradeVerdict,
  WebSocketConnection,
} from "./types.ts";

/** What the server does with an upgrade the gate has decided. */
export type GateOutcome =
  | {
    accept: true;
    /** `undefined`: the `protocol` config's choice; `null`: none. */
    protocol: string | null | undefined;
    /** Extra header lines for the 101, each ending in CRLF. */
    headerLines: string;
  }
  | {
    accept: false;
    /** The whole HTTP refusal. */
    response: string;
    /** Set when the gate itself failed: the server reports it as an `error` event. */
    failure?: string;
  };

/** Headers the gate may not set: they belong to the handshake or to the framing of the answer. */
const RESERVED = new Set([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "sec-websocket-version",
  "content-length",
  "transfer-encoding",
]);

const PHRASES: Record<number, string> = {
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * The serialized form of an origin (`scheme://host[:port]`, lower case, no
 * default port), or `undefined` when `text` is not one (`null`, a path, …).
 */
export function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.origin === "null") return undefined;
  return url.origin === text.toLowerCase().replace(/\/$/, "") ? url.origin : undefined;
}

/** Checks `extAllowedOrigins`; a 401 for an entry that is not an origin. */
export function parseAllowedOrigins(value: unknown): Set<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw parameterError("extAllowedOrigins must be an array of origins");
  const origins = new Set<string>();
  for (const entry of value) {
    const origin = typeof entry === "string" ? normalizeOrigin(entry) : undefined;
    if (origin === undefined) {
      throw parameterError(
        `extAllowedOrigins: ${JSON.stringify(entry)} is not an origin like "https://host:port"`,
      );
    }
    origins.add(origin);
  }
  return origins;
}

/** Checks `extUpgradeGate`: a function or nothing. */
export function parseGateFunction(value: unknown): GateFunction | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "function") throw parameterError("extUpgradeGate must be a function");
  return value as GateFunction;
}

/** The cookies of every `Cookie` header, first occurrence of a name winning. */
function cookiesOf(headers: [string, string][]): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null);
  for (const [name, value] of headers) {
    if (name !== "cookie") continue;
    for (const pair of value.split(";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const key = pair.slice(0, eq).trim();
      if (key !== "" && !(key in cookies)) cookies[key] = pair.slice(eq + 1).trim();
    }
  }
  return cookies;
}

/** Header lines from the gate's `headers`; throws (a gate failure) for a bad or reserved one. */
function headerLines(headers: UpgradeHeaders | undefined): string {
  if (headers === undefined) return "";
  if (typeof headers !== "object" || headers === null) throw new Error("headers must be an object");
  let text = "";
  for (const name of Object.keys(headers)) {
    if (!isToken(name)) throw new Error(`header name ${JSON.stringify(name)} is not a token`);
    if (RESERVED.has(name.toLowerCase())) throw new Error(`header ${name} cannot be set`);
    const raw = headers[name];
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (typeof value !== "string" || hasHeaderBreak(value)) {
        throw new Error(`header ${name} needs string values without CR, LF or NUL`);
      }
      text += `${name}: ${value}\r\n`;
    }
  }
  return text;
}

/** A complete refusal with `status`, the gate's headers and a plain-text body. */
function refusal(status: number, headers: UpgradeHeaders | undefined, body?: string): string {
  const phrase = PHRASES[status] ?? (status < 400 ? "Redirect" : "Refused");
  const text = body ?? `${status} ${phrase}\n`;
  const lines = headerLines(headers);
  const typed = /^content-type:/im.test(lines);
  return `HTTP/1.1 ${status} ${phrase}\r\n` + lines +
    (typed ? "" : "Content-Type: text/plain; charset=utf-8\r\n") +
    `Content-Length: ${utf8Length(text)}\r\nConnection: close\r\n\r\n` + text;
}

/** The gate of one server run: the Origin allow-list and the user's function. */
export class UpgradeGate {
  readonly #origins: Set<string> | undefined;
  readonly #decide: GateFunction | undefined;

  /** @param origins allowed origins (normalized); @param decide the user's gate */
  constructor(origins: Set<string> | undefined, decide: GateFunction | undefined) {
    this.#origins = origins;
    this.#decide = decide;
  }

  /**
   * Decides one upgrade: at once when the allow-list refuses it or there is
   * no gate function (or the function answers synchronously), else later.
   * Never throws or rejects: a failing gate becomes a 500 outcome.
   */
  decide(
    head: HttpHead,
    request: UpgradeRequest,
    connection: WebSocketConnection,
  ): GateOutcome | Promise<GateOutcome> {
    const headers = headerMap(head.headers);
    const origin = typeof headers.origin === "string" ? headers.origin : undefined;
    if (this.#origins !== undefined && headers.origin !== undefined) {
      const normalized = origin === undefined ? undefined : normalizeOrigin(origin);
      if (normalized === undefined || !this.#origins.has(normalized)) {
        return {
          accept: false,
          response: refusal(
            403,
            undefined,
            `403 Forbidden: origin ${
              JSON.stringify(replaceHeaderBreaks(String(headers.origin)))
            } is not allowed\n`,
          ),
        };
      }
    }
    if (this.#decide === undefined) return { accept: true, protocol: undefined, headerLines: "" };
    const query = request.path.indexOf("?");
    const info: UpgradeRequestInfo = {
      target: request.path,
      pathname: query < 0 ? request.path : request.path.slice(0, query),
      query: new URLSearchParams(query < 0 ? "" : request.path.slice(query + 1)),
      headers,
      cookies: cookiesOf(head.headers),
      origin,
      protocols: request.protocols,
      connection,
    };
    let verdict: UpgradeVerdict | Promise<UpgradeVerdict>;
    try {
      verdict = this.#decide(info);
    } catch (error) {
      return failed(error);
    }
    if (verdict instanceof Promise || isThenable(verdict)) {
      return Promise.resolve(verdict).then((v) => outcomeOf(v, request.protocols), failed);
    }
    return outcomeOf(verdict, request.protocols);
  }
}

function isThenable(value: unknown): value is PromiseLike<UpgradeVerdict> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/** The outcome of a gate that threw or rejected. */
function failed(error: unknown): GateOutcome {
  return {
    accept: false,
    response: refusal(500, undefined),
    failure: error instanceof Error ? error.message : String(error),
  };
}

/** Checks the gate's verdict and turns it into an outcome. */
function outcomeOf(verdict: unknown, offered: readonly string[]): GateOutcome {
  try {
    if (verdict === true) return { accept: true, protocol: undefined, headerLines: "" };
    if (verdict === false) return { accept: false, response: refusal(403, undefined) };
    if (typeof verdict !== "object" || verdict === null) {
      throw new Error("the verdict must be a boolean or { accept, … }");
    }
    const v = verdict as Record<string, unknown>;
    if (v.accept === true) {
      const protocol = v.protocol;
      if (protocol !== undefined && protocol !== null && !offered.includes(protocol as string)) {
        throw new Error(`subprotocol ${JSON.stringify(protocol)} was not offered by the client`);
      }
      return {
        accept: true,
        protocol: protocol as string | null | undefined,
        headerLines: headerLines(v.headers as UpgradeHeaders | undefined),
      };
    }
    if (v.accept === false) {
      const status = v.status ?? 403;
      if (typeof status !== "number" || !Number.isInteger(status) || status < 300 || status > 599) {
        throw new Error(`refusal status ${String(status)} is not an integer from 300 to 599`);
      }
      if (v.body !== undefined && typeof v.body !== "string") {
        throw new Error("body must be a string");
      }
      return {
        accept: false,
        response: refusal(status, v.headers as UpgradeHeaders | undefined, v.body),
      };
    }
    throw new Error("the verdict needs accept: true or accept: false");
  } catch (error) {
    return failed(`invalid verdict: ${error instanceof Error ? error.message : String(error)}`);
  }
}
