import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/core/token-bucket.js";

describe("TokenBucket", () => {
  it("allows a burst, then the rate, with time driven by hand", () => {
    const bucket = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(1, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    // In debt by one token at 10/s: 100 ms to repay.
    expect(bucket.waitMs()).toBe(100);
    expect(bucket.take(1, 200)).toBe(true);
    expect(bucket.waitMs()).toBe(0);
  });

  it("never holds more than the burst, however long it idles", () => {
    const bucket = new TokenBucket(1000, 3, 0);
    expect(bucket.take(3, 60_000)).toBe(true);
    expect(bucket.take(1, 60_000)).toBe(false);
  });

  it("refunds refused work up to the burst only", () => {
    const bucket = new TokenBucket(1, 2, 0);
    bucket.take(2, 0);
    expect(bucket.take(1, 0)).toBe(false);
    bucket.refund(1);
    expect(bucket.waitMs()).toBe(0);
    bucket.refund(10);
    expect(bucket.take(2, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
  });
});
