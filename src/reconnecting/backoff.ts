/**
 * The reconnect schedule: exponential backoff with jitter, as a pure
 * function of the attempt number and a random draw (no timers, no globals),
 * so tests can check every delay exactly.
 *
 * Written in the subset of TypeScript that ArkTS compiles.
 *
 * @module
 */

/** The settings the schedule depends on (already checked). */
export interface BackoffSettings {
  /** Delay of attempt 1, and the shortest delay of any attempt, in ms (> 0). */
  minDelayMs: number;
  /** Longest delay of any attempt, in ms (>= minDelayMs). */
  maxDelayMs: number;
  /** Growth of the ceiling per attempt (>= 1). */
  factor: number;
  /** Draw each delay at random below the ceiling (true), or wait the ceiling itself. */
  jitter: boolean;
}

/**
 * The longest delay before attempt `attempt` (1-based):
 * `min(maxDelayMs, minDelayMs * factor^(attempt - 1))`.
 */
export function backoffCeiling(attempt: number, settings: BackoffSettings): number {
  // Math.pow overflows to Infinity for huge attempt numbers; the cap still holds.
  const grown = settings.minDelayMs * Math.pow(settings.factor, attempt - 1);
  return Math.min(settings.maxDelayMs, grown);
}

/**
 * The delay before attempt `attempt`, for a draw `random` in [0, 1): with
 * jitter, uniform over the whole window from `minDelayMs` to the ceiling
 * ("full jitter", floored at `minDelayMs` so no retry comes sooner), rounded
 * to whole milliseconds; without jitter, the ceiling.
 */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: number): number {
  const ceiling = backoffCeiling(attempt, settings);
  if (!settings.jitter) return Math.round(ceiling);
  const draw = random >= 0 && random < 1 ? random : 0;
  return Math.round(settings.minDelayMs + draw * (ceiling - settings.minDelayMs));
}
