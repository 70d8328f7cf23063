// A WebSocket client written in today's kit style, with typed callbacks and every connect
// option. It is type-checked with `tsc --strict` against types/ohos.d.ts by
// tests/types_test.ts; it is never run.
import { connection, webSocket } from "@kit.NetworkKit";
import { AsyncCallback, BusinessError, Callback, ErrorCallback } from "@kit.BasicServicesKit";

// Exact-type probes: `Equal<A, B>` is `true` only when A and B are the same type, so a
// declaration that silently became `any` (or drifted) fails these lines.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
function expectType<T extends true>(): T | undefined {
  return undefined;
}

const url: string = "wss://echo.example.com:8443/chat";
const ws: webSocket.WebSocket = webSocket.createWebSocket();

// --- every option -------------------------------------------------------------------------

// webSocket.HttpProxy is the network module's connection.HttpProxy.
const viaProxy: connection.HttpProxy = {
  host: "192.168.0.150",
  port: 8888,
  username: "user",
  password: "secret",
  exclusionList: ["localhost", "*.example.org"],
};
const sameProxy: webSocket.HttpProxy = viaProxy;
const systemProxy: webSocket.ProxyConfiguration = "system";
const noProxy: webSocket.ProxyConfiguration = "no-proxy";
const cert: webSocket.ClientCert = {
  certPath: "/data/storage/el2/base/files/client.pem",
  keyPath: "/data/storage/el2/base/files/client.key",
  keyPassword: "key-password",
};
const options: webSocket.WebSocketRequestOptions = {
  header: { "x-app-id": "demo", authorization: "Bearer token" },
  caPath: "/data/storage/el2/base/files/ca.pem",
  clientCert: cert,
  skipServerCertVerification: false,
  proxy: viaProxy,
  protocol: "chat, superchat",
  pingInterval: 30,
  pongTimeout: 10,
  minSupportTlsProtocol: webSocket.TlsProtocol.TLS_V_1_2,
  supportOriginPort: true,
};
const tlsVersions: webSocket.TlsProtocol[] = [
  webSocket.TlsProtocol.TLS_V_1_0,
  webSocket.TlsProtocol.TLS_V_1_1,
  webSocket.TlsProtocol.TLS_V_1_2,
  webSocket.TlsProtocol.TLS_V_1_3,
];
const tls13: number = webSocket.TlsProtocol.TLS_V_1_3;
console.info(systemProxy, noProxy, tlsVersions, tls13, sameProxy);

// header is `Object` in the SDK: a value typed `object` (for example passed through from a
// caller's options) is accepted, and so is any object literal.
interface CallerOptions {
  url: string;
  headers?: object;
}
function connectFor(caller: CallerOptions): Promise<boolean> {
  return webSocket.createWebSocket().connect(caller.url, { header: caller.headers });
}
const anyHeaders: object = { "x-request-id": "42" };
connectFor({ url, headers: anyHeaders });

// --- events, with annotated listeners ------------------------------------------------------

// deno-lint-ignore ban-types -- the SDK declares the open value as Object
const onOpen: AsyncCallback<Object> = (err: BusinessError, value: Object) => {
  if (err) {
    console.error(`open failed. Code: ${err.code}, message: ${err.message}`);
    return;
  }
  console.info(`on open: ${JSON.stringify(value)}`);
};
ws.on("open", onOpen);
// The value's actual shape is declared too (a documented precision point), so it can be read
// without a cast.
ws.on("open", (err: BusinessError, value: { status: number; message: string }) => {
  console.info(`on open, status: ${value.status}, message: ${value.message}`, err);
});
ws.on("message", (_err: BusinessError<void>, value: string | ArrayBuffer) => {
  if (typeof value === "string") {
    console.info(`text message: ${value}`);
  } else {
    console.info(`binary message of ${value.byteLength} bytes`);
  }
});
ws.on("close", (_err: BusinessError, value: webSocket.CloseResult) => {
  console.info(`on close, code is ${value.code}, reason is ${value.reason}`);
});
const onError: ErrorCallback = (err: BusinessError) => {
  console.error(`on error. Code: ${err.code}, message: ${err.message}`, err.data);
};
ws.on("error", onError);
const onDataEnd: Callback<void> = () => console.info("on dataEnd");
ws.on("dataEnd", onDataEnd);
ws.on("headerReceive", (headers: webSocket.ResponseHeaders) => {
  const protocol: string | string[] | undefined = headers["sec-websocket-protocol"];
  console.info(`on headerReceive ${JSON.stringify(headers)}`, protocol);
});
ws.on("openInfo", (err: BusinessError, info: webSocket.WebSocketOpenInfo) => {
  if (err) return;
  console.info(`on openInfo ${info.status} ${info.message} ${info.protocol ?? "(none)"}`);
});

