/**
 * The implementation (`mod.ts`) satisfies the ArkTS declarations (`types/ohos.d.ts`), so the
 * two cannot drift apart: code that type-checks against the declarations must also be correct
 * for this library.
 *
 * How: the TypeScript compiler API builds one program over the declarations, the
 * implementation and a generated module. The module has one check per declared item, each a
 * line of its own so that a failure names the item:
 *
 * - every signature of every method of `webSocket.WebSocket` and `webSocket.WebSocketServer`
 *   (each overload of `on`/`off` separately): the implementation's method must be assignable to
 *   that single signature, written as a call-signature type so that parameters are compared
 *   strictly (contravariantly, not with the bivariance TypeScript allows methods). So the
 *   implementation accepts every argument the declaration allows, and what it returns or hands to
 *   callbacks fits the declared types;
 * - the factory functions and the `TlsProtocol` values;
 * - the data types both sides name alike, property by property, in the direction data flows:
 *   declared → implementation for what the user passes in (options, configs: a declared option
 *   the implementation lacks is an error even though TypeScript's structural checks would let an
 *   options object with extra fields through), implementation → declared for what the library
 *   hands out (results, event values), both ways for a connection handle.
 *
 * Items the implementation does not provide yet go in `KNOWN_GAPS` with a reason; the test fails
 * when such an item starts to pass (remove it from the list), and when a declared type has no
 * direction below (classify it).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Both views of the SDK; each is checked against the implementation on its own. */
const VIEWS = {
  dynamic: join(ROOT, "types", "ohos.d.ts"),
  static: join(ROOT, "types", "ohos.static.d.ts"),
} as const;
type View = keyof typeof VIEWS;
const CHECKS = join(ROOT, "tests", "__declarations_match__.ts");

/** How each declared type is compared with the implementation's type of the same name. */
const DIRECTIONS: Record<string, "methods" | "in" | "out" | "both"> = {
  WebSocket: "methods",
  WebSocketServer: "methods",
  WebSocketRequestOptions: "in",
  WebSocketCloseOptions: "in",
  ClientCert: "in",
  HttpProxy: "in",
  ProxyConfiguration: "in",
  TlsProtocol: "in",
  WebSocketServerConfig: "in",
  ServerCert: "in",
  ClientConnectionCloseCallback: "in",
  CloseResult: "out",
  OpenResult: "out",
  WebSocketOpenInfo: "out",
  ResponseHeaders: "out",
  WebSocketMessage: "out",
  WebSocketConnection: "both",
};

/**
 * Checks allowed to fail, by check name, with the reason. Empty: the implementation covers
 * every declared member of API 6–26 (client and server).
 */
const KNOWN_GAPS: Record<string, string> = {};

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  // The implementation uses web globals (timers, crypto, TextEncoder): dom declares them.
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  types: [],
  skipLibCheck: true,
};

interface Check {
  /** Identifier of the check in the generated module. */
  name: string;
  /** The declared item, for messages. */
  item: string;
  /** The line of the generated module. */
  code: string;
}

/** The `webSocket` namespace block of the declarations. */
function namespaceStatements(file: ts.SourceFile): readonly ts.Statement[] {
  for (const statement of file.statements) {
    if (
      ts.isModuleDeclaration(statement) && ts.isStringLiteral(statement.name) &&
      statement.name.text === "@ohos.net.webSocket" && statement.body &&
      ts.isModuleBlock(statement.body)
    ) {
      for (const inner of statement.body.statements) {
        if (
          ts.isModuleDeclaration(inner) && inner.name.text === "webSocket" && inner.body &&
          ts.isModuleBlock(inner.body)
        ) {
          return inner.body.statements;
        }
      }
    }
  }
  throw new Error("namespace webSocket of '@ohos.net.webSocket' not found");
}

