// The seed's callbacks name parameters they do not use; kept as written.
// deno-lint-ignore-file no-unused-vars
/**
 * The complete example from the original `@ohos.net.webSocket` document
 * (API 6/8), unchanged apart from taking the URL as a parameter and
 * resolving once the `close` event has been seen, so the demo knows when
 * it may exit. It imports the platform's module name, as device code does.
 *
 * @module
 */

// Imported by its platform name, as on the device: deno.json's import map resolves it to
// mod.ts (see the README for Deno, Node and Bun).
import webSocket from "@ohos.net.webSocket";

/** Runs the seed's complete example against `defaultIpAddress`. */
export function runSeedExample(defaultIpAddress: string): Promise<void> {
  return new Promise((done) => {
    const ws = webSocket.createWebSocket();
    ws.on("open", (err, value) => {
      console.log("on open, status:" + value["status"] + ", message:" + value["message"]);
      // When on('open') fires, the client can talk to the server with send().
      ws.send("Hello, server!", (err, value) => {
        if (!err) {
          console.log("send success");
        } else {
          console.log("send fail, err:" + JSON.stringify(err));
        }
      });
    });
    ws.on("message", (err, value) => {
      console.log("on message, message:" + value);
      // When the server says `bye` (a field agreed with the server), close the connection.
      if (value === "bye") {
        ws.close((err, value) => {
          if (!err) {
            console.log("close success");
          } else {
            console.log("close fail, err is " + JSON.stringify(err));
          }
        });
      }
    });
    ws.on("close", (err, value) => {
      console.log("on close, code is " + value.code + ", reason is " + value.reason);
      done();
    });
    ws.on("error", (err) => {
      console.log("on error, error:" + JSON.stringify(err));
    });
    ws.connect(defaultIpAddress, (err, value) => {
      if (!err) {
        console.log("connect success");
      } else {
        console.log("connect fail, err:" + JSON.stringify(err));
        done();
      }
    });
  });
}
