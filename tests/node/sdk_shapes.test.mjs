// The SDK's callback shapes, both views, from the built package under Node: the dynamic view's
// `openInfo` is an AsyncCallback called (undefined, info); the static view's per-event method
// pairs exist with the SDK's names and arities (onOpen hands the value alone); names the SDK
// does not have are absent; `header` takes any object; the server's pairs and
// listAllConnections behave as the SDK declares.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import helpers from "./helpers.cjs";

const { importPackage, startWsServer, within } = helpers;
const T = { timeout: 15_000 };

/** @type {any} */
let webSocket;
/** @type {Awaited<ReturnType<typeof startWsServer>>} */
let echo;
/** The upgrade requests the echo server saw. */
const requests = [];
before(async () => {
  webSocket = (await importPackage()).default;
  echo = await startWsServer({
    onConnection(socket, request) {
      requests.push(request);
      socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
    },
  });
});
after(() => echo.close());

/** A promise and the function that settles it with its arguments (as an array). */
function calledWith() {
  let resolve;
  const promise = new Promise((r) => resolve = r);
  return { promise, listener: (...args) => resolve(args) };
}

test(
  "dynamic view: openInfo listeners are called (undefined, info) with the chosen subprotocol",
  T,
  async () => {
    const ws = webSocket.createWebSocket();
    const openInfo = calledWith();
    ws.on("openInfo", openInfo.listener);
    assert.equal(await within(5000, "connect", ws.connect(echo.url, { protocol: "chat" })), true);
    const [err, info] = await within(5000, "openInfo", openInfo.promise);
    assert.equal(err, undefined);
    assert.deepEqual(info, { status: 101, message: "Switching Protocols", protocol: "chat" });
    await ws.close();
  },
);

test(
  "dynamic view: header takes any object — own string properties are sent, others skipped",
  T,
  async () => {
    const ws = webSocket.createWebSocket();
    const header = Object.create({ "x-inherited": "no" });
    Object.assign(header, { "X-Token": "abc", "x-count": 3, "x-empty": "" });
    const before = requests.length;
    assert.equal(await within(5000, "connect", ws.connect(echo.url, { header })), true);
    const seen = requests[before].headers;
    assert.equal(seen["x-token"], "abc");
    for (const name of ["x-count", "x-empty", "x-inherited"]) {
      assert.equal(seen[name], undefined, `${name} is not sent`);
    }
    await ws.close();
  },
);

test(
  "static view: onOpen hands the value alone; onMessage, onWebSocketClose, onDataEnd, onHeaderReceive work; onClose/onError do not exist",
  T,
  async () => {
    const ws = webSocket.createWebSocket();
    for (const name of ["onClose", "offClose", "onError", "offError"]) {
      assert.equal(ws[name], undefined, `${name} is not an SDK name`);
    }
    const open = calledWith();
    const message = calledWith();
    const closed = calledWith();
    const headers = calledWith();
    let dataEnds = 0;
    ws.onOpen(open.listener);
    ws.onMessage(message.listener);
    ws.onWebSocketClose(closed.listener);
    ws.onWebSocketError(() => {});
    ws.onDataEnd(() => dataEnds++);
    ws.onHeaderReceive(headers.listener);
    assert.equal(await within(5000, "connect", ws.connect(echo.url)), true);
    assert.deepEqual(await open.promise, [{ status: 101, message: "Switching Protocols" }]);
    assert.equal((await headers.promise)[0].upgrade, "websocket");
    await ws.send("static hello");
    assert.deepEqual(await within(5000, "message", message.promise), [undefined, "static hello"]);
    assert.equal(dataEnds, 1, "dataEnd follows the message's listeners");
    ws.offOpen(open.listener);
    await ws.close({ code: 4000, reason: "bye" });
    const [err, result] = await within(5000, "close", closed.promise);
    assert.equal(err, undefined);
    assert.deepEqual(result, { code: 4000, reason: "bye" });
  },
);

test(
  "server, both views: onConnect/onMessageReceive/onWebSocketServerClose pairs share on()'s lists; listAllConnections is an array that await also accepts",
  T,
  async () => {
    const server = webSocket.createWebSocketServer();
    const connected = calledWith();
    const received = calledWith();
    const left = calledWith();
    server.onConnect(connected.listener);
    server.onMessageReceive(received.listener);
    server.onWebSocketServerClose(left.listener);
    server.onWebSocketServerError(() => {});
    const dropped = () => assert.fail("a removed listener was called");
    server.on("connect", dropped);
    server.offConnect(dropped);
    assert.equal(
      await server.start({
        serverIP: "127.0.0.1",
        serverPort: 0,
        maxConcurrentClientsNumber: 2,
        maxConnectionsForOneClient: 2,
      }),
      true,
    );
    try {
      const ws = webSocket.createWebSocket();
      assert.equal(
        await within(5000, "connect", ws.connect(`ws://127.0.0.1:${server.address().serverPort}/`)),
        true,
      );
      const [connection] = await within(5000, "connect event", connected.promise);
      const list = server.listAllConnections();
      assert.ok(Array.isArray(list), "the SDK declares WebSocketConnection[]");
      assert.deepEqual(await server.listAllConnections(), list, "await yields the same list");
      assert.deepEqual(list, [connection]);
      await ws.send("to the server");
      const [message] = await within(5000, "messageReceive", received.promise);
      assert.equal(message.data, "to the server");
      await ws.close();
      const [who, result] = await within(5000, "server close event", left.promise);
      assert.deepEqual(who, connection);
      assert.equal(result.code, 1000);
    } finally {
      await server.stop();
    }
  },
);
