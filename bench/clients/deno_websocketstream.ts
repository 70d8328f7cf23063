/// <reference lib="deno.unstable" />
/**
 * Bench client: Deno's `WebSocketStream` (run with `--unstable-net`).
 *
 * @module
 */

import { main } from "../lib/driver.mjs";
import type { Adapter } from "./adapter.ts";

export const adapter: Adapter = {
  async connect(url, onMessage) {
    const wss = new WebSocketStream(url);
    const { readable, writable } = await wss.opened;
    const writer = writable.getWriter();
    const reading = (async () => {
      const reader = readable.getReader();
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        onMessage(value);
      }
    })().catch(() => {});
    return {
      send: (data) => writer.write(data),
      close: async () => {
        // The runtime takes `closeCode`; the bundled types say `code`.
        wss.close(
          { closeCode: 1000, reason: "" } as unknown as WebSocketCloseInfo,
        );
        await wss.closed;
        await reading;
      },
    };
  },
};

if (import.meta.main) await main(adapter);
