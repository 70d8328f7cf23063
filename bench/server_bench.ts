/**
 * `deno task bench:server`: our server against the servers people would pick
 * instead, under one neutral load generator.
 *
 * The load generator (bench/lib/loadgen.mjs) is one Node process of plain
 * `node:net` sockets: its own upgrade handshake, pre-built masked frames, and
 * a reader that only walks frame headers to count echoed messages. Nearly all
 * the CPU that is not its own is the server's. Every job gets a fresh server
 * process: for each run, for each workload, for each server (the server order
 * starts one place later each run), and the median of the runs is reported;
 * ratios are taken within each run, then their median.
 *
 * Servers: ours on Deno (mod.ts), on Node and on Bun (the npm build, rebuilt
 * first), `Deno.serve` + `Deno.upgradeWebSocket`, npm `ws` on Node,
 * `Bun.serve` (uWebSockets), and raw TCP echo on Deno and on Node as floors.
 *
 * Environment:
 * - `QUICK=1`       one short run (about a minute), printed only
 * - `RUNS=n`        runs (default 3, QUICK 1)
 * - `SERVERS=a,b`   only these server ids (see `ALL_SERVERS`)
 * - `WORKLOADS=a,b` only these workloads (s1 s1b s2 s3 s4 s5)
 * - `LOADGENS=n`    load-generator processes for s1, s1b and s5 (default: 1
 *   for s1, 2 for s1b and s5; the others always use one)
 * - `FLOOR_TRIPS=n` in (s5), the raw TCP floors echo n frames per connection,
 *   one round trip each (default 1; 3 is what a WebSocket cycle makes: upgrade,
 *   echo, close), so the floor can be matched to the cycle
 * - `SYSCALLS=1`    also count the server's system calls in each timed window
 *   (`perf stat` on the syscall tracepoints) and report them per unit of work
 * - `RESULTS_FILE=path`  where the markdown goes (default: the server part of
 *   bench/RESULTS.md for a full run, nowhere for QUICK=1)
 * - `PROFILE=1`     instead of the benchmark, CPU-profile our server
 *   (`PROFILE_SERVER`, default ours-deno; or ours-node) under one workload
 *   (`PROFILE_WORKLOAD`, default s1) during its timed window, and print the
 *   hottest functions
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
  ROOT,
  SERVER_SECTION,
  shell,
  table,
  writeResults,
} from "./lib/common.ts";

const BENCH = `${ROOT}bench/`;
const DENO = Deno.execPath();
const BUN = `${BENCH}node_modules/@oven/bun-linux-x64/bin/bun`;
const env = (name: string) => Deno.env.get(name);

const QUICK = env("QUICK") === "1";
const RUNS = Math.max(1, Math.min(9, Number(env("RUNS") ?? (QUICK ? 1 : 3))));
const MiB = 1024 * 1024;
/** Hard bound on the whole benchmark; jobs past it are skipped and reported. */
const TOTAL_LIMIT_MS = (QUICK ? 4 : 28) * 60_000;
const startedAt = performance.now();
const notes: string[] = [];

// ------------------------------------------------------------------ workloads

type WorkloadId = "s1" | "s1b" | "s2" | "s3" | "s4" | "s5";

interface Workload {
  id: WorkloadId;
  title: string;
  /** BENCH_SERVER_MODE of the server. */
  mode: "echo" | "broadcast";
  /** The load generator's job (its `kind` and parameters). */
  job: Record<string, unknown>;
  /**
   * Load-generator processes (default 1). Two where one process, reading and
   * writing a socket per message or per connection, held the fastest server back.
   */
  loadgens?: number;
  /** Extra environment of the server process. */
  serverEnv?: Record<string, string>;
}

const WARMUP_MS = QUICK ? 300 : 1500;
const WINDOW_MS = QUICK ? 700 : 4000;
const IDLE_COUNT = QUICK ? 2000 : 8000;
/** `LOADGENS=n`: load-generator processes for every workload whose load can be split. */
const LOADGENS = env("LOADGENS") === undefined
  ? undefined
  : Math.max(1, Math.min(4, Number(env("LOADGENS"))));
const FLOOR_TRIPS = Math.max(1, Math.min(8, Number(env("FLOOR_TRIPS") ?? "1")));
const SPLITTABLE: WorkloadId[] = ["s1", "s1b", "s5"];
/** Count the server's system calls during each timed window (`perf stat`). */
const SYSCALLS = env("SYSCALLS") === "1";

const WORKLOADS: Workload[] = [
  {
    id: "s1",
    title: "(s1) 16 B text echo, 50 connections, 1000 in flight (20 on each)",
    mode: "echo",
    job: {
      kind: "echo",
      connections: 50,
      inflight: 1000,
      size: 16,
      binary: false,
    },
  },
  {
    id: "s1b",
    title: "(s1b) 16 B text echo, 1,000 connections, one in flight on each; 2 load generators",
    mode: "echo",
    loadgens: 2,
    job: {
      kind: "echo",
      connections: 1000,
      inflight: 1000,
      size: 16,
      binary: false,
    },
  },
  {
    id: "s2",
    title: "(s2) 4 MiB binary echo, one connection, 4 in flight",
    mode: "echo",
    job: {
      kind: "echo",
      connections: 1,
      inflight: 4,
      size: 4 * MiB,
      binary: true,
    },
  },
  {
    id: "s3",
    title: `(s3) ${fmt(IDLE_COUNT)} idle connections: server RSS per connection, settled`,
    mode: "echo",
    job: {
      kind: "idle",
      count: IDLE_COUNT,
      size: 16,
      settleMaxMs: QUICK ? 3000 : 10_000,
    },
    // The Deno floor's idle sockets wait in a 1 KiB read, not in its 256 KiB echo buffer.
    serverEnv: { BENCH_TCP_READ_BUFFER: "1024" },
  },
  {
    id: "s4",
    title: "(s4) broadcast: a 64 B text message to 1,000 clients, the next once all have it",
    mode: "broadcast",
    job: { kind: "broadcast", connections: 1000, inflight: 1, size: 64 },
    // The raw TCP floors have no handshake: a connection the load generator has opened may not
    // be accepted yet when the first message arrives, so they hold it until all are.
    serverEnv: { BENCH_BROADCAST_CONNECTIONS: "1000" },
  },
  {
    id: "s5",
    title:
      "(s5) churn: connect, upgrade, one 16 B echo, close handshake; 50 in parallel; 2 load generators",
    mode: "echo",
    loadgens: 2,
    job: { kind: "churn", parallel: 50, size: 16 },
  },
];

