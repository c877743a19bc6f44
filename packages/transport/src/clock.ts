/** What a {@link Clock} returns for a timer; only given back to the same clock. */
export type TimerHandle = unknown;

/**
 * Where a shell (broker or client) reads the time and sets its timers, injected
 * so tests can drive keep alive, reconnect backoff, expiry and deadlines on a
 * virtual clock. One shape for both shells, so one fake clock drives both.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Call `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer of {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: `performance.now()` and the global timers (browsers and Node).
 * Its timers keep a Node process alive; a shell that must not (the broker) wraps it.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
