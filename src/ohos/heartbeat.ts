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
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /**
   * @param timing interval and pong timeout
   * @param actions how to ping the peer and what to do when it is gone
   */
  constructor(timing: HeartbeatTiming, actions: HeartbeatActions) {
    this.#timing = timing;
    this.#actions = actions;
  }

  /** Arms the first ping (nothing when the interval is 0). */
  start(): void {
    this.#scheduleNextPing();
  }

  /** A pong arrived: the peer is alive, the next ping comes one interval from now. */
  pong(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduleNextPing();
  }

  /** The connection is closing or gone: no more pings, no verdict. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #scheduleNextPing(): void {
    const { intervalMs, timeoutMs } = this.#timing;
    if (this.#stopped || intervalMs === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.#actions.ping()) return;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#actions.dead();
      }, timeoutMs);
    }, intervalMs);
  }
}
