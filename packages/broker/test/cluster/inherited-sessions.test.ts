import { describe, expect, it } from "vitest";
import {
  InheritedSessions,
  MAX_INHERITED_NODES,
  MAX_INHERITED_PER_NODE,
} from "../../src/cluster/inherited-sessions.js";

describe("InheritedSessions (sessions taken from a dead or silent node)", () => {
  it("answers the client ids taken from each node, and undefined for a node none was taken from", () => {
    const inherited = new InheritedSessions();
    inherited.add("a", "c1");
    inherited.add("a", "c2");
    inherited.add("b", "c3");
    expect([...inherited.of("a")!]).toEqual(["c1", "c2"]);
    expect([...inherited.of("b")!]).toEqual(["c3"]);
    expect(inherited.of("c")).toBeUndefined();
  });

  it(`remembers at most ${MAX_INHERITED_NODES} nodes, forgetting the oldest first`, () => {
    const inherited = new InheritedSessions();
    for (let n = 0; n <= MAX_INHERITED_NODES; n++) inherited.add(`node${n}`, "c");
    expect(inherited.nodes).toBe(MAX_INHERITED_NODES);
    expect(inherited.of("node0")).toBeUndefined();
    expect(inherited.of(`node${MAX_INHERITED_NODES}`)).toBeDefined();
  });

  it(`remembers at most ${MAX_INHERITED_PER_NODE} client ids per node`, () => {
    const inherited = new InheritedSessions();
    for (let i = 0; i <= MAX_INHERITED_PER_NODE; i++) inherited.add("a", `c${i}`);
    expect(inherited.of("a")!.size).toBe(MAX_INHERITED_PER_NODE);
    expect(inherited.of("a")!.has(`c${MAX_INHERITED_PER_NODE}`)).toBe(false);
  });
});
