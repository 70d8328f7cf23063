// Opening-handshake rules (spec section 8, "Handshake"), one test each.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  acceptKey,
  base64Decode,
  base64Encode,
  buildAcceptResponse,
  buildClientRequest,
  encodePlainAcceptResponse,
  generateKey,
  HandshakeError,
  headerHasToken,
  headerMap,
  HttpHeadReader,
  isBase64Of16Bytes,
  validateServerResponse,
} from "../../src/protocol/mod.ts";
import { sha1Base64 } from "../../src/transport/mod.ts";

const enc = new TextEncoder();
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function head(lines: string[]): Uint8Array {
  return enc.encode(lines.join("\r\n") + "\r\n\r\n");
}

function parse(bytes: Uint8Array) {
  const result = new HttpHeadReader().push(bytes);
  if (!result.done || "error" in result) throw new Error("head not parsed");
  return result;
}

const GOOD = [
  "HTTP/1.1 101 Switching Protocols",
  "Upgrade: websocket",
  "Connection: Upgrade",
  `Sec-WebSocket-Accept: ${acceptKey(KEY, sha1Base64)}`,
];

function refused(lines: string[], protocols: string[] = []): HandshakeError {
  try {
    validateServerResponse(parse(head(lines)).head, KEY, sha1Base64, protocols);
  } catch (error) {
    assert.ok(error instanceof HandshakeError);
    return error;
  }
  assert.fail("the response was accepted");
}

Deno.test("rule: SHA-1 and Base64 match known vectors", () => {
  // FIPS 180 / RFC 3174 digests (hex a9993e36…, da39a3ee…, 291e9a6c…) in Base64.
  assert.equal(sha1Base64(enc.encode("abc")), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  assert.equal(sha1Base64(new Uint8Array(0)), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  assert.equal(sha1Base64(enc.encode("a".repeat(1000))), "KR6abGaZSUm1e6XmUDYemPw2sbo=");
  for (const text of ["", "f", "fo", "foo", "foob", "fooba", "foobar"]) {
    const b64 = base64Encode(enc.encode(text));
    assert.equal(b64, btoa(text));
    assert.deepEqual(base64Decode(b64), enc.encode(text));
  }
  assert.equal(base64Decode("not base64!"), undefined);
});

Deno.test("rule: Base64 agrees with btoa for lengths 0-69 (every tail) and long inputs", () => {
  const latin1 = (b: Uint8Array) => Array.from(b, (x) => String.fromCharCode(x)).join("");
  for (const length of [...Array.from({ length: 70 }, (_, i) => i), 3072, 10_000]) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    assert.equal(base64Encode(bytes), btoa(latin1(bytes)), `length ${length}`);
  }
});

Deno.test("rule: the accept key is Base64(SHA-1(key + GUID)) for every key, one after another (nothing of an earlier key is left behind)", () => {
  const reference = (key: string) =>
    createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  const keys = [KEY, "x", "", "a key that is not Base64 at all, and long", "caf\u00e9 key"];
  for (let i = 0; i < 100; i++) keys.push(base64Encode(crypto.getRandomValues(new Uint8Array(16))));
  for (const key of keys) assert.equal(acceptKey(key, sha1Base64), reference(key), key);
});

Deno.test("rule: the plain 101 answer written as bytes is exactly the encoded text of buildAcceptResponse", () => {
  for (let i = 0; i < 200; i++) {
    const key = i === 0 ? KEY : base64Encode(crypto.getRandomValues(new Uint8Array(16)));
    assert.deepEqual(
      encodePlainAcceptResponse(key, sha1Base64),
      enc.encode(buildAcceptResponse({ key }, sha1Base64)),
      key,
    );
  }
  // RFC 6455 section 1.3's sample key and accept value.
  assert.match(
    new TextDecoder().decode(encodePlainAcceptResponse(KEY, sha1Base64)),
    /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n\r\n$/,
  );
});

Deno.test("rule: a Sec-WebSocket-Key must be strict Base64 of exactly 16 bytes; isBase64Of16Bytes answers as decoding would, without decoding", () => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=- \u00e9";
  const random = new Uint32Array(64);
  let checked = 0;
  for (let i = 0; i < 4000; i++) {
    crypto.getRandomValues(random);
    const length = 20 + (random[0] % 9);
    let text = "";
    for (let j = 0; j < length; j++) text += alphabet[random[j + 1] % alphabet.length];
    // Half of the samples are real 16-byte keys, some then damaged in one place.
    if (i % 2 === 0) {
      text = base64Encode(crypto.getRandomValues(new Uint8Array(16)));
      if (i % 4 === 0) {
        const at = random[40] % 24;
        text = text.slice(0, at) + alphabet[random[41] % alphabet.length] + text.slice(at + 1);
      }
    }
    assert.equal(isBase64Of16Bytes(text), base64Decode(text)?.length === 16, JSON.stringify(text));
    checked++;
  }
  assert.equal(checked, 4000);
  assert.equal(isBase64Of16Bytes(KEY), true);
  for (
    const bad of [
      "",
      "dGhlIHNhbXBsZSBub25jZQ=",
      "dGhlIHNhbXBsZSBub25jZQ===",
      "dGhlIHNhbXBsZSBub25jZ===",
      "dGhlIHNhbXBsZSBub25jZ Q==",
    ]
  ) {
    assert.equal(isBase64Of16Bytes(bad), false, JSON.stringify(bad));
  }
});

