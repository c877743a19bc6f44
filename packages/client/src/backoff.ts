/** How reconnect attempts are spaced. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms (default 1000: aMQTT's 2^0 s). */
  initialMs: number;
  /** Upper bound of a delay, in ms (aMQTT's `reconnect_max_interval`, default 10 s). */
  maxMs: number;
  /** Share of each delay drawn at random, 0..1 (default 0.5): spreads a crowd of clients. */
  jitter: number;
  /** Random numbers in [0, 1) (default `Math.random`), injectable for tests. */
  random: () => number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first): exponential,
 * `initialMs * 2^attempt`, capped at `maxMs`, then reduced by up to `jitter` of
 * itself ("equal jitter": never below `(1 - jitter)` of the capped value, so the
 * backoff stays bounded on both sides).
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponential = options.initialMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(options.maxMs, exponential);
  return Math.round(capped * (1 - options.jitter * options.random()));
}
