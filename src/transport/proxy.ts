/**
 * HTTP `CONNECT` proxy helpers: choosing the proxy for a host (explicit,
 * or from the usual environment variables), the exclusion list, and the
 * tunnel request/answer. Pure functions; the transports do the I/O.
 *
 * @module
 */

import { base64Encode, type HttpHead, HttpHeadReader, parseStatusLine } from "../protocol/mod.ts";

/** A proxy to tunnel through. */
export interface ProxyEndpoint {
  /** Proxy host name or IP literal (IPv6 without brackets). */
  hostname: string;
  /** Proxy port. */
  port: number;
  /** `user:password` for Basic authorization, when given. */
  credentials?: string;
}

/**
 * True when `hostname` matches an entry of `list`: an exact name
 * (case-insensitive), `*.example.com` or `.example.com` for any subdomain
 * (and the domain itself), or `*` for every host.
 */
export function isExcluded(hostname: string, list: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  for (const raw of list) {
    const entry = hostOfEntry(raw.trim().toLowerCase());
    if (entry === "") continue;
    if (entry === "*" || entry === host) return true;
    const suffix = entry.startsWith("*.") ? entry.slice(1) : entry.startsWith(".") ? entry : null;
    if (suffix !== null && (host.endsWith(suffix) || host === suffix.slice(1))) return true;
  }
  return false;
}

/** The host part of an exclusion entry: `[::1]:80` → `::1`, `a.b:80` → `a.b`, `::1` stays. */
function hostOfEntry(entry: string): string {
  if (entry.startsWith("[")) {
    const end = entry.indexOf("]");
    return end < 0 ? entry : entry.slice(1, end);
  }
  // One colon is host:port; more than one is a bare IPv6 literal.
  const colons = entry.split(":").length - 1;
  return colons === 1 ? entry.slice(0, entry.indexOf(":")) : entry;
}

/**
 * The proxy from the environment for a ws (`http_proxy`) or wss
 * (`https_proxy`) connection, honouring `no_proxy`; lower-case names win
 * over upper-case ones, as in curl. `undefined` means connect directly.
 */
export function proxyFromEnvironment(
  getEnv: (name: string) => string | undefined,
  secure: boolean,
  targetHost: string,
): ProxyEndpoint | undefined {
  const read = (name: string) => getEnv(name) ?? getEnv(name.toUpperCase());
  const value = read(secure ? "https_proxy" : "http_proxy");
  if (value === undefined || value.trim() === "") return undefined;
  const noProxy = (read("no_proxy") ?? "").split(",");
  if (isExcluded(targetHost, noProxy)) return undefined;
  let url: URL;
  try {
    url = new URL(value.includes("://") ? value : `http://${value}`);
  } catch {
    throw new Error(`cannot parse proxy setting ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "http:") {
    throw new Error(`only http:// proxies are supported, not ${url.protocol}`);
  }
  const credentials = url.username === ""
    ? undefined
    : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return {
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? 80 : Number(url.port),
    credentials,
  };
}

/** The `CONNECT` request that opens a tunnel to `host:port`. */
export function buildConnectRequest(host: string, port: number, credentials?: string): string {
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  let text = `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n`;
  if (credentials !== undefined) {
    const token = base64Encode(new TextEncoder().encode(credentials));
    text += `proxy-authorization: Basic ${token}\r\n`;
  }
  return text + "\r\n";
}

/** Checks the proxy's answer to `CONNECT`; throws with a clear message unless it is 2xx. */
export function checkConnectResponse(head: HttpHead): void {
  const status = parseStatusLine(head.startLine);
  if (status === undefined) throw new Error("proxy sent a malformed status line");
  if (status.status === 407) {
    throw new Error("proxy requires authentication (407 Proxy Authentication Required)");
  }
  if (status.status < 200 || status.status > 299) {
    throw new Error(`proxy refused the tunnel: ${status.status} ${status.message}`.trim());
  }
}

/** Error text when the proxy hangs up before answering `CONNECT`. */
export const PROXY_CLOSED_EARLY = "proxy closed the connection before answering CONNECT";

/**
 * Reads the proxy's answer to `CONNECT` from the bytes that follow it.
 * `push` returns `false` while the answer is incomplete and `true` once the
 * tunnel is open; it throws with a clear message for a refusal, a malformed
 * answer, or bytes sent before the tunnel was used.
 */
export class TunnelAnswerReader {
  readonly #head = new HttpHeadReader();

  /** Adds bytes from the proxy. */
  push(chunk: Uint8Array): boolean {
    const result = this.#head.push(chunk);
    if (!result.done) return false;
    if ("error" in result) throw new Error(`bad answer from the proxy: ${result.error}`);
    checkConnectResponse(result.head);
    if (result.rest.length > 0) throw new Error("proxy sent data before the tunnel was used");
    return true;
  }
}
