import type { QoS } from "@amqtt/codec";
import { MatchResult, type SharedGroup, type Subscription, type SubscriptionTree } from "@amqtt/message";
import { SharedPublish } from "@amqtt/session";
import type { BrokerStore, RetainedRecord } from "@amqtt/store";
import type { ClientInfo, PluginMessage } from "../plugins/types.js";
import type { ClientConnection } from "./client-connection.js";
import type { Delivery, DeliveryTarget, SubscriptionEntry } from "./delivery-target.js";
import type { BrokerEvents } from "./events.js";
import { storedMessage } from "./persistence.js";
import { isPromiseLike, type PluginHost } from "./plugin-host.js";
import { isSysTopic, type RetainedRefusal, type RetainedStore } from "./retained.js";
import type { SharedPicker } from "./shared.js";
import type { Handover } from "./shared-handover.js";
import type { Clock } from "./timers.js";
import { type LatencyHistogram, ROUTING_SAMPLE_EVERY } from "./traffic.js";

/** What the router needs from the broker. */
export interface RouterHost {
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly plugins: PluginHost;
  readonly tree: SubscriptionTree<SubscriptionEntry>;
  readonly retained: RetainedStore;
  readonly shared: SharedPicker;
  emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): void;
  has(event: keyof BrokerEvents): boolean;
  /** Report a message dropped by a bound. */
  dropped(clientId: string, topic: string, reason: string): void;
  /** Report a retained message the retained bounds refused (it is still delivered). */
  retainedRefused(client: ClientInfo | undefined, topic: string, bound: RetainedRefusal): void;
  warn(message: string, error: unknown): void;
  /** Where the time to route each message is recorded (for `/metrics`). */
  readonly routingLatency?: LatencyHistogram;
  /** The cluster this broker is a node of: routed messages also go to other nodes (`undefined`: one broker). */
  readonly remote?: RemoteRouting | undefined;
}

/** How the router hands a message to the other nodes of a cluster (see `src/cluster/`). */
export interface RemoteRouting {
  /**
   * Send `message` to the nodes with matching routes. Answers the local shared
   * groups (of `localGroups`) whose one member is on another node this time,
   * which the router then skips, or `undefined` when it keeps them all.
   */
  forward(
    client: ClientInfo | undefined,
    message: PluginMessage,
    localGroups: readonly SharedGroup<SubscriptionEntry>[],
    /** Only these shared groups (`shareName\u0000filter`): no ordinary subscription, no retained copy. */
    onlyGroups?: ReadonlySet<string>,
  ): ReadonlySet<SharedGroup<SubscriptionEntry>> | undefined;
  /**
   * The engine writes of the QoS 1/2 messages forwarded since the last call,
   * as one promise that rejects when one failed (`undefined`: none).
   */
  takeWrites?(): Promise<unknown> | undefined;
}

/** What a message another node routed here reaches on this node. */
export interface RemoteScope {
  /** The ordinary subscriptions matching the topic. */
  readonly ordinary: boolean;
  /** The shared groups (`shareName\u0000filter`) this node picks the member of. */
  readonly groups: ReadonlySet<string>;
  /** The groups' member may be on any node (a dead node's messages the adopter routes again). */
  readonly anyNode?: boolean;
  /**
   * Only the ordinary subscriptions of these clients (a dead node's messages
   * reach the sessions the adopter took from it, no one else here).
   */
  readonly onlyClients?: ReadonlySet<string>;
}

/** Per-client aggregation of the subscriptions that matched one message (a slot reused from message to message). */
interface Target {
  clientId: string;
  target: DeliveryTarget;
  qos: QoS;
  retainAsPublished: boolean;
  ids: number[] | undefined;
}

/**
 * The scratch space of one routing: the match and the aggregation, in slots
 * kept from message to message (a Map filled and cleared per message allocated
 * hash tables on the hot path). One per routing depth: a target's delivery may
 * route another message before this one is done (a plugin publishing from a hook).
 */