Deno.test("rule: Upgrade and Connection are token lists (RFC 7230 section 7): headerHasToken finds a token in any place, any case, with spaces, and only whole tokens", () => {
  // The reference: split on commas, trim, compare in lower case.
  const reference = (value: string | undefined, token: string) =>
    value !== undefined && value.split(",").some((part) => part.trim().toLowerCase() === token);
  const values = [
    undefined,
    "",
    ",",
    "upgrade",
    "Upgrade",
    " UPGRADE ",
    "keep-alive, Upgrade",
    "keep-alive,upgrade,",
    ",,upgrade",
    "upgrades",
    "up grade",
    "keep-alive",
    "\tupgrade\t, close",
    "upgrade\u00a0",
    "websocket",
    "WebSocket, h2c",
    "websocketx, x",
  ];
  for (const value of values) {
    for (const token of ["upgrade", "websocket"]) {
      assert.equal(
        headerHasToken(value, token),
        reference(value, token),
        `${JSON.stringify(value)} ${token}`,
      );
    }
  }
  assert.equal(headerHasToken("keep-alive, Upgrade", "upgrade"), true);
  assert.equal(headerHasToken("upgrades", "upgrade"), false);
});

Deno.test("rule: Sec-WebSocket-Accept is derived as in RFC 6455 section 1.3", () => {
  assert.equal(acceptKey(KEY, sha1Base64), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("rule: the key is 16 random bytes from the CSPRNG, Base64-encoded", () => {
  const keys = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const key = generateKey((b) => crypto.getRandomValues(b));
    assert.equal(base64Decode(key)?.length, 16);
    keys.add(key);
  }
  assert.equal(keys.size, 20);
  let asked = 0;
  generateKey((b) => {
    asked = b.length;
  });
  assert.equal(asked, 16);
});

Deno.test("rule: the request carries the upgrade headers and lower-cased user headers", () => {
  const text = buildClientRequest({
    host: "[::1]:8080",
    path: "/chat?x=1",
    key: KEY,
    protocols: ["chat", "superchat"],
    headers: [["x-token", "abc"], ["origin", "http://example"]],
  });
  const lines = text.split("\r\n");
  assert.equal(lines[0], "GET /chat?x=1 HTTP/1.1");
  assert.ok(lines.includes("host: [::1]:8080"));
  assert.ok(lines.includes("upgrade: websocket"));
  assert.ok(lines.includes("connection: Upgrade"));
  assert.ok(lines.includes(`sec-websocket-key: ${KEY}`));
  assert.ok(lines.includes("sec-websocket-version: 13"));
  assert.ok(lines.includes("sec-websocket-protocol: chat, superchat"));
  assert.ok(lines.includes("x-token: abc"));
  assert.ok(text.endsWith("\r\n\r\n"));
});

Deno.test("rule: CR, LF or NUL in a header name or value is refused (no injection)", () => {
  for (const header of [["x", "a\r\nevil: 1"], ["x\n", "a"], ["x", "a\0"]] as [string, string][]) {
    assert.throws(() => buildClientRequest({ host: "h", path: "/", key: KEY, headers: [header] }));
  }
});

Deno.test("rule: a valid 101 response is accepted", () => {
  const result = validateServerResponse(parse(head(GOOD)).head, KEY, sha1Base64);
  assert.deepEqual(result, { status: 101, message: "Switching Protocols", protocol: "" });
});

Deno.test("rule: a status other than 101 fails the handshake and reports the status", () => {
  const error = refused(["HTTP/1.1 404 Not Found", ...GOOD.slice(1)]);
  assert.equal(error.status, 404);
  assert.equal(refused(["HTTP/1.1 200 OK", ...GOOD.slice(1)]).status, 200);
  refused(["garbage status line", ...GOOD.slice(1)]);
});

Deno.test("rule: Upgrade must be websocket", () => {
  refused([GOOD[0], GOOD[2], GOOD[3]]);
  refused([GOOD[0], "Upgrade: h2c", GOOD[2], GOOD[3]]);
});

Deno.test("rule: Connection must contain the upgrade token, case-insensitively", () => {
  refused([GOOD[0], GOOD[1], GOOD[3]]);
  refused([GOOD[0], GOOD[1], "Connection: close", GOOD[3]]);
  const ok = validateServerResponse(
    parse(head([GOOD[0], "UPGRADE: WebSocket", "connection: keep-alive, UPGRADE", GOOD[3]])).head,
    KEY,
    sha1Base64,
  );
  assert.equal(ok.status, 101);
});

Deno.test("rule: Sec-WebSocket-Accept must match the key", () => {
  refused(GOOD.slice(0, 3));
  refused([...GOOD.slice(0, 3), `Sec-WebSocket-Accept: ${acceptKey("other", sha1Base64)}`]);
});

Deno.test("rule: a subprotocol that was not offered fails the handshake", () => {
  refused([...GOOD, "Sec-WebSocket-Protocol: chat"]);
  refused([...GOOD, "Sec-WebSocket-Protocol: other"], ["chat"]);
  refused([...GOOD, "Sec-WebSocket-Protocol: chat, superchat"], ["chat", "superchat"]);
  const ok = validateServerResponse(
    parse(head([...GOOD, "Sec-WebSocket-Protocol: chat"])).head,
    KEY,
    sha1Base64,
    ["superchat", "chat"],
  );
  assert.equal(ok.protocol, "chat");
});

Deno.test("rule: any extension in the answer fails the handshake (we offer none)", () => {
  refused([...GOOD, "Sec-WebSocket-Extensions: permessage-deflate"]);
});

Deno.test("rule: a response split over many reads is parsed, and frame bytes after it are kept", () => {
  const frameBytes = new Uint8Array([0x81, 0x02, 0x68, 0x69]);
  const all = new Uint8Array([...head(GOOD), ...frameBytes]);
  const reader = new HttpHeadReader();
  let result;
  for (let i = 0; i < all.length; i++) {
    // Byte by byte until the head completes; the rest arrives in that last read.
    const end = i === all.length - frameBytes.length - 1 ? all.length : i + 1;
    result = reader.push(all.subarray(i, end));
    if (result.done) break;
  }
  assert.ok(result?.done && !("error" in result));
  assert.deepEqual(result.rest, frameBytes);
  assert.equal(validateServerResponse(result.head, KEY, sha1Base64).status, 101);
});

Deno.test("rule: the handshake head is bounded in size", () => {
  const reader = new HttpHeadReader(1024);
  let result = reader.push(enc.encode("HTTP/1.1 101 Switching Protocols\r\n"));
  for (let i = 0; i < 100 && !result.done; i++) {
    result = reader.push(enc.encode(`x-filler-${i}: ${"y".repeat(50)}\r\n`));
  }
  assert.ok(result.done && "error" in result, "reader gave up");
});

Deno.test("rule: repeated response headers are kept as arrays with lower-case names", () => {
  const parsed = parse(head([...GOOD, "Set-Cookie: a=1", "set-cookie: b=2"]));
  const map = headerMap(parsed.head.headers);
  assert.deepEqual(map["set-cookie"], ["a=1", "b=2"]);
  assert.equal(map["upgrade"], "websocket");
});

Deno.test("rule: header octets read as ISO-8859-1, one char per byte, ASCII or obs-text", () => {
  // An all-ASCII head and one with obs-text bytes (0x80-0xFF, allowed in field values) take
  // different decoding paths; both must give one char per byte, never UTF-8 sequences.
  const ascii = parse(head([...GOOD, "X-Note: plain"]));
  assert.equal(headerMap(ascii.head.headers)["x-note"], "plain");
  const bytes = [...head([...GOOD, "X-Note: caf"])];
  // Insert 0xE9 0x80 0xFF before the head's closing CRLF CRLF: not valid UTF-8 as a whole.
  bytes.splice(bytes.length - 4, 0, 0xe9, 0x80, 0xff);
  const mixed = parse(new Uint8Array(bytes));
  assert.equal(headerMap(mixed.head.headers)["x-note"], "caf\u00e9\u0080\u00ff");
});

Deno.test("rule: malformed header lines are refused", () => {
  const result = new HttpHeadReader().push(head(["HTTP/1.1 101 X", "no colon here"]));
  assert.ok(result.done && "error" in result);
  const bad = new HttpHeadReader().push(head(["HTTP/1.1 101 X", "bad name: v"]));
  assert.ok(bad.done && "error" in bad);
});
