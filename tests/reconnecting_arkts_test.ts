/**
 * The reconnecting WebSocket (src/reconnecting) claims to be written in the subset of TypeScript
 * that ArkTS compiles, and only against the public SDK surface, so that the same files can run
 * on the device on top of the platform's `@ohos.net.webSocket`. This test holds it to that: it
 * walks each file's syntax tree (TypeScript compiler API) and fails on the constructs ArkTS
 * rejects, and on imports of anything but `src/web_socket.ts` (the namespace members: factory,
 * `BusinessError`, public types) and the module's own files.
 *
 * It is a syntactic check of the ArkTS rules below, not the ArkTS compiler (which is not
 * available here); the second test proves every rule can fail. The last test checks the
 * "change one line" promise at the type level: the wrapper is a `webSocket.WebSocket` of the
 * SDK's declarations, in both views.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MODULE_DIR = join(ROOT, "src", "reconnecting");

/** Imports the module may use: the public surface and its own files. */
const ALLOWED_IMPORT = /^(\.\.\/web_socket\.ts|\.\/[a-z_]+\.ts)$/;

/** One finding: the ArkTS rule broken, and where. */
interface Finding {
  rule: string;
  at: string;
}

/** The ArkTS rules this check knows, each with the syntax that breaks it. */
function findings(file: ts.SourceFile, checker: ts.TypeChecker | undefined): Finding[] {
  const found: Finding[] = [];
  const report = (rule: string, node: ts.Node) => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    found.push({ rule, at: `${file.fileName.split("/").at(-1)}:${line + 1}` });
  };
  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.AnyKeyword:
        report("arkts-no-any-unknown (any)", node);
        break;
      case ts.SyntaxKind.UnknownKeyword:
        report("arkts-no-any-unknown (unknown)", node);
        break;
      case ts.SyntaxKind.PrivateIdentifier:
        report("arkts-no-private-identifiers (#name)", node);
        break;
      case ts.SyntaxKind.ForInStatement:
        report("arkts-no-for-in", node);
        break;
      case ts.SyntaxKind.FunctionExpression:
        report("arkts-no-func-expressions", node);
        break;
      case ts.SyntaxKind.IndexSignature:
        report("arkts-no-indexed-signatures", node);
        break;
      case ts.SyntaxKind.ObjectBindingPattern:
      case ts.SyntaxKind.ArrayBindingPattern:
        report("arkts-no-destruct-decls", node);
        break;
      case ts.SyntaxKind.TypeQuery:
        report("arkts-no-type-query (typeof in a type)", node);
        break;
      case ts.SyntaxKind.MappedType:
        report("arkts-no-mapped-types", node);
        break;
      case ts.SyntaxKind.ConditionalType:
        report("arkts-no-conditional-types", node);
        break;
      case ts.SyntaxKind.IndexedAccessType:
        report("arkts-no-aliases-by-index", node);
        break;
      case ts.SyntaxKind.SpreadAssignment:
        report("arkts-no-spread (object spread)", node);
        break;
      case ts.SyntaxKind.RegularExpressionLiteral:
        report("arkts-no-regexp-literals", node);
        break;
      case ts.SyntaxKind.DeleteExpression:
        report("arkts-no-delete", node);
        break;
      case ts.SyntaxKind.WithStatement:
        report("arkts-no-with", node);
        break;
    }
    if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.KeyOfKeyword) {
      report("arkts-no-keyof", node);
    }
    if (ts.isBinaryExpression(node)) {
      if (node.operatorToken.kind === ts.SyntaxKind.InKeyword) report("arkts-no-in", node);
      if (
        node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        (ts.isObjectLiteralExpression(node.left) || ts.isArrayLiteralExpression(node.left))
      ) {
        report("arkts-no-destruct-assignment", node);
      }
    }
    if (ts.isAsExpression(node) && ts.isTypeReferenceNode(node.type)) {
      if (node.type.typeName.getText(file) === "const") report("arkts-no-as-const", node);
    }
    if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.BlockScoped) === 0) {
      report("arkts-no-var", node);
    }
    if (ts.isFunctionDeclaration(node) && !ts.isSourceFile(node.parent)) {
      report("arkts-no-nested-funcs", node);
    }
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.asteriskToken) {
      report("arkts-no-generators", node);
    }
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier)) {
      const specifier = (node.moduleSpecifier as ts.StringLiteral).text;
      if (!ALLOWED_IMPORT.test(specifier)) {
        report(`public surface only (imports ${specifier})`, node);
      }
    }
    if (ts.isObjectLiteralExpression(node) && checker !== undefined) {
      // ArkTS: an object literal needs a declared class or interface to give it its shape.
      const symbol = checker.getContextualType(node)?.getSymbol();
      const declared = symbol !== undefined &&
        (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class)) !== 0;
      if (!declared) report("arkts-no-untyped-obj-literals", node);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  types: [],
  skipLibCheck: true,
};

