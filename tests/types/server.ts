// A WebSocketServer (API 19) sample: an echo server that greets each client, echoes every
// message, and shuts down on request. It is type-checked with `tsc --strict` against
// types/ohos.d.ts by tests/types_test.ts; it is never run.
import { webSocket } from "@kit.NetworkKit";
import { BusinessError, Callback, ErrorCallback } from "@kit.BasicServicesKit";

const server: webSocket.WebSocketServer = webSocket.createWebSocketServer();

const config: webSocket.WebSocketServerConfig = {
  serverIP: "0.0.0.0",
  serverPort: 8080,
  serverCert: {
    certPath: "/data/storage/el2/base/files/server.pem",
    keyPath: "/data/storage/el2/base/files/server.key",
  },
  maxConcurrentClientsNumber: 10,
  protocol: "echo",
  maxConnectionsForOneClient: 2,
};

function describe(connection: webSocket.WebSocketConnection): string {
  return `${connection.clientIP}:${connection.clientPort}`;
}

const onConnect: Callback<webSocket.WebSocketConnection> = (connection) => {
  console.info(`client connected: ${describe(connection)}`);
  server.send("welcome", connection).then((sent: boolean) => {
    console.info(`greeting sent: ${sent}`);
  }).catch((err: BusinessError) => {
    console.error(`greeting failed. Code: ${err.code}, message: ${err.message}`);
  });
};
server.on("connect", onConnect);

server.on("messageReceive", (message: webSocket.WebSocketMessage) => {
  const from = message.clientConnection;
  if (message.data === "shutdown") {
    server.stop();
    return;
  }
  if (message.data === "leave") {
    server.close(from, { code: 1000, reason: "bye" });
    return;
  }
  // Echo text as text and binary as binary.
  const reply: string | ArrayBuffer = typeof message.data === "string"
    ? `echo: ${message.data}`
    : message.data.slice(0);
  server.send(reply, from);
});

const onClientClose: webSocket.ClientConnectionCloseCallback = (
  connection: webSocket.WebSocketConnection,
  result: webSocket.CloseResult,
) => {
  console.info(`client ${describe(connection)} left: ${result.code} ${result.reason}`);
};
server.on("close", onClientClose);
// Untyped listeners get their parameter types from the declarations.
server.on("close", (connection, result) => {
  console.info(connection.clientIP, result.reason);
});

const onServerError: ErrorCallback = (err) => {
  console.error(`server error. Code: ${err.code}, message: ${err.message}`);
};
server.on("error", onServerError);

async function main(): Promise<void> {
  try {
    const started: boolean = await server.start(config);
    console.info(`server started: ${started}`);
    const plain = webSocket.createWebSocketServer();
    await plain.start({
      serverPort: 8081,
      maxConcurrentClientsNumber: 5,
      maxConnectionsForOneClient: 1,
    });
    const connections: webSocket.WebSocketConnection[] = server.listAllConnections();
    // Code written for the device awaits the list (its documentation asks for it).
    const awaited: webSocket.WebSocketConnection[] = await server.listAllConnections();
    console.info(awaited.length);
    for (const connection of connections) {
      await server.send(new ArrayBuffer(4), connection);
      await server.close(connection);
    }
    const stopped: boolean = await server.stop();
    await plain.stop();
    console.info(`server stopped: ${stopped}`);
  } catch (e) {
    const err = e as BusinessError;
    console.error(`server failed. Code: ${err.code}, message: ${err.message}`);
  } finally {
    server.off("connect", onConnect);
    server.off("close", onClientClose);
    server.off("error", onServerError);
    server.off("connect");
    server.off("messageReceive");
    server.off("close");
    server.off("error");
  }
}

main();
