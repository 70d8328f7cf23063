/**
 * Type tests for types/ohos.d.ts: the ArkTS samples in tests/types/ are compiled with the
 * TypeScript compiler API (`strict`, no emit, target ES2022, `lib.es2022` only — no DOM) and
 * must produce exactly the diagnostics they promise.
 *
 * The samples are checked here and not by `deno check`, because they import the ambient
 * module names (`@ohos.net.webSocket`, `@kit.NetworkKit`, ...) that only these declarations
 * provide.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DECLARATIONS = join(ROOT, "types", "ohos.d.ts");
const SAMPLES_DIR = join(ROOT, "tests", "types");
const GLOBALS = join(SAMPLES_DIR, "arkts_globals.d.ts");
const SAMPLES = ["seed_example.ts", "kit_client.ts", "server.ts", "negative.ts"].map((name) =>
  join(SAMPLES_DIR, name)
);
const [SEED, KIT_CLIENT, SERVER, NEGATIVE] = SAMPLES;

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  // No @types/* packages from node_modules: the samples see ES2022 + our declarations only.
  types: [],
};

const baseHost = ts.createCompilerHost(OPTIONS, true);
// Parsed files from disk (the lib files above all) are shared by every program built here.
const sourceCache = new Map<string, ts.SourceFile>();

/** A compiler host that serves `virtualFiles` from memory and everything else from disk. */
function hostWith(virtualFiles: ReadonlyMap<string, string>): ts.CompilerHost {
  return {
    ...baseHost,
    fileExists: (fileName) => virtualFiles.has(fileName) || baseHost.fileExists(fileName),
    readFile: (fileName) => virtualFiles.get(fileName) ?? baseHost.readFile(fileName),
    getSourceFile: (fileName, languageVersion, onError) => {
      const text = virtualFiles.get(fileName);
      if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
      let file = sourceCache.get(fileName);
      if (file === undefined) {
        file = baseHost.getSourceFile(fileName, languageVersion, onError);
        if (file !== undefined) sourceCache.set(fileName, file);
      }
      return file;
    },
  };
}

/** Builds a program over the declarations, the ArkTS globals and `files`. */
function compile(
  files: readonly string[],
  virtualFiles: ReadonlyMap<string, string> = new Map(),
): ts.Program {
  return ts.createProgram({
    rootNames: [DECLARATIONS, GLOBALS, ...files],
    options: OPTIONS,
    host: hostWith(virtualFiles),
  });
}

/** Every diagnostic for `fileName`: syntax and semantics. */
function diagnosticsOf(program: ts.Program, fileName: string): readonly ts.Diagnostic[] {
  const file = program.getSourceFile(fileName);
  assert.ok(file, `${fileName} is part of the program`);
  return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => "\n",
};

function format(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnostics(diagnostics, formatHost);
}

/** 1-based line of a diagnostic. */
function lineOf(diagnostic: ts.Diagnostic): number {
  assert.ok(diagnostic.file && diagnostic.start !== undefined, format([diagnostic]));
  return diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1;
}

// One program for all samples: each sample is a module, so they cannot see each other.
let shared: ts.Program | undefined;
function program(): ts.Program {
  shared ??= compile(SAMPLES);
  return shared;
}

function assertCompilesCleanly(fileName: string): void {
  const diagnostics = diagnosticsOf(program(), fileName);
  assert.equal(diagnostics.length, 0, `unexpected diagnostics:\n${format(diagnostics)}`);
}

Deno.test("ohos.d.ts compiles under --strict with lib es2022 only (no DOM, no @types)", () => {
  const p = program();
  const diagnostics = [
    ...p.getOptionsDiagnostics(),
    ...p.getGlobalDiagnostics(),
    ...diagnosticsOf(p, DECLARATIONS),
    ...diagnosticsOf(p, GLOBALS),
  ];
  assert.equal(diagnostics.length, 0, format(diagnostics));
  const libs = p.getSourceFiles().map((f) => f.fileName).filter((f) => /lib\.dom/.test(f));
  assert.deepEqual(libs, [], "the DOM library must not be loaded");
});

Deno.test("seed_example.ts: the seed's complete example type-checks unannotated under --strict", () => {
  assertCompilesCleanly(SEED);
  // "Unannotated" is the point: the callbacks must get their parameter types from the
  // declarations (an implicit any would have been error 7006 above).
  const text = program().getSourceFile(SEED)!.text;
  assert.match(text, /ws\.on\('open', \(err, value\) =>/);
  assert.doesNotMatch(text, /\) = >/, "the seed's `= >` is written `=>`");
});

Deno.test("kit_client.ts: kit-style imports, typed callbacks and every connect option type-check", () => {
  assertCompilesCleanly(KIT_CLIENT);
});

Deno.test("server.ts: a WebSocketServer (API 19) program type-checks", () => {
  assertCompilesCleanly(SERVER);
});

Deno.test("negative.ts: every misuse is rejected — no stray error and no unused @ts-expect-error (TS2578)", () => {
  const diagnostics = diagnosticsOf(program(), NEGATIVE);
  assert.equal(diagnostics.length, 0, format(diagnostics));
  const directives = program().getSourceFile(NEGATIVE)!.text.match(/@ts-expect-error rule: /g);
  assert.ok((directives?.length ?? 0) >= 50, `only ${directives?.length} misuse cases`);
});

