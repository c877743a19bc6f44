import type { Clock } from "./clock.js";
import { AbortError, TimeoutError } from "./errors.js";

/** What a promise waits on besides its own outcome. */
export interface WaitLimits {
  signal?: AbortSignal | undefined;
  /** Milliseconds before a {@link TimeoutError}. */
  timeoutMs?: number | undefined;
  /** What timed out, for the message. */
  what: string;
}

/**
 * Settle `promise`'s callbacks once, adding an abort signal and a deadline. Returns
 * the guarded resolve/reject and `fail` (reject from outside); `onGiveUp` runs when
 * the abort or the deadline wins, to undo the wait (e.g. leave a queue).
 */
export function guard<T>(
  clock: Clock,
  limits: WaitLimits,
  resolve: (value: T) => void,
  reject: (error: Error) => void,
  onGiveUp: () => void,
): { resolve: (value: T) => void; reject: (error: Error) => void; done: () => boolean } {
  let settled = false;
  if (limits.signal === undefined && limits.timeoutMs === undefined) {
    // Hot path (a plain publish): nothing to race, so no listeners or timers.
    return {
      resolve: (value) => {
        if (settled) return;
        settled = true;
        resolve(value);
      },
      reject: (error) => {
        if (settled) return;
        settled = true;
        reject(error);
      },
      done: () => settled,
    };
  }
  let timer: unknown;
  const onAbort = (): void =>
    finish(new AbortError(`${limits.what} aborted`, { cause: limits.signal?.reason }));
  const cleanup = (): void => {
    settled = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    limits.signal?.removeEventListener("abort", onAbort);
  };
  const finish = (error: Error): void => {
    if (settled) return;
    cleanup();
    onGiveUp();
    reject(error);
  };
  if (limits.signal?.aborted) {
    queueMicrotask(onAbort);
  } else {
    limits.signal?.addEventListener("abort", onAbort, { once: true });
    if (limits.timeoutMs !== undefined)
      timer = clock.setTimeout(() => finish(new TimeoutError(`${limits.what} timed out`)), limits.timeoutMs);
  }
  return {
    resolve: (value) => {
      if (settled) return;
      cleanup();
      resolve(value);
    },
    reject: (error) => {
      if (settled) return;
      cleanup();
      reject(error);
    },
    done: () => settled,
  };
}
