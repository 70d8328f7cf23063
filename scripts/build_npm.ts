/**
 * Builds the npm package into `npm/`: ES modules (`npm/esm`), CommonJS
 * (`npm/script`), `.d.ts` files next to both, `package.json`, README,
 * LICENSE and the ArkTS declarations of both views (`npm/types/ohos.d.ts`, dynamic, and
 * `npm/types/ohos.static.d.ts`, static); then runs a
 * smoke test with Node against the result.
 *
 * ```sh
 * deno task build:npm            # build + smoke test
 * deno task build:npm --no-smoke # build only
 * ```
 *
 * `build()` takes a dnt-like options object (`entryPoints`, `outDir`,
 * `package`, `compilerOptions`, `scriptModule`, `typeCheck`,
 * `filterDiagnostic`, `postBuild`), so moving to `jsr:@deno/dnt` later, once
 * it can be fetched, is mostly a change of import. It is implemented with
 * the TypeScript compiler API (`npm:typescript@5.9.3`):
 *
 * - the program is type-checked against the real Deno declarations (from
 *   `deno types`), so Deno-only code (`Deno.Conn` in the Deno transport)
 *   compiles as `deno check` sees it. Only `node:` modules stay unresolved
 *   (there is no `@types/node` here): that one diagnostic is filtered, and
 *   `deno check`, which has Node's types, checks the Node transport;
 * - relative `.ts` specifiers become `.js` in the JavaScript and in the
 *   declarations (imports, re-exports, `import()` and `import("…")` types);
 * - the CommonJS files are the ES output transpiled module by module;
 * - a declaration that mentions a `Deno.*` type gets a local, opaque stand-in
 *   (`_deno.d.ts`) instead of the global, so that a Node project
 *   type-checks the package without Deno's declarations and without clashing
 *   with them.
 *
 * @module
 */

import ts from "typescript";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** An entry point: `"./mod.ts"` is the package root (`"."`). */
export type EntryPoint = string | { name: string; path: string };

/** `package.json` fields; `main`, `module`, `types` and `exports` are filled in. */
export interface PackageJsonObject {
  /** npm package name. */
  name: string;
  /** Version (semver). */
  version: string;
  /** Any other field (`description`, `license`, `engines`, …). */
  [field: string]: unknown;
}

/** Options of {@linkcode build}, named as in dnt where dnt has the option. */
export interface BuildOptions {
  /** Modules that become package exports; the first one named `.` is the main entry. */
  entryPoints: EntryPoint[];
  /** Output folder; emptied first. */
  outDir: string;
  /** Fields of the generated `package.json`. */
  package: PackageJsonObject;
  /** Compiler settings of the output. */
  compilerOptions?: {
    /** Output language level (default `ES2022`). */
    target?: "ES2020" | "ES2021" | "ES2022" | "ES2023";
  };
  /** `"cjs"` also emits `npm/script` (CommonJS); `false` emits ESM only. Default `"cjs"`. */
  scriptModule?: "cjs" | false;
  /** Fail the build on type errors (default `true`). */
  typeCheck?: boolean;
  /** Return `false` to ignore a diagnostic. */
  filterDiagnostic?: (diagnostic: ts.Diagnostic) => boolean;
  /** Extra files copied into the package: `[from, to]`, `to` relative to `outDir`. */
  copyFiles?: [from: string, to: string][];
  /**
   * Ambient declaration files shipped as their own subpath exports, e.g.
   * `{ name: "./types/ohos", path: "types/ohos.d.ts" }`.
   */
  declarationExports?: { name: string; path: string }[];
  /** More `exports` entries, as written into `package.json` (their files come from `copyFiles`). */
  extraExports?: Record<string, unknown>;
  /** Runs after everything is written. */
  postBuild?: () => void | Promise<void>;
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => Deno.cwd(),
  getNewLine: () => "\n",
};

/** The Deno namespace declarations of the running `deno`, usable by tsc. */
async function denoDeclarations(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), { args: ["types"], stderr: "inherit" })
    .output();
  if (!output.success) throw new Error("`deno types` failed");
  // tsc has neither the `deno.*` libs nor every lib named here: the program names its libs
  // itself (esnext and dom, which stands in for Deno's web globals).
  return new TextDecoder().decode(output.stdout)
    .replace(/^\/\/\/ <reference (lib|no-default-lib)=.*$/gm, "");
}

/** `./x.ts` → `./x.js` for a relative specifier; anything else unchanged. */
function jsSpecifier(specifier: string): string {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return specifier;
  return specifier.replace(/\.(m|c)?tsx?$/, (_m, kind: string | undefined) => `.${kind ?? ""}js`);
}

