import { describe, expect, it } from "vitest";
import { ListPool } from "../src/list-pool.js";

const MAX_KEPT = 64;

describe("list pool (reused lists for a machine's answer)", () => {
  it("lends the same emptied list again once it is given back", () => {
    const pool = new ListPool<number>(1, MAX_KEPT);
    const list = pool.take();
    list.push(1, 2, 3);
    pool.give(list);
    expect(list).toHaveLength(0);
    expect(pool.take()).toBe(list);
  });

  it("gives a nested taker a new list and leaves the lent one alone when that comes back", () => {
    const pool = new ListPool<number>(1, MAX_KEPT);
    const lent = pool.take();
    lent.push(1);
    const nested = pool.take();
    expect(nested).not.toBe(lent);
    nested.push(2);
    pool.give(nested);
    expect(lent).toEqual([1]);
    // Still lent: the next taker gets another list.
    expect(pool.take()).not.toBe(lent);
    pool.give(lent);
    expect(pool.take()).toBe(lent);
  });

  it(`drops a list that grew past ${MAX_KEPT} entries and lends a new one`, () => {
    const pool = new ListPool<number>(1, MAX_KEPT);
    const list = pool.take();
    for (let i = 0; i <= MAX_KEPT; i++) list.push(i);
    pool.give(list);
    const next = pool.take();
    expect(next).not.toBe(list);
    expect(next).toHaveLength(0);
    pool.give(next);
    const atBound = pool.take();
    for (let i = 0; i < MAX_KEPT; i++) atBound.push(i);
    pool.give(atBound);
    expect(pool.take()).toBe(atBound);
  });

  it("keeps at most maxFree lists, and none longer than maxKept", () => {
    const pool = new ListPool<number>(8, MAX_KEPT);
    const taken = Array.from({ length: 8 + 3 }, () => pool.take());
    for (const list of taken) pool.give(list);
    expect(pool.kept).toBe(8);
    const fresh = new ListPool<number>(8, MAX_KEPT);
    fresh.give(Array.from({ length: MAX_KEPT + 1 }, (_, i) => i));
    expect(fresh.kept).toBe(0);
    const atBound = Array.from({ length: MAX_KEPT }, (_, i) => i);
    fresh.give(atBound);
    expect(fresh.kept).toBe(1);
    expect(atBound).toHaveLength(0);
  });

  it("makes a new list after one was never given back (its user threw)", () => {
    const pool = new ListPool<number>(1, MAX_KEPT);
    pool.take();
    const next = pool.take();
    pool.give(next);
    expect(pool.take()).toBe(next);
  });
});
