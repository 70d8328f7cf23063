/**
 * Public types of the reconnecting WebSocket (an extension, not on the
 * platform): its options, the values of its extra events, and the clock it
 * runs its backoff timer on.
 *
 * Written in the subset of TypeScript that ArkTS compiles.
 *
 * @module
 */

import type { BusinessError, CloseResult, WebSocket } from "../web_socket.ts";
import type { QueueOverflow } from "./send_queue.ts";

export type { QueueOverflow };

/** A timer armed by a {@linkcode ReconnectClock}. */
export interface ReconnectTimer {
  /** Stops the timer; its callback will not run. Calling it again does nothing. */
  cancel(): void;
}

/**
 * Where the reconnecting WebSocket reads the time and arms its backoff timer. The default
 * uses `Date.now()` and `setTimeout`; tests pass a fake one so no real time passes.
 */
export interface ReconnectClock {
  /** Milliseconds on a monotonic-enough scale (only differences are used). */
  now(): number;
  /** Runs `callback` once after `delayMs` milliseconds, unless cancelled. */
  schedule(callback: () => void, delayMs: number): ReconnectTimer;
}

/**
 * Why a connection is gone, handed to the reconnect decision (`shouldReconnect`). Exactly one
 * of `error` (a connection attempt failed) and `close` (an open connection ended) is set.
 */
export interface ReconnectCause {
  /** The attempt that would come next: 1 after a drop, counting up while attempts fail. */
  attempt: number;
  /** The error the failed attempt ended with (its `error` event and `connect` rejection). */
  error?: BusinessError;
  /**
   * The HTTP status of a refused upgrade (from `error.data`, where the client puts it), e.g.
   * 401 or 503; absent for other failures.
   */
  status?: number;
  /** How the open connection ended (its `close` event's value). */
  close?: CloseResult;
}

/** Value of the `reconnecting` event: a reconnect is scheduled. */
export interface ReconnectAttempt extends ReconnectCause {
  /** Milliseconds until the attempt starts. */
  delayMs: number;
}

/** Value of the `giveUp` event: no further attempt will be made. */
export interface ReconnectGiveUp extends ReconnectCause {
  /**
   * `"declined"`: `shouldReconnect` said no (by default: an error that would repeat, close code
   * 1008, or an upgrade refused with a 4xx status other than 408 and 429); `"max-attempts"`:
   * `maxAttempts` attempts in a row have failed.
   */
  reason: "declined" | "max-attempts";
}

/** Options of {@linkcode createReconnectingWebSocket}; every one is optional. */
export interface ReconnectOptions {
  /**
   * Makes the WebSocket of each connection attempt (default: this library's
   * `createWebSocket`). On the device, pass the platform's `webSocket.createWebSocket`.
   */
  createWebSocket?: () => WebSocket;
  /** Delay of the first reconnect attempt, and the shortest delay, in ms (default 1000, > 0). */
  minDelayMs?: number;
  /** Longest delay between attempts, in ms (default 30000, >= minDelayMs). */
  maxDelayMs?: number;
  /** Growth of the delay ceiling per failed attempt (default 2, >= 1). */
  backoffFactor?: number;
  /**
   * Draw each delay uniformly between minDelayMs and its ceiling (default true); false waits
   * the ceiling itself.
   */
  jitter?: boolean;
  /**
   * Most attempts in a row without a stable connection before giving up (default: no limit).
   * 0 never reconnects.
   */
  maxAttempts?: number;
  /**
   * A connection that stayed open this long (ms) counts as stable: the next drop starts the
   * schedule again at attempt 1 (default 5000). A shorter one continues the schedule, so a
   * server that accepts and drops at once is not hammered.
   */
  stableAfterMs?: number;
  /**
   * Decides whether to try again (default {@linkcode defaultShouldReconnect}). Not asked after
   * the user's `close()`. A decision that throws counts as "no".
   */
  shouldReconnect?: (cause: ReconnectCause) => boolean;
  /**
   * Most messages `send` may queue while not open, to send in order after the reconnect
   * (default 0: no queue, `send` while not open fails with -1 as on the platform).
   */
  queueMaxMessages?: number;
  /** Most bytes (UTF-8 for text) the queue may hold (default 1 MiB). */
  queueMaxBytes?: number;
  /** What a full queue does with one more message (default `"reject-new"`). */
  queueOverflow?: QueueOverflow;
  /** The clock of the backoff timer (default: `Date.now` and `setTimeout`). */
  clock?: ReconnectClock;
  /** Random draws in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
}

/**
 * Life cycle of a reconnecting WebSocket: `idle` before `connect`; `connecting` while an
 * attempt runs; `open`; `waiting` for the next attempt; `closing` after the user's `close()`;
 * `closed` after that, or after a give-up (`connect` may then start again).
 */
export type ReconnectState = "idle" | "connecting" | "open" | "waiting" | "closing" | "closed";
