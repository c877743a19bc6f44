import { describe, expect, it } from "vitest";
import { InvalidTopicFilterError, MatchResult, SubscriptionTree } from "../src/index.js";

interface Options {
  qos: 0 | 1 | 2;
}

/** "clientId filter" of every non-shared match, sorted, for readable assertions. */
function matched(tree: SubscriptionTree<Options>, topic: string): string[] {
  return tree
    .match(topic)
    .subscriptions.map((s) => `${s.clientId} ${s.filter}`)
    .sort();
}

describe("SubscriptionTree", () => {
  it("starts empty with only its root node", () => {
    const tree = new SubscriptionTree<Options>();
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(1);
    expect(tree.match("a/b").subscriptions).toEqual([]);
    expect([...tree]).toEqual([]);
  });

  it("finds exact, + and # subscriptions that match a topic, and no others", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/b/c", "c1", { qos: 0 });
    tree.add("a/+/c", "c2", { qos: 1 });
    tree.add("a/#", "c3", { qos: 2 });
    tree.add("#", "c4", { qos: 0 });
    tree.add("a/b", "c5", { qos: 0 });
    tree.add("x/#", "c6", { qos: 0 });
    tree.add("+/+/+/+", "c7", { qos: 0 });
    expect(matched(tree, "a/b/c")).toEqual(["c1 a/b/c", "c2 a/+/c", "c3 a/#", "c4 #"]);
    expect(matched(tree, "a")).toEqual(["c3 a/#", "c4 #"]);
    expect(matched(tree, "x")).toEqual(["c4 #", "c6 x/#"]);
    expect(matched(tree, "q/r/s/t")).toEqual(["c4 #", "c7 +/+/+/+"]);
  });

  it("returns the stored value with each subscription", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/+", "c1", { qos: 2 });
    const [sub] = tree.match("a/b").subscriptions;
    expect(sub).toMatchObject({ clientId: "c1", filter: "a/+", shareName: undefined, value: { qos: 2 } });
  });

  it("does not match filters starting with a wildcard against $ topics [MQTT-4.7.2-1]", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("#", "all", { qos: 0 });
    tree.add("+/monitor/Clients", "plus", { qos: 0 });
    tree.add("$SYS/#", "sys", { qos: 0 });
    tree.add("$SYS/monitor/+", "sysplus", { qos: 0 });
    tree.add("$SYS/monitor/Clients", "exact", { qos: 0 });
    tree.add("$share/g/#", "sharedAll", { qos: 0 });
    const result = tree.match("$SYS/monitor/Clients");
    expect(result.subscriptions.map((s) => s.clientId).sort()).toEqual(["exact", "sys", "sysplus"]);
    expect(result.sharedGroups).toEqual([]);
    expect(matched(tree, "monitor/monitor/Clients")).toEqual(["all #", "plus +/monitor/Clients"]);
  });

  it("keeps one subscription per client and filter, replacing the value on a second add", () => {
    const tree = new SubscriptionTree<Options>();
    expect(tree.add("a/b", "c1", { qos: 0 })).toBe(true);
    expect(tree.add("a/b", "c1", { qos: 2 })).toBe(false);
    expect(tree.size).toBe(1);
    expect(tree.get("a/b", "c1")).toEqual({ qos: 2 });
    expect(tree.match("a/b").subscriptions.map((s) => s.value)).toEqual([{ qos: 2 }]);
  });

  it("returns every overlapping subscription of one client, so the broker can merge them", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/b", "c1", { qos: 0 });
    tree.add("a/+", "c1", { qos: 1 });
    tree.add("#", "c1", { qos: 2 });
    expect(tree.size).toBe(3);
    const qos = tree
      .match("a/b")
      .subscriptions.filter((s) => s.clientId === "c1")
      .map((s) => s.value.qos);
    expect(qos.sort()).toEqual([0, 1, 2]);
  });

  it("keeps subscriptions of different clients to the same filter apart", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/+", "c1", { qos: 0 });
    tree.add("a/+", "c2", { qos: 1 });
    expect(matched(tree, "a/x")).toEqual(["c1 a/+", "c2 a/+"]);
    expect(tree.remove("a/+", "c1")).toBe(true);
    expect(matched(tree, "a/x")).toEqual(["c2 a/+"]);
  });

  it("removes a subscription by its exact filter only", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/+", "c1", { qos: 0 });
    expect(tree.remove("a/b", "c1")).toBe(false);
    expect(tree.remove("a/+", "c2")).toBe(false);
    expect(tree.remove("a/#", "c1")).toBe(false);
    expect(tree.remove("a/+/#", "c1")).toBe(false);
    expect(tree.remove("a/#/b", "c1")).toBe(false);
    expect(tree.size).toBe(1);
    expect(tree.remove("a/+", "c1")).toBe(true);
    expect(tree.remove("a/+", "c1")).toBe(false);
    expect(tree.size).toBe(0);
  });

  it("frees every node of a branch once its last subscription is removed", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a/b/c/d", "c1", { qos: 0 });
    tree.add("a/+/c/#", "c1", { qos: 0 });
    tree.add("a/+/x", "c2", { qos: 0 });
    tree.add("$share/g/a/+/c/#", "c3", { qos: 0 });
    const full = tree.nodeCount;
    expect(full).toBeGreaterThan(4);
    tree.remove("a/+/c/#", "c1");
    // The shared subscription still holds the a/+/c/# branch.
    expect(tree.nodeCount).toBe(full);
    tree.remove("$share/g/a/+/c/#", "c3");
    expect(tree.nodeCount).toBeLessThan(full);
    tree.remove("a/+/x", "c2");
    tree.remove("a/b/c/d", "c1");
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(1);
  });

  it("rejects an invalid filter with a typed error and leaves the tree unchanged", () => {
    const tree = new SubscriptionTree<Options>();
    expect(() => tree.add("a/#/b", "c1", { qos: 0 })).toThrow(InvalidTopicFilterError);
    expect(() => tree.add("$share//a", "c1", { qos: 0 })).toThrow(/MQTT-4\.8\.2-1/);
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(1);
    expect(tree.remove("a/#/b", "c1")).toBe(false);
    expect(tree.get("a/#/b", "c1")).toBeUndefined();
  });

  it("reuses a MatchResult passed in, clearing it first", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a", "c1", { qos: 0 });
    tree.add("b", "c2", { qos: 0 });
    const result = new MatchResult<Options>();
    expect(tree.match("a", result)).toBe(result);
    expect(result.subscriptions.map((s) => s.clientId)).toEqual(["c1"]);
    tree.match("b", result);
    expect(result.subscriptions.map((s) => s.clientId)).toEqual(["c2"]);
  });

  it("lists every subscription, shared ones included, when iterated", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("a", "c1", { qos: 0 });
    tree.add("a/+", "c2", { qos: 0 });
    tree.add("$share/g/a/#", "c3", { qos: 0 });
    const all = [...tree].map((s) => `${s.clientId} ${s.shareName ?? "-"} ${s.filter}`).sort();
    expect(all).toEqual(["c1 - a", "c2 - a/+", "c3 g a/#"]);
  });
});