// -------------------------------------------------------------------- servers

interface ServerSpec {
  id: string;
  label: string;
  cmd: string[];
  /** `tcp` servers echo raw bytes: no handshake, the load generator skips its own. */
  kind: "ws" | "tcp";
  workloads: WorkloadId[];
  /** Why it cannot run here, when it cannot. */
  missing?: string;
}

const ALL_WORKLOADS: WorkloadId[] = ["s1", "s1b", "s2", "s3", "s4", "s5"];

const ALL_SERVERS: ServerSpec[] = [
  {
    id: "ours-deno",
    label: "ours (Deno)",
    cmd: [DENO, "run", "-A", `${BENCH}servers/ours_deno.ts`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "ours-node",
    label: "ours (Node, npm build)",
    cmd: ["node", `${BENCH}servers/ours_npm.mjs`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "ours-bun",
    label: "ours (Bun, npm build)",
    cmd: [BUN, `${BENCH}servers/ours_npm.mjs`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "deno-serve",
    label: "Deno.serve + upgradeWebSocket",
    cmd: [DENO, "run", "-A", `${BENCH}servers/deno_serve.ts`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "ws-node",
    label: "ws (Node)",
    cmd: ["node", `${BENCH}servers/ws_node.mjs`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "bun-serve",
    label: "Bun.serve (uWebSockets)",
    cmd: [BUN, `${BENCH}servers/bun_serve.mjs`],
    kind: "ws",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "tcp-deno",
    label: "raw TCP echo (Deno, floor)",
    cmd: [DENO, "run", "-A", `${BENCH}servers/tcp_echo.ts`],
    kind: "tcp",
    workloads: ALL_WORKLOADS,
  },
  {
    id: "tcp-node",
    label: "raw TCP echo (Node, floor)",
    cmd: ["node", `${BENCH}servers/tcp_echo_node.mjs`],
    kind: "tcp",
    workloads: ALL_WORKLOADS,
  },
];

/**
 * Every child runs under `sh -c 'ulimit -n <hard limit>; exec …'` so that
 * thousands of sockets fit; `exec` keeps the pid, which /proc is read by.
 */
function withFileLimit(cmd: string[]): string[] {
  return [
    "sh",
    "-c",
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"',
    ...cmd,
  ];
}

interface Server {
  spec: ServerSpec;
  port: number;
  child: Deno.ChildProcess;
  /** Everything it printed on stdout so far. */
  output: () => string;
  /** Resolves once stdout contains `text` (false after `timeoutMs`). */
  waitFor: (text: string, timeoutMs: number) => Promise<boolean>;
  stderrTail: () => string;
}

const running = new Set<Server>();

/** Starts a server that prints `PORT <n>`; gives up after 60 s. */
async function startServer(
  spec: ServerSpec,
  mode: string,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  const child = new Deno.Command("sh", {
    args: withFileLimit(spec.cmd).slice(1),
    cwd: ROOT,
    env: {
      BENCH_SERVER_MODE: mode,
      BENCH_SERVER_LIFETIME_S: String(Math.ceil(TOTAL_LIMIT_MS / 1000) + 120),
      ...extraEnv,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let errText = "";
  const waiters: (() => void)[] = [];
  (async () => {
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      text = (text + chunk).slice(-65_536);
      for (const wake of waiters.splice(0)) wake();
    }
  })().catch(() => {});
  (async () => {
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      errText = (errText + chunk).slice(-4096);
    }
  })().catch(() => {});
  const waitFor = async (needle: string, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (!text.includes(needle)) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 1000));
      });
      clearTimeout(timer);
    }
    return true;
  };
  const server: Server = {
    spec,
    port: 0,
    child,
    output: () => text,
    waitFor,
    stderrTail: () => errText.trim().split("\n").slice(-3).join(" | "),
  };
  running.add(server);
  if (await waitFor("PORT ", 60_000) && (await waitFor("\n", 1000))) {
    const match = /PORT (\d+)/.exec(text);
    if (match) {
      server.port = Number(match[1]);
      return server;
    }
  }
  await stopServer(server);
  throw new Error(
    `${spec.label} did not report its port: ${text} ${server.stderrTail()}`,
  );
}

async function stopServer(server: Server): Promise<void> {
  running.delete(server);
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
  }, 3000);
  await server.child.status;
  clearTimeout(timer);
}

async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map(stopServer));
}

// ---------------------------------------------------------------------- jobs

type Result = Record<string, unknown> & { error?: string };

/** The system calls `SYSCALLS=1` counts, by name (perf's `syscalls:sys_enter_<name>`). */
const SYSCALL_GROUPS: Record<string, string[]> = {
  reads: ["read", "readv", "recvfrom", "recvmsg"],
  writes: ["write", "writev", "sendto", "sendmsg"],
  polls: ["epoll_wait", "epoll_pwait", "epoll_pwait2"],
};

/**
 * Counts the server's system calls from `atMs` (wall clock) for `durationMs`
 * with `perf stat` on the kernel's syscall tracepoints (in-kernel counters:
 * the server does not slow down); the counts by group plus `all`, or why not.
 */