interface Scratch {
  readonly match: MatchResult<SubscriptionEntry>;
  readonly targets: Target[];
  /** Client id to slot, for a message with more than `AGGREGATE_SCAN` matching subscriptions. */
  readonly index: Map<string, number>;
}

/** Up to this many matching subscriptions are aggregated by a scan of the slots; more get a map by client id. */
const AGGREGATE_SCAN = 16;

const NO_SUBSCRIPTIONS: readonly Subscription<SubscriptionEntry>[] = [];

/** What an unused aggregation slot points at (never delivered to). */
const NO_TARGET: DeliveryTarget = {
  client: undefined,
  online: false,
  deliver() {
    throw new Error("an empty routing slot was delivered to");
  },
};

/**
 * Routes an accepted message: `onPublish` plugins, the retained store, then one
 * copy per matching target (a local session delivers now or queues offline) and
 * one member per shared subscription group. The broker's hot path.
 */
export class Router {
  /** The connection whose PUBLISH is being routed right now (for backpressure). */
  private publishing: ClientConnection | undefined;
  /** Scratch space by routing depth (index 0: the usual, not re-entered, routing). */
  private readonly scratch: Scratch[] = [];
  /** Routings in progress (more than one while a delivery routes another message). */
  private depth = 0;
  /** Messages routed, for sampling the routing latency. */
  private routedCount = 0;
  /**
   * Async routing steps (plugins) whose store writes a durable acknowledgement
   * must wait for; each leaves the set when it settles, so QoS 0 traffic that no
   * acknowledgement takes does not pile up.
   */
  private asyncRouting = new Set<Promise<unknown>>();
  /**
   * Async `onPublish` steps that resolve once the cluster engine holds the
   * routed message's copies for other nodes (they reject when it does not).
   */
  private asyncForwards = new Set<Promise<unknown>>();

  constructor(private readonly host: RouterHost) {}

  /** Routing that went asynchronous since the last call, as one promise (`undefined`: none). */
  takeAsyncRouting(): Promise<unknown> | undefined {
    const routing = this.asyncRouting.size === 0 ? undefined : Promise.allSettled(this.asyncRouting);
    const forwards = this.asyncForwards.size === 0 ? undefined : Promise.all(this.asyncForwards);
    this.asyncRouting = new Set();
    this.asyncForwards = new Set();
    if (forwards === undefined) return routing;
    return routing === undefined ? forwards : Promise.all([routing, forwards]);
  }

  /** A PUBLISH of `conn` past authorization: routed, its publisher paused while a subscriber is congested. */
  acceptFrom(conn: ClientConnection, message: PluginMessage): void {
    this.publishing = conn;
    try {
      this.accept(conn.info, message);
    } finally {
      this.publishing = undefined;
    }
  }

  /** A message past authorization: `onPublish` plugins, retained store, routing. */
  accept(client: ClientInfo | undefined, message: PluginMessage): void {
    const changed = this.host.plugins.onPublish(client, message);
    if (isPromiseLike(changed)) {
      const remote = this.host.remote;
      const routed = Promise.resolve(changed).then(
        (m) => {
          if (m === null) return undefined;
          try {
            this.route(client, m);
          } catch (error) {
            this.host.warn("routing a message failed", error);
            return undefined;
          }
          // The copies for other nodes were handed to the engine just now: an
          // acknowledgement waiting on this step waits for the engine too.
          return remote?.takeWrites?.();
        },
        (error) => this.host.warn("onPublish failed", error),
      );
      if (remote === undefined) this.routedLater(routed);
      else this.track(this.asyncForwards, routed);
    } else if (changed !== null) this.route(client, changed);
  }

  /** A message another node of the cluster routed here: its `onPublish` plugins ran there; delivered to `scope` only. */
  acceptRemote(client: ClientInfo | undefined, message: PluginMessage, scope: RemoteScope): void {
    this.route(client, message, scope);
  }

