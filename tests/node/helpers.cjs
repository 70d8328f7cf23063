// Shared setup of the Node tests (CommonJS, so that both the .mjs and the .cjs tests can
// load it): the BUILT package (npm/, made by `deno task build:npm`) loaded by name through a
// throw-away project whose node_modules links to it, `ws` servers on 127.0.0.1, a test PKI made
// with `openssl`, and bounded waits. Not a test file itself (node --test runs *.test.*).
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");
const { WebSocketServer } = require("ws");

const PACKAGE_NAME = "ohos-websocket";
const PACKAGE_DIR = path.resolve(__dirname, "..", "..", "npm");

if (!fs.existsSync(path.join(PACKAGE_DIR, "package.json"))) {
  throw new Error(`${PACKAGE_DIR} has no package.json: run \`deno task build:npm\` first`);
}

const tempDirs = [];
process.on("exit", () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

let consumerDir;
/** A project folder whose node_modules/ohos-websocket is the built package. */
function consumer() {
  if (consumerDir === undefined) {
    consumerDir = tempDir("ohos-websocket-node-test-");
    fs.mkdirSync(path.join(consumerDir, "node_modules"));
    fs.symlinkSync(PACKAGE_DIR, path.join(consumerDir, "node_modules", PACKAGE_NAME), "dir");
    fs.writeFileSync(
      path.join(consumerDir, "load.mjs"),
      `export * from "${PACKAGE_NAME}";\nexport { default } from "${PACKAGE_NAME}";\n`,
    );
  }
  return consumerDir;
}

/** `require("ohos-websocket")`, resolved through the package's exports map. */
function requirePackage() {
  return createRequire(path.join(consumer(), "index.cjs"))(PACKAGE_NAME);
}

/** `import("ohos-websocket")`, resolved through the package's exports map. */
function importPackage() {
  return import(pathToFileURL(path.join(consumer(), "load.mjs")).href);
}

/** A module of the built package by its path inside npm/ (e.g. "esm/src/transport/node_stream.js"). */
function builtModulePath(relative) {
  return path.join(PACKAGE_DIR, relative);
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records a client's events; `next(type)` waits (bounded) for the next event of that type
 * not yet taken.
 */
function recordEvents(ws) {
  const log = [];
  const waiters = [];
  const taken = new Set();
  const push = (type, value) => {
    log.push({ type, value });
    for (const waiter of [...waiters]) waiter();
  };
  ws.on("open", (_err, value) => push("open", value));
  ws.on("message", (_err, value) => push("message", value));
  ws.on("close", (_err, value) => push("close", value));
  ws.on("error", (err) => push("error", err));
  return {
    log,
    types: () => log.map((e) => e.type),
    next(type, ms = 5000) {
      return within(
        ms,
        `'${type}' event (seen: ${log.map((e) => e.type).join(", ")})`,
        new Promise((resolve) => {
          const check = () => {
            const index = log.findIndex((e, i) => e.type === type && !taken.has(i));
            if (index < 0) return false;
            taken.add(index);
            waiters.splice(waiters.indexOf(check), 1);
            resolve(log[index].value);
            return true;
          };
          waiters.push(check);
          check();
        }),
      );
    },
  };
}

/**
 * A `ws` server on 127.0.0.1 (TLS when `tls` = { key, cert, ... } is given). By default it
 * echoes every message with the same frame type. `onConnection(socket, request)` replaces the
 * echo; `verifyClient` is passed to ws. Every close is recorded in `closes` ({ code, reason }).
 */
async function startWsServer(options = {}) {
  const server = options.tls ? https.createServer(options.tls) : http.createServer();
  const wss = new WebSocketServer({ server, verifyClient: options.verifyClient });
  const closes = [];
  const sockets = new Set();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  wss.on("connection", (socket, request) => {
    socket.on("close", (code, reason) => closes.push({ code, reason: reason.toString() }));
    if (options.onConnection) options.onConnection(socket, request);
    else socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = server.address().port;
  return {
    port,
    url: `${options.tls ? "wss" : "ws"}://127.0.0.1:${port}/`,
    wss,
    server,
    closes,
    /** Waits (bounded) until the server has seen `count` closes; returns them. */
    async closesSeen(count = 1) {
      await within(
        5000,
        `${count} close(s) seen by the server`,
        (async () => {
          while (closes.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
        })(),
      );
      return closes;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      wss.close();
      await within(5000, "server close", new Promise((resolve) => server.close(() => resolve())));
    },
  };
}

/** A plain TCP server on 127.0.0.1 calling `onSocket(socket)` for each connection. */
async function startTcpServer(onSocket) {
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: server.address().port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await within(5000, "server close", new Promise((resolve) => server.close(() => resolve())));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const CLIENT_KEY_PASSWORD = "secret";
let certs;

/**
 * The test PKI (made once per process with `openssl`, P-256 keys): a CA; a server certificate
 * for localhost / 127.0.0.1 / ::1; one for wrong.example only; a client certificate
 * (clientAuth); the client key encrypted with CLIENT_KEY_PASSWORD. Paths and PEM texts.
 */
function testCerts() {
  if (certs !== undefined) return certs;
  const dir = tempDir("ohos-websocket-node-certs-");
  const openssl = (...args) =>
    execFileSync("openssl", args, {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 20000,
    });
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=ohos-websocket node test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  const issue = (name, cn, extensions) => {
    openssl("req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  issue(
    "server",
    "localhost",
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n",
  );
  issue(
    "wrong",
    "wrong.example",
    "subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n",
  );
  issue("client", "test client", "extendedKeyUsage=clientAuth\n");
  openssl(
    "pkcs8",
    "-topk8",
    "-in",
    "client.key",
    "-out",
    "client-encrypted.key",
    "-v2",
    "aes-256-cbc",
    "-passout",
    `pass:${CLIENT_KEY_PASSWORD}`,
  );
  const file = (name) => ({
    path: path.join(dir, name),
    pem: fs.readFileSync(path.join(dir, name), "utf8"),
  });
  certs = {
    dir,
    ca: file("ca.pem"),
    serverCert: file("server.pem"),
    serverKey: file("server.key"),
    wrongCert: file("wrong.pem"),
    wrongKey: file("wrong.key"),
    clientCert: file("client.pem"),
    clientKey: file("client.key"),
    clientEncryptedKey: file("client-encrypted.key"),
  };
  return certs;
}

module.exports = {
  CLIENT_KEY_PASSWORD,
  PACKAGE_DIR,
  builtModulePath,
  closedPort,
  importPackage,
  recordEvents,
  requirePackage,
  startTcpServer,
  startWsServer,
  testCerts,
  within,
};
