/**
 * Bench client: Deno's built-in `WebSocket`.
 *
 * @module
 */

import { main } from "../lib/driver.mjs";
import type { Adapter } from "./adapter.ts";

export const adapter: Adapter = {
  connect(url, onMessage) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      const closed = new Promise<void>((done) => ws.addEventListener("close", () => done()));
      ws.onmessage = (event) => onMessage(event.data);
      ws.onerror = (event) => reject(new Error((event as ErrorEvent).message ?? "error"));
      ws.onopen = () =>
        resolve({
          send: (data) => ws.send(data),
          close: () => {
            ws.close(1000);
            return closed;
          },
        });
    });
  },
};

if (import.meta.main) await main(adapter);
