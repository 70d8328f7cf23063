/**
 * Load of the issue-15 measurements: `conns` connections of our client to
 * 127.0.0.1:`port`, each sending batches of 32 small text messages and
 * waiting for their echoes, for `seconds`; prints `RESULT <messages echoed>`.
 *
 * @module
 */

import webSocket from "../../mod.ts";

const [port, conns = "16", seconds = "3"] = Deno.args;
const end = performance.now() + Number(seconds) * 1000;
let echoed = 0;
await Promise.all(Array.from({ length: Number(conns) }, async () => {
  const ws = webSocket.createWebSocket();
  let waiting = 0;
  let wake = () => {};
  ws.on("message", () => {
    echoed++;
    if (--waiting === 0) wake();
  });
  ws.on("error", () => {});
  await ws.connect(`ws://127.0.0.1:${port}/`, { pingInterval: 0 });
  while (performance.now() < end) {
    const done = new Promise<void>((resolve) => wake = resolve);
    waiting = 32;
    for (let i = 0; i < 32; i++) ws.send("0123456789abcdef").catch(() => {});
    await done;
  }
  await ws.close();
}));
console.log(`RESULT ${echoed}`);
