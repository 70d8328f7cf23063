/**
 * One timer per duration instead of one per connection. Every open
 * connection runs a heartbeat, and every connection has a handshake deadline
 * and a close timeout at some point; with a runtime timer each (a `Timeout`
 * object, its callbacks and bookkeeping) the heartbeat alone was a few
 * hundred bytes per idle connection, and each deadline a `Timeout` made and
 * cleared per connection. Here the alarms set for the same duration form one
 * list, in the order they fall due (they were set in that order), under one
 * runtime timer armed for the first of them; setting, moving and clearing an
 * alarm are O(1). Node's own timers are built the same way.
 *
 * @module
 */

/** Something an {@linkcode AlarmClock} calls back. */
export interface Alarm {
  /** Called once when the alarm falls due. */
  fire(): void;
  /** Where the clock keeps this alarm while it is set; owned by the clock, `null` initially. */
  alarmSlot: unknown;
}

/** Sets and clears alarms; tests pass a clock of their own. */
export interface AlarmClock {
  /** Calls `alarm.fire()` once, `ms` from now (an alarm already set is moved). */
  set(alarm: Alarm, ms: number): void;
  /** Cancels the alarm if it is set. */
  clear(alarm: Alarm): void;
}

/** The runtime's clock and timer functions, as the shared clock uses them; tests pass fakes. */
export interface TimerRuntime {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `callback` once after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a pending callback. */
  clearTimeout(handle: unknown): void;
}

const RUNTIME: TimerRuntime = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The alarms set for one duration, in the order they fall due, under one timer. */
class DurationList {
  readonly ms: number;
  /** Each alarm and the time it falls due (`performance.now()` milliseconds). */
  readonly due = new Map<Alarm, number>();
  timer: unknown;

  constructor(ms: number) {
    this.ms = ms;
  }
}

/**
 * The process-wide {@linkcode AlarmClock} over the runtime's `setTimeout`:
 * one list and at most one pending timer per distinct duration in use, none
 * when no alarm is set (so nothing keeps the process alive or trips a test's
 * timer sanitizer after the last connection).
 */
export class SharedAlarmClock implements AlarmClock {
  readonly #lists = new Map<number, DurationList>();
  readonly #runtime: TimerRuntime;

  /** @param runtime the clock and timers to use (default: the runtime's own) */
  constructor(runtime: TimerRuntime = RUNTIME) {
    this.#runtime = runtime;
  }

  /** Number of runtime timers pending (one per duration with alarms set). */
  get timers(): number {
    let armed = 0;
    for (const list of this.#lists.values()) if (list.timer !== undefined) armed++;
    return armed;
  }

  set(alarm: Alarm, ms: number): void {
    this.clear(alarm);
    let list = this.#lists.get(ms);
    if (list === undefined) {
      list = new DurationList(ms);
      this.#lists.set(ms, list);
    }
    const at = this.#runtime.now() + ms;
    list.due.set(alarm, at);
    alarm.alarmSlot = list;
    // A timer already armed serves the list's first alarm, which falls due before this one.
    if (list.timer === undefined) this.#arm(list, list.due.values().next().value!);
  }

  clear(alarm: Alarm): void {
    const list = alarm.alarmSlot as DurationList | null | undefined;
    if (list === null || list === undefined) return;
    alarm.alarmSlot = null;
    list.due.delete(alarm);
    if (list.due.size === 0) this.#drop(list);
    // Otherwise the armed timer may now be early for the new first alarm; it re-arms when it runs.
  }

  #arm(list: DurationList, at: number): void {
    const runtime = this.#runtime;
    list.timer = runtime.setTimeout(() => this.#run(list), Math.max(0, at - runtime.now()));
  }

  #drop(list: DurationList): void {
    if (list.timer !== undefined) this.#runtime.clearTimeout(list.timer);
    list.timer = undefined;
    this.#lists.delete(list.ms);
  }

  /** Fires every alarm of `list` that is due, then re-arms for the next one. */
  #run(list: DurationList): void {
    list.timer = undefined;
    const now = this.#runtime.now();
    // Bounded: each pass removes one alarm, and alarms set meanwhile fall due `ms` later.
    for (let budget = list.due.size; budget > 0; budget--) {
      const first = list.due.entries().next();
      if (first.done) break;
      const [alarm, at] = first.value;
      if (at > now) break;
      list.due.delete(alarm);
      alarm.alarmSlot = null;
      try {
        alarm.fire();
      } catch (error) {
        // One owner failing must not stop the other alarms, nor end the process.
        console.error("[ohos-websocket] a timer callback threw:", error);
      }
    }
    if (list.due.size === 0) {
      if (this.#lists.get(list.ms) === list) this.#lists.delete(list.ms);
      return;
    }
    if (list.timer === undefined) this.#arm(list, list.due.values().next().value!);
  }
}

/** The clock of every heartbeat (unless a test passes its own), handshake deadline and close timer. */
export const sharedAlarmClock: SharedAlarmClock = new SharedAlarmClock();