/**
 * A transformer that rewrites module specifiers of static and dynamic
 * imports, re-exports and `import("…")` types.
 */
function rewriteSpecifiers<T extends ts.SourceFile | ts.Bundle>(
  context: ts.TransformationContext,
): ts.Transformer<T> {
  const f = context.factory;
  const literal = (node: ts.Expression | undefined) =>
    node !== undefined && ts.isStringLiteral(node) && jsSpecifier(node.text) !== node.text
      ? f.createStringLiteral(jsSpecifier(node.text))
      : undefined;
  const visit = (node: ts.Node): ts.Node => {
    if (ts.isImportDeclaration(node)) {
      const spec = literal(node.moduleSpecifier);
      if (spec) {
        return f.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          spec,
          node.attributes,
        );
      }
    } else if (ts.isExportDeclaration(node)) {
      const spec = literal(node.moduleSpecifier);
      if (spec) {
        return f.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          spec,
          node.attributes,
        );
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const spec = literal(node.arguments[0]);
      if (spec) return f.updateCallExpression(node, node.expression, undefined, [spec]);
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      const spec = literal(node.argument.literal);
      if (spec) {
        return f.updateImportTypeNode(
          node,
          f.updateLiteralTypeNode(node.argument, spec),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
        );
      }
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (root) => ts.visitNode(root, visit) as T;
}

/** `Deno.*` names used as types in declaration output: path → largest type-argument count. */
type DenoTypeUses = Map<string, { typeArgs: number; asValue: boolean }>;

function qualifiedPath(name: ts.EntityName): string[] {
  return ts.isIdentifier(name) ? [name.text] : [...qualifiedPath(name.left), name.right.text];
}

/**
 * A declaration transformer that gives each file that refers to the global
 * `Deno` namespace a local import of the opaque stand-ins in `_deno.d.ts`.
 */
function localDenoTypes(uses: DenoTypeUses, rootDir: string) {
  return (context: ts.TransformationContext): ts.Transformer<ts.SourceFile | ts.Bundle> => {
    const f = context.factory;
    return (root) => {
      if (!ts.isSourceFile(root)) return root;
      let found = false;
      const visit = (node: ts.Node): ts.Node => {
        let name: ts.EntityName | undefined;
        let typeArgs = 0;
        let asValue = false;
        if (ts.isTypeReferenceNode(node)) {
          name = node.typeName;
          typeArgs = node.typeArguments?.length ?? 0;
        } else if (ts.isTypeQueryNode(node)) {
          name = node.exprName;
          asValue = true;
        }
        if (name !== undefined && !ts.isIdentifier(name)) {
          const path = qualifiedPath(name);
          if (path[0] === "Deno") {
            found = true;
            const key = path.slice(1).join(".");
            const seen = uses.get(key);
            uses.set(key, {
              typeArgs: Math.max(seen?.typeArgs ?? 0, typeArgs),
              asValue: (seen?.asValue ?? false) || asValue,
            });
          }
        }
        return ts.visitEachChild(node, visit, context);
      };
      const visited = ts.visitNode(root, visit) as ts.SourceFile;
      if (!found) return visited;
      // The output tree mirrors the sources under rootDir, and _deno.d.ts sits at its top.
      let from = relative(dirname(root.fileName), join(rootDir, "_deno.js"))
        .split(sep).join("/");
      if (!from.startsWith(".")) from = `./${from}`;
      const importDeno = f.createImportDeclaration(
        undefined,
        f.createImportClause(
          ts.SyntaxKind.TypeKeyword,
          undefined,
          f.createNamedImports([
            f.createImportSpecifier(false, undefined, f.createIdentifier("Deno")),
          ]),
        ),
        f.createStringLiteral(from),
      );
      return f.updateSourceFile(visited, [importDeno, ...visited.statements]);
    };
  };
}

/** The text of `_deno.d.ts`: an opaque declaration for every `Deno.*` name used. */
function denoStandIns(uses: DenoTypeUses): string {
  type Tree = { children: Map<string, Tree>; use?: { typeArgs: number; asValue: boolean } };
  const root: Tree = { children: new Map() };
  for (const [path, use] of [...uses].sort(([a], [b]) => a.localeCompare(b))) {
    let node = root;
    for (const part of path.split(".")) {
      let child = node.children.get(part);
      if (child === undefined) node.children.set(part, child = { children: new Map() });
      node = child;
    }
    node.use = use;
  }
  const lines: string[] = [];
  const emit = (tree: Tree, indent: string) => {
    for (const [name, child] of tree.children) {
      if (child.use !== undefined) {
        const params = Array.from({ length: child.use.typeArgs }, (_, i) => `_T${i} = unknown`);
        const generic = params.length > 0 ? `<${params.join(", ")}>` : "";
        lines.push(`${indent}/** Deno's \`${name}\`: opaque outside Deno. */`);
        lines.push(`${indent}interface ${name}${generic} {`);
        lines.push(`${indent}  readonly [denoOnly]: never;`);
        lines.push(`${indent}}`);
        if (child.use.asValue) lines.push(`${indent}const ${name}: unknown;`);
      }
      if (child.children.size > 0) {
        lines.push(`${indent}namespace ${name} {`);
        emit(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
    }
  };
  emit(root, "  ");
  return [
    "/**",
    " * Stand-ins for the Deno types that the declarations of the Deno transport mention.",
    " * They exist only so that a Node project can type-check this package; on Deno, import",
    " * the library's `mod.ts` instead.",
    " */",
    "declare const denoOnly: unique symbol;",
    "export declare namespace Deno {",
    ...lines,
    "}",
    "",
  ].join("\n");
}

function entryName(entry: EntryPoint): { name: string; path: string } {
  if (typeof entry !== "string") return entry;
  return { name: ".", path: entry };
}

/** Builds the package; throws on a type error or a failed step. */
export async function build(options: BuildOptions): Promise<void> {
  const root = Deno.cwd();
  const outDir = resolve(root, options.outDir);
  const esmDir = join(outDir, "esm");
  const scriptDir = join(outDir, "script");
  const withScript = (options.scriptModule ?? "cjs") === "cjs";
  const entries = options.entryPoints.map(entryName);

  await Deno.remove(outDir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(esmDir, { recursive: true });

  const denoTypesFile = join(root, "__deno_types__.d.ts");
  const denoTypesText = await denoDeclarations();
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget[options.compilerOptions?.target ?? "ES2022"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    lib: ["lib.esnext.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    declaration: true,
    // The Deno declarations are checked by Deno, not here.
    skipLibCheck: true,
    rootDir: root,
    outDir: esmDir,
    newLine: ts.NewLineKind.LineFeed,
    removeComments: false,
  };
  const baseHost = ts.createCompilerHost(compilerOptions, true);
  const host: ts.CompilerHost = {
    ...baseHost,
    fileExists: (name) => name === denoTypesFile || baseHost.fileExists(name),
    readFile: (name) => name === denoTypesFile ? denoTypesText : baseHost.readFile(name),
    getSourceFile: (name, language, onError) =>
      name === denoTypesFile
        ? ts.createSourceFile(name, denoTypesText, language, true)
        : baseHost.getSourceFile(name, language, onError),
  };
  const program = ts.createProgram({
    rootNames: [...entries.map((e) => resolve(root, e.path)), denoTypesFile],
    options: compilerOptions,
    host,
  });

  if (options.typeCheck ?? true) {
    const diagnostics = ts.getPreEmitDiagnostics(program)
      .filter((d) => options.filterDiagnostic?.(d) ?? true);
    if (diagnostics.length > 0) {
      throw new Error(
        `type errors:\n${
          Deno.noColor
            ? ts.formatDiagnostics(diagnostics, formatHost)
            : ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost)
        }`,
      );
    }
  }

  const written: string[] = [];
  const denoUses: DenoTypeUses = new Map();
  const result = program.emit(
    undefined,
    (fileName, text) => {
      Deno.mkdirSync(dirname(fileName), { recursive: true });
      Deno.writeTextFileSync(fileName, text);
      written.push(fileName);
    },
    undefined,
    false,
    {
      before: [rewriteSpecifiers],
      afterDeclarations: [rewriteSpecifiers, localDenoTypes(denoUses, root)],
    },
  );
  if (result.emitSkipped || result.diagnostics.length > 0) {
    throw new Error(`emit failed:\n${ts.formatDiagnostics(result.diagnostics, formatHost)}`);
  }
  if (denoUses.size > 0) {
    Deno.writeTextFileSync(join(esmDir, "_deno.d.ts"), denoStandIns(denoUses));
    written.push(join(esmDir, "_deno.d.ts"));
  }

  if (withScript) {
    for (const file of written) {
      const target = join(scriptDir, relative(esmDir, file));
      await Deno.mkdir(dirname(target), { recursive: true });
      const text = await Deno.readTextFile(file);
      if (file.endsWith(".d.ts")) {
        // The same declarations, read as CommonJS through script/package.json.
        await Deno.writeTextFile(target, text);
        continue;
      }
      const cjs = ts.transpileModule(text, {
        fileName: file,
        reportDiagnostics: true,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: compilerOptions.target,
          esModuleInterop: true,
          allowJs: true,
          newLine: ts.NewLineKind.LineFeed,
        },
      });
      if (cjs.diagnostics?.length) {
        throw new Error(
          `CommonJS transpile of ${file}:\n${ts.formatDiagnostics(cjs.diagnostics, formatHost)}`,
        );
      }
      await Deno.writeTextFile(target, cjs.outputText);
    }
    await writeJson(join(scriptDir, "package.json"), { type: "commonjs" });
  }

  const exportsMap: Record<string, unknown> = {};
  for (const entry of entries) {
    const base = relative(root, resolve(root, entry.path)).split(sep).join("/")
      .replace(/\.ts$/, "");
    const esm = { types: `./esm/${base}.d.ts`, default: `./esm/${base}.js` };
    exportsMap[entry.name] = withScript
      ? { import: esm, require: { types: `./script/${base}.d.ts`, default: `./script/${base}.js` } }
      : { import: esm };
  }
  for (const declaration of options.declarationExports ?? []) {
    exportsMap[declaration.name] = { types: `./${declaration.path}` };
  }
  Object.assign(exportsMap, options.extraExports ?? {});
  exportsMap["./package.json"] = "./package.json";
  const main = exportsMap["."] as
    | { import: { types: string; default: string }; require?: { default: string } }
    | undefined;
  await writeJson(join(outDir, "package.json"), {
    ...options.package,
    type: "module",
    ...(main === undefined ? {} : {
      main: main.require?.default ?? main.import.default,
      module: main.import.default,
      types: main.import.types,
    }),
    exports: exportsMap,
    sideEffects: options.package.sideEffects ?? false,
  });

  const copies = [
    ...(options.copyFiles ?? []),
    ...(options.declarationExports ?? []).map((d): [string, string] => [d.path, d.path]),
  ];
  for (const [from, to] of copies) {
    const target = join(outDir, to);
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.copyFile(resolve(root, from), target);
  }

  await options.postBuild?.();
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}

// ------------------------------------------------------------------ smoke test

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
  } finally {
    await server.shutdown();
    await Deno.remove(consumer, { recursive: true });
  }
}

// ------------------------------------------------------------------ this project

if (import.meta.main) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  Deno.chdir(root);
  const config = JSON.parse(await Deno.readTextFile("deno.json")) as { version: string };
  const packageName = "ohos-websocket";
  const outDir = "./npm";
  await build({
    entryPoints: ["./mod.ts"],
    outDir,
    package: {
      name: packageName,
      version: config.version,
      description:
        "The OpenHarmony @ohos.net.webSocket API (client and server) for Node and Bun, on a " +
        "strict RFC 6455 core; runs device code unchanged (ohos-websocket/register) and ships " +
        "ArkTS declarations for type-checking it.",
      license: "MIT",
      keywords: ["websocket", "openharmony", "ohos", "arkts", "harmonyos", "rfc6455"],
      engines: { node: ">=20" },
      // Only the register hook does something when imported.
      sideEffects: ["./register.mjs"],
    },
    compilerOptions: { target: "ES2022" },
    scriptModule: "cjs",
    // node_stream.ts imports node:net / node:tls for types. Without @types/node in this
    // build those imports are unresolved; `deno check` verifies them with Node's real types.
    filterDiagnostic: (d) =>
      !(d.code === 2307 &&
        /'node:[a-z/_]+'/.test(ts.flattenDiagnosticMessageText(d.messageText, "\n"))),
    copyFiles: [
      ["README.md", "README.md"],
      ["LICENSE", "LICENSE"],
      ["scripts/register/register.mjs", "register.mjs"],
      ["scripts/register/register_hooks.mjs", "register_hooks.mjs"],
      ["scripts/register/register.d.mts", "register.d.mts"],
    ],
    // `node --import ohos-websocket/register`: device code's module names resolve to the package.
    extraExports: {
      "./register": { types: "./register.d.mts", default: "./register.mjs" },
    },
    declarationExports: [
      { name: "./types/ohos", path: "types/ohos.d.ts" },
      { name: "./types/ohos.static", path: "types/ohos.static.d.ts" },
    ],
    postBuild: Deno.args.includes("--no-smoke")
      ? undefined
      : () => smokeTest(resolve(root, outDir), packageName),
  });
  console.log(`built ${packageName}@${config.version} into ${outDir}/`);
}
