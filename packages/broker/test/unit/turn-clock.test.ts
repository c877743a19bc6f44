import { describe, expect, it } from "vitest";
import { systemClock, turnClockNow } from "../../src/core/timers.js";

/** Spin until performance.now() passed `t` (the real clock moved on). */
function spinPast(t: number): void {
  while (performance.now() <= t) {
    // busy
  }
}

describe("the broker's system clock reads the time once per synchronous run", () => {
  it("answers one reading for a whole synchronous run, even when real time moved on", () => {
    const first = systemClock.now();
    spinPast(first + 2);
    expect(systemClock.now()).toBe(first);
    expect(turnClockNow()).toBe(first);
  });

  it("reads the clock again after the run (a microtask later), never going back", async () => {
    const first = turnClockNow();
    spinPast(first + 2);
    await Promise.resolve();
    const second = turnClockNow();
    expect(second).toBeGreaterThanOrEqual(first + 2);
    spinPast(second + 1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(turnClockNow()).toBeGreaterThan(second);
  });

  it("reads whole milliseconds, so a deadline kept in a connection's field needs no heap number", async () => {
    for (let i = 0; i < 5; i++) {
      const t = turnClockNow();
      expect(Number.isInteger(t)).toBe(true);
      expect(t).toBeLessThanOrEqual(performance.now());
      spinPast(t + 1.5);
      await Promise.resolve();
    }
  });
});
