// Bench client: npm `ws` on Node.
import WebSocket from "ws";
import { main } from "../lib/driver.mjs";

const adapter = {
  connect(url, onMessage) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const closed = new Promise((done) => ws.once("close", done));
      ws.on(
        "message",
        (data, isBinary) => onMessage(isBinary ? data : data.toString()),
      );
      ws.once("error", reject);
      ws.once("open", () =>
        resolve({
          send: (data) => ws.send(data),
          close: () => {
            ws.close(1000);
            return closed;
          },
        }));
    });
  },
};

await main(adapter);
