/**
 * A local HTTP `CONNECT` proxy for the client tests, on 127.0.0.1 port 0.
 *
 * It reads the `CONNECT host:port HTTP/1.1` request, records it (target and
 * `proxy-authorization`), then either refuses (407, 403, or a garbage status
 * line, as the test asks) or dials the target and pipes bytes both ways
 * (half-closes are passed on). It only dials loopback targets
 * (`127.0.0.1`, `::1`, `localhost`); anything else gets a 403.
 *
 * @module
 */

/** What the proxy does with a `CONNECT`. */
export type ProxyMode =
  /** Dial the target and answer `200 Connection Established`. */
  | "tunnel"
  /** Answer `407 Proxy Authentication Required`. */
  | "407"
  /** Answer `403 Forbidden`. */
  | "403"
  /** Answer a line that is not an HTTP status line. */
  | "garbage";

/** One request the proxy received. */
export interface ProxyRequest {
  /** The whole request line, e.g. `CONNECT 127.0.0.1:8080 HTTP/1.1`. */
  requestLine: string;
  /** The method (`CONNECT` for a well-behaved client). */
  method: string;
  /** The authority asked for, e.g. `127.0.0.1:8080` or `[::1]:8080`. */
  target: string;
  /** Headers, lower-case names, last value wins. */
  headers: Record<string, string>;
  /** The `proxy-authorization` header, when sent. */
  authorization: string | undefined;
}

/** A running proxy from {@linkcode startConnectProxy}. */
export interface ConnectProxy {
  hostname: string;
  port: number;
  /** `http://127.0.0.1:<port>` (for `http_proxy`-style variables). */
  url: string;
  /** Every request received, in order. */
  readonly requests: ProxyRequest[];
  /** How many tunnels were established (200 sent after dialing the target). */
  readonly tunnels: number;
  /** What to do with the next requests; may be changed at any time. */
  mode: ProxyMode;
  /** Resolves once `requests.length` reaches `count`, or rejects after `ms`. */
  waitForRequests(count: number, ms?: number): Promise<void>;
  /** Stops listening, closes every connection and waits for all handlers. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startConnectProxy}. */
export interface ConnectProxyOptions {
  /** Initial {@linkcode ProxyMode} (default `"tunnel"`). */
  mode?: ProxyMode;
  /**
   * When set, a request whose `proxy-authorization` differs gets a 407
   * (in `"tunnel"` mode).
   */
  requireAuthorization?: string;
}

const MAX_HEAD_BYTES = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Reads the request head; returns it and any bytes after it (or null on EOF/too long). */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | null> {
  let buffered = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    const text = decoder.decode(buffered);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      // The head is ASCII, so character offsets are byte offsets.
      return { head: text.slice(0, end), rest: buffered.slice(end + 4) };
    }
    if (buffered.length > MAX_HEAD_BYTES) return null;
    const n = await conn.read(chunk);
    if (n === null) return null;
    const grown = new Uint8Array(buffered.length + n);
    grown.set(buffered);
    grown.set(chunk.subarray(0, n), buffered.length);
    buffered = grown;
  }
}

function parseRequest(head: string): ProxyRequest {
  const [requestLine, ...lines] = head.split("\r\n");
  const [method = "", target = ""] = requestLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  return { requestLine, method, target, headers, authorization: headers["proxy-authorization"] };
}

/** Splits `host:port` / `[v6]:port`; undefined when malformed. */
function splitAuthority(target: string): { hostname: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(target);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  return { hostname: match[1] ?? match[2], port };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Copies `from` to `to` until EOF, then half-closes `to`. */
async function pipe(from: Deno.Conn, to: Deno.Conn, initial: Uint8Array): Promise<void> {
  if (initial.length > 0) await writeAll(to, initial);
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await from.read(buffer);
    if (n === null) break;
    await writeAll(to, buffer.subarray(0, n));
  }
  await to.closeWrite();
}

/**
 * Starts the proxy on 127.0.0.1, port 0.
 *
 * @example
 * ```ts
 * const proxy = startConnectProxy();
 * // ... connect through { host: "127.0.0.1", port: proxy.port, exclusionList: [] }
 * await proxy.stop();
 * ```
 */
export function startConnectProxy(options: ConnectProxyOptions = {}): ConnectProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  const requests: ProxyRequest[] = [];
  let waiters: Array<() => void> = [];
  let tunnels = 0;
  let stopped = false;

  const track = (conn: Deno.Conn) => {
    conns.add(conn);
    return () => {
      conns.delete(conn);
      closeQuietly(conn);
    };
  };

  async function handle(client: Deno.Conn): Promise<void> {
    const releaseClient = track(client);
    try {
      const read = await readHead(client);
      if (read === null) return;
      const request = parseRequest(read.head);
      requests.push(request);
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();

      const answer = async (text: string) => await writeAll(client, encoder.encode(text));
      const mode = proxy.mode;
      if (mode === "407") {
        await answer(
          "HTTP/1.1 407 Proxy Authentication Required\r\n" +
            'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      if (mode === "403") {
        await answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      if (mode === "garbage") {
        await answer("SSH-2.0-not-a-proxy garbage\r\n\r\n");
        return;
      }
      if (
        options.requireAuthorization !== undefined &&
        request.authorization !== options.requireAuthorization
      ) {
        await answer(
          "HTTP/1.1 407 Proxy Authentication Required\r\n" +
            'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      const authority = splitAuthority(request.target);
      if (request.method !== "CONNECT" || authority === undefined) {
        await answer("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      if (!LOOPBACK.has(authority.hostname.toLowerCase())) {
        await answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect(authority);
      } catch {
        await answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const releaseUpstream = track(upstream);
      try {
        if (stopped) return;
        await answer("HTTP/1.1 200 Connection Established\r\n\r\n");
        tunnels++;
        // Any error in one direction (a reset, or stop()) ends both.
        const fail = () => {
          releaseClient();
          releaseUpstream();
        };
        await Promise.all([
          pipe(client, upstream, read.rest).catch(fail),
          pipe(upstream, client, new Uint8Array(0)).catch(fail),
        ]);
      } finally {
        releaseUpstream();
      }
    } finally {
      releaseClient();
    }
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const handler: Promise<void> = handle(conn).catch(() => {}).finally(() =>
          handlers.delete(handler)
        );
        handlers.add(handler);
      }
    } catch {
      // listener closed
    }
  })();

  const proxy: ConnectProxy = {
    hostname: "127.0.0.1",
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get tunnels() {
      return tunnels;
    },
    mode: options.mode ?? "tunnel",
    waitForRequests(count: number, ms = 3000): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`timed out waiting for ${count} proxy request(s)`));
        }, ms);
        const check = () => {
          if (requests.length >= count) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    async stop() {
      stopped = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
      for (const conn of [...conns]) {
        conns.delete(conn);
        closeQuietly(conn);
      }
      await Promise.all([...handlers]);
    },
  };
  return proxy;
}
