import { performance } from "node:perf_hooks";

/** What a {@link Clock} returns for a timer; only given back to the same clock. */
export type TimerHandle = unknown;

/**
 * Where the broker's logic reads the time and sets its timers: keep alive and
 * CONNECT deadlines, session expiry, delayed wills, QoS retries, the store
 * cleanup. The same shape as `@amqtt/client`'s `Clock`, so one fake clock can
 * drive both in a test. Wall-clock times written to a store stay `Date.now()`.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Call `fn` after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer of {@link Clock.setTimeout}. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and Node's timers, unref'd (a broker's sockets keep the process alive, its timers do not). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Node's setTimeout holds at most 2^31-1 ms (about 24.8 days); session expiry may be 136 years. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A timer of {@link longTimeout}: cancel it any time, also after it fired. */
export interface LongTimer {
  cancel(): void;
}

/** Call `fn` after `ms` milliseconds of `clock`, however long (re-armed in steps Node's timers can hold). */
export function longTimeout(clock: Clock, fn: () => void, ms: number): LongTimer {
  let current: TimerHandle;
  const arm = (remaining: number): void => {
    const step = Math.min(remaining, MAX_TIMEOUT_MS);
    current = clock.setTimeout(() => {
      if (remaining > step) arm(remaining - step);
      else fn();
    }, step);
  };
  arm(Math.max(0, ms));
  return { cancel: () => clock.clearTimeout(current) };
}

/** Call `fn` every `ms` milliseconds of `clock` until the returned timer is cancelled. */
export function repeating(clock: Clock, fn: () => void, ms: number): LongTimer {
  let current: TimerHandle;
  let cancelled = false;
  const arm = (): void => {
    current = clock.setTimeout(() => {
      if (cancelled) return;
      arm();
      fn();
    }, ms);
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      clock.clearTimeout(current);
    },
  };
}
