import type { Clock } from "./timers.js";

/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Taking
 * may go into debt (a packet already read is never refused here); the caller
 * asks {@link TokenBucket.waitMs} how long until the debt is repaid.
 *
 * The clock is read lazily, on the hot path only when the balance would go
 * negative or half a burst was taken since the last refill: a client far under
 * its rate costs a subtraction per message. Refilling at least every half burst
 * keeps the bucket from under-crediting a client at its rate (the cap is applied
 * once per refill, not once per take).
 */
export class TokenBucket {
  /** Balance: tokens at the last refill less what was taken since. */
  private tokens: number;
  /** Taken since the last refill. */
  private taken = 0;
  private last: number;
  private readonly refillAfter: number;

  constructor(
    /** Tokens added per second; must be positive. */
    readonly rate: number,
    /** The most tokens held (the burst allowed after idling). */
    readonly burst: number,
    private readonly clock: Pick<Clock, "now">,
  ) {
    this.tokens = burst;
    this.last = clock.now();
    this.refillAfter = burst / 2;
  }

  /** Take `n` tokens; false when that left the bucket in debt (the caller is over its rate). */
  take(n: number): boolean {
    this.tokens -= n;
    this.taken += n;
    if (this.tokens >= 0 && this.taken < this.refillAfter) return true;
    this.refill();
    return this.tokens >= 0;
  }

  /** Give back `n` tokens taken by a call whose work was refused after all (never above the burst). */
  refund(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + n);
    this.taken = Math.max(0, this.taken - n);
  }

  /** Ms until the bucket is out of debt again (0 when it is not in debt). */
  waitMs(): number {
    if (this.tokens >= 0) return 0;
    this.refill();
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens =
        Math.min(this.burst, this.tokens + this.taken + (elapsed * this.rate) / 1000) - this.taken;
      this.last = now;
    }
    this.taken = 0;
  }
}
