/**
 * The version table in `docs/versions.md` and the `@since` tags of the two declaration files
 * (`types/ohos.d.ts`, dynamic view; `types/ohos.static.d.ts`, static view) say the same thing:
 * every declared member, with the API level it appeared at in each view, and nothing else. So
 * neither can drift from the other.
 *
 * The table is written by hand (it has notes); this test names each row that is wrong or
 * missing.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const VIEWS = {
  dynamic: join(ROOT, "types", "ohos.d.ts"),
  static: join(ROOT, "types", "ohos.static.d.ts"),
} as const;
type View = keyof typeof VIEWS;
const TABLE = join(ROOT, "docs", "versions.md");

/** The member a declaration names in the table, e.g. `webSocket.WebSocket.on('open')`. */
function keyOf(node: ts.Node, file: ts.SourceFile, container: string): string | undefined {
  const prefix = container === "" ? "" : `${container}.`;
  if (ts.isMethodSignature(node)) {
    const name = node.name.getText(file);
    // on/off overloads differ by their event name, the first parameter's literal type.
    const first = node.parameters[0]?.type;
    if (first !== undefined && ts.isLiteralTypeNode(first) && ts.isStringLiteral(first.literal)) {
      return `${prefix}${name}('${first.literal.text}')`;
    }
    return `${prefix}${name}()`;
  }
  if (
    ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ||
    ts.isFunctionDeclaration(node) || ts.isEnumDeclaration(node) ||
    ts.isModuleDeclaration(node)
  ) {
    const name = node.name!.getText(file);
    return ts.isFunctionDeclaration(node) ? `${prefix}${name}()` : `${prefix}${name}`;
  }
  if (ts.isPropertySignature(node) || ts.isEnumMember(node)) {
    return `${prefix}${node.name.getText(file)}`;
  }
  return undefined;
}

/**
 * Every declaration of one file with its `@since` level, keyed as in the table. Overloads
 * share a key and must share a level. Call signatures and members of inline type literals are
 * part of their parent and have no row.
 */
function levelsOf(view: View): Map<string, string> {
  const path = VIEWS[view];
  const file = ts.createSourceFile(path, Deno.readTextFileSync(path), ts.ScriptTarget.ES2022, true);
  const levels = new Map<string, string>();
  const visit = (node: ts.Node, container: string): void => {
    let inner = container;
    if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      inner = ""; // `declare module "…"` blocks are not members
    } else if (!(node.parent !== undefined && ts.isTypeLiteralNode(node.parent))) {
      const key = keyOf(node, file, container);
      if (key !== undefined) {
        const since = ts.getJSDocTags(node).filter((t) => t.tagName.text === "since");
        assert.equal(since.length, 1, `${view}: ${key} has one @since`);
        const [level] = String(since[0].comment ?? "").trim().split(" ");
        const known = levels.get(key);
        assert.ok(known === undefined || known === level, `${view}: overloads of ${key} differ`);
        levels.set(key, level);
        inner = key.replace(/\(.*\)$/, "");
      }
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(file, "");
  return levels;
}

/** The rows of the table: member → level per view (`—` for absent). */
function tableRows(): Map<string, Record<View, string>> {
  const rows = new Map<string, Record<View, string>>();
  for (const line of Deno.readTextFileSync(TABLE).split("\n")) {
    const match = /^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (match === null) continue;
    const [, key, dynamic, stat] = match;
    assert.ok(!rows.has(key), `docs/versions.md lists ${key} twice`);
    rows.set(key, { dynamic: dynamic.trim(), static: stat.trim() });
  }
  return rows;
}

const ABSENT = "—";

Deno.test("docs/versions.md lists every declared member with its @since level in both views, and nothing the declarations lack", () => {
  const declared = { dynamic: levelsOf("dynamic"), static: levelsOf("static") };
  const rows = tableRows();
  assert.ok(rows.size > 100, `only ${rows.size} rows read from docs/versions.md`);
  const keys = new Set([...declared.dynamic.keys(), ...declared.static.keys()]);
  const problems: string[] = [];
  for (const key of keys) {
    const row = rows.get(key);
    const expected = {
      dynamic: declared.dynamic.get(key) ?? ABSENT,
      static: declared.static.get(key) ?? ABSENT,
    };
    if (row === undefined) {
      problems.push(`missing row: | \`${key}\` | ${expected.dynamic} | ${expected.static} |`);
    } else if (row.dynamic !== expected.dynamic || row.static !== expected.static) {
      problems.push(
        `${key}: table says ${row.dynamic} / ${row.static}, declarations say ${expected.dynamic} / ${expected.static}`,
      );
    }
  }
  for (const key of rows.keys()) {
    if (!keys.has(key)) problems.push(`row for a member neither view declares: ${key}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test("the version check can fail: a changed @since level or a member missing from one view is reported", () => {
  const declared = levelsOf("dynamic");
  // Facts of the SDK, as spot checks that the reading above is the intended one.
  assert.equal(declared.get("webSocket.WebSocket.on('openInfo')"), "26.0.0");
  assert.equal(declared.get("webSocket.WebSocketRequestOptions.pingInterval"), "21");
  assert.equal(declared.get("webSocket.createWebSocketServer()"), "19");
  assert.equal(declared.get("webSocket.WebSocket.onOpen()"), undefined, "static only");
  const statics = levelsOf("static");
  assert.equal(statics.get("webSocket.WebSocket.onOpen()"), "23");
  assert.equal(statics.get("webSocket.WebSocketServer.start()"), "24");
  assert.equal(statics.get("webSocket.WebSocketServer.onWebSocketServerClose()"), "26.0.0");
  assert.equal(statics.get("webSocket.WebSocket.on('open')"), undefined, "dynamic only");
  const rows = tableRows();
  assert.deepEqual(rows.get("webSocket.WebSocket.onOpen()"), { dynamic: ABSENT, static: "23" });
});
