// The router by construction: a real subscription tree, retained store and
// memory store, recording targets, no connection and no network.
import { describe, expect, it } from "vitest";
import { allowAll, clientInfo, entry, message, RecordingTarget, routerUnderTest } from "./fixtures.js";

const topics = (t: RecordingTarget) => t.deliveries.map((d) => d.message.topic);

describe("Router: matching", () => {
  it("delivers to exact and wildcard filters that match, and to no other", () => {
    const { router, subscribe } = routerUnderTest();
    const exact = subscribe("exact", ["a/b/c"]);
    const plus = subscribe("plus", ["a/+/c"]);
    const hash = subscribe("hash", ["a/#"]);
    const other = subscribe("other", ["a/b", "b/#", "a/+/d"]);
    router.accept(clientInfo("pub"), message("a/b/c"));
    expect(topics(exact)).toEqual(["a/b/c"]);
    expect(topics(plus)).toEqual(["a/b/c"]);
    expect(topics(hash)).toEqual(["a/b/c"]);
    expect(topics(other)).toEqual([]);
  });

  it("matches # at the parent level too: sport/# receives sport (4.7.1.2)", () => {
    const { router, subscribe } = routerUnderTest();
    const t = subscribe("s", ["sport/#"]);
    router.accept(undefined, message("sport"));
    router.accept(undefined, message("sport/tennis/player1"));
    expect(topics(t)).toEqual(["sport", "sport/tennis/player1"]);
  });

  it("matches + on one level only, empty levels included (4.7.1.3)", () => {
    const { router, subscribe } = routerUnderTest();
    const t = subscribe("p", ["+/+", "/+"]);
    router.accept(undefined, message("/finance"));
    router.accept(undefined, message("a/b/c"));
    // "/finance" matches both "+/+" and "/+": one copy (section 3.3.5 / 4.7).
    expect(topics(t)).toEqual(["/finance"]);
  });

  it("does not match $-topics with filters that start with # or + [MQTT-4.7.2-1]", () => {
    const { router, subscribe } = routerUnderTest();
    const all = subscribe("all", ["#"]);
    const plus = subscribe("plus", ["+/monitor/Clients"]);
    const named = subscribe("named", ["$SYS/#", "$SYS/monitor/+"]);
    router.accept(undefined, message("$SYS/monitor/Clients"));
    router.accept(undefined, message("$own/x"));
    expect(topics(all)).toEqual([]);
    expect(topics(plus)).toEqual([]);
    expect(topics(named)).toEqual(["$SYS/monitor/Clients"]);
  });
});

describe("Router: overlapping subscriptions of one client", () => {
  it("sends one copy at the highest granted QoS of all matching subscriptions [MQTT-3.3.5-1] [MQTT-3.3.4-2]", () => {
    const { router, tree } = routerUnderTest();
    const t = new RecordingTarget(clientInfo("o"));
    tree.add("o/#", "o", entry(t, { qos: 0 }));
    tree.add("o/+", "o", entry(t, { qos: 2 }));
    tree.add("o/x", "o", entry(t, { qos: 1 }));
    router.accept(undefined, message("o/x", 2));
    expect(t.deliveries).toHaveLength(1);
    expect(t.deliveries[0]?.qos).toBe(2);
    // A copy never has a higher QoS than the message was published with.
    router.accept(undefined, message("o/x", 1));
    expect(t.deliveries[1]?.qos).toBe(1);
  });

  it("carries the Subscription Identifier of every matching subscription that has one [MQTT-3.3.4-3] [MQTT-3.3.4-4]", () => {
    const { router, tree } = routerUnderTest();
    const t = new RecordingTarget(clientInfo("ids"));
    tree.add("s/#", "ids", entry(t, { subscriptionIdentifier: 7 }));
    tree.add("s/+", "ids", entry(t, { subscriptionIdentifier: 9 }));
    tree.add("s/x", "ids", entry(t));
    router.accept(undefined, message("s/x"));
    expect(t.deliveries).toHaveLength(1);
    expect([...(t.deliveries[0]?.subscriptionIds ?? [])].sort()).toEqual([7, 9]);
    router.accept(undefined, message("s/y/z"));
    expect(t.deliveries[1]?.subscriptionIds).toEqual([7]);
  });

  it("gives each client its own copy: overlapping clients are not merged", () => {
    const { router, subscribe } = routerUnderTest();
    const a = subscribe("a", ["m/#"], { qos: 0 });
    const b = subscribe("b", ["m/+"], { qos: 1 });
    router.accept(undefined, message("m/1", 2));
    expect(a.deliveries.map((d) => d.qos)).toEqual([0]);
    expect(b.deliveries.map((d) => d.qos)).toEqual([1]);
    // Several copies share one encoding of the PUBLISH.
    expect(a.deliveries[0]?.shared).toBeDefined();
    expect(a.deliveries[0]?.shared).toBe(b.deliveries[0]?.shared);
  });
});