async function countSyscalls(
  pid: number,
  atMs: number,
  durationMs: number,
): Promise<Record<string, number> | string> {
  const events = [
    "raw_syscalls:sys_enter",
    ...Object.values(SYSCALL_GROUPS).flat().map((n) => `syscalls:sys_enter_${n}`),
  ];
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now())));
  const out = await capture([
    "perf",
    "stat",
    "-x",
    ",",
    "-e",
    events.join(","),
    "-p",
    String(pid),
    "--",
    "sleep",
    String(durationMs / 1000),
  ], { timeoutMs: durationMs + 10_000 });
  if (out === null) return "perf is not installed";
  const counts: Record<string, number> = {};
  for (const line of out.stderr.split("\n")) {
    const [value, , event] = line.split(",");
    if (event === undefined) continue;
    const name = event === "raw_syscalls:sys_enter"
      ? "all"
      : event.replace("syscalls:sys_enter_", "");
    counts[name] = Number(value);
  }
  if (!Number.isFinite(counts.all)) {
    return `perf stat counted nothing (${out.stderr.trim().split("\n")[0]})`;
  }
  const grouped: Record<string, number> = { all: counts.all };
  for (const [group, names] of Object.entries(SYSCALL_GROUPS)) {
    grouped[group] = names.reduce(
      (sum, n) => sum + (Number.isFinite(counts[n]) ? counts[n] : 0),
      0,
    );
  }
  return grouped;
}

/** What a load generator printed: its `RESULT`, or why there is none. */
function parseResult(stdout: string, stderr: string, code: number | string): Result {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line !== undefined) return JSON.parse(line.slice("RESULT ".length)) as Result;
  const lines = (stderr || stdout).trim().split("\n").map((l) => l.trim());
  return { error: `load generator exit ${code}: ${(lines.at(-1) ?? "").slice(0, 300)}` };
}

/** Load-generator processes for a workload: `LOADGENS` where the load can be split, else its own. */
function shardsFor(workload: Workload): number {
  if (!SPLITTABLE.includes(workload.id)) return 1;
  return LOADGENS ?? workload.loadgens ?? 1;
}

/** The share of a job that load generator `index` of `count` runs. */
function shardJob(job: Record<string, unknown>, index: number, count: number) {
  const share = (n: unknown) => Math.floor(Number(n) / count) + (index < Number(n) % count ? 1 : 0);
  const out: Record<string, unknown> = { ...job, shard: index };
  if (count === 1) return out;
  for (const key of ["connections", "inflight", "parallel"]) {
    if (key in job) out[key] = share(job[key]);
  }
  return out;
}

/**
 * Runs the load generator(s) once against `server` and merges their results.
 * Each process opens its share of the connections, warms up and prints READY;
 * once all are ready they get one `GO <time>` and measure the same window of
 * the wall clock. The first one's reading of the server's CPU counts.
 */
async function runLoad(
  server: Server,
  workload: Workload,
  extra: Record<string, unknown> = {},
): Promise<Result> {
  const timeLimitMs = WARMUP_MS + WINDOW_MS + (workload.id === "s3" ? 90_000 : 45_000);
  const job = {
    ...workload.job,
    port: server.port,
    serverPid: server.child.pid,
    tcp: server.spec.kind === "tcp",
    floorTrips: FLOOR_TRIPS,
    warmupMs: WARMUP_MS,
    durationMs: WINDOW_MS,
    openParallel: 100,
    timeLimitMs,
    ...extra,
  };
  const count = shardsFor(workload);
  const children = Array.from({ length: count }, (_, index) =>
    new Deno.Command("sh", {
      args: withFileLimit(["node", `${BENCH}lib/loadgen.mjs`]).slice(1),
      cwd: ROOT,
      env: { BENCH_CONFIG: JSON.stringify(shardJob(job, index, count)) },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const killer = setTimeout(() => {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, timeLimitMs + 15_000);
  const stdouts = children.map(() => "");
  let ready = 0;
  let allReady = () => {};
  const everyoneReady = new Promise<void>((resolve) => (allReady = resolve));
  const reading = children.map(async (child, i) => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const before = stdouts[i].includes("READY");
      stdouts[i] += chunk;
      if (!before && stdouts[i].includes("READY") && ++ready === count) allReady();
    }
  });
  const stderrs = children.map(async (child) => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text = (text + chunk).slice(-4096);
    }
    return text;
  });
  const writers = children.map((child) => child.stdin.getWriter());
  const exited = Promise.all(children.map((child) => child.status));
  // (s3) has no timed window: its process never prints READY.
  const outcome = await Promise.race([everyoneReady.then(() => "ready"), exited]);
  let syscalls: Promise<Record<string, number> | string> | undefined;
  if (outcome === "ready") {
    const at = Date.now() + 50;
    const line = new TextEncoder().encode(`GO ${at}\n`);
    await Promise.all(writers.map((w) => w.write(line).catch(() => {})));
    if (SYSCALLS) syscalls = countSyscalls(server.child.pid, at, WINDOW_MS);
  }
  const statuses = await exited;
  clearTimeout(killer);
  await Promise.all(reading);
  const errors = await Promise.all(stderrs);
  await Promise.all(writers.map((w) => w.close().catch(() => {})));
  const results = children.map((_, i) =>
    parseResult(stdouts[i], errors[i], statuses[i].signal ?? statuses[i].code)
  );
  const failed = results.find((r) => r.error !== undefined);
  if (failed) return failed;
  const counted = await syscalls;
  if (typeof counted === "string") notes.push(`SYSCALLS=1: ${counted}`);
  else if (counted !== undefined) results[0].syscalls = counted;
  if (count === 1) return { ...results[0], loadgens: 1 };
  // Counts and load-generator CPU add up; the window and the server's CPU are the first one's.
  const merged: Result = { ...results[0], loadgens: count };
  for (const key of ["count", "loadgenCpuUs", "connections", "connectFailures", "failures"]) {
    if (key in merged) merged[key] = results.reduce((sum, r) => sum + Number(r[key] ?? 0), 0);
  }
  merged.unexpectedCloses = results.reduce((sum, r) => sum + Number(r.unexpectedCloses ?? 0), 0);
  return merged;
}

