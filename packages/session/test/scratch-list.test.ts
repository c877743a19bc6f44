import { describe, expect, it } from "vitest";
import { SCRATCH_LIST_MAX_KEPT, ScratchList } from "../src/scratch-list.js";

describe("scratch list (one reused list for a machine's answer)", () => {
  it("lends the same emptied list again once it is given back", () => {
    const scratch = new ScratchList<number>();
    const list = scratch.take();
    list.push(1, 2, 3);
    scratch.give(list);
    expect(list).toHaveLength(0);
    expect(scratch.take()).toBe(list);
  });

  it("gives a nested taker a new list and leaves the lent one alone when that comes back", () => {
    const scratch = new ScratchList<number>();
    const lent = scratch.take();
    lent.push(1);
    const nested = scratch.take();
    expect(nested).not.toBe(lent);
    nested.push(2);
    scratch.give(nested);
    expect(lent).toEqual([1]);
    // Still lent: the next taker gets a new list too.
    expect(scratch.take()).not.toBe(lent);
    scratch.give(lent);
    expect(scratch.take()).toBe(lent);
  });

  it(`drops a list that grew past ${SCRATCH_LIST_MAX_KEPT} entries and lends a new one`, () => {
    const scratch = new ScratchList<number>();
    const list = scratch.take();
    for (let i = 0; i <= SCRATCH_LIST_MAX_KEPT; i++) list.push(i);
    scratch.give(list);
    const next = scratch.take();
    expect(next).not.toBe(list);
    expect(next).toHaveLength(0);
    scratch.give(next);
    const atBound = scratch.take();
    for (let i = 0; i < SCRATCH_LIST_MAX_KEPT; i++) atBound.push(i);
    scratch.give(atBound);
    expect(scratch.take()).toBe(atBound);
  });
});