/** The generated checks, and the type names declared in the namespace. */
function generateChecks(
  path: string,
  declarations: string,
): { checks: Check[]; typeNames: string[] } {
  const file = ts.createSourceFile(path, declarations, ts.ScriptTarget.ES2022, true);
  const statements = namespaceStatements(file);
  const checks: Check[] = [];
  const typeNames: string[] = [];
  const text = (node: ts.Node) => node.getText(file).replace(/\s+/g, " ");

  for (const statement of statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) {
      const name = statement.name.text;
      const params = statement.parameters.map(text).join(", ");
      checks.push({
        name: `fn_${name}`,
        item: `webSocket.${name}(${params})`,
        code: `({ (${params}): unknown }) = impl.${name}`,
      });
      continue;
    }
    if (ts.isEnumDeclaration(statement)) {
      const name = statement.name.text;
      typeNames.push(name);
      for (const member of statement.members) {
        const key = text(member.name);
        assert.ok(member.initializer, `${name}.${key} has an explicit value`);
        checks.push({
          name: `enum_${name}_${key}`,
          item: `webSocket.${name}.${key} = ${text(member.initializer)}`,
          code: `(${text(member.initializer)}) = impl.${name}.${key}`,
        });
      }
      checks.push(...directionChecks(name, DIRECTIONS[name], []));
      continue;
    }
    if (ts.isTypeAliasDeclaration(statement)) {
      const name = statement.name.text;
      typeNames.push(name);
      const properties = ts.isTypeLiteralNode(statement.type)
        ? statement.type.members.filter(ts.isPropertySignature).map((p) => text(p.name))
        : [];
      checks.push(...directionChecks(name, DIRECTIONS[name], properties));
      continue;
    }
    if (!ts.isInterfaceDeclaration(statement)) continue;
    const name = statement.name.text;
    typeNames.push(name);
    if (DIRECTIONS[name] !== "methods") {
      const properties = statement.members.filter(ts.isPropertySignature).map((p) => text(p.name));
      checks.push(...directionChecks(name, DIRECTIONS[name], properties));
      continue;
    }
    const instance = name === "WebSocket" ? "client" : "server";
    const overloads = new Map<string, number>();
    for (const member of statement.members) {
      assert.ok(ts.isMethodSignature(member), `${name} declares only methods (${text(member)})`);
      const method = text(member.name);
      const index = overloads.get(method) ?? 0;
      overloads.set(method, index + 1);
      const params = member.parameters.map(text).join(", ");
      const returns = member.type ? text(member.type) : "void";
      checks.push({
        name: `${name}_${method}_${index}`,
        item: `${name}.${method}(${params}): ${returns}`,
        code: `({ (${params}): ${returns} }) = ${instance}.${method}`,
      });
    }
  }
  return { checks, typeNames };
}

/** Checks of one data type in its direction; `properties` are its declared property names. */
function directionChecks(
  name: string,
  direction: (typeof DIRECTIONS)[string] | undefined,
  properties: string[],
): Check[] {
  if (direction === undefined) return [];
  const checks: Check[] = [];
  const add = (suffix: string, item: string, target: string, source: string) =>
    checks.push({ name: `${name}_${suffix}`, item, code: `(${target}) = null! as ${source}` });
  if (direction === "in" || direction === "both") {
    add("in", `${name} (declared value accepted by the implementation)`, `I.${name}`, `D.${name}`);
    for (const p of properties) {
      add(`in_${p}`, `${name}.${p} (accepted)`, `I.${name}["${p}"]`, `D.${name}["${p}"]`);
    }
  }
  if (direction === "out" || direction === "both") {
    add("out", `${name} (implementation value fits the declaration)`, `D.${name}`, `I.${name}`);
    for (const p of properties) {
      add(`out_${p}`, `${name}.${p} (provided)`, `D.${name}["${p}"]`, `I.${name}["${p}"]`);
    }
  }
  return checks;
}

/** The generated module: one exported constant per check. */
function checksModule(checks: readonly Check[], typeNames: readonly string[]): string {
  return [
    'import type { AsyncCallback, Callback, ErrorCallback } from "@ohos.base";',
    'import type D from "@ohos.net.webSocket";',
    // Under its own name too, for signatures that qualify a type (`webSocket.WebSocketCloseOptions`).
    'import type webSocket from "@ohos.net.webSocket";',
    'import impl from "../mod.ts";',
    'import type * as I from "../mod.ts";',
    // The declared names, unqualified, as the declarations' own signatures use them.
    ...typeNames.map((n) => `type ${n} = D.${n};`),
    "type IsAny<T> = 0 extends 1 & T ? true : false;",
    "declare const client: ReturnType<typeof impl.createWebSocket>;",
    "declare const server: ReturnType<typeof impl.createWebSocketServer>;",
    // A vacuous check (anything typed `any`) would pass everything: rule it out.
    "export const notAny: [false, false] = [false, false] as [IsAny<typeof client>, IsAny<typeof server>];",
    ...checks.map((c) => `export const ${c.name}: ${c.code};`),
    "",
  ].join("\n");
}

/**
 * Compiles the checks against `declarations` (the text of the file at `path`); returns the
 * names of the failing checks.
 */
