import { describe, expect, it } from "vitest";
import { type MembershipSnapshot, MembershipView } from "../src/membership.js";

const snap = (now: number, members: [string, number][], joined: [string, number][]): MembershipSnapshot => ({
  now,
  members: new Map(members),
  joined: new Map(joined),
});

describe("MembershipView", () => {
  it("reports a lapsed run once, not during the grace, and a restart as the old run down then the new up", () => {
    const view = new MembershipView("a");
    view.apply(
      snap(
        100,
        [
          ["a", 200],
          ["b", 200],
        ],
        [
          ["a", 1],
          ["b", 1],
        ],
      ),
      true,
      false,
    );
    expect(
      view.apply(
        snap(
          300,
          [
            ["a", 400],
            ["b", 200],
          ],
          [
            ["a", 1],
            ["b", 1],
          ],
        ),
        false,
        true,
      ),
    ).toEqual({
      up: [],
      down: [],
    });
    expect(
      view.apply(
        snap(
          300,
          [
            ["a", 400],
            ["b", 200],
          ],
          [
            ["a", 1],
            ["b", 1],
          ],
        ),
        false,
        false,
      ).down,
    ).toEqual(["b"]);
    expect(
      view.apply(
        snap(
          310,
          [
            ["a", 400],
            ["b", 200],
          ],
          [
            ["a", 1],
            ["b", 1],
          ],
        ),
        false,
        false,
      ).down,
    ).toEqual([]);
    const restart = view.apply(
      snap(
        320,
        [
          ["a", 400],
          ["b", 900],
        ],
        [
          ["a", 1],
          ["b", 2],
        ],
      ),
      false,
      false,
    );
    expect(restart.up.map((n) => n.nodeId)).toEqual(["b"]);
    expect(restart.down).toEqual([]);
    const again = view.apply(
      snap(
        330,
        [
          ["a", 400],
          ["b", 900],
        ],
        [
          ["a", 1],
          ["b", 3],
        ],
      ),
      false,
      false,
    );
    expect(again.down).toEqual(["b"]);
    expect(again.up.map((n) => n.nodeId)).toEqual(["b"]);
  });

  it("a node that left (joined, not a member) or vanished (adopted) is down once; this node never is", () => {
    const view = new MembershipView("a");
    view.apply(
      snap(
        0,
        [
          ["a", 50],
          ["b", 50],
          ["c", 50],
        ],
        [
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ],
      ),
      true,
      false,
    );
    const changes = view.apply(
      snap(
        10,
        [["a", 50]],
        [
          ["a", 1],
          ["b", 1],
        ],
      ),
      false,
      false,
    );
    expect(changes.down.sort()).toEqual(["b", "c"]);
    expect(view.apply(snap(20, [["a", 10]], [["a", 1]]), false, false)).toEqual({ up: [], down: [] });
    expect(view.nodes().map((n) => n.nodeId)).toEqual(["a"]);
  });
});
