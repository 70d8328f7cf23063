/**
 * Runs tests/helpers/flood_victim.ts in a child process and follows it: the
 * events it reports, and its memory from /proc/<pid>/status (Linux). Deno
 * reads /proc only with --allow-all, so the files are read and written by
 * `cat` and `sh` (the tests run with --allow-run) instead.
 *
 * @module
 */

import { within } from "./deno_server.ts";

const VICTIM = new URL("./flood_victim.ts", import.meta.url).pathname;

/** One line the victim reported. */
export type VictimEvent = Record<string, unknown> & { event: string };

/** A victim process: our server or our client, alone in its process. */
export class VictimProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** Everything reported so far, in order. */
  readonly events: VictimEvent[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #reading: Promise<void>;
  readonly #stderr: Promise<string>;
  #ended = false;

  private constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", VICTIM, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#reading = this.#readEvents();
    this.#stderr = new Response(this.#child.stderr).text();
  }

  /** Starts our server with `config` (merged over serverIP 127.0.0.1, port 0). */
  static server(config: Record<string, unknown> = {}): VictimProcess {
    return new VictimProcess(["server", JSON.stringify(config)]);
  }

  /** Starts our client connecting to `url` with `options`. */
  static client(url: string, options: Record<string, unknown> = {}): VictimProcess {
    return new VictimProcess(["client", url, JSON.stringify(options)]);
  }

  async #readEvents(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of this.#child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== "") this.events.push(JSON.parse(line));
      }
      for (const listener of [...this.#listeners]) listener();
    }
    this.#ended = true;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Waits (bounded) for the `count`-th event named `name`; returns it. */
  async next(name: string, ms: number, count = 1): Promise<VictimEvent> {
    const find = () => this.events.filter((e) => e.event === name)[count - 1];
    let listener: (() => void) | undefined;
    const found = new Promise<VictimEvent>((resolve, reject) => {
      listener = () => {
        const event = find();
        if (event !== undefined) resolve(event);
        else if (this.#ended) reject(new Error(`victim exited without '${name}'`));
      };
      this.#listeners.add(listener);
      listener();
    });
    try {
      return await within(found, `victim event '${name}'`, ms);
    } catch (error) {
      const seen = this.events.map((e) => JSON.stringify(e)).join(" ");
      throw new Error(`${(error as Error).message}; seen: ${seen}`);
    } finally {
      this.#listeners.delete(listener!);
    }
  }

  async #status(field: string): Promise<number> {
    const path = `/proc/${this.#child.pid}/status`;
    const status = new TextDecoder().decode(await run("cat", [path]));
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (match === null) throw new Error(`no ${field} in ${path}`);
    return Number(match[1]) * 1024;
  }

  /** Resident memory now, in bytes. */
  rss(): Promise<number> {
    return this.#status("VmRSS");
  }

  /**
   * Resident memory at its highest, in bytes: since the process started, or
   * since {@linkcode VictimProcess.resetPeak}.
   */
  peakRss(): Promise<number> {
    return this.#status("VmHWM");
  }

  /** Starts a new peak measurement at the current RSS (Linux `clear_refs` 5). */
  async resetPeak(): Promise<void> {
    await run("sh", ["-c", `echo 5 > /proc/${this.#child.pid}/clear_refs`]);
  }

  /** Closes its stdin (it then exits) and waits for it; returns its stderr. */
  async stop(): Promise<string> {
    await this.#stdin.close().catch(() => {});
    const status = await within(this.#child.status, "victim exit", 10_000).catch(async (error) => {
      this.#child.kill("SIGKILL");
      await this.#child.status;
      throw error;
    });
    await this.#reading;
    const stderr = await this.#stderr;
    if (!status.success) throw new Error(`victim failed (${status.code}): ${stderr}`);
    return stderr;
  }
}

/** Runs a short command; its stdout, or an error with its stderr. */
async function run(command: string, args: string[]): Promise<Uint8Array> {
  const out = await within(
    new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output(),
    `${command} ${args.join(" ")}`,
    10_000,
  );
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** True where the victim's memory can be read (/proc/<pid>/status). */
export const CAN_MEASURE_RSS = Deno.build.os === "linux";
