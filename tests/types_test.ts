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
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SAMPLES_DIR = join(ROOT, "tests", "types");
const GLOBALS = join(SAMPLES_DIR, "arkts_globals.d.ts");

/**
 * The two views of the SDK, each its own declaration file (they declare the same module names,
 * so a program loads one of them), with the samples that must compile against it and the
 * misuse file that must not.
 */
const VIEWS = {
  dynamic: {
    declarations: join(ROOT, "types", "ohos.d.ts"),
    clean: ["seed_example.ts", "kit_client.ts", "server.ts"].map((n) => join(SAMPLES_DIR, n)),
    negative: join(SAMPLES_DIR, "negative.ts"),
    minimumMisuses: 60,
  },
  static: {
    declarations: join(ROOT, "types", "ohos.static.d.ts"),
    clean: ["client.ts", "server.ts"].map((n) => join(SAMPLES_DIR, "static", n)),
    negative: join(SAMPLES_DIR, "static", "negative.ts"),
    minimumMisuses: 23,
  },
} as const;
type View = keyof typeof VIEWS;
const [SEED] = VIEWS.dynamic.clean;

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

/** Builds a program over one view's declarations, the ArkTS globals and `files`. */
function compile(
  view: View,
  files: readonly string[],
  virtualFiles: ReadonlyMap<string, string> = new Map(),
): ts.Program {
  return ts.createProgram({
    rootNames: [VIEWS[view].declarations, GLOBALS, ...files],
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

// One program per view for all its samples: each sample is a module, so they cannot see
// each other.
const programs = new Map<View, ts.Program>();
function program(view: View = "dynamic"): ts.Program {
  let p = programs.get(view);
  if (p === undefined) {
    p = compile(view, [...VIEWS[view].clean, VIEWS[view].negative]);
    programs.set(view, p);
  }
  return p;
}

function assertCompilesCleanly(fileName: string, view: View = "dynamic"): void {
  const diagnostics = diagnosticsOf(program(view), fileName);
  assert.equal(diagnostics.length, 0, `unexpected diagnostics:\n${format(diagnostics)}`);
}

for (const view of Object.keys(VIEWS) as View[]) {
  const { declarations, clean, negative, minimumMisuses } = VIEWS[view];
  const name = basename(declarations);

  Deno.test(`${name} (${view} view) compiles under --strict with lib es2022 only (no DOM, no @types)`, () => {
    const p = program(view);
    const diagnostics = [
      ...p.getOptionsDiagnostics(),
      ...p.getGlobalDiagnostics(),
      ...diagnosticsOf(p, declarations),
      ...diagnosticsOf(p, GLOBALS),
    ];
    assert.equal(diagnostics.length, 0, format(diagnostics));
    const libs = p.getSourceFiles().map((f) => f.fileName).filter((f) => /lib\.dom/.test(f));
    assert.deepEqual(libs, [], "the DOM library must not be loaded");
  });

  for (const sample of clean) {
    Deno.test(`${view} view: ${relative(SAMPLES_DIR, sample)} type-checks under --strict`, () => {
      assertCompilesCleanly(sample, view);
    });
  }

  Deno.test(`${view} view: ${relative(SAMPLES_DIR, negative)}: every misuse is rejected — no stray error and no unused @ts-expect-error (TS2578)`, () => {
    const diagnostics = diagnosticsOf(program(view), negative);
    assert.equal(diagnostics.length, 0, format(diagnostics));
    const directives = program(view).getSourceFile(negative)!.text.match(
      /@ts-expect-error rule: /g,
    );
    assert.ok(
      (directives?.length ?? 0) >= minimumMisuses,
      `only ${directives?.length} misuse cases`,
    );
  });

  Deno.test(`${view} view: ${relative(SAMPLES_DIR, negative)} without its directives: each marked line fails, and only those lines`, () => {
    const original = program(view).getSourceFile(negative)!.text;
    const lines = original.split("\n");
    const expected = new Set<number>();
    lines.forEach((line, index) => {
      if (line.trimStart().startsWith("// @ts-expect-error")) expected.add(index + 2);
    });
    // Same line numbers, directives turned into plain comments.
    const stripped = original.replaceAll("// @ts-expect-error", "// (expected error)");
    const virtualName = join(dirname(negative), "negative_without_directives.ts");
    const p = compile(view, [virtualName], new Map([[virtualName, stripped]]));
    const diagnostics = diagnosticsOf(p, virtualName);
    const failing = new Set(diagnostics.map(lineOf));
    const silent = [...expected].filter((line) => !failing.has(line));
    const unexpected = diagnostics.filter((d) => !expected.has(lineOf(d)));
    assert.deepEqual(silent, [], `these misuse lines compiled without error: ${silent}`);
    assert.deepEqual(unexpected, [], `errors outside the marked lines:\n${format(unexpected)}`);
  });

  Deno.test(`${name} never uses the \`any\` type`, () => {
    const file = program(view).getSourceFile(declarations)!;
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

  Deno.test(`${name} gives every declaration and member one JSDoc @since tag of its view`, () => {
    const file = program(view).getSourceFile(declarations)!;
    const missing: string[] = [];
    const visit = (node: ts.Node, inBase: boolean): void => {
      const base = inBase ||
        (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) &&
          node.name.text === "@ohos.base");
      // Namespaces carry a level; `declare module` blocks (as in the SDK's kit files) do not.
      const documented = (ts.isModuleDeclaration(node) && !ts.isStringLiteral(node.name)) ||
        ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ||
        ts.isFunctionDeclaration(node) || ts.isEnumDeclaration(node) || ts.isEnumMember(node) ||
        ts.isMethodSignature(node) || ts.isPropertySignature(node) ||
        ts.isCallSignatureDeclaration(node);
      // Index signatures' and inline type literals' members are part of their parent's type.
      const insideTypeLiteral = node.parent !== undefined && ts.isTypeLiteralNode(node.parent);
      if (documented && !insideTypeLiteral) {
        const since = ts.getJSDocTags(node).filter((tag) => tag.tagName.text === "since");
        // The SDK's base file tags its types for the dynamic view only; both views use them.
        const tagView = base ? "dynamic" : view;
        const pattern = new RegExp(`^\\d+(\\.\\d+\\.\\d+)? ${tagView}$`);
        const valid = since.length === 1 && pattern.test(String(since[0].comment ?? "").trim());
        if (!valid) {
          const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
          missing.push(`line ${line}: ${node.getText(file).split("\n")[0]}`);
        }
      }
      ts.forEachChild(node, (child) => visit(child, base));
    };
    visit(file, false);
    assert.deepEqual(
      missing,
      [],
      `declarations without one @since <level> ${view}:\n${missing.join("\n")}`,
    );
  });
}

Deno.test("seed_example.ts: the seed's complete example type-checks unannotated under --strict", () => {
  assertCompilesCleanly(SEED);
  // "Unannotated" is the point: the callbacks must get their parameter types from the
  // declarations (an implicit any would have been error 7006 above).
  const text = program().getSourceFile(SEED)!.text;
  assert.match(text, /ws\.on\('open', \(err, value\) =>/);
  assert.doesNotMatch(text, /\) = >/, "the seed's `= >` is written `=>`");
});

Deno.test("the check can fail: an in-memory sample with ws.send(42) yields a diagnostic", () => {
  const name = join(SAMPLES_DIR, "in_memory_wrong_call.ts");
  const source = [
    'import webSocket from "@ohos.net.webSocket";',
    "const ws = webSocket.createWebSocket();",
    "ws.send(42);",
    "",
  ].join("\n");
  const diagnostics = diagnosticsOf(compile("dynamic", [name], new Map([[name, source]])), name);
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

/**
 * The SDK's surface, stated here (the SDK files themselves are not available at test time):
 * the names each view's modules export and the members of its interfaces. Checked exactly, so a
 * name the SDK lacks cannot slip into a view, and a name it has cannot go missing.
 */
const SDK_SURFACE: Record<View, {
  webSocket: string[];
  members: Record<string, string[]>;
}> = {
  dynamic: {
    webSocket: [
      "ClientCert",
      "ClientConnectionCloseCallback",
      "CloseResult",
      "HttpProxy",
      "ProxyConfiguration",
      "ResponseHeaders",
      "ServerCert",
      "TlsProtocol",
      "WebSocket",
      "WebSocketCloseOptions",
      "WebSocketConnection",
      "WebSocketMessage",
      "WebSocketOpenInfo",
      "WebSocketRequestOptions",
      "WebSocketServer",
      "WebSocketServerConfig",
      "createWebSocket",
      "createWebSocketServer",
    ],
    members: {
      WebSocket: ["close", "connect", "off", "on", "send"],
      WebSocketServer: ["close", "listAllConnections", "off", "on", "send", "start", "stop"],
      WebSocketRequestOptions: [
        "caPath",
        "clientCert",
        "header",
        "minSupportTlsProtocol",
        "pingInterval",
        "pongTimeout",
        "protocol",
        "proxy",
        "skipServerCertVerification",
        "supportOriginPort",
      ],
      WebSocketOpenInfo: ["message", "protocol", "status"],
    },
  },
  static: {
    webSocket: [
      "ClientCert",
      "ClientConnectionCloseCallback",
      "CloseResult",
      "HttpProxy",
      "OpenResult",
      "ProxyConfiguration",
      "ResponseHeaders",
      "ServerCert",
      "WebSocket",
      "WebSocketCloseOptions",
      "WebSocketConnection",
      "WebSocketMessage",
      "WebSocketRequestOptions",
      "WebSocketServer",
      "WebSocketServerConfig",
      "createWebSocket",
      "createWebSocketServer",
    ],
    members: {
      WebSocket: [
        "close",
        "connect",
        "offDataEnd",
        "offHeaderReceive",
        "offMessage",
        "offOpen",
        "offWebSocketClose",
        "offWebSocketError",
        "onDataEnd",
        "onHeaderReceive",
        "onMessage",
        "onOpen",
        "onWebSocketClose",
        "onWebSocketError",
        "send",
      ],
      WebSocketServer: [
        "close",
        "listAllConnections",
        "offConnect",
        "offMessageReceive",
        "offWebSocketServerClose",
        "offWebSocketServerError",
        "onConnect",
        "onMessageReceive",
        "onWebSocketServerClose",
        "onWebSocketServerError",
        "send",
        "start",
        "stop",
      ],
      WebSocketRequestOptions: [
        "caPath",
        "clientCert",
        "header",
        "pingInterval",
        "pongTimeout",
        "protocol",
        "proxy",
        "skipServerCertVerification",
      ],
      OpenResult: ["message", "status"],
    },
  },
};

for (const view of Object.keys(VIEWS) as View[]) {
  Deno.test(`${view} view: the modules export exactly the SDK's names, and the kits re-export the same objects`, () => {
    const p = program(view);
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
    const defaultNamespace = (module: string): ts.Symbol => {
      const exports = checker.getExportsOfModule(moduleNamed(module));
      assert.deepEqual(exports.map((s) => s.name), ["default"], `${module} exports a default`);
      return resolve(exports[0]);
    };

    const base = ["AsyncCallback", "BusinessError", "Callback", "ErrorCallback"];
    assert.deepEqual(exportNames(moduleNamed("@ohos.base")), base);
    assert.deepEqual(exportNames(moduleNamed("@kit.BasicServicesKit")), base);

    const webSocket = defaultNamespace("@ohos.net.webSocket");
    assert.deepEqual(exportNames(webSocket), SDK_SURFACE[view].webSocket);
    const connection = defaultNamespace("@ohos.net.connection");
    assert.deepEqual(exportNames(connection), ["HttpProxy"], "only what webSocket needs");

    const kit = checker.getExportsOfModule(moduleNamed("@kit.NetworkKit"));
    assert.deepEqual(kit.map((s) => s.name).sort(), ["connection", "webSocket"]);
    const kitMember = (name: string) => resolve(kit.find((s) => s.name === name)!);
    assert.equal(kitMember("webSocket"), webSocket, "the kit's webSocket is the module's");
    assert.equal(kitMember("connection"), connection, "the kit's connection is the module's");

    for (const [type, expected] of Object.entries(SDK_SURFACE[view].members)) {
      const symbol = webSocket.exports?.get(ts.escapeLeadingUnderscores(type));
      assert.ok(symbol, `webSocket.${type} is declared`);
      const members = [...(symbol.members?.keys() ?? [])].map(String).sort();
      assert.deepEqual(members, expected, `members of webSocket.${type} (${view} view)`);
    }
  });
}

Deno.test("docs/npm.md: a project can add a kit module it needs (ambient declarations of @kit.NetworkKit merge)", () => {
  const augment = join(SAMPLES_DIR, "in_memory_kit_augment.d.ts");
  const user = join(SAMPLES_DIR, "in_memory_kit_user.ts");
  const sources = new Map([
    [
      augment,
      'declare module "@kit.NetworkKit" {\n  export namespace http {\n    function createHttp(): { request(url: string): Promise<string> };\n  }\n}\n',
    ],
    [
      user,
      'import { http, webSocket } from "@kit.NetworkKit";\nhttp.createHttp().request("http://127.0.0.1/");\nwebSocket.createWebSocket();\n',
    ],
  ]);
  const p = compile("dynamic", [augment, user], sources);
  assert.equal(format(diagnosticsOf(p, user)), "");
  // Without the project's addition, the kit has no http.
  const without = compile("dynamic", [user], sources);
  assert.match(format(diagnosticsOf(without, user)), /has no exported member 'http'/);
});
