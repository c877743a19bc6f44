import { describe, expect, it } from "vitest";
import {
  defaultSeriesCapacity,
  SeriesCapacityError,
  SeriesRing,
  type StatsSample,
} from "../app/src/lib/series.ts";

function sample(t: number, connections = t): StatsSample {
  return {
    t,
    connections,
    messagesIn: t * 2,
    messagesOut: t * 3,
    bytesIn: 0,
    bytesOut: 0,
    dropped: 0,
    rss: 0,
    heapUsed: 0,
    cpuPercent: 0,
    eventLoopLagMs: 0,
  };
}

describe("SeriesRing", () => {
  it("holds ten minutes of one-second samples by default, as the admin's own ring", () => {
    expect(defaultSeriesCapacity).toBe(600);
    expect(new SeriesRing().capacity).toBe(600);
  });

  it("keeps at most its capacity, dropping the oldest first", () => {
    const ring = new SeriesRing(3);
    for (let t = 1; t <= 5; t++) ring.push(sample(t * 1000));
    expect(ring.size).toBe(3);
    expect(ring.toArray().map((s) => s.t)).toEqual([3000, 4000, 5000]);
  });

  it("keeps the default bound too when fed more than 600 samples", () => {
    const ring = new SeriesRing();
    ring.merge(Array.from({ length: 1500 }, (_, i) => sample(i * 1000)));
    expect(ring.size).toBe(600);
    expect(ring.toArray()[0]?.t).toBe(900_000);
    expect(ring.newest?.t).toBe(1_499_000);
  });

  it("ignores samples it already has when the server resends its history", () => {
    const ring = new SeriesRing(10);
    expect(ring.merge([sample(1000), sample(2000), sample(3000)])).toBe(3);
    expect(ring.merge([sample(2000), sample(3000), sample(4000), sample(5000)])).toBe(2);
    expect(ring.toArray().map((s) => s.t)).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it("sorts a batch that arrives out of order", () => {
    const ring = new SeriesRing(10);
    ring.merge([sample(3000), sample(1000), sample(2000)]);
    expect(ring.toArray().map((s) => s.t)).toEqual([1000, 2000, 3000]);
  });

  it("gives uPlot columns: seconds, then one column per field, within the window", () => {
    const ring = new SeriesRing(10);
    ring.merge([sample(1000), sample(2000), sample(3000)]);
    expect(ring.columns(["connections", "messagesOut"], 2000)).toEqual([
      [2, 3],
      [2000, 3000],
      [6000, 9000],
    ]);
    expect(ring.columns(["connections"])[0]).toEqual([1, 2, 3]);
  });

  it("forgets everything on clear and fills again", () => {
    const ring = new SeriesRing(2);
    ring.merge([sample(1000), sample(2000), sample(3000)]);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.newest).toBeUndefined();
    ring.push(sample(500));
    expect(ring.toArray().map((s) => s.t)).toEqual([500]);
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses capacity %d with SeriesCapacityError", (capacity) => {
    expect(() => new SeriesRing(capacity)).toThrow(SeriesCapacityError);
    try {
      new SeriesRing(capacity);
    } catch (err) {
      expect((err as Error).name).toBe("SeriesCapacityError");
    }
  });
});