Deno.test("negative.ts without its directives: each marked line fails, and only those lines", () => {
  const original = program().getSourceFile(NEGATIVE)!.text;
  const lines = original.split("\n");
  const expected = new Set<number>();
  lines.forEach((line, index) => {
    if (line.trimStart().startsWith("// @ts-expect-error")) expected.add(index + 2);
  });
  // Same line numbers, directives turned into plain comments.
  const stripped = original.replaceAll("// @ts-expect-error", "// (expected error)");
  const virtualName = join(SAMPLES_DIR, "negative_without_directives.ts");
  const p = compile([virtualName], new Map([[virtualName, stripped]]));
  const diagnostics = diagnosticsOf(p, virtualName);
  const failing = new Set(diagnostics.map(lineOf));
  const silent = [...expected].filter((line) => !failing.has(line));
  const unexpected = diagnostics.filter((d) => !expected.has(lineOf(d)));
  assert.deepEqual(silent, [], `these misuse lines compiled without error: ${silent}`);
  assert.deepEqual(unexpected, [], `errors outside the marked lines:\n${format(unexpected)}`);
});

Deno.test("the check can fail: an in-memory sample with ws.send(42) yields a diagnostic", () => {
  const name = join(SAMPLES_DIR, "in_memory_wrong_call.ts");
  const source = [
    'import webSocket from "@ohos.net.webSocket";',
    "const ws = webSocket.createWebSocket();",
    "ws.send(42);",
    "",
  ].join("\n");
  const diagnostics = diagnosticsOf(compile([name], new Map([[name, source]])), name);
  assert.equal(diagnostics.length, 1, format(diagnostics));
  assert.equal(lineOf(diagnostics[0]), 3);
  // Only the one-argument overload of send fits the arity, so TS reports that candidate's
  // mismatch (2345) rather than "no overload matches" (2769).
  assert.equal(diagnostics[0].code, 2345, format(diagnostics));
  assert.match(
    ts.flattenDiagnosticMessageText(diagnostics[0].messageText, "\n"),
    /'number' is not assignable to parameter of type 'string \| ArrayBuffer'/,
  );
});

Deno.test("ohos.d.ts never uses the `any` type", () => {
  const file = program().getSourceFile(DECLARATIONS)!;
  const found: number[] = [];
  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      found.push(file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  assert.deepEqual(found, [], `\`any\` on lines ${found}`);
});

Deno.test("ohos.d.ts gives every declaration and member a JSDoc @since tag", () => {
  const file = program().getSourceFile(DECLARATIONS)!;
  const missing: string[] = [];
  const visit = (node: ts.Node): void => {
    const documented = ts.isModuleDeclaration(node) || ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) || ts.isFunctionDeclaration(node) ||
      ts.isEnumDeclaration(node) || ts.isEnumMember(node) || ts.isMethodSignature(node) ||
      ts.isPropertySignature(node);
    // Index signatures' and inline type literals' members are part of their parent's type.
    const insideTypeLiteral = node.parent !== undefined && ts.isTypeLiteralNode(node.parent);
    if (documented && !insideTypeLiteral) {
      const since = ts.getJSDocTags(node).filter((tag) => tag.tagName.text === "since");
      const valid = since.length === 1 && /^\d+$/.test(String(since[0].comment ?? "").trim());
      if (!valid) {
        const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
        missing.push(`line ${line}: ${node.getText(file).split("\n")[0]}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  assert.deepEqual(missing, [], `declarations without one numeric @since:\n${missing.join("\n")}`);
});

Deno.test("the modules export every name of spec section 6, and the kits re-export them", () => {
  const p = program();
  const checker = p.getTypeChecker();
  const moduleNamed = (name: string): ts.Symbol => {
    const found = checker.getAmbientModules().find((m) => m.name === `"${name}"`);
    assert.ok(found, `ambient module ${name} is declared`);
    return found;
  };
  const exportNames = (symbol: ts.Symbol): string[] =>
    checker.getExportsOfModule(symbol).map((s) => s.name).sort();
  const resolve = (symbol: ts.Symbol): ts.Symbol =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

  assert.deepEqual(exportNames(moduleNamed("@ohos.base")), [
    "AsyncCallback",
    "BusinessError",
    "Callback",
    "ErrorCallback",
  ]);
  assert.deepEqual(exportNames(moduleNamed("@kit.BasicServicesKit")), [
    "AsyncCallback",
    "BusinessError",
    "Callback",
    "ErrorCallback",
  ]);

  const ohosExports = checker.getExportsOfModule(moduleNamed("@ohos.net.webSocket"));
  assert.deepEqual(ohosExports.map((s) => s.name), ["default"]);
  const namespace = resolve(ohosExports[0]);
  const members = exportNames(namespace);
  for (
    const name of [
      "createWebSocket",
      "createWebSocketServer",
      "WebSocket",
      "WebSocketRequestOptions",
      "WebSocketCloseOptions",
      "CloseResult",
      "ResponseHeaders",
      "WebSocketOpenInfo",
      "HttpProxy",
      "ProxyConfiguration",
      "ClientCert",
      "TlsProtocol",
      "WebSocketServer",
      "WebSocketServerConfig",
      "ServerCert",
      "WebSocketConnection",
      "WebSocketMessage",
      "ClientConnectionCloseCallback",
    ]
  ) {
    assert.ok(members.includes(name), `webSocket.${name} is declared`);
  }

  const kitExports = checker.getExportsOfModule(moduleNamed("@kit.NetworkKit"));
  assert.deepEqual(kitExports.map((s) => s.name), ["webSocket"]);
  assert.equal(resolve(kitExports[0]), namespace, "@kit.NetworkKit re-exports the same namespace");
});
