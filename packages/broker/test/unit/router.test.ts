// The router on its own: a real subscription tree, retained store and shared
// picker, with recording delivery targets (the seam a cluster's remote node
// plugs into) and a small plugin host. No broker, no connection.
import type { QoS } from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import { describe, expect, it } from "vitest";
import type { Delivery, DeliveryTarget, SubscriptionEntry } from "../../src/core/delivery-target.js";
import type { PluginHost } from "../../src/core/plugin-host.js";
import { RetainedStore } from "../../src/core/retained.js";
import { Router } from "../../src/core/router.js";
import { SharedPicker } from "../../src/core/shared.js";
import type { Clock } from "../../src/core/timers.js";
import { type ClientInfo, MemoryStore, type PluginMessage } from "../../src/index.js";
import { client, message } from "../plugins/helpers.js";

/** A target that records every copy it is handed. */
class RecordingTarget implements DeliveryTarget {
  readonly deliveries: Delivery[] = [];
  constructor(
    readonly client: ClientInfo | undefined = undefined,
    readonly online = true,
  ) {}
  deliver(delivery: Delivery): void {
    this.deliveries.push(delivery);
  }
}

const fixedClock: Clock = { now: () => 1000, setTimeout: () => 0, clearTimeout: () => {} };

/** A plugin host that allows everything; `receive` and `onPublish` replace its answers. */
function plugins(overrides: Partial<PluginHost> = {}): PluginHost {
  return {
    authenticate: () => ({ accepted: true }),
    authorizePublish: () => true,
    authorizeSubscribe: () => true,
    authorizeReceive: undefined,
    onPublish: (_client, m) => m,
    fire: () => {},
    ...overrides,
  };
}

function routerWith(pluginHost = plugins()) {
  const tree = new SubscriptionTree<SubscriptionEntry>();
  const retained = new RetainedStore();
  const dropped: string[] = [];
  const warnings: unknown[] = [];
  const router = new Router({
    store: new MemoryStore(),
    clock: fixedClock,
    plugins: pluginHost,
    tree,
    retained,
    shared: new SharedPicker("round-robin"),
    emit: () => {},
    has: () => false,
    dropped: (clientId, topic, reason) => dropped.push(`${clientId}:${topic}:${reason}`),
    retainedRefused: (_client, topic, bound) => dropped.push(`retained:${topic}:${bound}`),
    warn: (_message, error) => warnings.push(error),
  });
  /** Subscribe `clientId` (its target) to `filter`. */
  const subscribe = (
    clientId: string,
    filter: string,
    target: DeliveryTarget,
    options: Partial<Omit<SubscriptionEntry, "target">> = {},
  ) =>
    tree.add(filter, clientId, {
      qos: 2,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
      subscriptionIdentifier: undefined,
      ...options,
      target,
    });
  return { router, tree, retained, dropped, warnings, subscribe };
}

const at = (qos: QoS, m: PluginMessage = message("a/b")): PluginMessage => ({ ...m, qos });

