import { seededRandom } from "@amqtt/test-utils";
import { describe, expect, it } from "vitest";
import { FilterMap } from "../../src/core/filter-map.js";

describe("FilterMap", () => {
  it("holds a single filter without a map, and makes one at the second", () => {
    const m = new FilterMap<number>();
    expect(m.size).toBe(0);
    m.set("a/#", 1);
    m.set("a/#", 2);
    expect(m.holdsMap).toBe(false);
    expect([...m]).toEqual([["a/#", 2]]);
    m.set("b", 3);
    expect(m.holdsMap).toBe(true);
    expect([...m.keys()]).toEqual(["a/#", "b"]);
    m.clear();
    expect(m.holdsMap).toBe(false);
    expect(m.size).toBe(0);
  });

  it("behaves like a Map over a seeded random sequence of set, delete, clear (order, size, get, has)", () => {
    const random = seededRandom(19);
    const keys = ["a", "b", "c", "+/x", "#"];
    for (let run = 0; run < 200; run++) {
      const ours = new FilterMap<number>();
      const model = new Map<string, number>();
      for (let step = 0; step < 30; step++) {
        const key = keys[Math.floor(random() * keys.length)] as string;
        const op = random();
        if (op < 0.5) {
          ours.set(key, step);
          model.set(key, step);
        } else if (op < 0.9) expect(ours.delete(key)).toBe(model.delete(key));
        else {
          ours.clear();
          model.clear();
        }
        expect(ours.size).toBe(model.size);
        expect([...ours]).toEqual([...model]);
        expect([...ours.values()]).toEqual([...model.values()]);
        for (const k of keys) {
          expect(ours.has(k)).toBe(model.has(k));
          expect(ours.get(k)).toBe(model.get(k));
        }
      }
    }
  });
});
