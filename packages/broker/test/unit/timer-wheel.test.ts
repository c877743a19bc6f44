import { afterEach, describe, expect, it } from "vitest";
import { TimerWheel, type WheelEntry } from "../../src/core/timer-wheel.js";
import { systemClock } from "../../src/core/timers.js";

const now = (): number => systemClock.now();

/** Just what the wheel touches on a connection: the fire callback. */
function fakeConnection(): { conn: WheelEntry; fired: number[]; next: () => Promise<number> } {
  const fired: number[] = [];
  let wake: ((t: number) => void) | undefined;
  const conn: WheelEntry = {
    wheelFired: (t: number) => {
      fired.push(t);
      wake?.(t);
    },
  };
  const next = () =>
    new Promise<number>((resolve) => {
      wake = resolve;
    });
  return { conn, fired, next };
}

describe("the shared timer wheel", () => {
  const wheels: TimerWheel[] = [];
  afterEach(() => {
    for (const wheel of wheels.splice(0)) for (const c of wheel.pending()) wheel.cancel(c);
  });

  function wheel(): TimerWheel {
    const w = new TimerWheel(systemClock, 10);
    wheels.push(w);
    return w;
  }

  it("fires a deadline once, not before it is due, and then holds nothing", async () => {
    const w = wheel();
    const a = fakeConnection();
    const due = now() + 40;
    const fired = a.next();
    w.schedule(a.conn, due);
    expect(await fired).toBeGreaterThanOrEqual(due);
    // A later deadline as a sentinel: by the time it fires, a second firing would have shown.
    const sentinel = fakeConnection();
    const sentinelFired = sentinel.next();
    w.schedule(sentinel.conn, now() + 40);
    await sentinelFired;
    expect(a.fired).toHaveLength(1);
    expect(w.size).toBe(0);
  });

  it("never fires a cancelled deadline", async () => {
    const w = wheel();
    const a = fakeConnection();
    w.schedule(a.conn, now() + 20);
    w.cancel(a.conn);
    expect(w.size).toBe(0);
    const sentinel = fakeConnection();
    const sentinelFired = sentinel.next();
    w.schedule(sentinel.conn, now() + 60);
    await sentinelFired;
    expect(a.fired).toEqual([]);
  });

  it("moves a connection scheduled again, so it fires once, at the later deadline", async () => {
    const w = wheel();
    const a = fakeConnection();
    w.schedule(a.conn, now() + 20);
    const later = now() + 120;
    const fired = a.next();
    w.schedule(a.conn, later);
    expect(w.size).toBe(1);
    expect(await fired).toBeGreaterThanOrEqual(later);
    expect(a.fired).toHaveLength(1);
  });
});
