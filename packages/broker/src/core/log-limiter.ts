import type { Logger, LogLevel } from "../logger.js";

/** Lines a `LogLimiter` lets through per window by default. */
export const DEFAULT_LOG_BURST = 10;
/** The window of a `LogLimiter` by default, in ms. */
export const DEFAULT_LOG_WINDOW_MS = 10_000;

/**
 * A bound on how fast one kind of line reaches the log: hostile clients can make
 * a broker refuse thousands of things a second, and the log must not grow with
 * them. At most `burst` lines per `windowMs`; the lines held back are counted
 * and the next line let through says how many (`suppressed`).
 */
export class LogLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private held = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number,
    private readonly burst = DEFAULT_LOG_BURST,
    private readonly windowMs = DEFAULT_LOG_WINDOW_MS,
  ) {}

  /** Lines held back since the last one written. */
  get suppressed(): number {
    return this.held;
  }

  /** Write `message` at `level` unless this window's lines are spent; returns whether it was written. */
  log(level: LogLevel, message: string, fields: Record<string, unknown>): boolean {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.written = 0;
    }
    if (this.written >= this.burst) {
      this.held++;
      return false;
    }
    this.written++;
    const extra = this.held > 0 ? { ...fields, suppressed: this.held } : fields;
    this.held = 0;
    this.logger[level](message, extra);
    return true;
  }
}
