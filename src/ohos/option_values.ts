/**
 * Checks of numeric option fields, shared by the client's `connect` options
 * and the server's `start` config. Every problem is a 401.
 *
 * @module
 */

import { parameterError } from "./errors.ts";

/** Timers fire at once past this many milliseconds (a 32-bit signed delay). */
export const MAX_TIMER_MS = 2_147_483_647;

/** The platform's largest `send`: 5 MiB minus 16 bytes. */
export const DEFAULT_MAX_SEND_SIZE = 5 * 1024 * 1024 - 16;

/** Default limit on bytes queued for a socket and not yet written. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Default limit on the frames one incoming message may arrive in: twice the
 * 65,536 fragments of Autobahn's largest case (4 MiB in 64-byte fragments),
 * and a 16 MiB message (the server's default limit) in 128-byte fragments.
 */
export const DEFAULT_MAX_MESSAGE_FRAGMENTS = 131_072;

/** `record[name]` as a finite number above 0, or `fallback` when absent. */
export function positiveNumber(
  record: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = record[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw parameterError(`${name} must be a number > 0`);
  }
  return value;
}

/** `record[name]` as an integer of at least 1, or `fallback` when absent. */
export function positiveInteger(
  record: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = record[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw parameterError(`${name} must be an integer >= 1`);
  }
  return value;
}

/**
 * A delay in `unit` milliseconds (1 for ms, 1000 for seconds): above 0, or
 * also 0 when `zeroAllowed`, and short enough for a timer (about 24.8 days).
 */
export function timerValue(
  record: Record<string, unknown>,
  name: string,
  fallback: number,
  unit: number,
  zeroAllowed = false,
): number {
  const value = record[name];
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < 0 ||
    (value === 0 && !zeroAllowed) || value * unit > MAX_TIMER_MS
  ) {
    const low = zeroAllowed ? ">= 0" : "> 0";
    throw parameterError(`${name} must be a number ${low} and at most ${MAX_TIMER_MS / unit}`);
  }
  return value;
}