  private route(client: ClientInfo | undefined, message: PluginMessage, scope?: RemoteScope): void {
    const histogram = this.host.routingLatency;
    // One message in ROUTING_SAMPLE_EVERY is timed: two clock reads cost about as much as routing a small message.
    if (histogram === undefined || (++this.routedCount & (ROUTING_SAMPLE_EVERY - 1)) !== 0) {
      this.routeNow(client, message, scope);
      return;
    }
    const t0 = performance.now();
    this.routeNow(client, message, scope);
    histogram.observe((performance.now() - t0) / 1000);
  }

  /**
   * Retain `message` for its topic without routing it (aMQTT `retain_message`);
   * an empty payload clears the topic. Returns the bound that refused it, if one did.
   */
  retainOnly(client: ClientInfo | undefined, message: PluginMessage): RetainedRefusal | undefined {
    const expiryInterval = message.properties?.messageExpiryInterval;
    const t = this.host.clock.now();
    return this.keepRetained(
      client,
      message,
      expiryInterval === undefined ? undefined : t + expiryInterval * 1000,
    );
  }

  /** The retained store's part of routing: kept (and written through), or refused by a bound. */
  private keepRetained(
    client: ClientInfo | undefined,
    message: PluginMessage,
    expiresAt: number | undefined,
  ): RetainedRefusal | undefined {
    // An empty payload clears the topic (3.1.1 [MQTT-3.3.1-10], 5.0 [MQTT-3.3.1-6]); set() handles both cases.
    const retained = {
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      properties: message.properties,
      expiresAt,
      retainedUntil: this.host.retained.untilFor(message.topic, this.host.clock.now()),
    };
    const refusal = this.host.retained.refusal(retained);
    if (refusal !== undefined) this.host.retainedRefused(client, message.topic, refusal);
    else if (this.host.retained.set(retained) && !isSysTopic(message.topic)) {
      // The broker's own `$SYS/` messages stay out of the store: published again at every start.
      const record: RetainedRecord = {
        ...storedMessage(
          { ...message, retain: true, properties: message.properties, expiresAt },
          this.host.clock,
        ),
        storedAt: Date.now(),
      };
      this.host.store.setRetained(record).then(
        (result) => {
          // The store has the same bounds (`storeLimitsOf`); a refusal here means they disagree.
          if (!result.stored) this.host.warn(`the store refused retained ${record.topic}`, result.refusedBy);
        },
        (error) => this.host.warn("storing a retained message failed", error),
      );
    }
    if (refusal === undefined) {
      this.host.plugins.fire("onRetainedMessage", client, message);
      this.host.emit("retainedMessage", client, message);
    }
    return refusal;
  }

  private routeNow(client: ClientInfo | undefined, message: PluginMessage, scope?: RemoteScope): void {
    const depth = this.depth++;
    let scratch = this.scratch[depth];
    if (scratch === undefined) {
      scratch = newScratch();
      this.scratch[depth] = scratch;
    }
    try {
      this.routeWith(scratch, client, message, scope);
    } finally {
      this.depth = depth;
    }
  }

