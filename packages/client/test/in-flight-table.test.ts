import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InFlightTable } from "../src/in-flight-table.js";

type Op = { kind: "set"; key: number } | { kind: "take"; key: number } | { kind: "get"; key: number };

/** Mostly increasing keys with acknowledgements in and out of order, and now and then a key from anywhere. */
const ops = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.constant(-1) }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.integer({ min: 0, max: 60 }) }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("take" as const), key: fc.integer({ min: 0, max: 60 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("get" as const), key: fc.integer({ min: 0, max: 60 }) }),
    },
  ),
  { maxLength: 300 },
);

describe("the table of publishes in flight (InFlightTable)", () => {
  it("answers get, set, take, size and drain as a Map does, whatever the order of keys", () => {
    fc.assert(
      fc.property(ops, (list: Op[]) => {
        const table = new InFlightTable<string>();
        const model = new Map<number, string>();
        let next = 0;
        list.forEach((op, i) => {
          if (op.kind === "set") {
            // -1 stands for the session's next sequence number (above every key so far).
            if (op.key === -1) next = Math.max(next, ...model.keys(), 0) + 1;
            const key = op.key === -1 ? next : op.key;
            table.set(key, `v${i}`);
            model.set(key, `v${i}`);
          } else if (op.kind === "take") {
            expect(table.take(op.key)).toBe(model.get(op.key));
            model.delete(op.key);
          } else expect(table.get(op.key)).toBe(model.get(op.key));
          expect(table.size).toBe(model.size);
        });
        expect(table.drain().sort()).toEqual([...model.values()].sort());
        expect(table.size).toBe(0);
        expect(table.get(next)).toBeUndefined();
      }),
    );
  });

  it("counts a key set again after it was taken from the middle", () => {
    const table = new InFlightTable<string>();
    for (const k of [1, 2, 3]) table.set(k, `a${k}`);
    expect(table.take(2)).toBe("a2");
    table.set(2, "b2");
    expect([table.size, table.get(2), table.take(1), table.take(2), table.take(3)]).toEqual([
      3,
      "b2",
      "a1",
      "b2",
      "a3",
    ]);
    expect(table.size).toBe(0);
  });

  it("drains increasing keys in the order they were added", () => {
    const table = new InFlightTable<number>();
    for (let k = 1; k <= 50; k++) table.set(k, k);
    for (let k = 2; k <= 50; k += 3) table.take(k);
    const left = Array.from({ length: 50 }, (_, i) => i + 1).filter((k) => (k - 2) % 3 !== 0);
    expect(table.drain()).toEqual(left);
  });

  it("keeps its slots in proportion to the live entries when an old entry stays (bound of the compaction)", () => {
    const table = new InFlightTable<number>();
    table.set(1, 1); // a flow that never completes
    for (let k = 2; k < 20_000; k++) {
      table.set(k, k);
      table.take(k);
      // At most 2 * live + 16 slots, plus the one just taken.
      expect(table.span).toBeLessThanOrEqual(2 * table.size + 17);
    }
    expect(table.get(1)).toBe(1);
    expect(table.size).toBe(1);
  });
});