/** The reported figures of one job, from what its load generator(s) measured. */
function derive(workload: Workload, raw: Result): Result {
  if (raw.error !== undefined || workload.id === "s3") return raw;
  const count = raw.count as number;
  const seconds = raw.seconds as number;
  const cpuUs = raw.serverCpuUs as number;
  const size = workload.job.size as number;
  const out: Result = {
    ...raw,
    serverCpuPct: (100 * cpuUs) / (seconds * 1e6),
    serverUserPct: (100 * (raw.serverUserUs as number)) / cpuUs,
    loadgenCpuPct: (100 * (raw.loadgenCpuUs as number)) / (seconds * 1e6),
  };
  if (count === 0) out.error = "nothing came back during the timed window";
  if (workload.job.kind === "echo") {
    out.msgPerSec = count / seconds;
    out.mbPerSec = (count * size) / 1e6 / seconds;
    out.serverCpuUsPerMsg = cpuUs / count;
    out.serverCpuMsPerMB = cpuUs / 1000 / ((count * size) / 1e6);
    out.serverPeakRssMB = ((raw.serverPeakKiB as number) * 1024) / 1e6;
  } else if (workload.job.kind === "broadcast") {
    out.deliveriesPerSec = count / seconds;
    out.serverCpuUsPerDelivery = cpuUs / count;
  } else if (workload.job.kind === "churn") {
    out.handshakesPerSec = count / seconds;
    out.serverCpuUsPerHandshake = cpuUs / count;
  }
  return out;
}

/** One job: a fresh server, the load, the server stopped. */
async function runJobOnce(spec: ServerSpec, workload: Workload): Promise<Result> {
  let server: Server;
  try {
    server = await startServer(spec, workload.mode, workload.serverEnv);
  } catch (error) {
    return { error: String((error as Error).message).slice(0, 300) };
  }
  try {
    const result = derive(workload, await runLoad(server, workload));
    if (result.error && server.stderrTail()) {
      result.error += ` (server stderr: ${server.stderrTail().slice(0, 200)})`;
    }
    return result;
  } finally {
    await stopServer(server);
  }
}

/**
 * A job, tried once more when it fails (on a shared machine a start-up can
 * miss its deadline under someone else's load); the retry is reported.
 */
async function runJob(spec: ServerSpec, workload: Workload): Promise<Result> {
  if (performance.now() - startedAt > TOTAL_LIMIT_MS) {
    return { error: "skipped: the benchmark's total time bound was reached" };
  }
  const first = await runJobOnce(spec, workload);
  if (first.error === undefined || performance.now() - startedAt > TOTAL_LIMIT_MS) return first;
  const second = await runJobOnce(spec, workload);
  return second.error === undefined ? { ...second, retriedAfter: first.error } : second;
}

// ------------------------------------------------------------------- metrics

interface Metric {
  workload: WorkloadId;
  key: string;
  title: string;
  digits: number;
  higherIsBetter: boolean;
}

const METRICS: Metric[] = [
  {
    workload: "s1",
    key: "serverCpuUsPerMsg",
    title: "(s1) CPU µs/msg",
    digits: 2,
    higherIsBetter: false,
  },
  {
    workload: "s1",
    key: "msgPerSec",
    title: "(s1) msg/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "s1b",
    key: "serverCpuUsPerMsg",
    title: "(s1b) CPU µs/msg",
    digits: 2,
    higherIsBetter: false,
  },
  {
    workload: "s1b",
    key: "msgPerSec",
    title: "(s1b) msg/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "s2",
    key: "mbPerSec",
    title: "(s2) MB/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "s2",
    key: "serverCpuMsPerMB",
    title: "(s2) CPU ms/MB",
    digits: 2,
    higherIsBetter: false,
  },
  {
    workload: "s2",
    key: "serverPeakRssMB",
    title: "(s2) peak RSS MB",
    digits: 0,
    higherIsBetter: false,
  },
  {
    workload: "s3",
    key: "kibPerConn",
    title: "(s3) KiB/conn",
    digits: 1,
    higherIsBetter: false,
  },
  {
    workload: "s4",
    key: "serverCpuUsPerDelivery",
    title: "(s4) CPU µs/delivery",
    digits: 2,
    higherIsBetter: false,
  },
  {
    workload: "s4",
    key: "deliveriesPerSec",
    title: "(s4) deliveries/s",
    digits: 0,
    higherIsBetter: true,
  },
  {
    workload: "s5",
    key: "serverCpuUsPerHandshake",
    title: "(s5) CPU µs/handshake",
    digits: 1,
    higherIsBetter: false,
  },
  {
    workload: "s5",
    key: "handshakesPerSec",
    title: "(s5) handshakes/s",
    digits: 0,
    higherIsBetter: true,
  },
];

/** results[workload][serverId] = one result per run (in run order). */
type Results = Record<string, Record<string, Result[]>>;

const valid = (r: Result | undefined): r is Result => r !== undefined && r.error === undefined;

function value(results: Results, m: Metric, id: string): number {
  return median(
    (results[m.workload]?.[id] ?? []).filter(valid).map((r) => r[m.key] as number),
  );
}

/** Median over the runs of ours ÷ peer within each run (the same run shares the noise). */
function ratio(
  results: Results,
  m: Metric,
  ours: string,
  peer: string,
): number {
  const a = results[m.workload]?.[ours] ?? [];
  const b = results[m.workload]?.[peer] ?? [];
  const ratios: number[] = [];
  for (let run = 0; run < Math.min(a.length, b.length); run++) {
    if (valid(a[run]) && valid(b[run])) {
      ratios.push((a[run][m.key] as number) / (b[run][m.key] as number));
    }
  }
  return median(ratios);
}

