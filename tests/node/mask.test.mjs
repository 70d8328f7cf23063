// The masking of the BUILT package on this runtime (Node or Bun): the WebAssembly SIMD kernel is
// available (so long payloads take the fast path here too), and masking through it equals the
// byte-by-byte XOR of RFC 6455 section 5.3 for long runs, at any key position; and where
// WebAssembly is missing (node --jitless) the word loop takes over, with the same results.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import helpers from "./helpers.cjs";

const { builtModulePath } = helpers;
const { maskKernel } = await import(
  pathToFileURL(builtModulePath("esm/src/protocol/mask_kernel.js")).href
);
const { applyMask, copyMasked } = await import(
  pathToFileURL(builtModulePath("esm/src/protocol/mask.js")).href
);

test("rule (RFC 6455 5.3): the SIMD masking kernel runs on this runtime", () => {
  const kernel = maskKernel();
  assert.notEqual(kernel, null, "WebAssembly SIMD is available: long payloads take the fast path");
  kernel.scratch.fill(0xff, 0, 32);
  kernel.xor(16, 0x04030201);
  assert.deepEqual([...kernel.scratch.subarray(0, 5)], [0xfe, 0xfd, 0xfc, 0xfb, 0xfe]);
  assert.equal(kernel.scratch[16], 0xff, "bytes past the length are untouched");
});

test("rule (RFC 6455 5.3): applyMask and copyMasked equal the byte-by-byte XOR for long runs, at any key position", () => {
  const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
  for (const [length, keyOffset, lead] of [[1024, 0, 0], [70_001, 3, 1], [200_003, 1, 5]]) {
    const backing = new Uint8Array(length + lead + 4).map((_, i) => (i * 31 + length) & 0xff);
    const source = backing.subarray(lead, lead + length);
    const expected = source.map((b, i) => b ^ key[(keyOffset + i) & 3]);
    const inPlace = backing.slice();
    applyMask(inPlace, key, keyOffset, lead, lead + length);
    assert.deepEqual(inPlace.subarray(lead, lead + length), expected, `applyMask ${length}`);
    const target = new Uint8Array(length + 3);
    copyMasked(source, target, 3, key);
    assert.deepEqual(
      target.subarray(3),
      source.map((b, i) => b ^ key[i & 3]),
      `copyMasked ${length}`,
    );
  }
});

test(
  "rule (RFC 6455 5.3): without WebAssembly (node --jitless) the kernel is absent and the word loop masks long runs exactly as the byte-by-byte XOR",
  { timeout: 30_000, skip: "Bun" in globalThis ? "Bun has no --jitless" : false },
  () => {
    const maskUrl = pathToFileURL(builtModulePath("esm/src/protocol/mask.js")).href;
    const kernelUrl = pathToFileURL(builtModulePath("esm/src/protocol/mask_kernel.js")).href;
    const script = `
      import { applyMask, copyMasked } from ${JSON.stringify(maskUrl)};
      import { maskKernel } from ${JSON.stringify(kernelUrl)};
      const key = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
      const results = { kernel: maskKernel() !== null, wasm: typeof WebAssembly, equal: true };
      for (const [length, keyOffset, lead] of [[1024, 0, 0], [70001, 3, 1], [200003, 1, 5]]) {
        const backing = new Uint8Array(length + lead + 4).map((_, i) => (i * 31 + length) & 0xff);
        const source = backing.subarray(lead, lead + length);
        const inPlace = backing.slice();
        applyMask(inPlace, key, keyOffset, lead, lead + length);
        const target = new Uint8Array(length + 3);
        copyMasked(source, target, 3, key);
        for (let i = 0; i < length; i++) {
          if (inPlace[lead + i] !== (source[i] ^ key[(keyOffset + i) & 3])) results.equal = false;
          if (target[3 + i] !== (source[i] ^ key[i & 3])) results.equal = false;
        }
      }
      console.log(JSON.stringify(results));
    `;
    const out = execFileSync(process.execPath, ["--jitless", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 25_000,
    });
    assert.deepEqual(JSON.parse(out.trim()), { kernel: false, wasm: "undefined", equal: true });
  },
);
