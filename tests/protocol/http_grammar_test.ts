// The HTTP grammar rules of src/protocol/http_grammar.ts: tokens, header breaks, and the
// request-line scanner that lets the server refuse non-HTTP input on its first bytes.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  hasHeaderBreak,
  isToken,
  replaceHeaderBreaks,
  RequestLineScanner,
} from "../../src/protocol/mod.ts";

const encoder = new TextEncoder();

Deno.test("token rule (RFC 9110 5.6.2): letters, digits and !#$%&'*+-.^_`|~ make a token; empty, space, separators and non-ASCII do not", () => {
  for (const good of ["GET", "chat.v2", "x-Custom_1", "!#$%&'*+-.^_`|~", "A"]) {
    assert.ok(isToken(good), good);
  }
  for (const bad of ["", "two words", "a:b", "a/b", "(x)", "é", "a\tb", "a\r\n", '"q"']) {
    assert.ok(!isToken(bad), JSON.stringify(bad));
  }
});

Deno.test("header-break rule: CR, LF and NUL are found anywhere in a value and each is replaced by a space", () => {
  assert.ok(!hasHeaderBreak("plain value, with: punctuation"));
  for (const bad of ["a\rb", "a\nb", "a\0b", "\r\n", "end\n"]) assert.ok(hasHeaderBreak(bad));
  assert.equal(replaceHeaderBreaks("a\r\nX-Injected: 1\0"), "a  X-Injected: 1 ");
});

/** Feeds `bytes` to a fresh scanner in pieces of `step` bytes; returns every answer. */
function scanInSteps(bytes: Uint8Array, step: number): string[] {
  const scanner = new RequestLineScanner();
  const states: string[] = [];
  for (let i = 0; i < bytes.length; i += step) {
    states.push(scanner.push(bytes.subarray(i, i + step)).state);
  }
  return states;
}

Deno.test("request line: a valid line is 'partial' until its CRLF and 'complete' from then on, however it is split; bytes after it are not judged", () => {
  const lines = [
    "GET / HTTP/1.1\r\n",
    "GET /chat?room=1&x=%20 HTTP/1.1\r\n",
    "OPTIONS * HTTP/2.0\r\n",
    "GET /caf\xc3\xa9 HTTP/1.1\r\n", // raw UTF-8 in the target is tolerated, as many servers do
  ];
  for (const line of lines) {
    const bytes = Uint8Array.from(line, (c) => c.charCodeAt(0));
    for (const step of [1, 2, 3, 7, bytes.length]) {
      const states = scanInSteps(bytes, step);
      assert.equal(states.at(-1), "complete", `${JSON.stringify(line)} in steps of ${step}`);
      assert.ok(
        states.slice(0, -1).every((s) => s === "partial"),
        `${JSON.stringify(line)} in steps of ${step}: ${states}`,
      );
    }
    const scanner = new RequestLineScanner();
    scanner.push(bytes);
    assert.equal(scanner.push(new Uint8Array([0, 0xff, 0x16])).state, "complete", "after the line");
  }
});

Deno.test("request line: input that can never become a request line is 'invalid' at the first impossible byte, naming it", () => {
  const cases: [string, number[] | string, RegExp][] = [
    ["TLS ClientHello", [0x16, 0x03, 0x01, 0x02, 0x00], /0x16 .*method/],
    ["leading space", " GET / HTTP/1.1\r\n", /0x20 .*method/],
    ["NUL in the method", "GE\0T", /0x00 .*method/],
    ["separator in the method", "GE(T / HTTP/1.1", /0x28 .*method/],
    ["control byte in the target", "GET /a\x01b HTTP/1.1\r\n", /0x01 .*target/],
    ["DEL in the target", "GET /\x7f HTTP/1.1\r\n", /0x7f .*target/],
    ["two spaces", "GET  / HTTP/1.1\r\n", /0x20 .*target/],
    ["lower-case version", "GET / http/1.1\r\n", /0x68 .*version/],
    ["version without digits", "GET / HTTP/x.1\r\n", /0x78 .*version/],
    ["version with three parts", "GET / HTTP/1.1.1\r\n", /0x2e .*version/],
    ["bare LF", "GET / HTTP/1.1\n", /0x0a .*version/],
    ["CR without LF", "GET / HTTP/1.1\rX", /0x58 .*end of the request line/],
    ["line ends early", "GET\r\n", /0x0d .*method/],
  ];
  for (const [name, input, reason] of cases) {
    const bytes = typeof input === "string"
      ? Uint8Array.from(input, (c) => c.charCodeAt(0))
      : Uint8Array.from(input);
    // Byte by byte: the verdict comes with the byte that makes it impossible.
    const scanner = new RequestLineScanner();
    let verdict: ReturnType<RequestLineScanner["push"]> = { state: "partial" };
    let at = 0;
    while (verdict.state === "partial" && at < bytes.length) {
      verdict = scanner.push(bytes.subarray(at, at + 1));
      at++;
    }
    assert.equal(verdict.state, "invalid", name);
    assert.match((verdict as { reason: string }).reason, reason, name);
    // Once invalid, always invalid.
    assert.equal(scanner.push(encoder.encode("GET / HTTP/1.1\r\n")).state, "invalid", name);
  }
});

Deno.test("request line (property): random bytes are refused within their first 64 bytes, under any split, and the scanner never throws", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 4096 }),
      fc.integer({ min: 1, max: 64 }),
      (bytes, step) => {
        // A request line needs tokens, SP, visible bytes, SP, "HTTP/": the chance that 64
        // random bytes still fit is below one in a million, and the seed is fixed.
        const states = scanInSteps(bytes.subarray(0, 64), step);
        return states.at(-1) === "invalid";
      },
    ),
    { numRuns: 1000, seed: 13 },
  );
});
