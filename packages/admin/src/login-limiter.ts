/** Failures allowed per address within the window before requests are refused (429). */
export const DEFAULT_MAX_FAILURES = 5;
/** The window failures are counted in, ms. */
export const DEFAULT_FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; the oldest is forgotten first. */
export const DEFAULT_MAX_TRACKED = 10_000;

/** Options of {@link LoginLimiter}. */
export interface LoginLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxTracked?: number;
}

/**
 * Rate-limits failed logins (and failed Basic/Bearer credentials) per remote
 * address: after `maxFailures` within `windowMs`, that address is refused until
 * the window ends. The map of addresses is bounded (`maxTracked`).
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;

  constructor(options: LoginLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.windowMs = options.windowMs ?? DEFAULT_FAILURE_WINDOW_MS;
    this.maxTracked = options.maxTracked ?? DEFAULT_MAX_TRACKED;
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.failures.size;
  }

  /** Ms until `address` may try again (0: it may now). */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (entry === undefined) return 0;
    const left = entry.since + this.windowMs - now;
    if (left <= 0) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.maxFailures ? left : 0;
  }

  /** Count a failure of `address`. */
  failed(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry !== undefined && entry.since + this.windowMs > now) {
      entry.count++;
      return;
    }
    this.failures.delete(address);
    while (this.failures.size >= this.maxTracked) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
    this.failures.set(address, { count: 1, since: now });
  }

  /** A success clears the address's failures. */
  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
