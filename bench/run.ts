/**
 * `deno task bench`: our client against its peers on one local echo server.
 *
 * Every client runs in its own child process (so CPU and memory are its own)
 * against one echo server on 127.0.0.1 — the cheapest of a native Rust one,
 * `Deno.serve` and npm `ws` on Node, measured at the start. Runs are
 * interleaved (for each run, for each workload, for each client; each run
 * starts the client order one place later) and the median of the runs is
 * reported.
 *
 * Environment:
 * - `QUICK=1`      small counts and one run (about half a minute)
 * - `RUNS=n`       runs per client and workload (default 3, QUICK 1)
 * - `SERVER=native|deno|node`  skip the server calibration and use this echo
 *   server (native: bench/servers/echo_native.rs, compiled with rustc when present)
 * - `CLIENTS=a,b`  only these client ids (see `ALL_CLIENTS` below)
 * - `WORKLOADS=a,b` only these workloads (a b c d f g; e comes with a)
 * - `RESULTS_FILE=path` where the markdown goes (default: bench/RESULTS.md
 *   for a full run, nowhere for QUICK=1)
 * - `PROFILE=1`    instead of the benchmark, CPU-profile one workload
 *   (`PROFILE_WORKLOAD`, default a) of one client (`PROFILE_CLIENT`, default
 *   ours-deno) on the native server (or `SERVER`) and print the hottest functions
 *
 * Benchmarks are never part of the test suite.
 *
 * @module
 */

import { summarizeProfile } from "./profile_summary.ts";
import {
  capture,
  exists,
  fmt,
  fmtRatio,
  median,
  shell,
  table,
  writeResults,
} from "./lib/common.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BENCH = `${ROOT}bench/`;
const DENO = Deno.execPath();
const env = (name: string) => Deno.env.get(name);

const QUICK = env("QUICK") === "1";
const RUNS = Math.max(1, Math.min(9, Number(env("RUNS") ?? (QUICK ? 1 : 3))));
const MiB = 1024 * 1024;
/** Hard bound on the whole benchmark; jobs past it are skipped and reported. */
const TOTAL_LIMIT_MS = (QUICK ? 5 : 30) * 60_000;
const startedAt = performance.now();

// ------------------------------------------------------------------ workloads

type Workload = "a" | "b" | "c" | "d" | "f" | "g";
type Config = Record<string, unknown> & {
  workload: Workload;
  timeLimitMs: number;
};

function sizeSweep(): {
  size: number;
  count: number;
  inflight: number;
  timeLimitMs: number;
}[] {
  const budget = QUICK ? 8 * MiB : 64 * MiB;
  return [16, 256, 4096, 64 * 1024, MiB, 4 * MiB].map((size) => ({
    size,
    count: Math.max(
      QUICK ? 10 : 50,
      Math.min(QUICK ? 30_000 : 200_000, Math.floor(budget / size)),
    ),
    inflight: Math.max(4, Math.min(1000, Math.floor((16 * MiB) / size))),
    timeLimitMs: QUICK ? 10_000 : 30_000,
    warmup: Math.max(2, Math.min(2000, Math.floor(MiB / size))),
  }));
}

const WORKLOADS: Record<Workload, Config> = {
  a: {
    workload: "a",
    count: QUICK ? 30_000 : 200_000,
    inflight: 1000,
    size: 16,
    warmup: QUICK ? 2000 : 5000,
    timeLimitMs: 60_000,
  },
  b: {
    workload: "b",
    count: QUICK ? 3000 : 20_000,
    size: 16,
    warmup: QUICK ? 200 : 1000,
    timeLimitMs: 60_000,
  },
  c: {
    workload: "c",
    count: QUICK ? 30 : 200,
    inflight: 4,
    size: 4 * MiB,
    warmup: 4,
    timeLimitMs: 120_000,
  },
  d: {
    workload: "d",
    count: QUICK ? 300 : 1000,
    concurrency: 50,
    timeLimitMs: 60_000,
  },
  f: {
    workload: "f",
    sizes: sizeSweep(),
    timeLimitMs: (QUICK ? 10_000 : 30_000) * 6,
  },
  // (d) again at other connection counts, one process per count.
  g: {
    workload: "g",
    counts: QUICK ? [100] : [100, 3000],
    concurrency: 50,
    timeLimitMs: 120_000,
  },
};

