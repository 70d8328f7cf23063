// Bench client: this library's npm build (npm/esm/mod.js, made by
// `deno task build:npm`) on Node. run.ts runs it only when that file exists.
import { main } from "../lib/driver.mjs";

const { default: webSocket } = await import("../../npm/esm/mod.js");

const adapter = {
  async connect(url, onMessage) {
    const ws = webSocket.createWebSocket();
    ws.on("message", (_err, data) => onMessage(data));
    const closed = new Promise((resolve) => ws.on("close", () => resolve()));
    await ws.connect(url);
    return {
      send: (data) => ws.send(typeof data === "string" ? data : data.buffer),
      close: async () => {
        await ws.close();
        await closed;
      },
    };
  },
};

await main(adapter);
