/**
 * Pure unit tests of the HTTP CONNECT proxy helpers in src/transport/proxy.ts:
 * `isExcluded` (exclusion list / no_proxy matching), `proxyFromEnvironment`
 * (the `'system'` proxy), `buildConnectRequest` and `checkConnectResponse`.
 * No I/O: the environment is a plain object passed as `getEnv`.
 *
 * Contract: /work/shared/spec/ohos-websocket.md section 3 (`proxy`).
 */
import assert from "node:assert/strict";
import {
  buildConnectRequest,
  checkConnectResponse,
  isExcluded,
  proxyFromEnvironment,
} from "../src/transport/proxy.ts";
import type { HttpHead } from "../src/protocol/http_head.ts";

const env = (vars: Record<string, string>) => (name: string): string | undefined => vars[name];
const head = (startLine: string, headers: [string, string][] = []): HttpHead => ({
  startLine,
  headers,
});
/** Base64 of the UTF-8 bytes of `text`, computed independently of the library. */
const base64Utf8 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

// ---------------------------------------------------------------- isExcluded

Deno.test("isExcluded: an exact entry matches the same host, case-insensitively, and nothing else", () => {
  assert.equal(isExcluded("localhost", ["localhost"]), true);
  assert.equal(isExcluded("LocalHost", ["LOCALHOST"]), true);
  assert.equal(isExcluded("127.0.0.1", ["127.0.0.1"]), true);
  assert.equal(isExcluded("127.0.0.2", ["127.0.0.1"]), false);
  assert.equal(isExcluded("a.example.com", ["example.com"]), false, "exact, not a suffix");
  assert.equal(isExcluded("example.com", ["a.example.com"]), false);
  assert.equal(isExcluded("example.co", ["example.com"]), false);
});

Deno.test("isExcluded: '*.domain' and '.domain' match the domain and every subdomain, not look-alikes", () => {
  for (const entry of ["*.example.com", ".example.com"]) {
    assert.equal(isExcluded("a.example.com", [entry]), true, `${entry} / a.example.com`);
    assert.equal(isExcluded("a.b.example.com", [entry]), true, `${entry} / a.b.example.com`);
    assert.equal(isExcluded("example.com", [entry]), true, `${entry} / the domain itself`);
    assert.equal(isExcluded("A.EXAMPLE.COM", [entry]), true, `${entry} / upper case`);
    assert.equal(isExcluded("badexample.com", [entry]), false, `${entry} / badexample.com`);
    assert.equal(isExcluded("example.com.evil", [entry]), false, `${entry} / example.com.evil`);
    assert.equal(isExcluded("example.org", [entry]), false, `${entry} / example.org`);
  }
  assert.equal(isExcluded("localhost", ["*.localhost"]), true);
  assert.equal(isExcluded("api.localhost", ["*.localhost"]), true);
});

Deno.test("isExcluded: '*' excludes every host; an empty list or blank entries exclude none", () => {
  assert.equal(isExcluded("anything.example", ["*"]), true);
  assert.equal(isExcluded("127.0.0.1", ["other", "*"]), true);
  assert.equal(isExcluded("localhost", []), false);
  assert.equal(isExcluded("localhost", ["", "  "]), false);
});

Deno.test("isExcluded: entries are trimmed and a ':port' suffix on an entry is ignored", () => {
  assert.equal(isExcluded("localhost", ["  localhost  "]), true);
  assert.equal(isExcluded("localhost", ["localhost:8080"]), true);
  assert.equal(isExcluded("127.0.0.1", ["127.0.0.1:443"]), true);
  assert.equal(isExcluded("a.example.com", [" *.example.com:443 "]), true);
});

Deno.test("isExcluded: the first matching entry of several wins; order does not matter", () => {
  const list = ["example.org", "*.internal", "127.0.0.1"];
  assert.equal(isExcluded("db.internal", list), true);
  assert.equal(isExcluded("127.0.0.1", list), true);
  assert.equal(isExcluded("example.net", list), false);
});

Deno.test("isExcluded: a hostname given with IPv6 brackets is compared without them", () => {
  assert.equal(isExcluded("[::1]", ["*"]), true);
  assert.equal(isExcluded("[::1]", ["localhost"]), false);
});

// Known bug (reported): the ':port' stripping turns the IPv6 entry "::1" into ":" and bracketed
// entries are never unbracketed, so no IPv6 literal can be excluded.
Deno.test("isExcluded: an IPv6 literal entry ('::1', '[::1]', '[::1]:8080') matches the host ::1", () => {
  assert.equal(isExcluded("::1", ["::1"]), true, "'::1' must exclude ::1");
  assert.equal(isExcluded("::1", ["[::1]"]), true, "'[::1]' must exclude ::1");
  assert.equal(isExcluded("::1", ["[::1]:8080"]), true, "'[::1]:8080' must exclude ::1");
  assert.equal(isExcluded("fe80::1", ["fe80::1"]), true, "'fe80::1' must exclude fe80::1");
  assert.equal(isExcluded("::2", ["::1"]), false);
});

