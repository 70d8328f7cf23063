/**
 * Helpers shared by the client bench (bench/run.ts) and the server bench
 * (bench/server_bench.ts): running commands with a time bound, medians,
 * number formatting, markdown tables, and bench/RESULTS.md, which holds the
 * output of both.
 *
 * @module
 */

/** The project's root folder (with a trailing slash). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion with a time bound; null when it could not run. */
export async function capture(
  cmd: string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string } | null> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      cwd: options.cwd ?? ROOT,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch {
    return null;
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, options.timeoutMs ?? 60_000);
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The trimmed stdout of a short command, or `?`. */
export async function shell(cmd: string[]): Promise<string> {
  const out = await capture(cmd, { timeoutMs: 10_000 });
  return out?.stdout.trim() ?? "?";
}

/** Median of the finite values; NaN when there is none. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((x, y) => x - y);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A number with thousands separators and `digits` decimals; `—` when not finite. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A ratio as `1.23×`; `—` when not finite. */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "—";
}

/** A markdown table; every column but the first is right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    line(header),
    line(header.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...rows.map(line),
  ].join("\n");
}

/** The heading that starts the server bench's part of bench/RESULTS.md (always the last part). */
export const SERVER_SECTION = "# Server benchmark";

/**
 * Writes one bench's markdown into a results file that holds both: the
 * client bench's part comes first, the server bench's part (from
 * {@linkcode SERVER_SECTION} to the end) last. Each bench replaces its own
 * part and keeps the other's.
 */
export async function writeResults(
  file: string,
  part: "client" | "server",
  markdown: string,
): Promise<void> {
  let old = "";
  try {
    old = await Deno.readTextFile(file);
  } catch {
    // No file yet.
  }
  const at = old.startsWith(SERVER_SECTION) ? 0 : old.indexOf(`\n${SERVER_SECTION}`);
  const clientPart = at < 0 ? old : old.slice(0, at);
  const serverPart = at < 0 ? "" : old.slice(at).replace(/^\n/, "");
  const text = part === "client"
    ? `${markdown.trimEnd()}\n${serverPart ? `\n${serverPart}` : ""}`
    : `${clientPart.trimEnd()}${clientPart.trim() ? "\n\n" : ""}${markdown.trimEnd()}\n`;
  await Deno.writeTextFile(file, text);
}
