/**
 * The heartbeat that the client and the server run on an open connection,
 * so that a peer that vanished without a FIN or a reset (cable pulled,
 * machine gone, NAT entry dropped) is noticed: a ping after a quiet
 * interval, then a bounded wait for the pong.
 *
 * @module
 */

import { type Alarm, type AlarmClock, sharedAlarmClock } from "./alarms.ts";

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
  sendPing(): boolean;
  /** No pong came within `timeoutMs` of a ping: the peer is presumed gone. */
  noPong(): void;
}

/**
 * One connection's heartbeat: `intervalMs` after {@linkcode Heartbeat.start}
 * (or after the last pong) it pings, then gives the peer `timeoutMs` for a
 * pong. Any pong, solicited or not, starts the interval again. So a peer
 * that vanished is reported at most `intervalMs + timeoutMs` after the last
 * pong it sent (or after the start). Holds one alarm at a time (on a clock
 * whose runtime timers all connections share); after
 * {@linkcode Heartbeat.stop} it holds none and does nothing more.
 *
 * @example
 * ```ts
 * import { Heartbeat } from "./heartbeat.ts";
 * const heartbeat = new Heartbeat({ intervalMs: 20_000, timeoutMs: 20_000 }, {
 *   sendPing: () => true, // send a ping frame here
 *   noPong: () => {}, // drop the connection here
 * });
 * heartbeat.start();
 * heartbeat.pong(); // call on every pong received
 * heartbeat.stop(); // once the connection starts closing
 * ```
 */
export class Heartbeat implements Alarm {
  readonly #timing: HeartbeatTiming;
  readonly #actions: HeartbeatActions;
  readonly #clock: AlarmClock;
  /** What the alarm means when it fires: time to ping, or the pong came too late. */
  #awaitingPong = false;
  #stopped = false;
  /** @internal Owned by the clock. */
  alarmSlot: unknown = null;

  /**
   * @param timing interval and pong timeout
   * @param actions how to ping the peer and what to do when it is gone
   * @param clock alarms to use (default: one runtime timer per duration, shared
   *   by every connection)
   */
  constructor(
    timing: HeartbeatTiming,
    actions: HeartbeatActions,
    clock: AlarmClock = sharedAlarmClock,
  ) {
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
    this.#scheduleNextPing();
  }

  /** The connection is closing or gone: no more pings, no verdict. */
  stop(): void {
    this.#stopped = true;
    this.#clock.clear(this);
  }

  /** @internal Called by the clock. */
  fire(): void {
    if (this.#stopped) return;
    if (this.#awaitingPong) {
      this.#actions.noPong();
      return;
    }
    if (!this.#actions.sendPing()) return;
    this.#awaitingPong = true;
    this.#clock.set(this, this.#timing.timeoutMs);
  }

  #scheduleNextPing(): void {
    if (this.#stopped || this.#timing.intervalMs === 0) {
      this.#clock.clear(this);
      return;
    }
    this.#awaitingPong = false;
    this.#clock.set(this, this.#timing.intervalMs);
  }
}
