// A WebSocketServer for ArkTS 1.2 (the SDK's static view): the server's event method pairs.
// Type-checked with `tsc --strict` against types/ohos.static.d.ts by tests/types_test.ts; it is
// never run.
import { webSocket } from "@kit.NetworkKit";
import { BusinessError, Callback, ErrorCallback } from "@kit.BasicServicesKit";

const server: webSocket.WebSocketServer = webSocket.createWebSocketServer();

const onConnect: Callback<webSocket.WebSocketConnection> = (connection) => {
  console.info(`client ${connection.clientIP}:${connection.clientPort}`);
};
const onMessage: Callback<webSocket.WebSocketMessage> = (message: webSocket.WebSocketMessage) => {
  server.send(message.data, message.clientConnection);
};
const onClientClose: webSocket.ClientConnectionCloseCallback = (
  connection: webSocket.WebSocketConnection,
  result: webSocket.CloseResult,
) => console.info(connection.clientIP, result.code, result.reason);
const onError: ErrorCallback = (err: BusinessError) => console.error(err.code);

server.onConnect(onConnect);
server.onMessageReceive(onMessage);
server.onWebSocketServerClose(onClientClose);
server.onWebSocketServerError(onError);

async function main(): Promise<void> {
  const started: boolean = await server.start({
    serverIP: "0.0.0.0",
    serverPort: 8080,
    serverCert: { certPath: "/data/server.pem", keyPath: "/data/server.key" },
    maxConcurrentClientsNumber: 10,
    maxConnectionsForOneClient: 2,
    protocol: "chat",
  });
  const connections: webSocket.WebSocketConnection[] = await server.listAllConnections();
  for (const connection of connections) {
    await server.close(connection, { code: 1001, reason: "restart" });
  }
  server.offConnect(onConnect);
  server.offMessageReceive(onMessage);
  server.offWebSocketServerClose(onClientClose);
  server.offWebSocketServerError(onError);
  server.offConnect();
  server.offMessageReceive();
  server.offWebSocketServerClose();
  server.offWebSocketServerError();
  const stopped: boolean = await server.stop();
  console.info(started, stopped);
}
main();
