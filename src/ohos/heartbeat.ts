/**
 * The heartbeat that the client and the server run on an open connection,
 * so that a peer that vanished without a FIN or a reset (cable pulled,
 * machine gone, NAT entry dropped) is noticed: a ping after a quiet
 * interval, then a bounded wait for the pong.
 *
 * @module
 */

/** When to ping and how long to wait for the answer, in milliseconds. */
export interface HeartbeatTiming {
  /** Time from the connection opening, or from the last pong, to the next ping; 0 disables. */
  intervalMs: number;
  /** Time a ping has to be answered by a pong. */
  timeoutMs: number;
}

/** What a {@linkcode Heartbeat} does to its connection. */
export interface HeartbeatActions {
  /** Sends a ping; false when the connection can no longer send (its close frame is out). */
  ping(): boolean;
  /** No pong came within `timeoutMs` of a ping: the peer is presumed gone. */
  dead(): void;
}

/** The timers a {@linkcode Heartbeat} uses; tests pass a clock of their own. */
export interface HeartbeatClock {
  /** Runs `callback` once after `ms`; returns a handle for `clear`. */
  set(callback: () => void, ms: number): unknown;
  /** Cancels a pending callback (a handle that already ran is ignored). */
  clear(handle: unknown): void;
}

/** The runtime's `setTimeout` / `clearTimeout`. */
const TIMERS: HeartbeatClock = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * One connection's heartbeat: `intervalMs` after {@linkcode Heartbeat.start}
 * (or after the last pong) it pings, then gives the peer `timeoutMs` for a
 * pong. Any pong, solicited or not, starts the interval again. So a peer
 * that vanished is reported at most `intervalMs + timeoutMs` after the last
 * pong it sent (or after the start). Holds one timer at a time; after
 * {@linkcode Heartbeat.stop} it holds none and does nothing more.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "./heartbeat.ts";
 * const heartbeat = new Heartbeat({ intervalMs: 20_000, timeoutMs: 20_000 }, {
 *   ping: () => true, // send a ping frame here
 *   dead: () => {}, // drop the connection here
 * });
 * heartbeat.start();
 * heartbeat.pong(); // call on every pong received
 * heartbeat.stop(); // once the connection starts closing
 * ```
 */
export class Heartbeat {
  readonly #timing: HeartbeatTiming;
  readonly #actions: HeartbeatActions;
  readonly #clock: HeartbeatClock;
  #timer: unknown;
  #stopped = false;

  /**
   * @param timing interval and pong timeout
   * @param actions how to ping the peer and what to do when it is gone
   * @param clock timers to use (default: `setTimeout` / `clearTimeout`)
   */
  constructor(timing: HeartbeatTiming, actions: HeartbeatActions, clock: HeartbeatClock = TIMERS) {
    this.#timing = timing;
    this.#actions = actions;
    this.#clock = clock;
  }

  /** Arms the first ping (nothing when the interval is 0). */
  start(): void {
    this.#scheduleNextPing();
  }

  /** A pong arrived: the peer is alive, the next ping comes one interval from now. */
  pong(): void {
    this.#cancel();
    this.#scheduleNextPing();
  }

  /** The connection is closing or gone: no more pings, no verdict. */
  stop(): void {
    this.#stopped = true;
    this.#cancel();
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#clock.clear(this.#timer);
    this.#timer = undefined;
  }

  #scheduleNextPing(): void {
    const { intervalMs, timeoutMs } = this.#timing;
    if (this.#stopped || intervalMs === 0) return;
    this.#timer = this.#clock.set(() => {
      this.#timer = undefined;
      if (!this.#actions.ping()) return;
      this.#timer = this.#clock.set(() => {
        this.#timer = undefined;
        this.#actions.dead();
      }, timeoutMs);
    }, intervalMs);
  }
}