describe("the router", () => {
  it("hands each matching target one copy at min(published, granted) QoS [MQTT-3.8.4-8]", () => {
    const { router, subscribe, warnings } = routerWith();
    const low = new RecordingTarget();
    const high = new RecordingTarget();
    subscribe("low", "a/+", low, { qos: 0 });
    subscribe("high", "a/#", high, { qos: 2 });
    router.accept(undefined, at(1));
    expect(low.deliveries.map((d) => d.qos)).toEqual([0]);
    expect(high.deliveries.map((d) => d.qos)).toEqual([1]);
    expect(warnings).toEqual([]);
  });

  it("gives one copy per client for overlapping subscriptions, at the highest QoS, with every Subscription Identifier [MQTT-3.3.4-2] [MQTT-3.3.4-4]", () => {
    const { router, subscribe } = routerWith();
    const target = new RecordingTarget();
    subscribe("c", "a/#", target, { qos: 0, subscriptionIdentifier: 1 });
    subscribe("c", "a/+", target, { qos: 1, subscriptionIdentifier: 2 });
    subscribe("c", "a/b", target, { qos: 2 });
    router.accept(undefined, at(2));
    expect(target.deliveries).toHaveLength(1);
    expect(target.deliveries[0]!.qos).toBe(2);
    expect([...(target.deliveries[0]!.subscriptionIds ?? [])].sort()).toEqual([1, 2]);
    // One copy only: nothing to share an encoding with.
    expect(target.deliveries[0]!.shared).toBeUndefined();
  });

  it("shares one PUBLISH encoding between the copies of a message (architecture section 3)", () => {
    const { router, subscribe } = routerWith();
    const a = new RecordingTarget();
    const b = new RecordingTarget();
    subscribe("a", "a/b", a);
    subscribe("b", "a/b", b);
    router.accept(undefined, at(1));
    expect(a.deliveries[0]!.shared).toBeDefined();
    expect(a.deliveries[0]!.shared).toBe(b.deliveries[0]!.shared);
  });

  it("does not send a message back to its publisher's No Local subscription [MQTT-3.8.3-3]", () => {
    const { router, subscribe } = routerWith();
    const own = new RecordingTarget();
    const other = new RecordingTarget();
    subscribe("me", "a/b", own, { noLocal: true });
    subscribe("other", "a/b", other, { noLocal: true });
    router.accept(client({ clientId: "me" }), at(1));
    expect(own.deliveries).toEqual([]);
    expect(other.deliveries).toHaveLength(1);
  });

  it("clears RETAIN on forwarding unless Retain As Published (5.0 section 3.3.1.3)", () => {
    const { router, subscribe } = routerWith();
    const plain = new RecordingTarget();
    const asPublished = new RecordingTarget();
    subscribe("plain", "a/b", plain);
    subscribe("rap", "a/b", asPublished, { retainAsPublished: true });
    router.accept(undefined, { ...at(1), retain: true });
    expect(plain.deliveries[0]!.retain).toBe(false);
    expect(asPublished.deliveries[0]!.retain).toBe(true);
  });

  it("keeps a retained message and clears it with an empty payload [MQTT-3.3.1-5] [MQTT-3.3.1-10]", () => {
    const { router, retained } = routerWith();
    router.accept(undefined, { ...message("r/1", "kept"), retain: true });
    expect(new TextDecoder().decode(retained.get("r/1")?.payload)).toBe("kept");
    router.accept(undefined, { ...message("r/1", ""), retain: true });
    expect(retained.get("r/1")).toBeUndefined();
  });

  it("gives a shared subscription group's message to one member and says which group it came through (5.0 section 4.8.2)", () => {
    const { router, subscribe } = routerWith();
    const members = [new RecordingTarget(), new RecordingTarget()];
    subscribe("m0", "$share/g/jobs/#", members[0]!);
    subscribe("m1", "$share/g/jobs/#", members[1]!);
    for (let i = 0; i < 4; i++) router.accept(undefined, at(1, message(`jobs/${i}`)));
    expect(members.map((m) => m.deliveries.length)).toEqual([2, 2]);
    expect(members[0]!.deliveries[0]!.group).toEqual({ shareName: "g", filter: "jobs/#" });
  });

  it("skips a target whose client a receive check refuses, and still serves the others", () => {
    const refused = client({ clientId: "refused" });
    const { router, subscribe } = routerWith(plugins({ authorizeReceive: (c) => c.clientId !== "refused" }));
    const no = new RecordingTarget(refused);
    const yes = new RecordingTarget(client({ clientId: "allowed" }));
    subscribe("refused", "a/b", no);
    subscribe("allowed", "a/b", yes);
    router.accept(undefined, at(1));
    expect(no.deliveries).toEqual([]);
    expect(yes.deliveries).toHaveLength(1);
  });

  it("routes what onPublish returns: a changed message, or nothing for null", () => {
    const { router, subscribe } = routerWith(
      plugins({
        onPublish: (_c, m) =>
          m.topic === "drop/me" ? null : { ...m, topic: m.topic, payload: new Uint8Array([7]) },
      }),
    );
    const target = new RecordingTarget();
    subscribe("c", "#", target);
    router.accept(undefined, at(0, message("drop/me")));
    router.accept(undefined, at(0, message("keep/me")));
    expect(target.deliveries.map((d) => [d.message.topic, [...d.message.payload]])).toEqual([
      ["keep/me", [7]],
    ]);
  });

  it("reports a shared hand-over as dropped when no member of the group is left", () => {
    const { router, dropped } = routerWith();
    router.redeliverShared("gone", [
      {
        delivery: { topic: "jobs/1", payload: new Uint8Array(1), shareName: "g", filter: "jobs/#" },
        qos: 1,
        properties: undefined,
      },
    ]);
    expect(dropped).toEqual(["gone:jobs/1:no other member of its shared subscription"]);
  });
});

