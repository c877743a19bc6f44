// Pieces the router and subscriptions unit tests build the broker's core from:
// a plugin host that allows everything, client facts, and a delivery target that
// records what the router hands it. Everything else is the real thing.
import type { QoS } from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import { MemoryStore } from "@amqtt/store";
import type { Delivery, DeliveryTarget, SubscriptionEntry } from "../../src/core/delivery-target.js";
import type { PluginHost } from "../../src/core/plugin-host.js";
import { RetainedStore } from "../../src/core/retained.js";
import { Router } from "../../src/core/router.js";
import { SharedPicker } from "../../src/core/shared.js";
import { systemClock } from "../../src/core/timers.js";
import type { AuthzAnswer, ClientInfo, PluginMessage } from "../../src/plugins/types.js";

/** A plugin host with no plugins: everything is allowed, no event is observed. */
export function allowAll(overrides: Partial<PluginHost> = {}): PluginHost {
  return {
    authenticate: () => ({ accepted: true }),
    authorizePublish: () => true,
    authorizeSubscribe: (): AuthzAnswer => true,
    authorizeReceive: undefined,
    onPublish: (_client, message) => message,
    fire: () => {},
    ...overrides,
  };
}

/** Client facts for `clientId`. */
export function clientInfo(clientId: string, protocolVersion: 3 | 4 | 5 = 5): ClientInfo {
  return {
    clientId,
    username: undefined,
    password: undefined,
    protocolVersion,
    listener: "unit",
    remoteAddress: undefined,
    anonymous: true,
    attributes: new Map(),
  };
}

/** A target that keeps every delivery the router gives it. */
export class RecordingTarget implements DeliveryTarget {
  readonly deliveries: Delivery[] = [];
  online = true;
  constructor(readonly client: ClientInfo) {}
  deliver(delivery: Delivery): void {
    this.deliveries.push(delivery);
  }
}

/** A subscription entry with defaults (QoS 2, no options, no identifier). */
export function entry(target: DeliveryTarget, options: Partial<SubscriptionEntry> = {}): SubscriptionEntry {
  return {
    qos: 2,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    subscriptionIdentifier: undefined,
    target,
    ...options,
  };
}

/** A message as the router takes it. */
export function message(topic: string, qos: QoS = 1, retain = false): PluginMessage {
  return { topic, payload: new TextEncoder().encode(topic), qos, retain };
}

/** A router over a real tree, retained store, memory store and shared picker; `dropped` collects drops. */
export function routerUnderTest(plugins: PluginHost = allowAll()) {
  const tree = new SubscriptionTree<SubscriptionEntry>();
  const retained = new RetainedStore();
  const dropped: string[] = [];
  const warnings: unknown[] = [];
  const router = new Router({
    store: new MemoryStore(),
    clock: systemClock,
    plugins,
    tree,
    retained,
    shared: new SharedPicker("round-robin"),
    emit: () => {},
    has: () => false,
    dropped: (clientId, topic, reason) => dropped.push(`${clientId} ${topic} ${reason}`),
    warn: (_message, error) => warnings.push(error),
  });
  /** Subscribe a new recording target of `clientId` to each filter (same options for all). */
  const subscribe = (clientId: string, filters: string[], options: Partial<SubscriptionEntry> = {}) => {
    const target = new RecordingTarget(clientInfo(clientId));
    for (const f of filters) tree.add(f, clientId, entry(target, options));
    return target;
  };
  return { router, tree, retained, dropped, warnings, subscribe };
}
