import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/core/token-bucket.js";

/** A clock moved by hand, counting its reads. */
function manual() {
  const clock = { t: 0, reads: 0, now: () => (clock.reads++, clock.t) };
  return clock;
}

describe("TokenBucket", () => {
  it("allows a burst, then the rate, with time driven by hand", () => {
    const clock = manual();
    const bucket = new TokenBucket(10, 5, clock);
    for (let i = 0; i < 5; i++) expect(bucket.take(1)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    // In debt by one token at 10/s: 100 ms to repay.
    expect(bucket.waitMs()).toBe(100);
    clock.t = 200;
    expect(bucket.take(1)).toBe(true);
    expect(bucket.waitMs()).toBe(0);
  });

  it("never holds more than the burst, however long it idles", () => {
    const clock = manual();
    const bucket = new TokenBucket(1000, 3, clock);
    clock.t = 60_000;
    expect(bucket.take(3)).toBe(true);
    expect(bucket.take(1)).toBe(false);
  });

  it("never throttles a client sending exactly at its rate, nor one far under it", () => {
    const clock = manual();
    const atRate = new TokenBucket(100, 100, clock);
    const under = new TokenBucket(1000, 1000, clock);
    for (let ms = 0; ms < 60_000; ms += 10) {
      clock.t = ms;
      expect(atRate.take(1), `at ${ms} ms`).toBe(true);
      expect(under.take(1), `at ${ms} ms`).toBe(true);
    }
  });

  it("holds a client over its rate to the rate: over a minute, burst + rate x time at most", () => {
    const clock = manual();
    const bucket = new TokenBucket(100, 50, clock);
    let allowed = 0;
    let heldUntil = 0;
    for (let ms = 0; ms < 60_000; ms++) {
      clock.t = ms;
      // A greedy client: 3 messages every ms (3000/s), read only while not held (as the broker does:
      // a message already read is taken, into debt, and reading stops for waitMs()).
      for (let i = 0; i < 3 && ms >= heldUntil; i++) {
        allowed++;
        if (!bucket.take(1)) heldUntil = ms + bucket.waitMs();
      }
    }
    expect(allowed).toBeLessThanOrEqual(50 + 100 * 60 + 1);
    expect(allowed).toBeGreaterThanOrEqual(100 * 60 - 1);
  });

  it("reads the clock about once per half burst while under its rate", () => {
    const clock = manual();
    const bucket = new TokenBucket(1_000_000, 1_000_000, clock);
    for (let i = 0; i < 2_000_000; i++) {
      clock.t = i / 1000; // 1000 per ms: 1e6/s, exactly at the rate
      bucket.take(1);
    }
    expect(clock.reads).toBeLessThanOrEqual(1 + 2_000_000 / 500_000 + 1);
  });

  it("refunds refused work up to the burst only", () => {
    const clock = manual();
    const bucket = new TokenBucket(1, 2, clock);
    bucket.take(2);
    expect(bucket.take(1)).toBe(false);
    bucket.refund(1);
    expect(bucket.waitMs()).toBe(0);
    bucket.refund(10);
    expect(bucket.take(2)).toBe(true);
    expect(bucket.take(1)).toBe(false);
  });
});