describe("SubscriptionTree shared subscriptions", () => {
  it("returns a shared subscription as one group per ShareName, with all its members", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("$share/consumer1/sport/tennis/+", "s1", { qos: 1 });
    tree.add("$share/consumer1/sport/tennis/+", "s2", { qos: 2 });
    tree.add("$share/consumer2/sport/tennis/+", "s3", { qos: 0 });
    tree.add("sport/tennis/+", "plain", { qos: 0 });
    const result = tree.match("sport/tennis/player1");
    expect(result.subscriptions.map((s) => s.clientId)).toEqual(["plain"]);
    const groups = result.sharedGroups
      .map((g) => `${g.shareName} ${g.filter}: ${g.members.map((m) => m.clientId).sort()}`)
      .sort();
    expect(groups).toEqual(["consumer1 sport/tennis/+: s1,s2", "consumer2 sport/tennis/+: s3"]);
    expect(tree.size).toBe(4);
  });

  it("matches $share/{group}//finance like /finance", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("$share/consumer1//finance", "s1", { qos: 0 });
    expect(tree.match("/finance").sharedGroups.map((g) => g.filter)).toEqual(["/finance"]);
    expect(tree.match("finance").sharedGroups).toEqual([]);
  });

  it("treats the same ShareName on different filters as different shared subscriptions", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("$share/g/a/+", "s1", { qos: 0 });
    tree.add("$share/g/a/#", "s2", { qos: 0 });
    const groups = tree
      .match("a/b")
      .sharedGroups.map((g) => `${g.filter}: ${g.members.map((m) => m.clientId)}`);
    expect(groups.sort()).toEqual(["a/#: s2", "a/+: s1"]);
  });

  it("does not add a member twice when a session subscribes to the same shared subscription again", () => {
    const tree = new SubscriptionTree<Options>();
    expect(tree.add("$share/g/a", "s1", { qos: 0 })).toBe(true);
    expect(tree.add("$share/g/a", "s1", { qos: 1 })).toBe(false);
    expect(tree.size).toBe(1);
    expect(tree.get("$share/g/a", "s1")).toEqual({ qos: 1 });
    expect(tree.get("a", "s1")).toBeUndefined();
    // One UNSUBSCRIBE leaves the shared subscription.
    expect(tree.remove("$share/g/a", "s1")).toBe(true);
    expect(tree.match("a").sharedGroups).toEqual([]);
  });

  it("drops a member on removal and the group with its last member", () => {
    const tree = new SubscriptionTree<Options>();
    tree.add("$share/g/a/+", "s1", { qos: 0 });
    tree.add("$share/g/a/+", "s2", { qos: 0 });
    tree.add("$share/g/a/+", "s3", { qos: 0 });
    expect(tree.remove("$share/g/a/+", "s1")).toBe(true);
    expect(tree.remove("$share/other/a/+", "s2")).toBe(false);
    expect(tree.remove("a/+", "s2")).toBe(false);
    const [group] = tree.match("a/x").sharedGroups;
    expect(group?.members.map((m) => m.clientId).sort()).toEqual(["s2", "s3"]);
    tree.remove("$share/g/a/+", "s3");
    tree.remove("$share/g/a/+", "s2");
    expect(tree.match("a/x").sharedGroups).toEqual([]);
    expect(tree.nodeCount).toBe(1);
  });
});