function failingChecks(path: string, declarations: string): {
  checks: Check[];
  typeNames: string[];
  failing: Map<string, string>;
} {
  const { checks, typeNames } = generateChecks(path, declarations);
  const source = checksModule(checks, typeNames);
  const virtual = new Map([[path, declarations], [CHECKS, source]]);
  const base = ts.createCompilerHost(OPTIONS, true);
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (f) => virtual.has(f) || base.fileExists(f),
    readFile: (f) => virtual.get(f) ?? base.readFile(f),
    getSourceFile: (f, language, onError) => {
      const text = virtual.get(f);
      return text !== undefined
        ? ts.createSourceFile(f, text, language, true)
        : base.getSourceFile(f, language, onError);
    },
  };
  const program = ts.createProgram({ rootNames: [path, CHECKS], options: OPTIONS, host });
  const file = program.getSourceFile(CHECKS)!;
  const diagnostics = [
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  const lines = source.split("\n");
  const failing = new Map<string, string>();
  for (const diagnostic of diagnostics) {
    const line = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
    const match = /^export const (\w+):/.exec(lines[line]);
    const key = match?.[1] ?? `line ${line + 1}: ${lines[line]}`;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    failing.set(key, `${failing.get(key) ?? ""}${message}\n`);
  }
  return { checks, typeNames, failing };
}

for (const view of Object.keys(VIEWS) as View[]) {
  const path = VIEWS[view];
  const original = failingChecks(path, Deno.readTextFileSync(path));

  Deno.test(`${view} view: every declared type of the webSocket namespace has a comparison direction`, () => {
    const unclassified = original.typeNames.filter((n) => DIRECTIONS[n] === undefined);
    assert.deepEqual(unclassified, [], "add these to DIRECTIONS in this test");
    assert.ok(original.checks.length > 60, `only ${original.checks.length} checks generated`);
  });

  Deno.test(`mod.ts satisfies the ${view} view: every method signature, factory, enum value and data type`, () => {
    const unexpected = [...original.failing].filter(([name]) => !(name in KNOWN_GAPS));
    const describe = (name: string) =>
      `${original.checks.find((c) => c.name === name)?.item ?? name}:\n  ${
        original.failing.get(name)!.trim().replaceAll("\n", "\n  ")
      }`;
    assert.deepEqual(
      unexpected.map(([name]) => name),
      [],
      `the implementation does not satisfy:\n${unexpected.map(([n]) => describe(n)).join("\n")}`,
    );
    const closed = Object.keys(KNOWN_GAPS).filter((name) => !original.failing.has(name));
    assert.deepEqual(closed, [], "these known gaps pass now: remove them from KNOWN_GAPS");
  });
}

Deno.test("the check fails on drift: changed declarations are reported member by member", () => {
  const declarations = Deno.readTextFileSync(VIEWS.dynamic);
  const drifted = declarations
    // A result field of another type: the implementation's close events no longer fit.
    .replace(/(interface CloseResult \{[\s\S]*?code): number;/, "$1: string;")
    // A new required option: the implementation does not take it.
    .replace(
      /(interface WebSocketCloseOptions \{)/,
      "$1\n      /** @since 6 */\n      force: boolean;",
    )
    // A new optional option: structurally an options object may carry it, but the
    // implementation would ignore it.
    .replace(
      /(interface WebSocketRequestOptions \{)/,
      "$1\n      /** @since 6 */\n      retries?: number;",
    )
    // A wider send argument: the implementation does not accept numbers.
    .replace(
      "send(data: string | ArrayBuffer): Promise<boolean>;",
      "send(data: string | ArrayBuffer | number): Promise<boolean>;",
    )
    // A different enum value.
    .replace("TLS_V_1_3 = 3,", "TLS_V_1_3 = 4,");
  assert.notEqual(drifted, declarations);
  const { failing } = failingChecks(VIEWS.dynamic, drifted);
  for (
    const name of [
      "WebSocket_on_3", // on("close", AsyncCallback<CloseResult>)
      "CloseResult_out_code",
      "WebSocketCloseOptions_in_force",
      "WebSocketRequestOptions_in_retries",
      "WebSocket_send_1",
      "enum_TlsProtocol_TLS_V_1_3",
    ]
  ) {
    assert.ok(failing.has(name), `${name} should fail, failing: ${[...failing.keys()]}`);
  }
});

Deno.test("the check fails on drift in the static view: a renamed pair or another callback arity is reported", () => {
  const declarations = Deno.readTextFileSync(VIEWS.static);
  const drifted = declarations
    // A per-event method the implementation does not have.
    .replace(
      "onWebSocketServerError(callback: ErrorCallback): void;",
      "onServerError(callback: ErrorCallback): void;",
    )
    // onOpen's listener handed (err, value): the implementation calls it with the value alone.
    .replace(
      "onOpen(callback: Callback<OpenResult>): void;",
      "onOpen(callback: (err: number, value: OpenResult) => void): void;",
    );
  assert.notEqual(drifted, declarations);
  const { failing } = failingChecks(VIEWS.static, drifted);
  for (const name of ["WebSocketServer_onServerError_0", "WebSocket_onOpen_0"]) {
    assert.ok(failing.has(name), `${name} should fail, failing: ${[...failing.keys()]}`);
  }
});