describe("the router: matching", () => {
  const topics = (t: RecordingTarget) => t.deliveries.map((d) => d.message.topic);

  it("delivers to the exact and wildcard filters that match, and to no other", () => {
    const { router, subscribe } = routerWith();
    const [exact, plus, hash, other] = [0, 1, 2, 3].map(() => new RecordingTarget());
    subscribe("exact", "a/b/c", exact!);
    subscribe("plus", "a/+/c", plus!);
    subscribe("hash", "a/#", hash!);
    for (const f of ["a/b", "b/#", "a/+/d"]) subscribe("other", f, other!);
    router.accept(undefined, message("a/b/c"));
    expect([exact, plus, hash, other].map((t) => topics(t!))).toEqual([["a/b/c"], ["a/b/c"], ["a/b/c"], []]);
  });

  it("matches # at its parent level too, and + on exactly one level, empty ones included (4.7.1.2, 4.7.1.3)", () => {
    const { router, subscribe } = routerWith();
    const hash = new RecordingTarget();
    const plus = new RecordingTarget();
    subscribe("h", "sport/#", hash);
    subscribe("p", "+/+", plus);
    for (const t of ["sport", "sport/tennis/player1", "/finance"]) router.accept(undefined, message(t));
    expect(topics(hash)).toEqual(["sport", "sport/tennis/player1"]);
    expect(topics(plus)).toEqual(["/finance"]);
  });

  it("does not match $-topics with filters starting with # or +; filters naming them do [MQTT-4.7.2-1]", () => {
    const { router, subscribe } = routerWith();
    const all = new RecordingTarget();
    const plus = new RecordingTarget();
    const named = new RecordingTarget();
    subscribe("all", "#", all);
    subscribe("plus", "+/monitor/Clients", plus);
    subscribe("named", "$SYS/#", named);
    subscribe("named", "$SYS/monitor/+", named);
    router.accept(undefined, message("$SYS/monitor/Clients"));
    router.accept(undefined, message("$own/x"));
    expect([topics(all), topics(plus), topics(named)]).toEqual([[], [], ["$SYS/monitor/Clients"]]);
  });

  it("still delivers through an overlapping subscription without No Local, and a message of no client to all [MQTT-3.8.3-3]", () => {
    const { router, subscribe } = routerWith();
    const t = new RecordingTarget();
    subscribe("nl", "x/#", t, { noLocal: true });
    subscribe("nl", "x/+", t);
    const only = new RecordingTarget();
    subscribe("only", "y/#", only, { noLocal: true });
    router.accept(client({ clientId: "nl" }), message("x/1"));
    router.accept(client({ clientId: "only" }), message("y/1"));
    router.accept(undefined, message("y/2"));
    expect([topics(t), topics(only)]).toEqual([["x/1"], ["y/2"]]);
  });

  it("carries only the identifiers of the subscriptions that matched [MQTT-3.3.4-4]", () => {
    const { router, subscribe } = routerWith();
    const t = new RecordingTarget();
    subscribe("ids", "s/#", t, { subscriptionIdentifier: 7 });
    subscribe("ids", "s/+", t, { subscriptionIdentifier: 9 });
    router.accept(undefined, message("s/y/z"));
    expect(t.deliveries.map((d) => d.subscriptionIds)).toEqual([[7]]);
  });

  it("frees every trie node once the last subscriptions go: an emptied tree holds only its root", () => {
    const { router, tree, subscribe } = routerWith();
    const t = new RecordingTarget();
    const filters = ["a/b/c", "a/+/c", "a/#", "$share/g/a/b/#", "+/+/+", "#", "deep/1/2/3/4/5/6/7/8"];
    for (const f of filters) subscribe("u", f, t);
    router.accept(undefined, message("a/b/c"));
    expect(t.deliveries).toHaveLength(2); // one merged copy, one through the shared group
    for (const f of filters) expect(tree.remove(f, "u")).toBe(true);
    expect([tree.size, tree.nodeCount]).toEqual([0, 1]);
    router.accept(undefined, message("a/b/c"));
    expect(t.deliveries).toHaveLength(2);
  });

  for (const clients of [3, 20]) {
    // 20 clients, 40 subscriptions: past the count the router aggregates by a scan (a map then).
    it(`aggregates overlapping subscriptions per client among ${clients} clients, and reuses nothing stale on the next message [MQTT-3.3.4-2] [MQTT-3.3.4-4]`, () => {
      const { router, subscribe } = routerWith();
      const targets = Array.from({ length: clients }, () => new RecordingTarget());
      for (const [i, target] of targets.entries()) {
        subscribe(`c${i}`, "a/#", target, { qos: 0, subscriptionIdentifier: 2 * i + 1 });
        subscribe(`c${i}`, "a/+", target, { qos: (i % 2) as QoS, subscriptionIdentifier: 2 * i + 2 });
      }
      const only = new RecordingTarget();
      subscribe("only", "a/c", only, { qos: 1, retainAsPublished: true });
      router.accept(undefined, at(2));
      for (const [i, target] of targets.entries()) {
        expect(target.deliveries).toHaveLength(1);
        expect(target.deliveries[0]!.qos).toBe(i % 2);
        expect([...(target.deliveries[0]!.subscriptionIds ?? [])].sort((x, y) => x - y)).toEqual([
          2 * i + 1,
          2 * i + 2,
        ]);
      }
      // A single subscriber next: its own QoS, flags and no identifier left over from the slots.
      router.accept(undefined, { ...at(2, message("a/c")), retain: true });
      expect(only.deliveries).toHaveLength(1);
      expect(only.deliveries[0]).toMatchObject({ qos: 1, retain: true, subscriptionIds: undefined });
      expect(targets.map((t) => t.deliveries.length)).toEqual(targets.map(() => 2));
      expect(targets[0]!.deliveries[1]!.subscriptionIds).toEqual([1, 2]);
    });
  }

  it("lets go of the aggregation slots of a large fan-out once messages match few subscriptions again (bounded scratch space)", () => {
    const { router, subscribe } = routerWith();
    const many = Array.from({ length: 100 }, () => new RecordingTarget());
    for (const [i, target] of many.entries()) subscribe(`m${i}`, "wide/t", target);
    const one = new RecordingTarget();
    subscribe("a", "few/t", one);
    subscribe("b", "few/t", new RecordingTarget());
    const slots = () =>
      (router as unknown as { scratch: { targets: unknown[] }[] }).scratch[0]?.targets.length;
    router.accept(undefined, message("wide/t"));
    expect(many.every((t) => t.deliveries.length === 1)).toBe(true);
    expect(slots()).toBe(100);
    router.accept(undefined, message("few/t"));
    expect(one.deliveries).toHaveLength(1);
    expect(slots()).toBeLessThanOrEqual(16);
  });

  it("routes a message published from inside a delivery without disturbing the copies of the message being routed", () => {
    const { router, subscribe } = routerWith();
    const b = new RecordingTarget();
    const c = new RecordingTarget();
    // A target whose delivery publishes at once (as a plugin hook may, synchronously).
    const echo = new (class extends RecordingTarget {
      override deliver(delivery: Delivery): void {
        super.deliver(delivery);
        if (delivery.message.topic === "multi/t") router.accept(undefined, message("echo/t"));
      }
    })();
    for (const [id, target] of [
      ["a", echo],
      ["b", b],
      ["c", c],
    ] as const) {
      subscribe(id, "multi/#", target, { subscriptionIdentifier: 7 });
      subscribe(id, "multi/t", target);
    }
    subscribe("b", "echo/t", b);
    subscribe("c", "echo/+", c);
    router.accept(undefined, message("multi/t"));
    const topics = (t: RecordingTarget) => t.deliveries.map((d) => d.message.topic).sort();
    expect(topics(echo)).toEqual(["multi/t"]);
    expect(topics(b)).toEqual(["echo/t", "multi/t"]);
    expect(topics(c)).toEqual(["echo/t", "multi/t"]);
    for (const t of [echo, b, c]) {
      const outer = t.deliveries.find((d) => d.message.topic === "multi/t");
      expect(outer?.subscriptionIds).toEqual([7]);
    }
  });
});
