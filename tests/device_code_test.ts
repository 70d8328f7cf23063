/**
 * Device code runs unchanged on Deno: the platform's module names (`@ohos.net.webSocket`,
 * `@kit.NetworkKit`, `@kit.BasicServicesKit`, `@ohos.base`) resolve to this library through the
 * import map the README shows. The seed's complete example (examples/seed_example.ts, which
 * imports `@ohos.net.webSocket`) runs through this repository's deno.json against the demo's
 * echo server on 127.0.0.1; a separate project that has only the README's lines runs the seed's
 * verbatim text (tests/types/seed_example.ts) and a kit-style program, and type-checks them.
 * Node and Bun: tests/node/device_code.test.mjs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What the seed's example prints against an echo server that also says `bye`. */
export const SEED_TRANSCRIPT = [
  "on open, status:101, message:Switching Protocols",
  "connect success",
  "send success",
  "on message, message:Hello, server!",
  "on message, message:bye",
  "close success",
  "on close, code is 1000, reason is ",
];

/** The seed's verbatim text connects to its placeholder `ws://`, which is no usable URL. */
const VERBATIM_TRANSCRIPT = [
  'connect fail, err:{"code":2302001,"message":"invalid URL: cannot parse \\"ws://\\""}',
];

const KIT_TRANSCRIPT = [
  "kit and module are one namespace: true",
  "connect to an http:// URL: code 2302001",
];

async function deno(args: string[], cwd: string): Promise<{ code: number; lines: string[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== 0) {
    throw new Error(`deno ${args.join(" ")} exited ${output.code}:\n${stderr}`);
  }
  return { code: output.code, lines: stdout.split("\n").filter((line) => line !== "") };
}

/** The import-map block of the README's Deno section, pointing at `target`. */
async function readmeImportMap(target: string): Promise<Record<string, string>> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const block = [...readme.matchAll(/```json\n([^`]*?)\s*```/g)]
    .map((m) => m[1])
    .find((text) => text.includes('"imports"') && text.includes('"@ohos.base"'));
  if (block === undefined) throw new Error("README has no import-map block naming @ohos.base");
  const map = JSON.parse(block) as { imports: Record<string, string> };
  return Object.fromEntries(
    Object.entries(map.imports).map((
      [name, to],
    ) => [name, to.replace("jsr:@ohos-ws/websocket", target)]),
  );
}

Deno.test("README, Deno: deno.json's import map runs the seed's complete example (examples/seed_example.ts, importing @ohos.net.webSocket) against the demo's 127.0.0.1 echo server", async () => {
  const { lines } = await deno(["run", "--allow-net=127.0.0.1", "examples/demo.ts"], ROOT);
  assert.deepEqual(lines, SEED_TRANSCRIPT);
});

Deno.test("README, Deno: a project with only the README's four import-map lines runs and type-checks the seed's verbatim example and kit-style code importing all four names", async () => {
  const map = await readmeImportMap(pathToFileURL(`${ROOT}mod.ts`).href);
  assert.deepEqual(Object.keys(map).sort(), [
    "@kit.BasicServicesKit",
    "@kit.NetworkKit",
    "@ohos.base",
    "@ohos.net.webSocket",
  ]);
  const project = await Deno.makeTempDir({ prefix: "ohos-device-deno-" });
  try {
    await Deno.writeTextFile(`${project}/deno.json`, JSON.stringify({ imports: map }));
    const seed = await Deno.readFile(`${ROOT}tests/types/seed_example.ts`);
    await Deno.writeFile(`${project}/seed.ts`, seed);
    await Deno.copyFile(`${ROOT}tests/device/kit_names.ts`, `${project}/kit_names.ts`);
    // Byte for byte: the copy is the file as written for the device.
    assert.deepEqual(await Deno.readFile(`${project}/seed.ts`), seed);
    const check = await deno(["check", "seed.ts", "kit_names.ts"], project);
    assert.deepEqual(check.code, 0);
    assert.deepEqual(
      (await deno(["run", "--allow-net=127.0.0.1", "seed.ts"], project)).lines,
      VERBATIM_TRANSCRIPT,
    );
    assert.deepEqual(
      (await deno(["run", "--allow-net=127.0.0.1", "kit_names.ts"], project)).lines,
      KIT_TRANSCRIPT,
    );
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});

Deno.test("the check can fail: without the import map the device code's platform name does not resolve", async () => {
  const project = await Deno.makeTempDir({ prefix: "ohos-device-deno-" });
  try {
    await Deno.writeTextFile(`${project}/deno.json`, "{}");
    await Deno.copyFile(`${ROOT}tests/types/seed_example.ts`, `${project}/seed.ts`);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "seed.ts"],
      cwd: project,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.deepEqual(output.success, false);
    assert.match(new TextDecoder().decode(output.stderr), /@ohos\.net\.webSocket/);
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});
