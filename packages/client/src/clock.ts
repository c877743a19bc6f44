/** A timer handle of a {@link Clock}. */
export type TimerHandle = unknown;

/**
 * Time and timers the client uses, injectable so tests can drive reconnect
 * backoff and keep-alive on a virtual clock.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Call `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer of {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and the global timers (browsers and Node). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