const WORKLOAD_TITLES: Record<Workload, string> = {
  a: `(a) ${(WORKLOADS.a.count as number).toLocaleString("en")} × 16 B text, 1000 in flight`,
  b: `(b) ${(WORKLOADS.b.count as number).toLocaleString("en")} sequential round trips, 16 B`,
  c: `(c) ${WORKLOADS.c.count} × 4 MiB binary, 4 in flight`,
  d: `(d) ${WORKLOADS.d.count} idle open connections`,
  f: "(f) throughput vs message size (binary)",
  g: "(g) idle connections: RSS per connection against the number of connections",
};

// -------------------------------------------------------------------- clients

interface Client {
  id: string;
  label: string;
  cmd: string[];
  /** `tcp` clients talk to the raw TCP echo server. */
  kind: "ws" | "tcp";
  workloads: Workload[];
}

const DENO_RUN = [DENO, "run", "-A", "--v8-flags=--expose-gc"];
const NODE_RUN = ["node", "--expose-gc"];
const ABCD: Workload[] = ["a", "b", "c", "d"];
const ABCDG: Workload[] = [...ABCD, "g"];

const ALL_CLIENTS: Client[] = [
  {
    id: "ours-deno",
    label: "ours (Deno)",
    cmd: [...DENO_RUN, `${BENCH}clients/ours.ts`],
    kind: "ws",
    workloads: [...ABCDG, "f"],
  },
  {
    id: "ours-node",
    label: "ours (Node, npm build)",
    cmd: [...NODE_RUN, `${BENCH}node/client_ours.mjs`],
    kind: "ws",
    workloads: ABCDG,
  },
  {
    id: "deno-websocket",
    label: "Deno WebSocket",
    cmd: [...DENO_RUN, `${BENCH}clients/deno_websocket.ts`],
    kind: "ws",
    workloads: ABCDG,
  },
  {
    id: "deno-websocketstream",
    label: "Deno WebSocketStream",
    cmd: [
      ...DENO_RUN,
      "--unstable-net",
      `${BENCH}clients/deno_websocketstream.ts`,
    ],
    kind: "ws",
    workloads: ABCD,
  },
  {
    id: "ws-node",
    label: "ws (Node)",
    cmd: [...NODE_RUN, `${BENCH}node/client_ws.mjs`],
    kind: "ws",
    workloads: [...ABCDG, "f"],
  },
  {
    id: "undici-node",
    label: "undici (Node)",
    cmd: [...NODE_RUN, `${BENCH}node/client_undici.mjs`],
    kind: "ws",
    workloads: ABCD,
  },
  {
    id: "raw-tcp",
    label: "raw TCP (Deno, limit)",
    cmd: [...DENO_RUN, `${BENCH}clients/raw_tcp.ts`],
    kind: "tcp",
    workloads: ABCDG,
  },
  {
    // What handing each message out in an ArrayBuffer of its own costs, and
    // nothing else: the floor for any message API on this runtime.
    id: "raw-tcp-fresh",
    label: "raw TCP + new buffer per message (Deno)",
    cmd: [...DENO_RUN, `${BENCH}clients/raw_tcp.ts`, "--fresh"],
    kind: "tcp",
    workloads: ["c"],
  },
];

const notes: string[] = [];

// ---------------------------------------------------------------- processes

interface Server {
  name: string;
  port: number;
  child: Deno.ChildProcess;
}

const servers: Server[] = [];