function metric(workload: WorkloadId, key: string): Metric {
  return METRICS.find((m) => m.workload === workload && m.key === key)!;
}

function summarize(workload: WorkloadId, r: Result): string {
  if (r.error) return r.error;
  const n = (key: string, digits = 0) => fmt(r[key] as number, digits);
  const flags = `${r.unexpectedCloses ? ` LOST ${r.unexpectedCloses} CONNECTIONS` : ""}${
    r.connectFailures ? ` ${r.connectFailures} CONNECT FAILURES (${r.firstConnectFailure})` : ""
  }${r.failures ? ` ${r.failures} FAILED CYCLES` : ""}`;
  const cpu = `server ${n("serverCpuPct")} % (${n("serverUserPct")} % of it user), load generator ${
    n("loadgenCpuPct")
  } % of a core`;
  switch (workload) {
    case "s1":
    case "s1b":
      return `${n("serverCpuUsPerMsg", 2)} µs/msg, ${n("msgPerSec")} msg/s; ${cpu}${flags}`;
    case "s2":
      return `${n("mbPerSec")} MB/s, ${n("serverCpuMsPerMB", 2)} ms/MB, peak RSS ${
        n("serverPeakRssMB")
      } MB; ${cpu}${flags}`;
    case "s3":
      return `${n("kibPerConn", 1)} KiB/conn (${r.open} open, ${n("rssBeforeMB")} → ${
        n("rssOpenMB")
      } MB${r.settled ? "" : ", NOT SETTLED"}${r.shrank ? ", RSS SHRANK" : ""})${flags}`;
    case "s4":
      return `${n("serverCpuUsPerDelivery", 2)} µs/delivery, ${
        n("deliveriesPerSec")
      } deliveries/s; ${cpu}${flags}`;
    case "s5":
      return `${n("handshakesPerSec")} handshakes/s, ${
        n("serverCpuUsPerHandshake", 1)
      } µs/handshake; ${cpu}${flags}`;
  }
}

// -------------------------------------------------------------------- setup

async function packageVersion(name: string): Promise<string> {
  try {
    return JSON.parse(
      await Deno.readTextFile(`${BENCH}node_modules/${name}/package.json`),
    )
      .version;
  } catch {
    return "?";
  }
}

/** Node, the peers pinned in bench/package.json (npm ci when missing) and the npm build. */
async function setup(): Promise<boolean> {
  const node = await capture(["node", "--version"], { timeoutMs: 10_000 });
  if (node === null || node.code !== 0) {
    throw new Error("Node is needed: it runs the load generator");
  }
  let present = await exists(BUN);
  for (const name of ["ws", "bufferutil"]) {
    present &&= await exists(`${BENCH}node_modules/${name}/package.json`);
  }
  if (!present) {
    console.log("installing the peers into bench/node_modules (npm ci) …");
    const install = await capture(["npm", "ci", "--no-audit", "--no-fund"], {
      cwd: BENCH,
      timeoutMs: 300_000,
    });
    if (install?.code !== 0) {
      notes.push(
        `npm ci in bench/ failed (${
          install?.stderr.trim().split("\n").pop() ?? "npm not found"
        }): servers that need it are skipped.`,
      );
    }
  }
  // Other work may have changed src/ since the last build: always build the npm package.
  console.log("building the npm package (deno task build:npm --no-smoke) …");
  const build = await capture([
    DENO,
    "run",
    "-A",
    `${ROOT}scripts/build_npm.ts`,
    "--no-smoke",
  ], {
    timeoutMs: 300_000,
  });
  if (build?.code !== 0) {
    notes.push(
      `the npm build failed (${
        build?.stderr.trim().split("\n").pop()
      }): ours on Node and on Bun are skipped.`,
    );
    return false;
  }
  return true;
}

async function selectServers(npmOk: boolean): Promise<ServerSpec[]> {
  const wanted = env("SERVERS")?.split(",").map((s) => s.trim());
  const out: ServerSpec[] = [];
  for (const spec of ALL_SERVERS) {
    if (wanted && !wanted.includes(spec.id)) continue;
    if (spec.cmd[0] === BUN && !(await exists(BUN))) {
      notes.push(
        `${spec.label} skipped: ${BUN} is missing (npm ci in bench/).`,
      );
      continue;
    }
    if (
      spec.id === "ws-node" &&
      !(await exists(`${BENCH}node_modules/ws/package.json`))
    ) {
      notes.push(
        `${spec.label} skipped: npm ws is missing (npm ci in bench/).`,
      );
      continue;
    }
    if (spec.cmd.at(-1)!.endsWith("ours_npm.mjs") && !npmOk) continue;
    out.push(spec);
  }
  return out;
}

async function machineInfo(): Promise<Record<string, string>> {
  const loadavg = async () => (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3);
  const dirty = await shell([
    "git",
    "status",
    "--porcelain",
    "--",
    "mod.ts",
    "src/",
  ]);
  return {
    date: await shell(["date", "-u"]),
    nproc: await shell(["nproc"]),
    cpu: /model name\s*:\s*(.*)/.exec(await Deno.readTextFile("/proc/cpuinfo"))
      ?.[1] ?? "?",
    memory: `${
      fmt(
        Number(
          /MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))
            ?.[1],
        ) / MiB,
        0,
      )
    } GiB`,
    loadBefore: (await loadavg()).join(" "),
    fileLimit: await shell([
      "sh",
      "-c",
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n',
    ]),
    deno: Deno.version.deno,
    node: await shell(["node", "--version"]),
    bun: (await exists(BUN)) ? await shell([BUN, "--version"]) : "—",
    ws: await packageVersion("ws"),
    bufferutil: await packageVersion("bufferutil"),
    commit: await shell(["git", "rev-parse", "--short", "HEAD"]),
    dirty: dirty === "" ? "clean" : "with uncommitted changes in mod.ts/src/",
  };
}

// ---------------------------------------------------------------- profiling

