// The shared alarm clock (src/ohos/alarms.ts) behind every connection's heartbeat: one runtime
// timer per duration, alarms in the order they fall due, nothing left armed once none is set.
import assert from "node:assert/strict";
import { type Alarm, SharedAlarmClock, type TimerRuntime } from "../src/ohos/alarms.ts";

/** An alarm that records when it fired and lets a test wait for that. */
function recorder(name: string, fired: string[]): Alarm & { done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    alarmSlot: null,
    done,
    fire() {
      fired.push(name);
      resolve();
    },
  };
}

Deno.test("alarm rule: alarms of one duration share one runtime timer and fire in the order they were set", async () => {
  const clock = new SharedAlarmClock();
  const fired: string[] = [];
  const a = recorder("a", fired);
  const b = recorder("b", fired);
  const c = recorder("c", fired);
  clock.set(a, 10);
  clock.set(b, 10);
  clock.set(c, 10);
  assert.equal(clock.timers, 1, "three alarms, one timer");
  await Promise.all([a.done, b.done, c.done]);
  assert.deepEqual(fired, ["a", "b", "c"]);
  assert.equal(clock.timers, 0, "nothing stays armed");
});

Deno.test("alarm rule: a cleared alarm never fires; setting an alarm again moves it behind the others", async () => {
  const clock = new SharedAlarmClock();
  const fired: string[] = [];
  const a = recorder("a", fired);
  const b = recorder("b", fired);
  const c = recorder("c", fired);
  clock.set(a, 15);
  clock.set(b, 15);
  clock.set(c, 15);
  clock.clear(b);
  clock.set(a, 15); // moved: now due after c
  await Promise.all([a.done, c.done]);
  assert.deepEqual(fired, ["c", "a"]);
  assert.equal(b.alarmSlot, null);
  assert.equal(clock.timers, 0);
});

Deno.test("alarm rule: durations have lists of their own; clearing the last alarm releases the timer at once", async () => {
  const clock = new SharedAlarmClock();
  const fired: string[] = [];
  const slow = recorder("slow", fired);
  const fast = recorder("fast", fired);
  clock.set(slow, 60_000);
  clock.set(fast, 5);
  assert.equal(clock.timers, 2);
  await fast.done;
  assert.deepEqual(fired, ["fast"]);
  assert.equal(clock.timers, 1, "the 60 s list keeps its timer");
  clock.clear(slow);
  assert.equal(clock.timers, 0, "cleared at once (the sanitizer checks no timer is left)");
});

Deno.test("alarm rule: an alarm that throws is reported and the others still fire", async () => {
  const clock = new SharedAlarmClock();
  const fired: string[] = [];
  const after = recorder("after", fired);
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args[1]);
  try {
    clock.set({
      alarmSlot: null,
      fire: () => {
        throw new Error("boom");
      },
    }, 5);
    clock.set(after, 5);
    await after.done;
  } finally {
    console.error = original;
  }
  assert.deepEqual(fired, ["after"]);
  assert.equal((errors[0] as Error).message, "boom");
  assert.equal(clock.timers, 0);
});

/** Timers whose time moves only when the test says so; it records every delay armed. */
class FakeRuntime implements TimerRuntime {
  time = 0;
  readonly armed: number[] = [];
  readonly #pending = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): number {
    this.armed.push(ms);
    this.#pending.set(this.#next, { at: this.time + ms, callback });
    return this.#next++;
  }
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }
  get pending(): number {
    return this.#pending.size;
  }
  /** Moves to `time`, running the timers due by then in order. */
  advanceTo(time: number): void {
    for (let guard = 0; guard < 1000; guard++) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= time && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#pending.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = time;
  }
}

Deno.test("alarm rule: an alarm set again from inside a firing one (same duration) does not delay those already waiting", () => {
  const runtime = new FakeRuntime();
  const clock = new SharedAlarmClock(runtime);
  const fired: string[] = [];
  const waiting: Alarm = { alarmSlot: null, fire: () => fired.push(`waiting@${runtime.time}`) };
  const repeating: Alarm = {
    alarmSlot: null,
    fire() {
      fired.push(`repeating@${runtime.time}`);
      // As a heartbeat does when its interval and pong timeout are equal.
      if (runtime.time === 40) clock.set(repeating, 40);
    },
  };
  clock.set(repeating, 40); // due at 40
  runtime.advanceTo(20);
  clock.set(waiting, 40); // due at 60
  runtime.advanceTo(200);
  assert.deepEqual(fired, ["repeating@40", "waiting@60", "repeating@80"]);
  assert.deepEqual(
    runtime.armed,
    [40, 20, 20],
    "re-armed for the first alarm waiting, not the new one",
  );
  assert.equal(runtime.pending, 0);
  assert.equal(clock.timers, 0);
});
