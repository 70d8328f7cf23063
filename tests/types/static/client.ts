// A client written for ArkTS 1.2 (the SDK's static view, API 23+): one method pair per event,
// `header` as a Record, the open value as `OpenResult`. Type-checked with `tsc --strict`
// against types/ohos.static.d.ts by tests/types_test.ts; it is never run.
import { connection, webSocket } from "@kit.NetworkKit";
import { AsyncCallback, BusinessError, Callback, ErrorCallback } from "@kit.BasicServicesKit";

// Exact-type probes: `Equal<A, B>` is `true` only when A and B are the same type.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

const url: string = "wss://echo.example.com:8443/chat";
const ws: webSocket.WebSocket = webSocket.createWebSocket();

const proxy: connection.HttpProxy = {
  host: "192.168.0.150",
  port: 8888,
  exclusionList: ["localhost"],
};
const sameProxy: webSocket.HttpProxy = proxy;
const headers: Record<string, string> = { "x-app-id": "demo" };
const options: webSocket.WebSocketRequestOptions = {
  header: headers,
  caPath: "/data/storage/el2/base/files/ca.pem",
  clientCert: { certPath: "/data/c.pem", keyPath: "/data/c.key", keyPassword: "pw" },
  skipServerCertVerification: false,
  proxy: sameProxy,
  protocol: "chat",
  pingInterval: 30,
  pongTimeout: 10,
};

// --- events: one method pair each ------------------------------------------------------------

const onOpen: Callback<webSocket.OpenResult> = (result: webSocket.OpenResult) => {
  console.info(`on open, status: ${result.status}, message: ${result.message}`);
};
const onMessage: AsyncCallback<string | ArrayBuffer> = (err: BusinessError, data) => {
  if (err) return;
  console.info(typeof data === "string" ? data : `${data.byteLength} bytes`);
};
const onClose: AsyncCallback<webSocket.CloseResult> = (_err, result) => {
  console.info(`on close, code is ${result.code}, reason is ${result.reason}`);
};
const onError: ErrorCallback = (err: BusinessError) => console.error(err.code, err.message);
const onDataEnd: Callback<void> = () => console.info("on dataEnd");
const onHeaders: Callback<webSocket.ResponseHeaders> = (h: webSocket.ResponseHeaders) => {
  const values: string | string[] | undefined = h["sec-websocket-protocol"];
  console.info(values);
};
ws.onOpen(onOpen);
ws.onMessage(onMessage);
ws.onWebSocketClose(onClose);
ws.onWebSocketError(onError);
ws.onDataEnd(onDataEnd);
ws.onHeaderReceive(onHeaders);

// Contextual typing: onOpen's listener takes the value alone.
ws.onOpen((result) => {
  console.info(expectType<Equal<typeof result, webSocket.OpenResult>>(), result.status);
});
ws.onWebSocketClose((err, result) => {
  console.info(
    expectType<Equal<typeof err, BusinessError<void>>>(),
    expectType<Equal<typeof result, webSocket.CloseResult>>(),
  );
});
ws.onHeaderReceive((h) => {
  console.info(expectType<Equal<typeof h, Record<string, string | string[] | undefined>>>());
});

ws.offOpen(onOpen);
ws.offMessage(onMessage);
ws.offWebSocketClose(onClose);
ws.offWebSocketError(onError);
ws.offDataEnd(onDataEnd);
ws.offHeaderReceive(onHeaders);
ws.offOpen();
ws.offMessage();
ws.offWebSocketClose();
ws.offWebSocketError();
ws.offDataEnd();
ws.offHeaderReceive();

// --- connect / send / close ------------------------------------------------------------------

ws.connect(url, options, (err: BusinessError, connected: boolean) => {
  if (err) return;
  ws.send("Hello, server!", (_e: BusinessError, sent: boolean) => console.info(sent));
  ws.close({ code: 1000, reason: "done" }, (_e: BusinessError, closed: boolean) => {
    console.info(connected, closed);
  });
});

async function session(): Promise<void> {
  const client = webSocket.createWebSocket();
  const connected: boolean = await client.connect(url);
  const sent: boolean = await client.send(new ArrayBuffer(8));
  const closed: boolean = await client.close();
  console.info(connected, sent, closed);
}
session();