async function profile(): Promise<void> {
  const id = env("PROFILE_SERVER") ?? "ours-deno";
  if (id !== "ours-deno" && id !== "ours-node") {
    throw new Error(
      `PROFILE_SERVER=${id}: only ours-deno and ours-node can be profiled`,
    );
  }
  const workload = WORKLOADS.find((w) => w.id === (env("PROFILE_WORKLOAD") ?? "s1"));
  if (workload === undefined || workload.id === "s3") {
    throw new Error("PROFILE_WORKLOAD must be one of s1 s1b s2 s4 s5");
  }
  const npmOk = id === "ours-deno" || await setup();
  if (!npmOk) throw new Error("the npm build failed");
  const spec = ALL_SERVERS.find((s) => s.id === id)!;
  const dir = await Deno.makeTempDir({ prefix: "bench-server-profile-" });
  const path = `${dir}/${id}-${workload.id}.cpuprofile`;
  const server = await startServer(spec, workload.mode, {
    BENCH_PROFILE: path,
  });
  try {
    const result = derive(workload, await runLoad(server, workload, { profileSignals: true }));
    console.log(`${spec.label}, workload ${workload.title}:`);
    console.log(`  ${summarize(workload.id, result)}`);
    console.log(
      "  (profiled at a 100 µs sampling interval: the profiler costs some throughput)",
    );
    if (!(await server.waitFor("PROFILE_WRITTEN", 30_000))) {
      throw new Error(`the server wrote no profile: ${server.stderrTail()}`);
    }
    console.log(`profile: ${path}\n`);
    console.log(
      summarizeProfile(JSON.parse(await Deno.readTextFile(path)), ROOT),
    );
  } finally {
    await stopServer(server);
  }
}

// --------------------------------------------------------------------- main

async function bench(): Promise<void> {
  const machine = await machineInfo();
  const npmOk = await setup();
  const servers = await selectServers(npmOk);
  const wanted = env("WORKLOADS")?.split(",").map((s) => s.trim());
  const workloads = WORKLOADS.filter((w) => !wanted || wanted.includes(w.id));
  const results: Results = {};
  for (let run = 1; run <= RUNS; run++) {
    // Each run starts the server order one place later, so no server always
    // follows the same one (position effects average out).
    const shift = (run - 1) % servers.length;
    const order = [...servers.slice(shift), ...servers.slice(0, shift)];
    for (const workload of workloads) {
      for (const spec of order) {
        if (!spec.workloads.includes(workload.id)) continue;
        const result = await runJob(spec, workload);
        ((results[workload.id] ??= {})[spec.id] ??= []).push(result);
        console.log(
          `run ${run}/${RUNS}  ${workload.id.padEnd(3)}  ${spec.label.padEnd(30)} ${
            summarize(workload.id, result)
          }`,
        );
      }
    }
  }
  await stopAllServers();
  machine.loadAfter = (await Deno.readTextFile("/proc/loadavg")).split(" ")
    .slice(0, 3).join(" ");
  const elapsedS = (performance.now() - startedAt) / 1000;
  const markdown = report(servers, workloads, results, machine, elapsedS);
  console.log(`\n${markdown}`);
  const file = env("RESULTS_FILE") ??
    (QUICK ? undefined : `${BENCH}RESULTS.md`);
  if (file) {
    await writeResults(file, "server", markdown);
    console.log(`\nwritten to ${file} (its server part)`);
  } else {
    console.log("\n(QUICK=1: not written; set RESULTS_FILE=path to keep it)");
  }
}

// ------------------------------------------------------------------- report

/** The issue's targets, as ratios of one run. */
interface Target {
  label: string;
  workload: WorkloadId;
  key: string;
  ours: string;
  peer: string;
  /** Met when the ratio is at most (`max`) or at least (`min`) this. */
  max?: number;
  min?: number;
}

const TARGETS: Target[] = [
  ...["ours-deno", "ours-node"].flatMap((ours): Target[] => [
    {
      label: "(s1) CPU/msg ≤ 1.5× Bun.serve (moonshot ≤ 1.0×)",
      workload: "s1",
      key: "serverCpuUsPerMsg",
      ours,
      peer: "bun-serve",
      max: 1.5,
    },
    {
      label: "(s1b) CPU/msg ≤ 0.8× ws",
      workload: "s1b",
      key: "serverCpuUsPerMsg",
      ours,
      peer: "ws-node",
      max: 0.8,
    },
  ]),
  {
    label: "(s2) MB/s ≥ 1.0× Bun.serve",
    workload: "s2",
    key: "mbPerSec",
    ours: "ours-deno",
    peer: "bun-serve",
    min: 1.0,
  },
  {
    label: "(s2) MB/s ≥ 0.9× the Node raw-TCP floor",
    workload: "s2",
    key: "mbPerSec",
    ours: "ours-node",
    peer: "tcp-node",
    min: 0.9,
  },
  {
    label: "(s3) KiB/conn ≤ 1.5× ws",
    workload: "s3",
    key: "kibPerConn",
    ours: "ours-deno",
    peer: "ws-node",
    max: 1.5,
  },
  {
    label: "(s3) KiB/conn ≤ 1.0× ws",
    workload: "s3",
    key: "kibPerConn",
    ours: "ours-node",
    peer: "ws-node",
    max: 1.0,
  },
  ...["ours-deno", "ours-node"].flatMap((ours) =>
    ["ws-node", "deno-serve"].flatMap((peer): Target[] => [
      {
        label: `(s4) CPU/delivery below ${peer === "ws-node" ? "ws" : "Deno.serve"}'s`,
        workload: "s4",
        key: "serverCpuUsPerDelivery",
        ours,
        peer,
        max: 1.0,
      },
      {
        label: `(s5) CPU/handshake below ${peer === "ws-node" ? "ws" : "Deno.serve"}'s`,
        workload: "s5",
        key: "serverCpuUsPerHandshake",
        ours,
        peer,
        max: 1.0,
      },
    ])
  ),
];

