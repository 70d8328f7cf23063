/**
 * Summarizes a V8 `.cpuprofile` (as written by the bench driver's profiler):
 * the functions with the most self time, overall and in our `src/`, and the
 * inclusive time of our functions.
 *
 * `deno run -A bench/profile_summary.ts file.cpuprofile` (or `PROFILE=1 deno task bench`).
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a V8 CPU profile used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface Row {
  name: string;
  self: number;
  total: number;
}

/** Renders the hottest functions of `profile` as text; `root` shortens file URLs. */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
  top = 25,
): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const rootUrl = `file://${root}`;
  const keyOf = (frame: CallFrame) => {
    const url = frame.url.startsWith(rootUrl) ? frame.url.slice(rootUrl.length) : frame.url;
    // Line numbers are those of the code V8 ran (Deno's transpiled JS for .ts
    // files), so they only tell anonymous functions apart.
    if (!frame.functionName) return `(anonymous)  ${url}:${frame.lineNumber + 1} (JS line)`;
    return url ? `${frame.functionName}  ${url}` : frame.functionName;
  };
  const rows = new Map<string, Row>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (r === undefined) rows.set(key, r = { name: key, self: 0, total: 0 });
    return r;
  };
  let totalTime = 0;
  for (const [id, time] of selfById) {
    totalTime += time;
    const node = byId.get(id)!;
    row(keyOf(node.callFrame)).self += time;
    // Inclusive time: each distinct function on the stack once.
    const seen = new Set<string>();
    for (
      let cur: number | undefined = id;
      cur !== undefined;
      cur = parent.get(cur)
    ) {
      const key = keyOf(byId.get(cur)!.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      row(key).total += time;
    }
  }
  const pct = (t: number) => `${((100 * t) / totalTime).toFixed(1).padStart(5)} %`;
  const list = (title: string, items: Row[], field: "self" | "total") =>
    [
      title,
      ...items.slice(0, top).map((r) => `  ${pct(r[field])}  ${r.name}`),
    ].join("\n");
  const all = [...rows.values()];
  // Our code: the sources, or the npm build of them (npm/esm/) when Node or Bun ran it.
  const ours = all.filter((r) => / {2}(npm\/esm\/)?(src\/|mod\.[jt]s)/.test(r.name));
  const bySelf = (x: Row, y: Row) => y.self - x.self;
  const byTotal = (x: Row, y: Row) => y.total - x.total;
  const sampled = `${(totalTime / 1e6).toFixed(2)} s sampled in ${profile.samples.length} samples`;
  return [
    sampled,
    "",
    list("Self time, all functions:", all.sort(bySelf), "self"),
    "",
    list("Self time, our src/:", ours.sort(bySelf), "self"),
    "",
    list("Inclusive time, our src/:", ours.sort(byTotal), "total"),
  ].join("\n");
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (path === undefined) {
    console.error(
      "usage: deno run -A bench/profile_summary.ts file.cpuprofile",
    );
    Deno.exit(2);
  }
  const root = new URL("../", import.meta.url).pathname;
  console.log(
    summarizeProfile(JSON.parse(await Deno.readTextFile(path)), root),
  );
}
