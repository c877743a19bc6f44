import { describe, expect, it } from "vitest";
import { atTurnEnd } from "../../src/core/turn-end.js";

describe("end of the synchronous run (one reaction for every task)", () => {
  it("runs every task of a run once, in order, a microtask after the run", async () => {
    const order: string[] = [];
    for (const name of ["clock", "a", "b"]) atTurnEnd({ turnEnded: () => order.push(name) });
    expect(order).toEqual([]);
    await Promise.resolve();
    expect(order).toEqual(["clock", "a", "b"]);
    // A later run asks again.
    atTurnEnd({ turnEnded: () => order.push("next") });
    await Promise.resolve();
    expect(order).toEqual(["clock", "a", "b", "next"]);
  });

  it("runs a task added by another task in the same end", async () => {
    const order: string[] = [];
    atTurnEnd({
      turnEnded: () => {
        order.push("first");
        atTurnEnd({ turnEnded: () => order.push("added") });
      },
    });
    atTurnEnd({ turnEnded: () => order.push("second") });
    await Promise.resolve();
    expect(order).toEqual(["first", "second", "added"]);
  });
});
