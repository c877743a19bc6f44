import { describe, expect, it } from "vitest";
import type { Clock } from "../src/clock.js";
import { SilenceWatch } from "../src/silence-watch.js";

/** A clock advanced by hand: timers fire in order when `advance` passes them. */
function manualClock(): Clock & { advance(ms: number): void; armed(): number } {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
    armed: () => timers.size,
  };
}

describe("the silence watch", () => {
  it("asks for a PINGREQ only after a whole keep alive with nothing received (section 3.1.2.10)", () => {
    const clock = manualClock();
    let silent = 0;
    const watch = new SilenceWatch(clock, () => silent++);
    watch.start(1000, clock.now());
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      watch.received(clock.now());
    }
    expect(silent).toBe(0);
    clock.advance(999);
    expect(silent).toBe(0);
    clock.advance(1);
    expect(silent).toBe(1);
    clock.advance(1000);
    expect(silent).toBe(2);
  });

  it("keeps no timer when stopped or when the keep alive is 0", () => {
    const clock = manualClock();
    let silent = 0;
    const watch = new SilenceWatch(clock, () => silent++);
    watch.start(0, clock.now());
    expect(clock.armed()).toBe(0);
    watch.start(1000, clock.now());
    expect(clock.armed()).toBe(1);
    watch.stop();
    expect(clock.armed()).toBe(0);
    clock.advance(5000);
    expect(silent).toBe(0);
  });
});