describe("Router: subscription options", () => {
  it("No Local: not back to the publishing client, still to others [MQTT-3.8.3-3]", () => {
    const { router, subscribe } = routerUnderTest();
    const self = subscribe("self", ["n/#"], { noLocal: true });
    const other = subscribe("other", ["n/#"], { noLocal: true });
    router.accept(clientInfo("self"), message("n/1"));
    expect(topics(self)).toEqual([]);
    expect(topics(other)).toEqual(["n/1"]);
    // A message of no client (the broker's own, a will) is not "local" to anyone.
    router.accept(undefined, message("n/2"));
    expect(topics(self)).toEqual(["n/2"]);
  });

  it("No Local on one of two overlapping subscriptions: the other still delivers [MQTT-3.8.3-3]", () => {
    const { router, tree } = routerUnderTest();
    const t = new RecordingTarget(clientInfo("nl"));
    tree.add("x/#", "nl", entry(t, { noLocal: true }));
    tree.add("x/+", "nl", entry(t, { noLocal: false }));
    router.accept(clientInfo("nl"), message("x/1"));
    expect(topics(t)).toEqual(["x/1"]);
  });

  it("clears RETAIN on forwarding unless Retain As Published [MQTT-3.3.1-12] [MQTT-3.3.1-13]", () => {
    const { router, subscribe } = routerUnderTest();
    const plain = subscribe("plain", ["r/#"]);
    const rap = subscribe("rap", ["r/#"], { retainAsPublished: true });
    router.accept(undefined, message("r/1", 1, true));
    router.accept(undefined, message("r/2", 1, false));
    expect(plain.deliveries.map((d) => d.retain)).toEqual([false, false]);
    expect(rap.deliveries.map((d) => d.retain)).toEqual([true, false]);
  });

  it("stores a retained message and clears it with an empty payload (3.1.1 [MQTT-3.3.1-10], 5.0 [MQTT-3.3.1-6])", () => {
    const { router, retained } = routerUnderTest();
    router.accept(undefined, message("keep/1", 1, true));
    expect(retained.size).toBe(1);
    router.accept(undefined, { topic: "keep/1", payload: new Uint8Array(0), qos: 0, retain: true });
    expect(retained.size).toBe(0);
  });
});

describe("Router: shared subscriptions and receive checks", () => {
  it("gives a message to one member of a shared group (5.0 section 4.8.2), besides the plain subscribers", () => {
    const { router, subscribe } = routerUnderTest();
    const m1 = subscribe("m1", ["$share/g/j/+"]);
    const m2 = subscribe("m2", ["$share/g/j/+"]);
    const plain = subscribe("plain", ["j/+"]);
    for (let i = 0; i < 4; i++) router.accept(undefined, message(`j/${i}`));
    expect(m1.deliveries.length + m2.deliveries.length).toBe(4);
    expect(m1.deliveries.length).toBe(2); // round-robin
    expect(plain.deliveries).toHaveLength(4);
    expect(m1.deliveries[0]?.group).toEqual({ shareName: "g", filter: "j/+" });
  });

  it("skips a target the receive check refuses, delivers to the others", () => {
    const plugins = allowAll({ authorizeReceive: (client) => client.clientId !== "denied" });
    const { router, subscribe } = routerUnderTest(plugins);
    const denied = subscribe("denied", ["d/#"]);
    const allowed = subscribe("allowed", ["d/#"]);
    router.accept(undefined, message("d/1"));
    expect(topics(denied)).toEqual([]);
    expect(topics(allowed)).toEqual(["d/1"]);
  });

  it("drops what an onPublish plugin turns into null, and routes what it rewrites", () => {
    const plugins = allowAll({
      onPublish: (_c, m) => (m.topic === "drop" ? null : { ...m, topic: `re/${m.topic}` }),
    });
    const { router, subscribe } = routerUnderTest(plugins);
    const t = subscribe("t", ["#"]);
    router.accept(undefined, message("drop"));
    router.accept(undefined, message("x"));
    expect(topics(t)).toEqual(["re/x"]);
  });
});

describe("Router and unsubscribe: an emptied trie holds no nodes", () => {
  it("frees every node when the last subscriptions go (bound: nodeCount back to 1)", () => {
    const { router, tree, subscribe } = routerUnderTest();
    const filters = ["a/b/c", "a/+/c", "a/#", "$share/g/a/b/#", "+/+/+", "#", "deep/1/2/3/4/5/6/7/8"];
    const t = subscribe("u", filters);
    router.accept(undefined, message("a/b/c"));
    expect(t.deliveries).toHaveLength(2); // one merged copy, one through the shared group
    expect(tree.nodeCount).toBeGreaterThan(1);
    for (const f of filters) expect(tree.remove(f, "u")).toBe(true);
    expect(tree.size).toBe(0);
    expect(tree.nodeCount).toBe(1);
    router.accept(undefined, message("a/b/c"));
    expect(t.deliveries).toHaveLength(2);
  });
});