  private routeWith(
    scratch: Scratch,
    client: ClientInfo | undefined,
    message: PluginMessage,
    scope: RemoteScope | undefined,
  ): void {
    const t = this.host.clock.now();
    const expiryInterval = message.properties?.messageExpiryInterval;
    const expiresAt = expiryInterval === undefined ? undefined : t + expiryInterval * 1000;
    if (message.retain) this.keepRetained(client, message, expiresAt);
    this.host.plugins.fire("onMessageBroadcast", client, message);
    if (this.host.has("message"))
      this.host.emit("message", client, message, scope === undefined ? "local" : "cluster");

    const match = this.host.tree.match(message.topic, scratch.match);
    // Other nodes first (their copies are encoded once, before local delivery changes anything).
    const elsewhere =
      scope === undefined
        ? this.host.remote?.forward(client, message, match.sharedGroups)
        : scope.anyNode === true
          ? this.host.remote?.forward(client, message, match.sharedGroups, scope.groups)
          : undefined;
    const publisher = client?.clientId;
    // A dead node's messages the adopter routes again reach only the sessions it took over.
    const only = scope?.onlyClients;
    const subscriptions = scope === undefined || scope.ordinary ? match.subscriptions : NO_SUBSCRIPTIONS;
    const groups = match.sharedGroups;
    if (subscriptions.length === 1 && groups.length === 0) {
      // One subscriber (fan-in): no aggregation, no shared encoding.
      const s = subscriptions[0] as Subscription<SubscriptionEntry>;
      const e = s.value;
      // No Local: not back to the publishing client [MQTT-3.8.3-3].
      if (!(e.noLocal && s.clientId === publisher) && (only === undefined || only.has(s.clientId))) {
        const ids = e.subscriptionIdentifier === undefined ? undefined : [e.subscriptionIdentifier];
        this.deliver(e.target, e.qos, e.retainAsPublished, ids, message, expiresAt, t, undefined);
      }
      return;
    }
    const targets = scratch.targets;
    const count = this.aggregate(scratch, subscriptions, publisher, only);
    // Several copies: the PUBLISH is encoded once per shape and shared (architecture section 3).
    const shared = count + groups.length > 1 ? new SharedPublish(message.topic, message.payload) : undefined;
    for (let i = 0; i < count; i++) {
      const a = targets[i] as Target;
      this.deliver(a.target, a.qos, a.retainAsPublished, a.ids, message, expiresAt, t, shared);
      // The slot is reused by the next message: let go of what it refers to.
      a.target = NO_TARGET;
      a.ids = undefined;
    }
    for (const group of match.sharedGroups) {
      // In a cluster one node picks the member: this one, unless the group went elsewhere.
      if (elsewhere?.has(group)) continue;
      if (scope !== undefined && !scope.groups.has(`${group.shareName}\u0000${group.filter}`)) continue;
      this.deliverToGroup(group, message, publisher, expiresAt, t, shared);
    }
  }

  /**
   * Several subscriptions of one client give one copy at the highest granted QoS
   * (3.1.1 section 3.3.5), carrying every Subscription Identifier (5.0). Fills
   * `scratch.targets[0 .. n)` and returns n.
   */
  private aggregate(
    scratch: Scratch,
    subscriptions: readonly Subscription<SubscriptionEntry>[],
    publisher: string | undefined,
    only: ReadonlySet<string> | undefined,
  ): number {
    const targets = scratch.targets;
    const indexed = subscriptions.length > AGGREGATE_SCAN;
    const index = scratch.index;
    let count = 0;
    for (const s of subscriptions) {
      const e = s.value;
      // No Local: not back to the publishing client [MQTT-3.8.3-3].
      if (e.noLocal && s.clientId === publisher) continue;
      if (only !== undefined && !only.has(s.clientId)) continue;
      let found: Target | undefined;
      if (indexed) {
        const slot = index.get(s.clientId);
        if (slot !== undefined) found = targets[slot];
      } else {
        for (let i = 0; i < count; i++) {
          const a = targets[i] as Target;
          if (a.clientId === s.clientId) {
            found = a;
            break;
          }
        }
      }
      if (found !== undefined) {
        if (e.qos > found.qos) found.qos = e.qos;
        found.retainAsPublished ||= e.retainAsPublished;
        if (e.subscriptionIdentifier !== undefined) {
          found.ids ??= [];
          found.ids.push(e.subscriptionIdentifier);
        }
        continue;
      }
      const ids = e.subscriptionIdentifier === undefined ? undefined : [e.subscriptionIdentifier];
      const slot = targets[count];
      if (slot === undefined)
        targets.push({
          clientId: s.clientId,
          target: e.target,
          qos: e.qos,
          retainAsPublished: e.retainAsPublished,
          ids,
        });
      else {
        slot.clientId = s.clientId;
        slot.target = e.target;
        slot.qos = e.qos;
        slot.retainAsPublished = e.retainAsPublished;
        slot.ids = ids;
      }
      if (indexed) index.set(s.clientId, count);
      count++;
    }
    if (indexed) index.clear();
    // Slots of a past fan-out beyond what routing usually needs are let go.
    if (targets.length > 4 * AGGREGATE_SCAN && count <= AGGREGATE_SCAN) targets.length = AGGREGATE_SCAN;
    return count;
  }

