// Misuse that types/ohos.d.ts must reject. Every misuse is a single line preceded by
// `// @ts-expect-error <rule>`. tests/types_test.ts requires this file to compile with zero
// diagnostics (so every directive was needed: an unused one is error TS2578), and again with
// the directives removed requires an error on each marked line and nowhere else.
import webSocket from "@ohos.net.webSocket";
import { connection, webSocket as kitWebSocket } from "@kit.NetworkKit";
import { BusinessError } from "@kit.BasicServicesKit";

const ws = webSocket.createWebSocket();
const server = kitWebSocket.createWebSocketServer();
const url = "ws://127.0.0.1:8080";
const conn: webSocket.WebSocketConnection = { clientIP: "127.0.0.1", clientPort: 50000 };
const noop = (): void => {};

// --- event names ---------------------------------------------------------------------------

// @ts-expect-error rule: unknown event name ('opened' is not a client event)
ws.on("opened", noop);
// @ts-expect-error rule: event names are case-sensitive ('Message' is not 'message')
ws.on("Message", noop);
// @ts-expect-error rule: off() accepts only known event names too
ws.off("bogus");
// @ts-expect-error rule: the event name is a literal, not any string
ws.on(String("open"), noop);
// @ts-expect-error rule: 'messageReceive' is a server event, not a client event
ws.on("messageReceive", noop);
// @ts-expect-error rule: 'message' is a client event; the server's is 'messageReceive'
server.on("message", noop);
// @ts-expect-error rule: 'open' is a client event, not a server event
server.on("open", noop);

// --- callback signatures -------------------------------------------------------------------

// @ts-expect-error rule: a message is string | ArrayBuffer, never number
ws.on("message", (err: BusinessError, value: number) => console.log(err, value));
// @ts-expect-error rule: the error listener gets a BusinessError, not a string
ws.on("error", (err: string) => console.log(err));
// @ts-expect-error rule: the close value is a CloseResult, not a string
ws.on("close", (err: BusinessError, value: string) => console.log(err, value));
// @ts-expect-error rule: the open value has status/message, not code
ws.on("open", (_err, value) => console.log(value.code));
// @ts-expect-error rule: the close value has code/reason, not status
ws.on("close", (_err, value) => console.log(value.status));
// @ts-expect-error rule: contextual types are exact, not any (string | ArrayBuffer vs number)
ws.on("message", (_err, value) => console.log(value === 42));
// @ts-expect-error rule: dataEnd listeners are handed no value (Callback<void>)
ws.on("dataEnd", (n: number) => console.log(n));
// @ts-expect-error rule: headerReceive is handed the headers object, not a string
ws.on("headerReceive", (headers: string) => console.log(headers));
// @ts-expect-error rule: openInfo.protocol is optional, so it may be undefined
ws.on("openInfo", (_err, info) => console.log(info.protocol.length));
// @ts-expect-error rule: openInfo is an AsyncCallback: the info is the second argument, not the first
ws.on("openInfo", (info: webSocket.WebSocketOpenInfo) => console.log(info.status));
// @ts-expect-error rule: the listener is mandatory for on()
ws.on("open");
// @ts-expect-error rule: onOpen exists only in the static view (ArkTS 1.2)
ws.onOpen(noop);
// @ts-expect-error rule: onMessage exists only in the static view
ws.onMessage(noop);
// @ts-expect-error rule: onWebSocketClose exists only in the static view
ws.onWebSocketClose(noop);
// @ts-expect-error rule: onClose is in no view of the SDK (the static name is onWebSocketClose)
ws.onClose(noop);
// @ts-expect-error rule: onError is in no view of the SDK (the static name is onWebSocketError)
ws.onError(noop);
// @ts-expect-error rule: the server's onConnect exists only in the static view
server.onConnect(noop);
// @ts-expect-error rule: the server's onMessageReceive exists only in the static view
server.onMessageReceive(noop);
// @ts-expect-error rule: server close listeners get (connection, CloseResult)
server.on("close", (conn: webSocket.WebSocketConnection, why: string) => console.log(conn, why));
// @ts-expect-error rule: server messages carry clientConnection and data, not message
server.on("messageReceive", (m) => console.log(m.message));

// --- connect / send / close arguments ------------------------------------------------------

