import { type Clock, systemClock as globalClock, type TimerHandle } from "@amqtt/transport";

// The Clock shape is `@amqtt/transport`'s, the same one the client takes, so one fake clock drives both.
export type { Clock, TimerHandle };

/** The real clock, its timers unref'd (a broker's sockets keep the process alive, its timers do not). */
export const systemClock: Clock = {
  now: globalClock.now,
  setTimeout: (fn, ms) => {
    const timer = globalClock.setTimeout(fn, ms) as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clearTimeout: globalClock.clearTimeout,
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
