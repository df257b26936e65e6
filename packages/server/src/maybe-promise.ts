/** A value, or a promise of it: what a hot read returns when it may finish synchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * `f(value)` now when `value` is already there, else once its promise settles: a chain of steps
 * that stays synchronous (no promise, no microtask) when every step is. A throw in `f` is thrown
 * (or, for a promise, rejects it) as in an async function's body.
 */
export function andThen<T, U>(value: MaybePromise<T>, f: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
