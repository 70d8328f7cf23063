/**
 * Extension names cannot collide with SDK members: every member the
 * deployment extensions add (issue 15) starts with `ext`, and no member of
 * either SDK view (`types/ohos.d.ts`, `types/ohos.static.d.ts`) does; and
 * none of these names appears in the ambient declarations at all.
 */

import assert from "node:assert/strict";
import webSocket from "../mod.ts";

const ADDED = {
  serverConfig: ["extReusePort", "extAllowedOrigins", "extUpgradeGate"],
  serverMethods: ["extAttach", "extHandleUpgrade", "extBufferedAmount", "extDrained"],
  clientOption: ["extSignal"],
  clientMembers: ["extBufferedAmount", "extDrained"],
};

Deno.test("naming rule: the SDK declarations (both views) have no member named ext<Capital>, and none of ours", async () => {
  for (const file of ["types/ohos.d.ts", "types/ohos.static.d.ts"]) {
    const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
    assert.ok(text.length > 1000, `${file} was read`);
    assert.deepEqual(text.match(/\bext[A-Z]\w*/g) ?? [], [], file);
  }
  for (const name of Object.values(ADDED).flat()) assert.match(name, /^ext[A-Z]/);
});

Deno.test("naming rule: the server and client objects have the ext members, so the names above are the real ones", () => {
  const server = webSocket.createWebSocketServer() as unknown as Record<string, unknown>;
  for (const name of ADDED.serverMethods) assert.equal(typeof server[name], "function", name);
  const ws = webSocket.createWebSocket() as unknown as Record<string, unknown>;
  assert.equal(ws.extBufferedAmount, 0);
  assert.equal(typeof ws.extDrained, "function");
});