// ------------------------------------------------------ proxyFromEnvironment

Deno.test("proxyFromEnvironment: ws uses http_proxy, wss uses https_proxy (no cross-over)", () => {
  const vars = env({ http_proxy: "http://127.0.0.1:3128", https_proxy: "http://127.0.0.1:3129" });
  assert.deepEqual(proxyFromEnvironment(vars, false, "example.com"), {
    hostname: "127.0.0.1",
    port: 3128,
    credentials: undefined,
  });
  assert.deepEqual(proxyFromEnvironment(vars, true, "example.com"), {
    hostname: "127.0.0.1",
    port: 3129,
    credentials: undefined,
  });
  assert.equal(
    proxyFromEnvironment(env({ http_proxy: "http://127.0.0.1:3128" }), true, "example.com"),
    undefined,
    "wss does not use http_proxy",
  );
  assert.equal(
    proxyFromEnvironment(env({ https_proxy: "http://127.0.0.1:3129" }), false, "example.com"),
    undefined,
    "ws does not use https_proxy",
  );
});

Deno.test("proxyFromEnvironment: upper-case names are used when the lower-case ones are unset; lower-case wins", () => {
  assert.equal(
    proxyFromEnvironment(env({ HTTP_PROXY: "http://127.0.0.1:1" }), false, "h")?.port,
    1,
  );
  assert.equal(
    proxyFromEnvironment(env({ HTTPS_PROXY: "http://127.0.0.1:2" }), true, "h")?.port,
    2,
  );
  const both = env({
    http_proxy: "http://127.0.0.1:10",
    HTTP_PROXY: "http://127.0.0.1:11",
    https_proxy: "http://127.0.0.1:20",
    HTTPS_PROXY: "http://127.0.0.1:21",
  });
  assert.equal(proxyFromEnvironment(both, false, "h")?.port, 10);
  assert.equal(proxyFromEnvironment(both, true, "h")?.port, 20);
});

Deno.test("proxyFromEnvironment: unset, empty or blank proxy variables mean a direct connection", () => {
  assert.equal(proxyFromEnvironment(env({}), false, "h"), undefined);
  assert.equal(proxyFromEnvironment(env({}), true, "h"), undefined);
  assert.equal(proxyFromEnvironment(env({ http_proxy: "" }), false, "h"), undefined);
  assert.equal(proxyFromEnvironment(env({ https_proxy: "   " }), true, "h"), undefined);
});

Deno.test("proxyFromEnvironment: no_proxy / NO_PROXY (exact, .domain, *.domain, *) bypass the proxy", () => {
  const proxy = { http_proxy: "http://127.0.0.1:3128" };
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, no_proxy: "localhost" }), false, "localhost"),
    undefined,
  );
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, NO_PROXY: "other,127.0.0.1" }), false, "127.0.0.1"),
    undefined,
  );
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, no_proxy: ".corp.test" }), false, "a.corp.test"),
    undefined,
  );
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, no_proxy: "*.corp.test" }), false, "a.corp.test"),
    undefined,
  );
  assert.equal(proxyFromEnvironment(env({ ...proxy, no_proxy: "*" }), false, "x.test"), undefined);
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, no_proxy: "localhost, 127.0.0.1" }), false, "x.test")
      ?.port,
    3128,
    "a host not in no_proxy still goes through the proxy",
  );
  assert.equal(
    proxyFromEnvironment(env({ ...proxy, no_proxy: "x.test", NO_PROXY: "y.test" }), false, "y.test")
      ?.port,
    3128,
    "lower-case no_proxy wins over NO_PROXY",
  );
});

Deno.test("proxyFromEnvironment: 'host:port' without a scheme is an http proxy; IPv6 brackets are removed", () => {
  assert.deepEqual(proxyFromEnvironment(env({ http_proxy: "127.0.0.1:8080" }), false, "h"), {
    hostname: "127.0.0.1",
    port: 8080,
    credentials: undefined,
  });
  assert.deepEqual(proxyFromEnvironment(env({ http_proxy: "http://[::1]:3128/" }), false, "h"), {
    hostname: "::1",
    port: 3128,
    credentials: undefined,
  });
  const port = proxyFromEnvironment(env({ http_proxy: "http://proxy.test" }), false, "h")?.port;
  assert.ok(typeof port === "number" && Number.isInteger(port) && port > 0, "a default port");
});