/** Starts a server script that prints `PORT <n>`; gives up after 30 s. */
async function startServer(name: string, cmd: string[]): Promise<Server> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: ROOT,
    env: { BENCH_SERVER_LIFETIME_S: String(TOTAL_LIMIT_MS / 1000 + 60) },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((
    resolve,
  ) => (timer = setTimeout(resolve, 30_000, null)));
  try {
    for (let i = 0; i < 100; i++) {
      const chunk = await Promise.race([reader.read(), timeout]);
      if (chunk === null || chunk.done) break;
      text += chunk.value;
      const match = /PORT (\d+)/.exec(text);
      if (match) {
        const server = { name, port: Number(match[1]), child };
        servers.push(server);
        // Keep draining stdout so the server never blocks on a full pipe.
        (async () => {
          while (!(await reader.read()).done) { /* discard */ }
        })().catch(() => {});
        return server;
      }
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  throw new Error(`${name} did not report its port: ${text}`);
}

async function stopServer(server: Server): Promise<void> {
  const index = servers.indexOf(server);
  if (index >= 0) servers.splice(index, 1);
  try {
    server.child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  const timer = setTimeout(() => {
    try {
      server.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5000);
  await server.child.status;
  clearTimeout(timer);
}

async function stopAllServers(): Promise<void> {
  await Promise.all([...servers].map(stopServer));
}

/**
 * CPU seconds (user + system) the process `pid` has used, all threads
 * including those that already ended (the native server has one per
 * connection), from /proc/<pid>/stat in 10 ms ticks.
 */
function processCpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------- jobs

type Result = Record<string, unknown> & {
  error?: string;
  serverCpuPct?: number;
};

async function runJob(
  client: Client,
  config: Config,
  server: Server,
  extra: Record<string, unknown> = {},
): Promise<Result> {
  if (performance.now() - startedAt > TOTAL_LIMIT_MS) {
    return { error: "skipped: the benchmark's total time bound was reached" };
  }
  const url = client.kind === "tcp"
    ? `tcp://127.0.0.1:${server.port}/`
    : `ws://127.0.0.1:${server.port}/`;
  const job = { ...config, url, ...extra };
  const cpu0 = processCpuSeconds(server.child.pid);
  const t0 = performance.now();
  const out = await capture(client.cmd, {
    env: { BENCH_CONFIG: JSON.stringify(job) },
    timeoutMs: config.timeLimitMs * 2 + 30_000,
  });
  const wall = (performance.now() - t0) / 1000;
  const serverCpuS = processCpuSeconds(server.child.pid) - cpu0;
  const serverCpuPct = (100 * serverCpuS) / wall;
  if (out === null) return { error: `cannot start ${client.cmd[0]}` };
  const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) {
    const lines = (out.stderr || out.stdout).trim().split("\n").map((l) => l.trim());
    const why = lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
    return { error: `exit ${out.code}: ${why.slice(0, 300)}` };
  }
  const result = JSON.parse(line.slice("RESULT ".length)) as Result;
  result.serverCpuPct = serverCpuPct;
  result.serverCpuS = serverCpuS;
  return result;
}

// ------------------------------------------------------------------ helpers

function fmtSize(bytes: number): string {
  if (bytes >= MiB) return `${bytes / MiB} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

async function packageVersion(name: string): Promise<string> {
  try {
    const text = await Deno.readTextFile(
      `${BENCH}node_modules/${name}/package.json`,
    );
    return JSON.parse(text).version;
  } catch {
    return "?";
  }
}

// -------------------------------------------------------------------- setup

/** Installs the Node-side peers (pinned in bench/package.json) when missing. */
async function ensureNodePeers(): Promise<boolean> {
  const node = await capture(["node", "--version"], { timeoutMs: 10_000 });
  if (node === null || node.code !== 0) {
    notes.push(
      "Node is not installed: the Node clients and the ws server are skipped.",
    );
    return false;
  }
  let present = true;
  for (const name of ["ws", "undici", "bufferutil"]) {
    present &&= await exists(`${BENCH}node_modules/${name}/package.json`);
  }
  if (present) return true;
  console.log(
    "installing the Node-side peers into bench/node_modules (npm ci) …",
  );
  const install = await capture(["npm", "ci", "--no-audit", "--no-fund"], {
    cwd: BENCH,
    timeoutMs: 300_000,
  });
  if (install?.code === 0) return true;
  notes.push(
    `npm ci in bench/ failed (${install?.stderr.trim().split("\n").pop() ?? "npm not found"}): ` +
      "the Node clients and the ws server are skipped.",
  );
  return false;
}

async function selectClients(nodeOk: boolean): Promise<Client[]> {
  const wanted = env("CLIENTS")?.split(",").map((s) => s.trim());
  const out: Client[] = [];
  for (const client of ALL_CLIENTS) {
    if (wanted && !wanted.includes(client.id)) continue;
    if (client.cmd[0] === "node" && !nodeOk) continue;
    if (client.id === "ours-node" && !(await exists(`${ROOT}npm/esm/mod.js`))) {
      notes.push(
        "ours (Node) skipped: npm/esm/mod.js does not exist — run `deno task build:npm` first.",
      );
      continue;
    }
    out.push(client);
  }
  return out;
}

/** How to start each echo server; `native` only once `buildNative()` succeeded. */
interface ServerKinds {
  ws: Record<string, { name: string; cmd: string[] }>;
  tcp: { name: string; cmd: string[] };
}

/**
 * Compiles the native (std-only Rust) echo server when `rustc` is there,
 * cached by the source's hash; null (with a note) when it cannot be built.
 */
async function buildNative(): Promise<string | null> {
  const source = await Deno.readFile(`${BENCH}servers/echo_native.rs`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", source));
  const hash = [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const cacheDir = `${env("XDG_CACHE_HOME") ?? `${env("HOME") ?? "/tmp"}/.cache`}/ohos-ws-bench`;
  const binary = `${cacheDir}/echo_native-${hash}`;
  if (await exists(binary)) return binary;
  await Deno.mkdir(cacheDir, { recursive: true });
  console.log("compiling bench/servers/echo_native.rs (rustc -O) …");
  const out = await capture(
    [
      "rustc",
      "-C",
      "opt-level=3",
      "--edition",
      "2021",
      "-o",
      binary,
      `${BENCH}servers/echo_native.rs`,
    ],
    { timeoutMs: 180_000 },
  );
  if (out?.code === 0) return binary;
  notes.push(
    `The native echo server was not built (${
      out === null ? "rustc not found" : out.stderr.trim().split("\n")[0]
    }): only the JavaScript servers took part.`,
  );
  return null;
}

async function serverKinds(nodeOk: boolean): Promise<ServerKinds> {
  const native = await buildNative();
  const ws: ServerKinds["ws"] = {};
  if (native !== null) {
    ws.native = { name: "native (Rust, std only)", cmd: [native, "ws"] };
  }
  ws.deno = {
    name: "Deno.serve",
    cmd: [DENO, "run", "-A", `${BENCH}servers/deno_serve.ts`],
  };
  if (nodeOk) {
    ws.node = {
      name: "ws (Node)",
      cmd: ["node", `${BENCH}node/echo_ws_server.mjs`],
    };
  }
  const tcp = native !== null
    ? { name: "native (Rust, std only)", cmd: [native, "tcp"] }
    : { name: "Deno", cmd: [DENO, "run", "-A", `${BENCH}servers/tcp_echo.ts`] };
  return { ws, tcp };
}

/**
 * Picks the cheapest echo server. On a 2-core machine the server and the
 * client share the CPU, so "the server is not the bottleneck" means the
 * server that spends the least CPU per message: workload (a) and a shorter
 * (c) with two peers (Deno WebSocket and ws) against each candidate; the
 * lowest geometric mean of server CPU per message wins. Client throughput is
 * shown too, but on a shared machine it is too noisy to decide on its own.
 */
async function pickServer(
  kinds: ServerKinds,
): Promise<{ server: Server; report: string }> {
  const forced = env("SERVER");
  if (forced !== undefined) {
    const kind = kinds.ws[forced];
    if (kind === undefined) {
      throw new Error(`SERVER=${forced}: not available here`);
    }
    return {
      server: await startServer(kind.name, kind.cmd),
      report: `forced (SERVER=${forced})`,
    };
  }
  const candidates: Server[] = [];
  for (const kind of Object.values(kinds.ws)) {
    candidates.push(await startServer(kind.name, kind.cmd));
  }
  // QUICK=1 probes with Deno WebSocket only.
  const probes = ALL_CLIENTS.filter((c) =>
    c.id === "deno-websocket" ||
    (!QUICK && c.id === "ws-node" && kinds.ws.node !== undefined)
  );
  const probeA: Config = { ...WORKLOADS.a, count: QUICK ? 10_000 : 50_000 };
  const probeC: Config = { ...WORKLOADS.c, count: QUICK ? 6 : 20 };
  const messages = (config: Config) => (config.count as number) + (config.warmup as number);
  const rows: string[][] = [];
  const costs: number[] = [];
  for (const server of candidates) {
    const values: number[] = [];
    const cells: string[] = [server.name];
    for (const probe of probes) {
      const a = await runJob(probe, probeA, server);
      const c = await runJob(probe, probeC, server);
      const aCost = ((a.serverCpuS as number) * 1e6) / messages(probeA);
      const cCost = ((c.serverCpuS as number) * 1e3) / messages(probeC);
      values.push(aCost, cCost);
      cells.push(
        `${fmt(aCost, 2)} µs/msg (${fmt(a.msgPerSec as number)} msg/s)`,
        `${fmt(cCost, 2)} ms/msg (${fmt(c.mbPerSec as number, 1)} MB/s)`,
      );
    }
    const cost = Math.exp(
      values.reduce((s, v) => s + Math.log(v), 0) / values.length,
    );
    costs.push(Number.isFinite(cost) ? cost : Infinity);
    rows.push(cells);
  }
  const best = costs.indexOf(Math.min(...costs));
  for (const server of candidates) {
    if (server !== candidates[best]) await stopServer(server);
  }
  const header = ["server"];
  for (const probe of probes) {
    header.push(
      `${probe.label}: (a) server CPU`,
      `${probe.label}: (c) server CPU`,
    );
  }
  const report =
    `Server CPU time per echoed message (client throughput in brackets), one pass each; ` +
    `(a) with ${fmt(probeA.count as number)} messages, (c) with ${probeC.count}.\n\n` +
    `${table(header, rows)}\n\nChosen: **${candidates[best].name}** ` +
    `(lowest geometric mean of the server CPU costs, relative: ` +
    `${
      candidates.map((s, i) => `${s.name} ${fmt(costs[i] / costs[best], 2)}×`)
        .join(", ")
    }).`;
  return { server: candidates[best], report };
}

// ---------------------------------------------------------------- profiling

async function profile(): Promise<void> {
  const id = env("PROFILE_CLIENT") ?? "ours-deno";
  const client = ALL_CLIENTS.find((c) => c.id === id);
  if (client === undefined) throw new Error(`unknown client ${id}`);
  const nodeOk = await ensureNodePeers();
  const kinds = await serverKinds(nodeOk);
  const wsKind = kinds.ws[env("SERVER") ?? "native"] ?? kinds.ws.deno;
  const kind = client.kind === "tcp" ? kinds.tcp : wsKind;
  const server = await startServer(kind.name, kind.cmd);
  const workload = (env("PROFILE_WORKLOAD") ?? "a") as Workload;
  const dir = await Deno.makeTempDir({ prefix: "bench-profile-" });
  const path = `${dir}/${id}-${workload}.cpuprofile`;
  try {
    const result = await runJob(client, WORKLOADS[workload] as Config, server, {
      profile: path,
      profileIntervalUs: 100,
    });
    console.log(
      `${client.label}, workload ${workload}, server ${server.name}:`,
      result,
    );
    console.log(`profile: ${path}\n`);
    console.log(
      summarizeProfile(JSON.parse(await Deno.readTextFile(path)), ROOT),
    );
  } finally {
    await stopAllServers();
  }
}

// --------------------------------------------------------------------- main

async function bench(): Promise<void> {
  const nodeOk = await ensureNodePeers();
  const clients = await selectClients(nodeOk);
  const wanted = env("WORKLOADS")?.split(",").map((s) => s.trim() as Workload);
  const workloads = (["a", "b", "c", "d", "f", "g"] as Workload[]).filter((w) =>
    !wanted || wanted.includes(w)
  );

  const machine = {
    date: await shell(["date"]),
    nproc: await shell(["nproc"]),
    cpu: /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))
      ?.[1] ?? "?",
    loadBefore: (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(
      0,
      3,
    ).join(" "),
    deno: Deno.version.deno,
    node: nodeOk ? await shell(["node", "--version"]) : "—",
    ws: await packageVersion("ws"),
    undici: await packageVersion("undici"),
    bufferutil: await packageVersion("bufferutil"),
    commit: await shell(["git", "rev-parse", "--short", "HEAD"]),
    dirty: (await shell([
        "git",
        "status",
        "--porcelain",
        "--",
        "mod.ts",
        "src/",
      ])) === ""
      ? "clean"
      : "with uncommitted changes in mod.ts/src/",
  };

  const kinds = await serverKinds(nodeOk);
  console.log("calibrating the echo server …");
  const { server, report: serverReport } = await pickServer(kinds);
  console.log(serverReport);
  const tcpServer = await startServer(kinds.tcp.name, kinds.tcp.cmd);

  // results[workload][clientId] = one result per run
  const results: Record<string, Record<string, Result[]>> = {};
  for (let run = 1; run <= RUNS; run++) {
    // Each run starts the client order at a different place, so no client is always
    // the one that follows the previous workload (position effects average out).
    const shift = (run - 1) % clients.length;
    const order = [...clients.slice(shift), ...clients.slice(0, shift)];
    for (const workload of workloads) {
      for (const client of order) {
        if (!client.workloads.includes(workload)) continue;
        // (g) is (d) at other connection counts: one job per count.
        const jobs: [string, string, Config][] = workload === "g"
          ? (WORKLOADS.g.counts as number[]).map((count) => [
            `${client.id}@${count}`,
            `${client.label} × ${count}`,
            { ...WORKLOADS.d, count, timeLimitMs: WORKLOADS.g.timeLimitMs },
          ])
          : [[client.id, client.label, WORKLOADS[workload]]];
        for (const [key, label, jobConfig] of jobs) {
          let config = jobConfig;
          // The raw client reads idle sockets with a small buffer: the floor, not a tuning choice.
          if (client.kind === "tcp" && config.workload === "d") {
            config = { ...config, readBufferSize: 4096 };
          }
          const result = await runJob(
            client,
            config,
            client.kind === "tcp" ? tcpServer : server,
          );
          ((results[workload] ??= {})[key] ??= []).push(result);
          const summary = result.error ?? summarize(config.workload, result);
          console.log(
            `run ${run}/${RUNS}  ${workload}  ${label.padEnd(24)} ${summary}`,
          );
        }
      }
    }
  }
  await stopAllServers();
  const elapsedS = (performance.now() - startedAt) / 1000;
  machine.loadBefore += ` → after: ${
    (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ")
  }`;

  const markdown = report(
    clients,
    workloads,
    results,
    machine,
    serverReport,
    server.name,
    tcpServer.name,
    elapsedS,
  );
  console.log(`\n${markdown}`);
  const file = env("RESULTS_FILE") ??
    (QUICK ? undefined : `${BENCH}RESULTS.md`);
  if (file) {
    await writeResults(file, "client", markdown);
    console.log(`\nwritten to ${file}`);
  } else {
    console.log("\n(QUICK=1: not written; set RESULTS_FILE=path to keep it)");
  }
}

function summarize(workload: Workload, r: Result): string {
  const n = (key: string, digits = 0) => fmt(r[key] as number, digits);
  const flags = `${r.timedOut ? " TIMED OUT" : ""}${
    r.badLength ? ` BAD LENGTH ×${r.badLength}` : ""
  }${r.sendErrors ? ` SEND ERRORS ×${r.sendErrors}` : ""}`;
  switch (workload) {
    case "a":
      return `${n("msgPerSec")} msg/s, ${n("cpuUsPerMsg", 2)} µs CPU/msg${flags}`;
    case "b":
      return `${n("rtPerSec")} rt/s, p50 ${n("p50Us", 1)} µs, p99 ${n("p99Us", 1)} µs${flags}`;
    case "c":
      return `${n("mbPerSec", 1)} MB/s, peak RSS ${n("peakRssMB")} MB${flags}`;
    case "d":
    case "g":
      return `${n("kibPerConn", 1)} KiB/conn (${r.open} open)${flags}`;
    case "f":
      return (r.sizes as Result[]).map((s) =>
        `${fmtSize(s.size as number)}: ${fmt(s.mbPerSec as number, 1)} MB/s`
      )
        .join(", ");
  }
}

interface Metric {
  workload: Workload;
  key: string;
  title: string;
  digits: number;
  higherIsBetter: boolean;
}

const METRICS: Metric[] = [
  {
    workload: "a",
    key: "msgPerSec",
    title: "(a) msg/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "b",
    key: "rtPerSec",
    title: "(b) round trips/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "b",
    key: "p50Us",
    title: "(b) p50 µs",
    digits: 1,
    higherIsBetter: false,
  },
  {
    workload: "b",
    key: "p99Us",
    title: "(b) p99 µs",
    digits: 1,
    higherIsBetter: false,
  },
  {
    workload: "c",
    key: "mbPerSec",
    title: "(c) MB/s",
    digits: 1,
    higherIsBetter: true,
  },
  {
    workload: "d",
    key: "kibPerConn",
    title: "(d) KiB RSS/conn",
    digits: 1,
    higherIsBetter: false,
  },
  {
    workload: "a",
    key: "cpuUsPerMsg",
    title: "(e) CPU µs/msg",
    digits: 2,
    higherIsBetter: false,
  },
  {
    workload: "c",
    key: "peakRssMB",
    title: "(c) peak RSS MB",
    digits: 0,
    higherIsBetter: false,
  },
];

function report(
  clients: Client[],
  workloads: Workload[],
  results: Record<string, Record<string, Result[]>>,
  machine: Record<string, string>,
  serverReport: string,
  serverName: string,
  tcpName: string,
  elapsedS: number,
): string {
  const ok = (rs: Result[] | undefined) => (rs ?? []).filter((r) => r.error === undefined);
  const value = (m: Metric, id: string) =>
    median(ok(results[m.workload]?.[id]).map((r) => r[m.key] as number));
  const metrics = METRICS.filter((m) => workloads.includes(m.workload));
  const errors: string[] = [];
  for (const [workload, byClient] of Object.entries(results)) {
    for (const [id, rs] of Object.entries(byClient)) {
      rs.forEach((r, i) => {
        if (r.error) {
          errors.push(
            `- ${id}, workload (${workload}), run ${i + 1}: ${r.error}`,
          );
        }
        if (r.timedOut) {
          errors.push(
            `- ${id}, workload (${workload}), run ${i + 1}: hit its time bound`,
          );
        }
        if (r.badLength) {
          errors.push(
            `- ${id}, workload (${workload}), run ${
              i + 1
            }: ${r.badLength} echoes of the wrong length`,
          );
        }
        if (r.sendErrors) {
          errors.push(
            `- ${id}, workload (${workload}), run ${
              i + 1
            }: ${r.sendErrors} send errors (${r.firstSendError})`,
          );
        }
      });
    }
  }

  const settings = ["QUICK", "RUNS", "SERVER", "CLIENTS", "WORKLOADS"]
    .filter((name) => env(name) !== undefined)
    .map((name) => `${name}=${env(name)} `)
    .join("");
  const command = `${settings}npx -y deno@2.9.6 task bench`;
  const out: string[] = [];
  out.push(`# Benchmark results${QUICK ? " (QUICK=1)" : ""}`, "");
  out.push(`- Date: ${machine.date}`);
  out.push(
    `- Machine: ${machine.nproc} cores (\`nproc\`), CPU \`${machine.cpu}\` (/proc/cpuinfo); ` +
      `a noisy shared machine — load average before → after: ${machine.loadBefore}.`,
  );
  out.push(
    `- Command: \`${command}\` (the task runs \`deno run -A bench/run.ts\`).`,
  );
  out.push(`- Code: commit ${machine.commit}, ${machine.dirty}.`);
  out.push(
    `- Runtimes: Deno ${machine.deno}, Node ${machine.node}; npm ws ${machine.ws} (+ bufferutil ${machine.bufferutil}), undici ${machine.undici}.`,
  );
  out.push(
    `- Echo server: ${serverName} on 127.0.0.1; raw TCP echo server: ${tcpName}. ` +
      `Each cell is the median of ${RUNS} interleaved run${RUNS > 1 ? "s" : ""} ` +
      `(for run, for workload, for client; the client order rotates by one each run), ` +
      `each client in its own process; total ${fmt(elapsedS)} s.`,
  );
  out.push("");
  out.push("## Workloads", "");
  for (const w of workloads) out.push(`- ${WORKLOAD_TITLES[w]}`);
  out.push(
    "- (e) client CPU time (user + system, all threads, `process.cpuUsage()` in the client) per echoed message of (a)",
  );
  out.push("");
  out.push("## Results (median)", "");
  const rowClients = clients.filter((c) => c.workloads.some((w) => workloads.includes(w)));
  out.push(table(
    ["client", ...metrics.map((m) => m.title)],
    rowClients.map((
      c,
    ) => [c.label, ...metrics.map((m) => fmt(value(m, c.id), m.digits))]),
  ));
  out.push("");
  const ours = "ours-deno";
  if (rowClients.some((c) => c.id === ours)) {
    out.push("## Ours (Deno) against each peer", "");
    out.push(
      "Each cell is ours ÷ peer. For throughput (msg/s, round trips/s, MB/s) above 1× means ours is " +
        "faster; for latency, memory and CPU above 1× means ours costs more.",
      "",
    );
    out.push(table(
      [
        "peer",
        ...metrics.map((m) => `${m.title} ${m.higherIsBetter ? "↑" : "↓"}`),
      ],
      rowClients.filter((c) => c.id !== ours).map((c) => [
        c.label,
        ...metrics.map((m) => fmtRatio(value(m, ours) / value(m, c.id))),
      ]),
    ));
    out.push("");
  }
  if (RUNS > 1) {
    out.push("## Every run (run 1 / run 2 / …)", "");
    out.push(table(
      ["client", ...metrics.map((m) => m.title)],
      rowClients.map((c) => [
        c.label,
        ...metrics.map((m) =>
          (results[m.workload]?.[c.id] ?? []).map((r) =>
            r.error === undefined ? fmt(r[m.key] as number, m.digits) : "err"
          ).join(" / ")
        ),
      ]),
    ));
    out.push("");
  }
  if (workloads.includes("a") || workloads.includes("c")) {
    out.push(
      "## Echo server CPU while each client ran (median, % of one core)",
      "",
    );
    out.push(
      "Measured from /proc/<server pid>/stat (10 ms ticks) over the client process's whole life (start-up " +
        "included), so it understates the load during the timed part.",
      "",
    );
    const serverCols = (["a", "b", "c", "d"] as Workload[]).filter((w) => workloads.includes(w));
    out.push(table(
      ["client", ...serverCols.map((w) => `(${w})`)],
      rowClients.map((c) => [
        c.label,
        ...serverCols.map((w) =>
          fmt(
            median(ok(results[w]?.[c.id]).map((r) => r.serverCpuPct as number)),
          )
        ),
      ]),
    ));
    out.push("");
  }
  if (workloads.includes("f")) {
    out.push(`## ${WORKLOAD_TITLES.f}`, "");
    const sweep = WORKLOADS.f.sizes as {
      size: number;
      count: number;
      inflight: number;
    }[];
    const sizeValue = (id: string, size: number, key: string) =>
      median(
        ok(results.f?.[id]).map((r) =>
          ((r.sizes as Result[]).find((s) => s.size === size)
            ?.[key] as number) ?? NaN
        ),
      );
    out.push(table(
      [
        "size",
        "messages × in flight",
        "ours MB/s",
        "ours msg/s",
        "ours CPU µs/msg",
        "ws MB/s",
        "ws msg/s",
        "ws CPU µs/msg",
        "ours ÷ ws (MB/s)",
      ],
      sweep.map(({ size, count, inflight }) => [
        fmtSize(size),
        `${fmt(count)} × ${inflight}`,
        fmt(sizeValue("ours-deno", size, "mbPerSec"), 1),
        fmt(sizeValue("ours-deno", size, "msgPerSec")),
        fmt(sizeValue("ours-deno", size, "cpuUsPerMsg"), 1),
        fmt(sizeValue("ws-node", size, "mbPerSec"), 1),
        fmt(sizeValue("ws-node", size, "msgPerSec")),
        fmt(sizeValue("ws-node", size, "cpuUsPerMsg"), 1),
        fmtRatio(
          sizeValue("ours-deno", size, "mbPerSec") /
            sizeValue("ws-node", size, "mbPerSec"),
        ),
      ]),
    ));
    out.push("");
  }
  if (workloads.includes("g")) {
    out.push(`## ${WORKLOAD_TITLES.g}`, "");
    const counts = [
      ...(WORKLOADS.g.counts as number[]),
      WORKLOADS.d.count as number,
    ]
      .sort((x, y) => x - y);
    const perConn = (id: string, count: number) =>
      median(
        ok(
          count === WORKLOADS.d.count ? results.d?.[id] : results.g?.[`${id}@${count}`],
        ).map((r) => r.kibPerConn as number),
      );
    out.push(table(
      ["client", ...counts.map((count) => `${fmt(count)} conns, KiB/conn`)],
      clients.filter((c) => c.workloads.includes("g")).map((c) => [
        c.label,
        ...counts.map((count) => fmt(perConn(c.id, count), 1)),
      ]),
    ));
    out.push(
      "",
      "The 1000-connection column is workload (d). Fixed costs (heap growth, runtime " +
        "structures) are spread over more connections as the count grows.",
      "",
    );
  }
  out.push("## Echo server calibration", "", serverReport, "");
  out.push("## Notes", "");
  out.push(
    "- MB/s is payload bytes echoed per second (1 MB = 10^6 B; each byte crosses the socket both ways).",
    "- The raw TCP client moves the same payload bytes with the same number of messages in flight, " +
      "no framing; sends queued in one tick go out in one write. It is the floor, not a WebSocket.",
    "- (d) is (RSS with all connections open − RSS before) ÷ connections, after a forced GC " +
      "(`--expose-gc`) and one warm-up connection; the raw client reads idle sockets with a 4 KiB buffer.",
    "- Warm-up messages on the same connection precede each timed phase and are not counted.",
    "- npm ws (server and client) runs with the optional bufferutil add-on that ws recommends " +
      "(a prebuilt binary inside the npm package): native masking for frames of 48 B and more; " +
      "binaryType nodebuffer (its default). Deno WebSocket and undici use binaryType arraybuffer; " +
      "ours delivers ArrayBuffer by contract.",
  );
  for (const note of notes) out.push(`- ${note}`);
  if (errors.length > 0) {
    out.push("", "### Problems during the run", "", ...errors);
  }
  out.push("");
  return out.join("\n");
}

// ---------------------------------------------------------------------- entry

Deno.addSignalListener("SIGINT", () => {
  stopAllServers().finally(() => Deno.exit(130));
});

if (import.meta.main) {
  try {
    if (env("PROFILE") === "1") await profile();
    else await bench();
  } finally {
    await stopAllServers();
  }
}
