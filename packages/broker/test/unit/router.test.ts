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
  const refusedRetained: string[] = [];
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
    warn: (_message, error) => warnings.push(error),
    retainedRefused: (_client, topic, bound) => refusedRetained.push(`${topic}:${bound}`),
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
  return { router, tree, retained, dropped, warnings, refusedRetained, subscribe };
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
