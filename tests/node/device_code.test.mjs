// Device code runs unchanged on Node and Bun (whichever runs this file): the package's
// `ohos-websocket/register` resolves `@ohos.net.webSocket`, `@kit.NetworkKit`,
// `@kit.BasicServicesKit` and `@ohos.base` to the built package, as the README documents. The
// seed's complete example (examples/seed_example.ts, which imports `@ohos.net.webSocket`) talks
// to an echo server on 127.0.0.1; the seed's verbatim text and a kit-style program run too. On
// Node the TypeScript files are first compiled to JavaScript (types erased, imports untouched,
// as `tsc` does for a Node project); Bun runs them as they are.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import helpers from "./helpers.cjs";

const { PACKAGE_DIR, startWsServer } = helpers;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const IS_BUN = typeof globalThis.Bun !== "undefined";
const NODE_MAJOR = IS_BUN ? 0 : Number(process.versions.node.split(".")[0]);
const T = { timeout: 30_000 };

/** What the seed's example prints against an echo server that also says `bye`. */
const SEED_TRANSCRIPT = [
  "on open, status:101, message:Switching Protocols",
  "connect success",
  "send success",
  "on message, message:Hello, server!",
  "on message, message:bye",
  "close success",
  "on close, code is 1000, reason is ",
];
const VERBATIM_TRANSCRIPT = [
  'connect fail, err:{"code":2302001,"message":"invalid URL: cannot parse \\"ws://\\""}',
];
const KIT_TRANSCRIPT = [
  "kit and module are one namespace: true",
  "connect to an http:// URL: code 2302001",
];

let project;
let server;
/** Device files as this runtime runs them: compiled .mjs on Node, the .ts itself on Bun. */
const files = {};

/** Writes `source` (a repository path) into the project for this runtime; returns the name. */
function place(source, name) {
  const text = fs.readFileSync(path.join(ROOT, source), "utf8");
  if (IS_BUN) {
    fs.writeFileSync(path.join(project, `${name}.ts`), text);
    return `${name}.ts`;
  }
  // Type erasure only: the import of the platform name stays as written.
  const ts = createRequire(path.join(ROOT, "package.json"))("typescript");
  const js = ts.transpileModule(text, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  assert.match(js, /from ["']@(ohos|kit)\./, `${source}: the platform import survives compiling`);
  fs.writeFileSync(path.join(project, `${name}.mjs`), js);
  return `${name}.mjs`;
}

before(async () => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "ohos-device-node-"));
  fs.mkdirSync(path.join(project, "node_modules"));
  fs.symlinkSync(PACKAGE_DIR, path.join(project, "node_modules", "ohos-websocket"), "dir");
  files.seed = place("examples/seed_example.ts", "seed_example");
  files.verbatim = place("tests/types/seed_example.ts", "seed_verbatim");
  files.kit = place("tests/device/kit_names.ts", "kit_names");
  // The part of examples/demo.ts that runs the example, for a URL given on the command line.
  fs.writeFileSync(
    path.join(project, "run_seed.mjs"),
    `import { runSeedExample } from "./${files.seed}";\nawait runSeedExample(process.argv[2]);\n`,
  );
  // The demo's echo server: echoes each message, then says `bye`.
  server = await startWsServer({
    onConnection: (socket) =>
      socket.on("message", (data, isBinary) => {
        socket.send(data, { binary: isBinary });
        socket.send("bye");
      }),
  });
});

after(async () => {
  await server?.close();
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

/** Runs this runtime with `args` in the project; resolves with its exit code and output lines. */
function run(args, extraFiles = {}) {
  for (const [name, text] of Object.entries(extraFiles)) {
    fs.writeFileSync(path.join(project, name), text);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: project, timeout: 20_000 }, (error, stdout, stderr) => {
      for (const name of Object.keys(extraFiles)) fs.rmSync(path.join(project, name));
      resolve({
        code: error ? (error.code ?? 1) : 0,
        lines: stdout.split("\n").filter((line) => line !== ""),
        stderr,
      });
    });
  });
}

const REGISTER = ["--import", "ohos-websocket/register"];

test(
  "README, --import ohos-websocket/register: the seed's complete example (examples/seed_example.ts, importing @ohos.net.webSocket) runs against a 127.0.0.1 echo server",
  T,
  async () => {
    const result = await run([...REGISTER, "run_seed.mjs", server.url]);
    assert.deepEqual(result.lines, SEED_TRANSCRIPT, result.stderr);
    assert.equal(result.code, 0, result.stderr);
  },
);

test(
  "README, --import ohos-websocket/register: the seed's verbatim text runs unchanged (its placeholder ws:// gets 2302001)",
  T,
  async () => {
    const copied = fs.readFileSync(path.join(project, files.verbatim), "utf8");
    if (IS_BUN) {
      assert.equal(copied, fs.readFileSync(path.join(ROOT, "tests/types/seed_example.ts"), "utf8"));
    }
    const result = await run([...REGISTER, files.verbatim]);
    assert.deepEqual(result.lines, VERBATIM_TRANSCRIPT, result.stderr);
  },
);

test(
  "README, --import ohos-websocket/register: kit-style code resolves all four names (@kit.NetworkKit, @kit.BasicServicesKit, @ohos.base, @ohos.net.webSocket) to one package",
  T,
  async () => {
    const result = await run([...REGISTER, files.kit]);
    assert.deepEqual(result.lines, KIT_TRANSCRIPT, result.stderr);
  },
);

test(
  "the check can fail: without the register hook the platform name does not resolve",
  T,
  async () => {
    const result = await run([files.kit]);
    assert.notEqual(result.code, 0);
    assert.deepEqual(result.lines, []);
    assert.match(result.stderr, /@kit\.NetworkKit|@ohos\./);
  },
);

const cjsDevice = `const webSocket = require("@ohos.net.webSocket").default;
const { BusinessError } = require("@ohos.base");
console.log(typeof webSocket.createWebSocket + " " + typeof BusinessError);
`;

if (
  IS_BUN || NODE_MAJOR >= 23 ||
  (NODE_MAJOR === 22 && Number(process.versions.node.split(".")[1]) >= 15)
) {
  test(
    "docs/npm.md: require() of a platform name resolves too (Bun; Node with module.registerHooks, 22.15+)",
    T,
    async () => {
      const result = await run([...REGISTER, "device.cjs"], { "device.cjs": cjsDevice });
      assert.deepEqual(result.lines, ["function function"], result.stderr);
    },
  );
} else {
  test(
    "docs/npm.md: on Node 20 the hook (module.register) covers import only; require() of a platform name fails",
    T,
    async () => {
      const result = await run([...REGISTER, "device.cjs"], { "device.cjs": cjsDevice });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Cannot find module '@ohos\.net\.webSocket'/);
    },
  );
}

if (IS_BUN) {
  test(
    "README, Bun: --preload ohos-websocket/register and bunfig.toml's preload run the seed's complete example too",
    T,
    async () => {
      const preload = await run([
        "--preload",
        "ohos-websocket/register",
        "run_seed.mjs",
        server.url,
      ]);
      assert.deepEqual(preload.lines, SEED_TRANSCRIPT, preload.stderr);
      const bunfig = await run(["run_seed.mjs", server.url], {
        "bunfig.toml": 'preload = ["ohos-websocket/register"]\n',
      });
      assert.deepEqual(bunfig.lines, SEED_TRANSCRIPT, bunfig.stderr);
    },
  );
}
