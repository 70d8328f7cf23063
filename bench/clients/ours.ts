/**
 * Bench client: this library (`mod.ts`) on Deno.
 *
 * @module
 */

import webSocket from "../../mod.ts";
import { main } from "../lib/driver.mjs";
import type { Adapter } from "./adapter.ts";

export const adapter: Adapter = {
  async connect(url, onMessage) {
    const ws = webSocket.createWebSocket();
    ws.on("message", (_err, data) => onMessage(data));
    const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
    await ws.connect(url);
    return {
      send: (data) => ws.send(data instanceof Uint8Array ? data.buffer as ArrayBuffer : data),
      close: async () => {
        await ws.close();
        await closed;
      },
    };
  },
};

if (import.meta.main) await main(adapter);
