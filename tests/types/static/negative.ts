// Misuse that types/ohos.static.d.ts must reject. Every misuse is a single line preceded by
// `// @ts-expect-error <rule>`; tests/types_test.ts checks both that each directive is needed
// and that, without the directives, exactly the marked lines fail.
import webSocket from "@ohos.net.webSocket";
import { connection, webSocket as kitWebSocket } from "@kit.NetworkKit";
import { BusinessError } from "@kit.BasicServicesKit";

const ws = webSocket.createWebSocket();
const server = kitWebSocket.createWebSocketServer();
const url = "ws://127.0.0.1:8080";
const noop = (): void => {};
const anyHeaders: object = { "x-a": "b" };

// --- string-keyed on/off do not exist in the static view -------------------------------------

// @ts-expect-error rule: the static view has no on(type, callback)
ws.on("open", noop);
// @ts-expect-error rule: the static view has no off(type)
ws.off("message");
// @ts-expect-error rule: the server has no on(type, callback) in the static view
server.on("connect", noop);

// --- the per-event names are the SDK's, and only those ---------------------------------------

// @ts-expect-error rule: onClose is not an SDK name; the static one is onWebSocketClose
ws.onClose(noop);
// @ts-expect-error rule: onError is not an SDK name; the static one is onWebSocketError
ws.onError(noop);
// @ts-expect-error rule: there is no openInfo event in the static view
ws.onOpenInfo(noop);
// @ts-expect-error rule: the server's close pair is onWebSocketServerClose, not onClose
server.onClose(noop);
// @ts-expect-error rule: the server's error pair is onWebSocketServerError, not onError
server.onError(noop);

// --- callback shapes -------------------------------------------------------------------------

// @ts-expect-error rule: onOpen is a Callback<OpenResult>: one argument, not (err, value)
ws.onOpen((err: BusinessError, value: webSocket.OpenResult) => console.log(err, value));
// @ts-expect-error rule: the OpenResult has status/message, not code
ws.onOpen((result) => console.log(result.code));
// @ts-expect-error rule: onMessage is an AsyncCallback; the data is the second argument
ws.onMessage((data: string) => console.log(data));
// @ts-expect-error rule: onWebSocketClose hands a CloseResult, not a string
ws.onWebSocketClose((_err, result: string) => console.log(result));
// @ts-expect-error rule: onDataEnd listeners are handed no value
ws.onDataEnd((n: number) => console.log(n));
// @ts-expect-error rule: the server close listener gets (connection, CloseResult)
server.onWebSocketServerClose((conn, why: string) => console.log(conn, why));
// @ts-expect-error rule: the per-event methods take no event name
ws.onMessage("message", noop);

// --- options and types of the dynamic view only ----------------------------------------------

// @ts-expect-error rule: header is a Record<string, string>; an `object` is not one
ws.connect(url, { header: anyHeaders });
// @ts-expect-error rule: header values are strings
ws.connect(url, { header: { "x-retry": 3 } });
// @ts-expect-error rule: minSupportTlsProtocol is not in the static view
ws.connect(url, { minSupportTlsProtocol: 2 });
// @ts-expect-error rule: supportOriginPort is not in the static view
ws.connect(url, { supportOriginPort: true });
// @ts-expect-error rule: TlsProtocol is not in the static view
console.log(webSocket.TlsProtocol.TLS_V_1_2);
// @ts-expect-error rule: WebSocketOpenInfo is not in the static view
const info: webSocket.WebSocketOpenInfo = { status: 101, message: "" };
// @ts-expect-error rule: send takes string | ArrayBuffer, not a number
ws.send(42);
// @ts-expect-error rule: the server config needs both connection limits
server.start({ serverPort: 8080 });
// @ts-expect-error rule: connection.HttpProxy is required to name its exclusionList
const noExclusions: connection.HttpProxy = { host: "proxy.local", port: 3128 };
// @ts-expect-error rule: listAllConnections is declared as an array, not a Promise
server.listAllConnections().then(noop);

console.log(info, noExclusions);