// Contextual typing gives the same types without annotations.
ws.on("message", (err, value) => {
  console.info(
    expectType<Equal<typeof err, BusinessError<void>>>(),
    expectType<Equal<typeof value, string | ArrayBuffer>>(),
  );
});
ws.on("open", (_err, value) => {
  console.info(
    expectType<Equal<typeof value, { status: number; message: string }>>(),
    value["status"],
  );
});
ws.on("close", (_err, value) => {
  console.info(expectType<Equal<typeof value, webSocket.CloseResult>>());
});
ws.on("error", (err) => {
  console.info(expectType<Equal<typeof err, BusinessError>>());
});
ws.on("headerReceive", (headers) => {
  console.info(expectType<Equal<typeof headers, webSocket.ResponseHeaders>>());
});
ws.on("openInfo", (err, info) => {
  console.info(
    expectType<Equal<typeof err, BusinessError<void>>>(),
    expectType<Equal<typeof info, webSocket.WebSocketOpenInfo>>(),
  );
});

// --- connect / send / close in callback form -----------------------------------------------

ws.connect(url, (err: BusinessError, value: boolean) => {
  console.info(`connect (no options): ${value}`, err?.code);
});
ws.connect(url, options, (err: BusinessError, value: boolean) => {
  if (!err) {
    ws.send("Hello, server!", (err: BusinessError, value: boolean) => {
      console.info(`send text: ${value}`, err?.code);
    });
    ws.send(new Uint8Array([1, 2, 3]).buffer, (err: BusinessError, value: boolean) => {
      console.info(`send binary: ${value}`, err?.code);
    });
    ws.close((err: BusinessError) => console.info("close", err?.code));
    ws.close({ code: 1000, reason: "done" }, (err: BusinessError, value: boolean) => {
      console.info(`close with options: ${value}`, err?.code);
    });
  } else {
    console.error(`connect fail. Code: ${err.code}, message: ${err.message}, ${value}`);
  }
});

// --- the same in Promise form ----------------------------------------------------------------

async function session(): Promise<void> {
  const client = webSocket.createWebSocket();
  try {
    const connected: boolean = await client.connect(url, { proxy: "no-proxy", protocol: "chat" });
    const sentText: boolean = await client.send("ping");
    const sentBinary: boolean = await client.send(new ArrayBuffer(8));
    const closed: boolean = await client.close({ code: 4000, reason: "bye" });
    console.info(connected, sentText, sentBinary, closed);
  } catch (e) {
    const err = e as BusinessError;
    console.error(`session failed. Code: ${err.code}, message: ${err.message}`);
  }
  await client.connect(url);
  await client.connect(url, {});
  await client.close();
  await client.close({});
}

webSocket.createWebSocket().connect(url, { proxy: systemProxy }).then((value: boolean) => {
  console.info("connect success", value);
}).catch((err: BusinessError) => {
  console.error("connect fail, error:" + JSON.stringify(err));
});

// --- unsubscribing ---------------------------------------------------------------------------

ws.off("open", onOpen);
ws.off("error", onError);
ws.off("dataEnd", onDataEnd);
ws.off("open");
ws.off("message");
ws.off("close");
ws.off("error");
ws.off("dataEnd");
ws.off("headerReceive");
ws.off("openInfo");
const onMessage: AsyncCallback<string | ArrayBuffer> = (_err, value) => console.info(value);
ws.on("message", onMessage);
ws.off("message", onMessage);

session();
