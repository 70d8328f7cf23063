import assert from "node:assert/strict";
import { AddressCounts } from "../src/server/address_counts.ts";

Deno.test("rule: the per-address limits count each connection once from its start to its end; an address whose connections all ended holds no entry", () => {
  const counts = new AddressCounts();
  assert.equal(counts.of("127.0.0.1"), 0);
  for (let i = 0; i < 3; i++) counts.add("127.0.0.1");
  counts.add("::1");
  assert.equal(counts.of("127.0.0.1"), 3);
  assert.equal(counts.of("::1"), 1);
  assert.equal(counts.size, 2);
  counts.remove("127.0.0.1");
  assert.equal(counts.of("127.0.0.1"), 2);
  counts.remove("::1");
  assert.equal(counts.of("::1"), 0);
  assert.equal(counts.size, 1);
  // Removing what was never added changes nothing (no negative counts).
  counts.remove("10.0.0.1");
  counts.remove("::1");
  assert.equal(counts.of("::1"), 0);
  assert.equal(counts.size, 1);
  counts.remove("127.0.0.1");
  counts.remove("127.0.0.1");
  assert.equal(counts.size, 0);
});