  /** One member of a shared subscription gets the message (5.0 section 4.8.2), remembered for a hand-over. */
  private deliverToGroup(
    group: SharedGroup<SubscriptionEntry>,
    message: PluginMessage,
    publisher: string | undefined,
    expiresAt: number | undefined,
    t: number,
    shared?: SharedPublish,
  ): void {
    const e = this.host.shared.pick(group, message.topic, publisher).value;
    const ids = e.subscriptionIdentifier === undefined ? undefined : [e.subscriptionIdentifier];
    this.deliver(e.target, e.qos, false, ids, message, expiresAt, t, shared, group);
  }

  /**
   * Messages a member of a shared subscription (`from`) never acknowledged go
   * to another member of their group (5.0 section 4.8.2). Called after its
   * subscriptions left the tree, so it is not picked again.
   */
  redeliverShared(from: string, handovers: readonly Handover[]): void {
    const t = this.host.clock.now();
    for (const { delivery, qos, properties } of handovers) {
      const match = this.host.tree.match(delivery.topic, new MatchResult<SubscriptionEntry>());
      const group = match.sharedGroups.find(
        (g) => g.shareName === delivery.shareName && g.filter === delivery.filter,
      );
      if (group === undefined) {
        this.host.dropped(from, delivery.topic, "no other member of its shared subscription");
        continue;
      }
      const message: PluginMessage = { topic: delivery.topic, payload: delivery.payload, qos, retain: false };
      if (properties !== undefined) message.properties = properties;
      this.deliverToGroup(group, message, undefined, undefined, t);
    }
  }

  /** One copy to one target, once the receive check (if any plugin has one) allows it. */
  private deliver(
    target: DeliveryTarget,
    grantedQos: QoS,
    retainAsPublished: boolean,
    subscriptionIds: number[] | undefined,
    message: PluginMessage,
    expiresAt: number | undefined,
    t: number,
    shared: SharedPublish | undefined,
    group?: SharedGroup<SubscriptionEntry>,
  ): void {
    const delivery: Delivery = {
      message,
      qos: (message.qos < grantedQos ? message.qos : grantedQos) as QoS,
      // The RETAIN flag is cleared on forwarding unless Retain As Published [MQTT-3.3.1-9] (3.1.1), 5.0 section 3.3.1.3.
      retain: retainAsPublished && message.retain,
      subscriptionIds,
      expiresAt,
      t,
      shared,
      group: group === undefined ? undefined : { shareName: group.shareName, filter: group.filter },
      publisher: this.publishing,
    };
    const check = this.host.plugins.authorizeReceive;
    const client = target.client;
    if (check !== undefined && client !== undefined) {
      const allowed = check(client, message);
      if (isPromiseLike(allowed)) {
        this.routedLater(
          Promise.resolve(allowed).then(
            (a) =>
              a !== false &&
              typeof a !== "number" &&
              target.deliver({ ...delivery, t: this.host.clock.now(), publisher: undefined }),
            (error) => this.host.warn("authorizeReceive failed", error),
          ),
        );
        return;
      }
      if (allowed === false || typeof allowed === "number") return;
    }
    target.deliver(delivery);
  }

  /** Routing finishing later; a persistent store's acknowledgements wait for it (see `DurableAcks`). */
  private routedLater(step: Promise<unknown>): void {
    if (this.host.store.persistent || this.host.remote !== undefined) this.track(this.asyncRouting, step);
  }

  private track(steps: Set<Promise<unknown>>, step: Promise<unknown>): void {
    steps.add(step);
    const done = () => void steps.delete(step);
    step.then(done, done);
  }
}

/** Fresh scratch space for one routing depth. */
function newScratch(): Scratch {
  return { match: new MatchResult<SubscriptionEntry>(), targets: [], index: new Map() };
}
