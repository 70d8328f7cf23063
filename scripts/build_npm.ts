/**
 * Builds the npm package into `npm/`: ES modules (`npm/esm`), CommonJS
 * (`npm/script`), `.d.ts` files next to both, `package.json`, README,
 * LICENSE and the ArkTS declarations of both views (`npm/types/ohos.d.ts`, dynamic, and
 * `npm/types/ohos.static.d.ts`, static) and the `register` hook; then runs the
 * smoke test of `smoke_npm.ts` against the result.
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
 * the TypeScript compiler API (`npm:typescript@6.0.3`):
 *
 * - the program is type-checked against the real Deno declarations (from
 *   `deno types`), so Deno-only code (`Deno.Conn` in the Deno transport)
 *   compiles as `deno check` sees it. Only `node:` modules stay unresolved
 *   (there is no `@types/node` here): that one diagnostic is filtered, and
 *   `deno check`, which has Node's types, checks the Node transport;
 * - relative `.ts` specifiers become `.js`: in the JavaScript by
 *   `rewriteRelativeImportExtensions`, in the declarations by a transformer
 *   (imports, re-exports and `import("…")` types);
 * - the CommonJS files are the ES output transpiled module by module;
 * - the declarations name no `Deno.*` type (the Deno transport takes a
 *   structural `DenoConn`, `src/transport/deno_conn.ts`), so a Node project
 *   type-checks the package without Deno's declarations; the smoke test's
 *   Node-project check (no Deno types, `skipLibCheck: false`) fails otherwise.
 *
 * @module
 */

import ts from "typescript";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { smokeTest } from "./smoke_npm.ts";

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
 * A declaration transformer that rewrites the module specifiers of imports,
 * re-exports and `import("…")` types. The JavaScript needs none:
 * `rewriteRelativeImportExtensions` rewrites it, but not the `.d.ts` output.
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
  const result = program.emit(
    undefined,
    (fileName, text) => {
      Deno.mkdirSync(dirname(fileName), { recursive: true });
      Deno.writeTextFileSync(fileName, text);
      written.push(fileName);
    },
    undefined,
    false,
    { afterDeclarations: [rewriteSpecifiers] },
  );
  if (result.emitSkipped || result.diagnostics.length > 0) {
    throw new Error(`emit failed:\n${ts.formatDiagnostics(result.diagnostics, formatHost)}`);
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
  // The ambient declarations are scripts, neither ES module nor CommonJS; under the package's
  // "type": "module" TypeScript would read them as ES modules and refuse them to `require`
  // resolution (attw: "ESM (dynamic import only)"). Their own folder says CommonJS, which both
  // resolutions accept.
  const declarationDirs = new Set(
    (options.declarationExports ?? []).map((d) => dirname(join(outDir, d.path))),
  );
  for (const dir of declarationDirs) {
    if (dir !== outDir) await writeJson(join(dir, "package.json"), { type: "commonjs" });
  }

  await options.postBuild?.();
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
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
      !((d.code === 2307 || d.code === 2591) &&
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
