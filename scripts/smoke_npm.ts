/**
 * The smoke test of the built npm package (`deno task build:npm` runs it after the build in
 * `build_npm.ts`; `deno run -A scripts/smoke_npm.ts` runs it alone against `npm/`): `npm pack`,
 * `publint` and `@arethetypeswrong/cli` accept the package; Node imports and requires it by name
 * and talks to a local echo server; `tsc` type-checks the package's declarations from a Node
 * project, ArkTS samples against the shipped declarations of both views, and device code through
 * the README's `tsconfig` `paths`.
 *
 * @module
 */

import ts from "typescript";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => Deno.cwd(),
  getNewLine: () => "\n",
};

const SMOKE_TIMEOUT_MS = 30_000;

/** Runs `node` with `args` in `cwd`; throws with its output unless it exits with 0 in time. */
async function runNode(args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command("node", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(SMOKE_TIMEOUT_MS),
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`node ${args.join(" ")} failed (${output.code}):\n${text}`);
  return text;
}

/** `npm pack --dry-run` must accept the package and list its entry points. */
async function checkPack(packageDir: string): Promise<void> {
  const output = await new Deno.Command("npm", {
    args: ["pack", "--dry-run", "--json"],
    cwd: packageDir,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(SMOKE_TIMEOUT_MS),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`npm pack rejected the package:\n${new TextDecoder().decode(output.stderr)}`);
  }
  const files = (JSON.parse(text) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  const needs = [
    "package.json",
    "esm/mod.js",
    "script/mod.js",
    "types/ohos.d.ts",
    "types/ohos.static.d.ts",
  ];
  for (const needed of needs) {
    if (!files.includes(needed)) throw new Error(`npm pack left out ${needed}`);
  }
  console.log(`smoke test: npm pack accepts the package (${files.length} files)`);
}

/** The package linters, pinned; `npx` fetches them (once, then from npm's cache). */
const PUBLINT = "publint@0.3.25";
const ATTW = "@arethetypeswrong/cli@0.18.5";

/**
 * Runs `npx -y <args>` in `cwd`; throws with its output unless it exits with 0. Returns
 * stdout and stderr together, or stdout alone with `stdoutOnly` (for machine-readable output).
 */
async function npx(args: string[], cwd: string, stdoutOnly = false): Promise<string> {
  const output = await new Deno.Command("npx", {
    args: ["-y", ...args],
    cwd,
    env: { NO_COLOR: "1", npm_config_update_notifier: "false" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const text = stdout + new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`npx ${args.join(" ")} failed (${output.code}):\n${text}`);
  return stdoutOnly ? stdout : text;
}

/**
 * `publint --strict` (warnings fail too) and `attw --pack` (every entry point under node10,
 * node16 from CommonJS and from ES modules, and bundler) must find nothing. `./register` is left
 * out of attw: it exports nothing and is loaded for its effect (`--import`), so its types have
 * nothing to be wrong about; the runtime tests load it on every runtime.
 */
async function checkLinters(packageDir: string): Promise<void> {
  const publint = await npx([PUBLINT, "--strict", "."], packageDir);
  if (!/All good!/.test(publint)) throw new Error(`publint:\n${publint}`);
  console.log(`smoke test: ${PUBLINT} --strict: all good`);
  // JSON, not the table: the table's layout follows the terminal width and the CI environment.
  const attw = await npx(
    [ATTW, "--pack", ".", "--format", "json", "--exclude-entrypoints", "./register"],
    packageDir,
    true,
  );
  let report: { analysis?: { problems?: unknown[]; entrypoints?: Record<string, unknown> } };
  try {
    report = JSON.parse(attw);
  } catch {
    throw new Error(`attw printed no JSON report:\n${attw}`);
  }
  const problems = report.analysis?.problems;
  if (!Array.isArray(problems) || problems.length > 0) {
    throw new Error(`attw found problems:\n${JSON.stringify(problems, null, 2)}`);
  }
  const checked = Object.keys(report.analysis?.entrypoints ?? {}).map((subpath) =>
    subpath === "." ? "ohos-websocket" : `ohos-websocket/${subpath.replace(/^\.\//, "")}`
  );
  for (
    const needed of [
      "ohos-websocket",
      "ohos-websocket/types/ohos",
      "ohos-websocket/types/ohos.static",
    ]
  ) {
    if (!checked.includes(needed)) throw new Error(`attw did not check ${needed}:\n${attw}`);
  }
  console.log(`smoke test: ${ATTW}: no problems (${checked.join(", ")})`);
}

/**
 * A throw-away project whose `node_modules/<name>` links to the built
 * package, so that imports go through the package's `exports` map.
 */
async function consumerProject(packageDir: string, name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ohos-websocket-consumer-" });
  await Deno.mkdir(join(dir, "node_modules"), { recursive: true });
  await Deno.symlink(packageDir, join(dir, "node_modules", name), { type: "dir" });
  return dir;
}

/** The client program of the smoke test, in ESM or CommonJS. */
function smokeClient(kind: "esm" | "cjs", name: string, url: string): string {
  const load = kind === "esm"
    ? `import webSocket, { webSocket as named } from ${JSON.stringify(name)};`
    : `const { default: webSocket, webSocket: named } = require(${JSON.stringify(name)});`;
  return `${load}
if (webSocket !== named) throw new Error("default and named export differ");
const ws = webSocket.createWebSocket();
const seen = [];
const done = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("timed out: " + JSON.stringify(seen))), 10000);
  ws.on("open", (_err, value) => seen.push(["open", value.status]));
  ws.on("message", (_err, data) => {
    seen.push(["message", typeof data === "string" ? data : Array.from(new Uint8Array(data))]);
    if (seen.filter((e) => e[0] === "message").length === 2) ws.close({ code: 1000, reason: "bye" });
  });
  ws.on("close", (_err, value) => {
    clearTimeout(timer);
    seen.push(["close", value.code]);
    resolve();
  });
  ws.on("error", (err) => seen.push(["error", err.code]));
});
ws.connect(${JSON.stringify(url)}).then(async () => {
  await ws.send("hello");
  await ws.send(new Uint8Array([1, 2, 3]).buffer);
}).catch((err) => seen.push(["connect failed", JSON.stringify(err)]));
done.then(() => console.log(JSON.stringify(seen)), (err) => { console.error(err.message); process.exitCode = 1; });
`;
}

const SMOKE_EXPECTED = JSON.stringify([
  ["open", 101],
  ["message", "hello"],
  ["message", [1, 2, 3]],
  ["close", 1000],
]);

/** A TS program over `files` with `options`; returns its formatted diagnostics. */
function typeCheck(files: string[], options: ts.CompilerOptions): string {
  // As if tsconfig.json were in the files' folder: "types" entries resolve from there.
  const host = ts.createCompilerHost(options);
  host.getCurrentDirectory = () => dirname(files[0]);
  const program = ts.createProgram({ rootNames: files, options, host });
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  return ts.formatDiagnostics(diagnostics, formatHost);
}

/**
 * Node imports and requires the package by name and talks to a local echo
 * server; tsc type-checks the package's declarations from a Node project
 * (no Deno types, no `@types/node`) and an ArkTS sample against the shipped
 * `types/ohos.d.ts`, with each way of adding it.
 */
export async function smokeTest(packageDir: string, name: string): Promise<void> {
  await checkPack(packageDir);
  await checkLinters(packageDir);
  const consumer = await consumerProject(packageDir, name);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => socket.send(event.data);
    return response;
  });
  try {
    const url = `ws://127.0.0.1:${server.addr.port}/`;
    for (const kind of ["esm", "cjs"] as const) {
      const file = join(consumer, kind === "esm" ? "smoke.mjs" : "smoke.cjs");
      await Deno.writeTextFile(file, smokeClient(kind, name, url));
      const printed = (await runNode([file], consumer)).trim();
      if (printed !== SMOKE_EXPECTED) {
        throw new Error(`${kind} smoke test: expected ${SMOKE_EXPECTED}, got ${printed}`);
      }
      console.log(`smoke test (${kind === "esm" ? "import" : "require"}): ${printed}`);
    }

    // Declarations of the package, from a Node project without Deno or Node types.
    const usage = `const ws = webSocket.createWebSocket();
ws.on("message", (_err, data) => { const text: string | ArrayBuffer = data; void text; });
export const connected: Promise<boolean> = ws.connect("ws://127.0.0.1:1/");
`;
    await Deno.writeTextFile(
      join(consumer, "use.mts"),
      `import webSocket from ${JSON.stringify(name)};\n${usage}`,
    );
    await Deno.writeTextFile(
      join(consumer, "use.cts"),
      `import { webSocket } from ${JSON.stringify(name)};\n${usage}`,
    );
    const nodeProject: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      types: [],
    };
    for (
      const [module, resolution] of [
        [ts.ModuleKind.Node16, ts.ModuleResolutionKind.Node16],
        [ts.ModuleKind.NodeNext, ts.ModuleResolutionKind.NodeNext],
      ] as const
    ) {
      const errors = typeCheck([join(consumer, "use.mts"), join(consumer, "use.cts")], {
        ...nodeProject,
        module,
        moduleResolution: resolution,
      });
      if (errors !== "") throw new Error(`package declarations do not type-check:\n${errors}`);
    }
    console.log("smoke test: the package's .d.ts type-check from a Node project (ESM and CJS)");

    // ArkTS code against the shipped declarations of each view, added each documented way.
    const globals = await Deno.readTextFile("tests/types/arkts_globals.d.ts");
    const globalsFile = join(consumer, "arkts_globals.d.ts");
    await Deno.writeTextFile(globalsFile, globals);
    const views = [
      ["types/ohos", "tests/types/seed_example.ts"],
      ["types/ohos.static", "tests/types/static/client.ts"],
    ] as const;
    const arkts: ts.CompilerOptions = { ...nodeProject, module: ts.ModuleKind.ESNext };
    const resolutions = [
      ["node16", {
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
      }],
      ["bundler", { moduleResolution: ts.ModuleResolutionKind.Bundler }],
      ["node10", {
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        // TypeScript 6 deprecates node10 (it goes in 7); projects still on it keep working.
        ignoreDeprecations: "6.0",
      }],
    ] as const;
    for (const [subpath, samplePath] of views) {
      const sample = await Deno.readTextFile(samplePath);
      const plain = join(consumer, "arkts_sample.ts");
      const referencing = join(consumer, "arkts_sample_with_reference.ts");
      await Deno.writeTextFile(plain, sample);
      await Deno.writeTextFile(
        referencing,
        `/// <reference types="${name}/${subpath}" />\n${sample}`,
      );
      for (const [label, resolution] of resolutions) {
        const viaTypes = typeCheck([plain, globalsFile], {
          ...arkts,
          ...resolution,
          types: [`${name}/${subpath}`],
        });
        const viaReference = typeCheck([referencing, globalsFile], { ...arkts, ...resolution });
        if (viaTypes !== "" || viaReference !== "") {
          throw new Error(
            `${samplePath} against ${subpath}, moduleResolution ${label}:\n${viaTypes}${viaReference}`,
          );
        }
      }
      console.log(
        `smoke test: ${samplePath} type-checks with "types": ["${name}/${subpath}"] and with ` +
          "/// <reference types> (node16, bundler, node10)",
      );
    }

    // Device code through the README's tsconfig `paths` (the implementation's own types).
    const device = join(consumer, "device");
    await Deno.mkdir(device);
    await Deno.writeTextFile(join(device, "package.json"), '{ "type": "module" }\n');
    const readme = await Deno.readTextFile("README.md");
    const pathsBlock = [...readme.matchAll(/```json\n([^`]*?)\s*```/g)].map((m) => m[1])
      .find((text) => text.includes('"paths"'));
    if (pathsBlock === undefined) throw new Error("README has no tsconfig block with paths");
    const paths =
      (JSON.parse(pathsBlock) as { compilerOptions: { paths: Record<string, string[]> } })
        .compilerOptions.paths;
    const deviceFiles = ["examples/seed_example.ts", "tests/device/kit_names.ts"];
    for (const file of deviceFiles) await Deno.copyFile(file, join(device, file.split("/").pop()!));
    await Deno.copyFile(globalsFile, join(device, "arkts_globals.d.ts"));
    for (
      const [module, resolution] of [
        [ts.ModuleKind.Node16, ts.ModuleResolutionKind.Node16],
        [ts.ModuleKind.ESNext, ts.ModuleResolutionKind.Bundler],
      ] as const
    ) {
      const errors = typeCheck(
        [
          ...deviceFiles.map((f) => join(device, f.split("/").pop()!)),
          join(device, "arkts_globals.d.ts"),
        ],
        {
          ...nodeProject,
          module,
          moduleResolution: resolution,
          // paths entries are relative to the tsconfig folder, here the consumer project's root.
          baseUrl: undefined,
          paths: Object.fromEntries(
            Object.entries(paths).map(([name, to]) => [name, to.map((t) => resolve(consumer, t))]),
          ),
        },
      );
      if (errors !== "") throw new Error(`device code through tsconfig paths:\n${errors}`);
    }
    // The check can fail: without the paths the platform names resolve to nothing.
    const unmapped = typeCheck([join(device, "kit_names.ts"), join(device, "arkts_globals.d.ts")], {
      ...nodeProject,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
    });
    if (!unmapped.includes("TS2307")) {
      throw new Error(`without paths, kit_names.ts should not resolve:\n${unmapped}`);
    }
    console.log(
      `smoke test: ${deviceFiles.join(" and ")} type-check through the README's tsconfig paths ` +
        "(node16, bundler)",
    );
  } finally {
    await server.shutdown();
    await Deno.remove(consumer, { recursive: true });
  }
}

if (import.meta.main) {
  Deno.chdir(resolve(dirname(fileURLToPath(import.meta.url)), ".."));
  await smokeTest(resolve("npm"), "ohos-websocket");
}