// @ts-expect-error rule: send takes string | ArrayBuffer, not a number
ws.send(42);
// @ts-expect-error rule: a typed array is not an ArrayBuffer; send its .buffer
ws.send(new Uint8Array(4));
// @ts-expect-error rule: send needs the data
ws.send();
// @ts-expect-error rule: connect takes a string URL
ws.connect(123);
// @ts-expect-error rule: connect takes the URL string itself, not an object holding it
ws.connect({ url });
// @ts-expect-error rule: connect needs a URL
ws.connect();
// @ts-expect-error rule: close code is a number, not a string
ws.close({ code: "1000" });
// @ts-expect-error rule: close reason is a string
ws.close({ code: 1000, reason: 42 });
// @ts-expect-error rule: close options are an object, not a bare code
ws.close(1000);
// @ts-expect-error rule: a Promise form resolves to boolean, not string
const sent: Promise<string> = ws.send("x");
// @ts-expect-error rule: the callback form returns void, not a Promise
ws.connect(url, () => {}).then(noop);
// @ts-expect-error rule: webSocket.createWebSocket takes no arguments
webSocket.createWebSocket(url);

// --- options -------------------------------------------------------------------------------

// @ts-expect-error rule: proxy is 'system', 'no-proxy' or an HttpProxy; 'auto' is unknown
ws.connect(url, { proxy: "auto" });
// @ts-expect-error rule: an HttpProxy needs its exclusionList
ws.connect(url, { proxy: { host: "proxy.local", port: 3128 } });
// @ts-expect-error rule: the proxy port is a number
ws.connect(url, { proxy: { host: "proxy.local", port: "3128", exclusionList: [] } });
// @ts-expect-error rule: header is an Object; null is not one (strictNullChecks)
ws.connect(url, { header: null });
// @ts-expect-error rule: unknown option names are rejected (typo of caPath)
ws.connect(url, { capath: "/etc/ca.pem" });
// @ts-expect-error rule: a client certificate needs keyPath
ws.connect(url, { clientCert: { certPath: "/c.pem" } });
// @ts-expect-error rule: minSupportTlsProtocol takes a TlsProtocol member, 5 is none
ws.connect(url, { minSupportTlsProtocol: 5 });
// @ts-expect-error rule: TlsProtocol members are TLS_V_1_0..TLS_V_1_3
ws.connect(url, { minSupportTlsProtocol: webSocket.TlsProtocol.TLS_V_1_4 });
// @ts-expect-error rule: pingInterval is a number of seconds
ws.connect(url, { pingInterval: "30s" });
// @ts-expect-error rule: skipServerCertVerification is a boolean
ws.connect(url, { skipServerCertVerification: "yes" });
// @ts-expect-error rule: supportOriginPort is a boolean
ws.connect(url, { supportOriginPort: 1 });
// @ts-expect-error rule: protocol is one string (comma-separated), not an array
ws.connect(url, { protocol: ["chat", "superchat"] });

// --- server --------------------------------------------------------------------------------

// @ts-expect-error rule: the server config needs both connection limits
server.start({ serverPort: 8080 });
// @ts-expect-error rule: serverPort is a number
server.start({ serverPort: "8080", maxConcurrentClientsNumber: 1, maxConnectionsForOneClient: 1 });
// @ts-expect-error rule: server send needs the target connection
server.send("hello");
// @ts-expect-error rule: server send takes (data, connection), in that order
server.send(conn, "hello");
// @ts-expect-error rule: server close needs the connection
server.close();
// @ts-expect-error rule: listAllConnections returns an array synchronously, not a Promise
server.listAllConnections().then(noop);
// @ts-expect-error rule: a server certificate needs keyPath
const badCert: webSocket.ServerCert = { certPath: "/s.pem" };

// --- @ohos.base types ----------------------------------------------------------------------

// @ts-expect-error rule: a BusinessError has a numeric code; a plain Error lacks it
const plain: BusinessError = new Error("no code");
// @ts-expect-error rule: BusinessError.code is a number
const stringCode: BusinessError = { name: "E", message: "m", code: "401" };
// @ts-expect-error rule: BusinessError<string>.data is a string
const badData: BusinessError<string> = { name: "E", message: "m", code: 200, data: 101 };

// --- module surface ------------------------------------------------------------------------

// @ts-expect-error rule: the kit namespace has no WebSocket constructor
new kitWebSocket.WebSocket();
// @ts-expect-error rule: there is no createServer; the factory is createWebSocketServer
kitWebSocket.createServer();
// @ts-expect-error rule: OpenResult is a name of the static view only
const staticName: webSocket.OpenResult = { status: 101, message: "Switching Protocols" };
// @ts-expect-error rule: connection.HttpProxy is required to name its exclusionList
const noExclusions: connection.HttpProxy = { host: "proxy.local", port: 3128 };

console.log(sent, badCert, plain, stringCode, badData, staticName, noExclusions);