describe("SubscriptionTree with deep topics", () => {
  it("matches topics of thousands of levels, and shallow ones after them", () => {
    const tree = new SubscriptionTree<number>();
    const deep = Array.from({ length: 5000 }, (_, i) => `l${i}`).join("/");
    tree.add(`${deep}`, "exact", 1);
    tree.add("l0/+/#", "wild", 2);
    tree.add("l0", "short", 3);
    expect(
      tree
        .match(deep)
        .subscriptions.map((s) => s.clientId)
        .sort(),
    ).toEqual(["exact", "wild"]);
    expect(tree.match("l0").subscriptions.map((s) => s.clientId)).toEqual(["short"]);
    expect(tree.match("l0/x").subscriptions.map((s) => s.clientId)).toEqual(["wild"]);
  });
});

describe("SubscriptionTree at the size limits", () => {
  it("matches and removes a filter of 32,768 levels, the most 65,535 bytes allow, without overflowing the stack", () => {
    const tree = new SubscriptionTree<number>();
    const filter = Array.from({ length: 32_768 }, () => "+").join("/");
    tree.add(filter, "deep", 1);
    tree.add("#", "all", 2);
    const topic = "/".repeat(32_767);
    expect(
      tree
        .match(topic)
        .subscriptions.map((s) => s.clientId)
        .sort(),
    ).toEqual(["all", "deep"]);
    expect(tree.match("a").subscriptions.map((s) => s.clientId)).toEqual(["all"]);
    expect(tree.remove(filter, "deep")).toBe(true);
    expect(tree.remove("#", "all")).toBe(true);
    expect(tree.nodeCount).toBe(1);
  });
});

describe("SubscriptionTree with many subscriptions", () => {
  it("lists every subscription when iterated, even with 140,000 children under one level", () => {
    // More children than a spread call (push(...children)) can take as arguments.
    const tree = new SubscriptionTree<number>();
    for (let i = 0; i < 140_000; i++) tree.add(`a/${i}/#`, "c", i);
    tree.add("exact", "c", -1);
    expect(tree.size).toBe(140_001);
    let count = 0;
    for (const _ of tree) count++;
    expect(count).toBe(140_001);
  });
});

describe("SubscriptionTree: many subscribers of one filter (past the index threshold)", () => {
  for (const filter of ["many/one", "many/+", "$share/g/many/+"]) {
    it(`adds, replaces, finds and removes 40 clients of ${filter} in any order`, () => {
      const tree = new SubscriptionTree<Options>();
      const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
      for (const id of ids) expect(tree.add(filter, id, { qos: 0 })).toBe(true);
      // A second SUBSCRIBE of the same filter replaces, never adds (5.0 section 4.8.1).
      for (const id of ids) expect(tree.add(filter, id, { qos: 1 })).toBe(false);
      expect(tree.size).toBe(40);
      // Remove every third, then the rest backwards: the scan and the index must agree throughout.
      const order = [...ids.filter((_, i) => i % 3 === 0), ...ids.filter((_, i) => i % 3 !== 0).reverse()];
      const left = new Set(ids);
      for (const id of order) {
        expect(tree.remove(filter, id)).toBe(true);
        expect(tree.remove(filter, id)).toBe(false);
        left.delete(id);
        for (const other of left) expect(tree.get(filter, other)).toEqual({ qos: 1 });
        expect(tree.get(filter, id)).toBeUndefined();
        const m = tree.match("many/one");
        const got = filter.startsWith("$share/")
          ? (m.sharedGroups[0]?.members ?? []).map((s) => s.clientId)
          : m.subscriptions.map((s) => s.clientId);
        expect(got.sort()).toEqual([...left].sort());
      }
      expect(tree.size).toBe(0);
      expect(tree.nodeCount).toBe(1);
    });
  }
});
