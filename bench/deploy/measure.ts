/**
 * The issue-15 measurements, short on purpose (a shared 2-core machine):
 *
 * - `one-port`: echo throughput on Deno through `start()` (Deno.listen) and
 *   through `extAttach` on a `node:http` server, one server process each;
 * - `reuse-port`: one server process against two sharing the port with
 *   `extReusePort` (on Deno without `--unstable-net`, so through node:net),
 *   plus the same two with `--unstable-net` (Deno.listen), and both again
 *   with a handler that spends CPU on each message.
 *
 * Load: two processes of `load.ts` (16 connections each, batches of 32
 * messages) for 3 s. Prints messages per second per setup.
 *
 * `deno run -A bench/deploy/measure.ts one-port|reuse-port`
 *
 * @module
 */

const dir = new URL(".", import.meta.url).pathname;
const what = Deno.args[0] ?? "reuse-port";

async function spawnServer(
  mode: string,
  port: number,
  flags: string[] = [],
  work = 0,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...flags,
      `${dir}server.ts`,
      mode,
      String(port),
      String(work),
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/ready (\d+)/.test(text)) text += (await reader.read()).value ?? "";
  return {
    port: Number(/ready (\d+)/.exec(text)![1]),
    async stop() {
      await child.stdin.close();
      while (!(await reader.read()).done);
      await child.status;
    },
  };
}

async function load(port: number): Promise<number> {
  const runs = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}load.ts`, String(port), "16", "3"],
      stdout: "piped",
    }).output()
  );
  let total = 0;
  for (const run of await Promise.all(runs)) {
    total += Number(
      /RESULT (\d+)/.exec(new TextDecoder().decode(run.stdout))![1],
    );
  }
  return Math.round(total / 3);
}

async function setup(
  name: string,
  servers: { mode: string; flags?: string[]; work?: number }[],
) {
  const first = await spawnServer(
    servers[0].mode,
    0,
    servers[0].flags,
    servers[0].work,
  );
  const rest = [];
  for (const s of servers.slice(1)) {
    rest.push(await spawnServer(s.mode, first.port, s.flags, s.work));
  }
  const rate = await load(first.port);
  for (const s of [...rest, first]) await s.stop();
  console.log(`${name}: ${rate} messages/s`);
}

if (what === "one-port") {
  await setup("start() on Deno.listen", [{ mode: "own" }]);
  await setup("extAttach on node:http", [{ mode: "attach" }]);
} else {
  await setup("1 process (node:net, extReusePort)", [{ mode: "own" }]);
  await setup("2 processes (node:net, extReusePort)", [{ mode: "own" }, {
    mode: "own",
  }]);
  const unstable = ["--unstable-net"];
  await setup("1 process (Deno.listen, --unstable-net)", [{
    mode: "own",
    flags: unstable,
  }]);
  await setup("2 processes (Deno.listen, --unstable-net)", [
    { mode: "own", flags: unstable },
    { mode: "own", flags: unstable },
  ]);
  // An application that spends CPU on each message (20,000 loop iterations): the server, not
  // the load, is then what the cores are busy with.
  const busy = { mode: "own", flags: unstable, work: 20_000 };
  await setup("1 process, busy handler (Deno.listen)", [busy]);
  await setup("2 processes, busy handler (Deno.listen)", [busy, busy]);
}