Deno.test("ArkTS subset rule: src/reconnecting uses no construct ArkTS rejects and imports only the public surface (src/web_socket.ts) and its own files", () => {
  const files = [...Deno.readDirSync(MODULE_DIR)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".ts"))
    .map((entry) => join(MODULE_DIR, entry.name))
    .sort();
  assert.ok(files.length >= 5, `the module's files: ${files.join(", ")}`);
  const program = ts.createProgram(files, OPTIONS);
  const checker = program.getTypeChecker();
  const all: Finding[] = [];
  for (const path of files) {
    const file = program.getSourceFile(path);
    assert.ok(file !== undefined, path);
    all.push(...findings(file, checker));
  }
  assert.deepEqual(all, []);
});

Deno.test("ArkTS subset rule: the check finds each construct it looks for (so it can fail)", () => {
  const sample = `
import { x } from "../transport/mod.ts";
import { y } from "../web_socket.ts";
var a: any = 1;
let b: unknown = 2;
class C { #hidden = 1; }
interface I { [key: string]: number }
for (const k in {}) {}
const f = function () {};
const { p } = { p: 1 };
let q; [q] = [1];
type T = typeof a;
type M = { [K in "a"]: number };
type Cond<X> = X extends string ? 1 : 2;
type Idx = I["x"];
type Keys = keyof I;
const spread: I = { ...{} };
const re = /x/;
const o = { a: 1 } as const;
delete (o as I).a;
const has = "a" in o;
function outer() { function inner() {} }
function* gen() {}
`;
  const file = ts.createSourceFile("/virtual/sample.ts", sample, ts.ScriptTarget.ES2022, true);
  const host = ts.createCompilerHost(OPTIONS, true);
  const program = ts.createProgram(["/virtual/sample.ts"], OPTIONS, {
    ...host,
    getSourceFile: (name, version) =>
      name === "/virtual/sample.ts" ? file : host.getSourceFile(name, version),
    fileExists: (name) => name === "/virtual/sample.ts" || host.fileExists(name),
  });
  const rules = new Set(
    findings(program.getSourceFile("/virtual/sample.ts")!, program.getTypeChecker())
      .map((f) => f.rule.replace(/ \(.*\)$/, "")),
  );
  for (
    const rule of [
      "public surface only",
      "arkts-no-var",
      "arkts-no-any-unknown",
      "arkts-no-private-identifiers",
      "arkts-no-indexed-signatures",
      "arkts-no-for-in",
      "arkts-no-func-expressions",
      "arkts-no-destruct-decls",
      "arkts-no-destruct-assignment",
      "arkts-no-type-query",
      "arkts-no-mapped-types",
      "arkts-no-conditional-types",
      "arkts-no-aliases-by-index",
      "arkts-no-keyof",
      "arkts-no-spread",
      "arkts-no-regexp-literals",
      "arkts-no-as-const",
      "arkts-no-delete",
      "arkts-no-in",
      "arkts-no-nested-funcs",
      "arkts-no-generators",
      "arkts-no-untyped-obj-literals",
    ]
  ) {
    assert.ok(rules.has(rule), `${rule} not found; found: ${[...rules].join(", ")}`);
  }
});

Deno.test("drop-in rule: a ReconnectingWebSocket is assignable to the SDK's webSocket.WebSocket (dynamic and static view), and something that is not, is not", () => {
  const checkFile = join(ROOT, "tests", "__reconnecting_drop_in__.ts");
  const source = (value: string) =>
    [
      'import type webSocket from "@ohos.net.webSocket";',
      'import { createReconnectingWebSocket } from "../mod.ts";',
      `export const ws: webSocket.WebSocket = ${value};`,
      "",
    ].join("\n");
  const diagnostics = (declarations: string, text: string): string[] => {
    const host = ts.createCompilerHost(OPTIONS, true);
    const program = ts.createProgram([declarations, checkFile], OPTIONS, {
      ...host,
      getSourceFile: (name, version) =>
        name === checkFile
          ? ts.createSourceFile(name, text, version, true)
          : host.getSourceFile(name, version),
      fileExists: (name) => name === checkFile || host.fileExists(name),
    });
    const file = program.getSourceFile(checkFile)!;
    return [...program.getSemanticDiagnostics(file), ...program.getSyntacticDiagnostics(file)]
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  };
  for (const view of ["ohos.d.ts", "ohos.static.d.ts"]) {
    const declarations = join(ROOT, "types", view);
    assert.deepEqual(diagnostics(declarations, source("createReconnectingWebSocket()")), [], view);
    const wrong = diagnostics(declarations, source("{ connect: () => 1 }"));
    assert.ok(wrong.length > 0, `${view}: the check can fail`);
  }
});