function report(
  servers: ServerSpec[],
  workloads: Workload[],
  results: Results,
  machine: Record<string, string>,
  elapsedS: number,
): string {
  const label = (id: string) => ALL_SERVERS.find((s) => s.id === id)?.label ?? id;
  const ran = (id: string) => servers.some((s) => s.id === id);
  const metrics = METRICS.filter((m) => workloads.some((w) => w.id === m.workload));
  const settings = ["QUICK", "RUNS", "SERVERS", "WORKLOADS", "LOADGENS", "SYSCALLS", "FLOOR_TRIPS"]
    .filter((name) => env(name) !== undefined)
    .map((name) => `${name}=${env(name)} `)
    .join("");
  const out: string[] = [];
  out.push(`${SERVER_SECTION}${QUICK ? " (QUICK=1)" : ""}`, "");
  out.push(`- Date: ${machine.date}`);
  out.push(
    `- Machine: ${machine.nproc} cores (\`nproc\`), CPU \`${machine.cpu}\` (/proc/cpuinfo), ` +
      `${machine.memory}; open files per process (\`ulimit -n\`, raised to the hard limit in ` +
      `each child): ${machine.fileLimit}. A shared, noisy machine: load average ` +
      `(1, 5, 15 min) ${machine.loadBefore} at the start, ${machine.loadAfter} at the end.`,
  );
  out.push(
    `- Command: \`${settings}npx -y deno@2.9.6 task bench:server\` ` +
      "(the task runs `deno run -A bench/server_bench.ts`).",
  );
  out.push(`- Code: commit ${machine.commit}, ${machine.dirty}.`);
  out.push(
    `- Runtimes: Deno ${machine.deno}, Node ${machine.node}, Bun ${machine.bun} ` +
      `(npm \`@oven/bun-linux-x64\`); npm ws ${machine.ws} (+ bufferutil ${machine.bufferutil}).`,
  );
  out.push(
    `- Each cell is the median of ${RUNS} interleaved run${RUNS > 1 ? "s" : ""} ` +
      "(for run, for workload, for server; the server order starts one place later each run); " +
      "each job has a fresh server process and a fresh load-generator process. " +
      `Timed window ${WINDOW_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up under the ` +
      `same load. Total ${fmt(elapsedS)} s.`,
  );
  out.push("");
  out.push("## Workloads", "");
  for (const w of workloads) out.push(`- ${w.title}`);
  out.push("");
  out.push("## Results (median)", "");
  out.push(
    "Server CPU is user + system time of the server process (all threads) from " +
      "/proc/<pid>/stat over the timed window, per echoed message, per MB echoed, per " +
      "delivered broadcast message or per completed connection.",
    "",
  );
  const rows = servers.filter((s) => s.workloads.some((w) => workloads.some((x) => x.id === w)));
  out.push(table(
    ["server", ...metrics.map((m) => m.title)],
    rows.map((
      s,
    ) => [
      s.label,
      ...metrics.map((m) => fmt(value(results, m, s.id), m.digits)),
    ]),
  ));
  out.push("");

  const oursIds = ["ours-deno", "ours-node", "ours-bun"].filter(ran);
  const peers = ["bun-serve", "ws-node", "deno-serve", "tcp-deno", "tcp-node"]
    .filter(ran);
  if (oursIds.length > 0 && peers.length > 0) {
    out.push("## Ours against each peer", "");
    out.push(
      "Each cell is the median over the runs of ours ÷ peer within the same run. ↓: below 1× " +
        "ours costs less; ↑: above 1× ours is faster.",
      "",
    );
    // Each of ours against the three other servers and the raw TCP floor of its runtime.
    const floorOf = (ours: string) => ours === "ours-deno" ? "tcp-deno" : "tcp-node";
    const pairs = oursIds.flatMap((ours) =>
      peers.filter((peer) => !peer.startsWith("tcp-") || peer === floorOf(ours))
        .map((peer) => [ours, peer])
    );
    out.push(table(
      [
        "ours ÷ peer",
        ...metrics.map((m) => `${m.title} ${m.higherIsBetter ? "↑" : "↓"}`),
      ],
      pairs.map(([ours, peer]) => [
        `${label(ours)} ÷ ${label(peer)}`,
        ...metrics.map((m) => fmtRatio(ratio(results, m, ours, peer))),
      ]),
    ));
    out.push("");
  }

  const targets = TARGETS.filter((t) =>
    ran(t.ours) && ran(t.peer) && workloads.some((w) => w.id === t.workload)
  );
  if (targets.length > 0) {
    out.push("## Targets of issue 14", "");
    out.push(table(
      ["target", "server", "ours ÷ peer (median of runs)", "status"],
      targets.map((t) => {
        const r = ratio(results, metric(t.workload, t.key), t.ours, t.peer);
        const met = t.max !== undefined ? r <= t.max : r >= (t.min ?? 0);
        const moon = t.workload === "s1" && r <= 1.0 ? " (moonshot met too)" : "";
        return [
          t.label,
          label(t.ours),
          fmtRatio(r),
          Number.isFinite(r) ? (met ? `met${moon}` : "missed") : "—",
        ];
      }),
    ));
    out.push("");
  }

  out.push("## The load generator and the machine", "");
  out.push(
    "CPU of the server and of the load generator during the timed window, % of one core " +
      "(medians). The load generator is one Node process (for (s1b) and (s5) two, each with " +
      "half the connections, measuring the same window; the figure is their sum). A process " +
      "is not the bottleneck while it stays well below 100 % — cells where a load-generator " +
      "process averaged 90 % or more are marked †. On 2 cores all processes together cannot " +
      "pass 200 %, less what other work on the machine takes.",
    "",
  );
  const cpuWorkloads = workloads.filter((w) => w.id !== "s3");
  out.push(table(
    ["server", ...cpuWorkloads.map((w) => `(${w.id}) server / load gen.`)],
    rows.map((s) => [
      s.label,
      ...cpuWorkloads.map((w) => {
        const rs = (results[w.id]?.[s.id] ?? []).filter(valid);
        if (rs.length === 0) return "—";
        const server = median(rs.map((r) => r.serverCpuPct as number));
        const gen = median(rs.map((r) => r.loadgenCpuPct as number));
        const perProcess = median(
          rs.map((r) => (r.loadgenCpuPct as number) / ((r.loadgens as number) || 1)),
        );
        return `${fmt(server)} / ${fmt(gen)}${perProcess >= 90 ? " †" : ""}`;
      }),
    ]),
  ));
  out.push("");

  const counted = cpuWorkloads.filter((w) =>
    rows.some((s) => (results[w.id]?.[s.id] ?? []).some((r) => valid(r) && r.syscalls))
  );
  if (counted.length > 0) {
    out.push("## System calls of the server per unit of work (SYSCALLS=1)", "");
    out.push(
      "Reads (read, readv, recvfrom, recvmsg) / writes (write, writev, sendto, sendmsg) / " +
        "epoll waits / all system calls, per echoed message (s1, s1b, s2), per delivered " +
        "message (s4) or per connection (s5), counted by `perf stat` over the timed window " +
        "(medians).",
      "",
    );
    out.push(table(
      ["server", ...counted.map((w) => `(${w.id}) reads / writes / polls / all`)],
      rows.map((s) => [
        s.label,
        ...counted.map((w) => {
          const rs = (results[w.id]?.[s.id] ?? []).filter((r) => valid(r) && r.syscalls);
          if (rs.length === 0) return "—";
          const per = (group: string) =>
            median(
              rs.map((r) => (r.syscalls as Record<string, number>)[group] / (r.count as number)),
            );
          const digits = (v: number) => (v >= 10 ? 0 : v >= 1 ? 1 : 2);
          return ["reads", "writes", "polls", "all"].map((g) => fmt(per(g), digits(per(g))))
            .join(" / ");
        }),
      ]),
    ));
    out.push("");
  }

  if (RUNS > 1) {
    out.push("## Every run (run 1 / run 2 / …)", "");
    out.push(table(
      ["server", ...metrics.map((m) => m.title)],
      rows.map((s) => [
        s.label,
        ...metrics.map((m) =>
          (results[m.workload]?.[s.id] ?? []).map((r) =>
            valid(r) ? fmt(r[m.key] as number, m.digits) : "err"
          ).join(" / ")
        ),
      ]),
    ));
    out.push("");
  }

  out.push("## Notes", "");
  out.push(
    "- The load generator (`bench/lib/loadgen.mjs`) writes each connection's share of the " +
      "in-flight messages at once, and for every read as many frames again as whole messages " +
      "came back, in one write. Frames are masked once when the job starts. Echoes are counted " +
      "by walking frame headers; payloads are never read. Against the raw TCP floors it does " +
      "the same work (the floors send its masked frames back).",
    "- MB/s is payload bytes echoed per second (1 MB = 10^6 B). (s2) peak RSS is the server's " +
      "VmHWM at the end of the job (its whole life, start-up included).",
    "- (s3): RSS is read once a second until two readings in a row differ by less than 2 % " +
      "(at most 10 s), before (after one full warm-up connection) and after opening the " +
      "connections; the larger of the two settled readings counts, and a growth below zero " +
      "counts as 0 and is flagged. Connections are opened 100 at a time. The raw TCP floors " +
      "show what an idle socket with a pending read costs the runtime (the Deno one reads " +
      "into 1 KiB).",
    "- (s4): the server sends each message to every open connection, the sender included: ours " +
      "with `listAllConnections()` and `send` to each, ws by iterating `wss.clients`, " +
      "Deno.serve by iterating a Set of its sockets, Bun.serve with `server.publish` to a " +
      "topic every client subscribed to. One broadcast at a time: the trigger for the next " +
      "goes out once every client has read the last, so no server can merge two into one write. " +
      "The raw TCP floors skip the upgrade and write what they read, as it is, to every " +
      "connection: one write per delivery (Deno: `conn.write`; Node: `socket.write`) and " +
      "nothing else.",
    "- (s5): each cycle is a new TCP connection, the upgrade, one 16 B echo, a client close " +
      "frame, the server's close frame and its TCP end; the floors skip the upgrade and the " +
      "close frames.",
    "- ours: `server.on('messageReceive', m => server.send(m.data, m.clientConnection))`; " +
      "`allowMoreThanPlatformLimit` with both connection limits at 20,000 (extensions). " +
      "ws with perMessageDeflate off and bufferutil; Bun.serve with perMessageDeflate off and " +
      "a 64 MiB backpressure limit (above anything in flight, so nothing is dropped).",
  );
  for (const note of notes) out.push(`- ${note}`);
  const problems: string[] = [];
  for (const [workload, byServer] of Object.entries(results)) {
    for (const [id, rs] of Object.entries(byServer)) {
      rs.forEach((r, i) => {
        const where = `- ${label(id)}, (${workload}), run ${i + 1}`;
        if (r.error) problems.push(`${where}: ${r.error}`);
        if (r.retriedAfter) problems.push(`${where}: failed once (${r.retriedAfter}), retried`);
        if (r.unexpectedCloses) {
          problems.push(`${where}: ${r.unexpectedCloses} connections lost`);
        }
        if (r.connectFailures) {
          problems.push(
            `${where}: ${r.connectFailures} connects failed (${r.firstConnectFailure})`,
          );
        }
        if (r.failures) {
          problems.push(`${where}: ${r.failures} churn cycles failed`);
        }
        if (r.settled === false) problems.push(`${where}: RSS had not settled`);
        if (r.shrank) {
          problems.push(`${where}: RSS shrank while the connections opened`);
        }
      });
    }
  }
  if (problems.length > 0) {
    out.push("", "### Problems during the run", "", ...problems);
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
