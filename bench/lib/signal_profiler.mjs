// CPU profiling of a bench server, toggled from outside: the first SIGUSR2
// starts V8's sampling profiler (through `node:inspector`, on Deno and on
// Node alike), the second stops it, writes the profile to `path` and prints
// `PROFILE_WRITTEN`. The load generator sends the two signals at the start
// and the end of its timed window, so only steady-state load is profiled.
import process from "node:process";
import { writeFileSync } from "node:fs";

/** Arms the two signals; `intervalUs` is the sampling interval. */
export async function profileOnSignals(path, intervalUs = 100) {
  const inspector = await import("node:inspector");
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => error ? reject(error) : resolve(result))
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: intervalUs });
  let running = false;
  process.on("SIGUSR2", async () => {
    if (!running) {
      running = true;
      await post("Profiler.start");
      return;
    }
    const { profile } = await post("Profiler.stop");
    writeFileSync(path, JSON.stringify(profile));
    console.log("PROFILE_WRITTEN");
  });
}
