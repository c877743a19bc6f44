import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_PACKET_ID, PacketIdAllocator } from "../src/index.js";

describe("PacketIdAllocator", () => {
  it("hands out 1, 2, 3 ... and never 0 [MQTT-2.2.1-3] [MQTT-2.2.1-4]", () => {
    const ids = new PacketIdAllocator();
    expect([ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([1, 2, 3]);
    expect(ids.inUse).toBe(3);
    expect(ids.isInUse(0)).toBe(false);
  });

  it("does not reuse a released id until the cursor comes round again", () => {
    const ids = new PacketIdAllocator({ maxId: 4 });
    expect(ids.allocate()).toBe(1);
    expect(ids.release(1)).toBe(true);
    expect([ids.allocate(), ids.allocate(), ids.allocate(), ids.allocate()]).toEqual([2, 3, 4, 1]);
  });

  it("hands out every one of the 65535 ids once, then reports exhaustion instead of looping", () => {
    const ids = new PacketIdAllocator();
    const seen = new Uint8Array(MAX_PACKET_ID + 1);
    for (let i = 0; i < MAX_PACKET_ID; i++) seen[ids.allocate() ?? 0]! += 1;
    expect(seen[0]).toBe(0);
    expect(seen.subarray(1).every((n) => n === 1)).toBe(true);
    expect(ids.available).toBe(0);
    expect(ids.allocate()).toBeUndefined();
  });

  it("finds the single free id left, wherever it is", () => {
    const ids = new PacketIdAllocator();
    for (let i = 0; i < MAX_PACKET_ID; i++) ids.allocate();
    for (const hole of [1, 31, 32, 1023, 1024, 40_000, MAX_PACKET_ID]) {
      ids.release(hole);
      expect(ids.allocate()).toBe(hole);
    }
  });

  it("lets a restored id be claimed once and refuses a second claim", () => {
    const ids = new PacketIdAllocator();
    expect(ids.claim(7)).toBe(true);
    expect(ids.claim(7)).toBe(false);
    expect(ids.isInUse(7)).toBe(true);
    expect(ids.release(7)).toBe(true);
    expect(ids.release(7)).toBe(false);
  });

  it("rejects ids outside 1..maxId with a RangeError", () => {
    const ids = new PacketIdAllocator({ maxId: 10 });
    expect(() => ids.claim(0)).toThrow(RangeError);
    expect(() => ids.claim(11)).toThrow(RangeError);
    expect(() => ids.release(1.5)).toThrow(RangeError);
    expect(() => new PacketIdAllocator({ maxId: 65_536 })).toThrow(RangeError);
  });

  it("never hands out an id in use, under random allocate/claim/release (model check)", () => {
    const op = fc.oneof(
      fc.constant({ op: "allocate" as const, id: 0 }),
      fc.record({ op: fc.constant("release" as const), id: fc.integer({ min: 1, max: 2100 }) }),
      fc.record({ op: fc.constant("claim" as const), id: fc.integer({ min: 1, max: 2100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), fc.integer({ min: 1, max: 2100 }), (ops, maxId) => {
        const ids = new PacketIdAllocator({ maxId });
        const model = new Set<number>();
        for (const { op, id } of ops) {
          if (op === "allocate") {
            const got = ids.allocate();
            if (model.size === maxId) {
              expect(got).toBeUndefined();
            } else {
              expect(got).toBeDefined();
              expect(model.has(got!)).toBe(false);
              expect(got!).toBeGreaterThanOrEqual(1);
              expect(got!).toBeLessThanOrEqual(maxId);
              model.add(got!);
            }
          } else if (id <= maxId) {
            if (op === "claim") {
              expect(ids.claim(id)).toBe(!model.has(id));
              model.add(id);
            } else {
              expect(ids.release(id)).toBe(model.has(id));
              model.delete(id);
            }
          }
          expect(ids.inUse).toBe(model.size);
        }
        expect(ids.idsInUse()).toEqual([...model].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });

  it("keeps the ids of allocators apart when an emptied page is reused by another", () => {
    const a = new PacketIdAllocator();
    const b = new PacketIdAllocator();
    a.release(a.allocate()!); // a's page emptied: it is kept for reuse, all bits clear
    expect([b.allocate(), b.allocate(), b.allocate()]).toEqual([1, 2, 3]);
    expect(a.allocate()).toBe(2);
    expect(a.idsInUse()).toEqual([2]);
    expect(b.idsInUse()).toEqual([1, 2, 3]);
    b.release(2);
    expect(a.isInUse(2)).toBe(true);
    expect(b.idsInUse()).toEqual([1, 3]);
  });

  it("never mixes the ids of two allocators that empty and refill pages in turn (model check)", () => {
    const op = fc.record({
      which: fc.integer({ min: 0, max: 1 }),
      op: fc.constantFrom("allocate" as const, "release" as const),
      id: fc.integer({ min: 1, max: 3000 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3000 }), (ops) => {
        const allocators = [new PacketIdAllocator({ maxId: 3000 }), new PacketIdAllocator({ maxId: 3000 })];
        const models = [new Set<number>(), new Set<number>()];
        for (const { which, op, id } of ops) {
          const ids = allocators[which]!;
          const model = models[which]!;
          if (op === "allocate") {
            const got = ids.allocate()!;
            expect(model.has(got)).toBe(false);
            model.add(got);
          } else {
            // Release an id in use when there is one (pages then empty often), else a random one.
            const inUse = [...model];
            const target = inUse.length > 0 ? inUse[id % inUse.length]! : id;
            expect(ids.release(target)).toBe(model.delete(target));
          }
        }
        for (const i of [0, 1])
          expect(allocators[i]!.idsInUse()).toEqual([...models[i]!].sort((x, y) => x - y));
      }),
      { numRuns: 100 },
    );
  });
});
