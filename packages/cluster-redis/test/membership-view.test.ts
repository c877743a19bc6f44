import { describe, expect, it } from "vitest";
import { type MembershipSnapshot, MembershipView } from "../src/membership.js";

/** A snapshot at `now`: each member's lease expiry, and each joined node's run number. */
const snap = (
  now: number,
  members: Record<string, number>,
  joined: Record<string, number>,
): MembershipSnapshot => ({
  now,
  members: new Map(Object.entries(members)),
  joined: new Map(Object.entries(joined)),
});

/** A view of node "a" that has applied `first` as its initial snapshot. */
function viewAfter(first: MembershipSnapshot): MembershipView {
  const view = new MembershipView("a");
  view.apply(first, true, false);
  return view;
}

/** The next (not initial) snapshot, `grace` as after an engine outage. */
const next = (view: MembershipView, snapshot: MembershipSnapshot, grace = false) =>
  view.apply(snapshot, false, grace);

describe("MembershipView", () => {
  it("reports a lapsed run once, not during the grace, and a restart as the old run down then the new up", () => {
    const runs = { a: 1, b: 1 };
    const view = viewAfter(snap(100, { a: 200, b: 200 }, runs));
    // b's lease (200) has lapsed at 300: not reported in the grace, then reported once.
    expect(next(view, snap(300, { a: 400, b: 200 }, runs), true)).toEqual({ up: [], down: [] });
    expect(next(view, snap(300, { a: 400, b: 200 }, runs)).down).toEqual(["b"]);
    expect(next(view, snap(310, { a: 400, b: 200 }, runs)).down).toEqual([]);
    const restart = next(view, snap(320, { a: 400, b: 900 }, { a: 1, b: 2 }));
    expect(restart.up.map((n) => n.nodeId)).toEqual(["b"]);
    expect(restart.down).toEqual([]);
    const again = next(view, snap(330, { a: 400, b: 900 }, { a: 1, b: 3 }));
    expect(again.down).toEqual(["b"]);
    expect(again.up.map((n) => n.nodeId)).toEqual(["b"]);
  });

  it("a node that left (joined, not a member) or vanished (adopted) is down once; this node never is", () => {
    const view = viewAfter(snap(0, { a: 50, b: 50, c: 50 }, { a: 1, b: 1, c: 1 }));
    const changes = next(view, snap(10, { a: 50 }, { a: 1, b: 1 }));
    expect(changes.down.sort()).toEqual(["b", "c"]);
    expect(next(view, snap(20, { a: 10 }, { a: 1 }))).toEqual({ up: [], down: [] });
    expect(view.nodes().map((n) => n.nodeId)).toEqual(["a"]);
  });
});
