/**
 * Callback types of `@ohos.base`, and the helper that gives every async
 * method both its callback form and its Promise form.
 *
 * @module
 */

import type { BusinessError } from "./errors.ts";

/** A callback with one value. */
export type Callback<T> = (data: T) => void;

/** A callback with an error. */
export type ErrorCallback<T extends Error = BusinessError> = (err: T) => void;

/** A Node-style callback: `err` is `undefined` on success. */
export type AsyncCallback<T, E = void> = (err: BusinessError<E>, data: T) => void;

/**
 * Runs `work` and reports its outcome through `callback` when one is given
 * (`(undefined, value)` or `(err, undefined)`), or as a Promise otherwise.
 * A callback that throws is reported with `onCallbackError`; it does not
 * become an unhandled rejection.
 */
export function settle<T>(
  work: Promise<T>,
  callback: AsyncCallback<T, unknown> | undefined,
  onCallbackError: (error: unknown) => void,
): Promise<T> | undefined {
  if (callback === undefined) return work;
  work.then(
    (value) => invoke(() => callback(undefined as unknown as BusinessError<unknown>, value)),
    (error: BusinessError<unknown>) => invoke(() => callback(error, undefined as T)),
  );
  return undefined;

  function invoke(call: () => void): void {
    try {
      call();
    } catch (error) {
      onCallbackError(error);
    }
  }
}
