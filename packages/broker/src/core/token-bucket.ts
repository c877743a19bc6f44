/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Taking
 * may go into debt (a packet already read is never refused here); the caller
 * asks {@link TokenBucket.waitMs} how long until the debt is repaid. Time is
 * the caller's monotonic clock in ms, so tests drive it by hand.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    /** Tokens added per second; must be positive. */
    readonly rate: number,
    /** The most tokens held (the burst allowed after idling). */
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take `n` tokens at `now`; false when that left the bucket in debt (the caller is over its rate). */
  take(n: number, now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = now;
    }
    this.tokens -= n;
    return this.tokens >= 0;
  }

  /** Give back `n` tokens taken by a call whose work was refused after all (never above the burst). */
  refund(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + n);
  }

  /** Ms until the bucket is out of debt again (0 when it is not in debt). */
  waitMs(): number {
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }
}
