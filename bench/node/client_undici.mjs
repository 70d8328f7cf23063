// Bench client: undici's WebSocket on Node.
import { WebSocket } from "undici";
import { main } from "../lib/driver.mjs";

const adapter = {
  connect(url, onMessage) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      const closed = new Promise((done) => ws.addEventListener("close", () => done()));
      ws.onmessage = (event) => onMessage(event.data);
      ws.onerror = (event) => reject(event.error ?? new Error("error"));
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

await main(adapter);