Deno.test("proxyFromEnvironment: user:password in the proxy URL become percent-decoded credentials", () => {
  assert.equal(
    proxyFromEnvironment(env({ http_proxy: "http://user:pass@127.0.0.1:3128" }), false, "h")
      ?.credentials,
    "user:pass",
  );
  assert.equal(
    proxyFromEnvironment(env({ https_proxy: "http://us%40er:p%3As%20s@127.0.0.1:3128" }), true, "h")
      ?.credentials,
    "us@er:p:s s",
  );
  assert.equal(
    proxyFromEnvironment(env({ http_proxy: "http://user@127.0.0.1:3128" }), false, "h")
      ?.credentials,
    "user:",
  );
});

Deno.test("proxyFromEnvironment: https://, socks5:// or unparsable proxy settings throw a clear error", () => {
  assert.throws(
    () => proxyFromEnvironment(env({ https_proxy: "https://127.0.0.1:3128" }), true, "h"),
    /http:\/\//,
  );
  assert.throws(
    () => proxyFromEnvironment(env({ http_proxy: "socks5://127.0.0.1:1080" }), false, "h"),
    /socks5/,
  );
  assert.throws(
    () => proxyFromEnvironment(env({ http_proxy: "http://[bad" }), false, "h"),
    /proxy setting/,
  );
});

// ------------------------------------------------------- buildConnectRequest

Deno.test("buildConnectRequest: 'CONNECT host:port HTTP/1.1' with a matching host header and a blank line", () => {
  assert.equal(
    buildConnectRequest("example.com", 443),
    "CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n",
  );
  assert.equal(
    buildConnectRequest("127.0.0.1", 8080),
    "CONNECT 127.0.0.1:8080 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\r\n",
  );
});

Deno.test("buildConnectRequest: an IPv6 target is bracketed in the request line and host header", () => {
  assert.equal(
    buildConnectRequest("::1", 9000),
    "CONNECT [::1]:9000 HTTP/1.1\r\nhost: [::1]:9000\r\n\r\n",
  );
});

Deno.test("buildConnectRequest: credentials become 'proxy-authorization: Basic base64(user:pass)' (UTF-8)", () => {
  const text = buildConnectRequest("example.com", 443, "user:pass");
  assert.equal(
    text,
    "CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n" +
      "proxy-authorization: Basic dXNlcjpwYXNz\r\n\r\n",
  );
  const utf8 = buildConnectRequest("h", 1, "jürgen:pässwörd:x");
  assert.ok(
    utf8.includes(`\r\nproxy-authorization: Basic ${base64Utf8("jürgen:pässwörd:x")}\r\n`),
    utf8,
  );
  assert.ok(utf8.endsWith("\r\n\r\n"));
  assert.equal(utf8.split("\r\n\r\n").length, 2, "exactly one head terminator");
});

Deno.test("buildConnectRequest: no proxy-authorization header without credentials", () => {
  assert.ok(!/proxy-authorization/i.test(buildConnectRequest("example.com", 443)));
  assert.ok(!/proxy-authorization/i.test(buildConnectRequest("example.com", 443, undefined)));
});

// ------------------------------------------------------ checkConnectResponse

Deno.test("checkConnectResponse: any 2xx status (HTTP/1.0 or 1.1, with or without a reason) opens the tunnel", () => {
  checkConnectResponse(head("HTTP/1.1 200 Connection established"));
  checkConnectResponse(head("HTTP/1.0 200 OK"));
  checkConnectResponse(head("HTTP/1.1 200"));
  checkConnectResponse(head("HTTP/1.1 204 No Content", [["via", "test"]]));
});

Deno.test("checkConnectResponse: 407 throws an error naming 407 and authentication", () => {
  assert.throws(
    () =>
      checkConnectResponse(
        head("HTTP/1.1 407 Proxy Authentication Required", [["proxy-authenticate", "Basic"]]),
      ),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /407/);
      assert.match(error.message, /authentication/i);
      return true;
    },
  );
});

Deno.test("checkConnectResponse: other non-2xx statuses (403, 502, 101, 301) throw naming the status and reason", () => {
  for (
    const line of [
      "HTTP/1.1 403 Forbidden",
      "HTTP/1.1 502 Bad Gateway",
      "HTTP/1.1 101 Switching Protocols",
      "HTTP/1.1 301 Moved",
    ]
  ) {
    const [, status, reason] = /^\S+ (\d+) (.*)$/.exec(line)!;
    assert.throws(
      () => checkConnectResponse(head(line)),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(error.message.includes(status), `${line}: ${error.message}`);
        assert.ok(error.message.includes(reason), `${line}: ${error.message}`);
        return true;
      },
    );
  }
});

Deno.test("checkConnectResponse: a start line that is not an HTTP status line throws 'malformed'", () => {
  for (const line of ["SSH-2.0-OpenSSH", "", "HTTP/1.1 2000 Big", "HTTP/2 200", "garbage 200 OK"]) {
    assert.throws(() => checkConnectResponse(head(line)), /malformed/, JSON.stringify(line));
  }
});
