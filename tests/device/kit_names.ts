// Device code in today's kit style, importing all four platform names the library stands in
// for. tests/device_code_test.ts (Deno) and tests/node/device_code.test.mjs (Node, Bun) run it
// through each documented resolution mechanism; it prints what it found, one fact a line.
import { webSocket } from "@kit.NetworkKit";
import { BusinessError } from "@kit.BasicServicesKit";
import { Callback } from "@ohos.base";
import ohosWebSocket from "@ohos.net.webSocket";

const sameModule: boolean = webSocket === ohosWebSocket;
console.log("kit and module are one namespace: " + sameModule);
const ws: webSocket.WebSocket = webSocket.createWebSocket();
const onClose: Callback<webSocket.CloseResult> = (result) => console.log("close " + result.code);
ws.on("close", (_err: BusinessError, result: webSocket.CloseResult) => onClose(result));
ws.connect("http://127.0.0.1/", (err: BusinessError, ok: boolean) => {
  console.log("connect to an http:// URL: " + (err ? "code " + err.code : "ok " + ok));
});
