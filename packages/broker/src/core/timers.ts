import { type Clock, systemClock as globalClock, type TimerHandle } from "@amqtt/transport";
import { atTurnEnd, type TurnEndTask } from "./turn-end.js";

// The Clock shape is `@amqtt/transport`'s, the same one the client takes, so one fake clock drives both.
export type { Clock, TimerHandle };

/** The time read in the current synchronous run, forgotten at its end (see `systemClock.now`). */
let turnNow: number | undefined;

/** Forgets {@link turnNow} at the end of the run (with the other end-of-run work: one reaction for all). */
const FORGET_TURN_NOW: TurnEndTask = {
  turnEnded(): void {
    turnNow = undefined;
  },
};

/**
 * The monotonic time, read once per synchronous run: the first read caches it
 * and a microtask forgets it, so everything one socket read sets off (hundreds
 * of PUBLISH packets of a 64 KiB chunk, each read the clock three or four
 * times) shares one reading. `performance.now()` was 4 % of the broker's CPU
 * under fan-in. Never older than the run itself (a few ms at most), which the
 * broker's ms-resolution deadlines (keep alive, expiry, pauses) do not notice.
 *
 * Whole milliseconds: a time kept in an object's field (a connection's keep-alive
 * and wheel deadlines) is then a small integer stored in place, where a fraction
 * costs a 16-byte heap number per field, four per idle connection (issue 19).
 * Small until about 24.8 days after the process started (2^31 ms), later readings
 * only cost that memory again.
 */
export function turnClockNow(): number {
  if (turnNow === undefined) {
    turnNow = Math.floor(globalClock.now());
    // A microtask later, shared with the connections' writes of this run (`atTurnEnd`).
    atTurnEnd(FORGET_TURN_NOW);
  }
  return turnNow;
}

/** The real clock, its timers unref'd (a broker's sockets keep the process alive, its timers do not). */
export const systemClock: Clock = {
  now: turnClockNow,
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
