import type { PublishProperties, QoS } from "@amqtt/codec";
import { MatchResult, type SharedGroup, type SubscriptionTree } from "@amqtt/message";
import type { SenderSnapshot } from "@amqtt/qos";
import { SharedPublish } from "@amqtt/session";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import type { BrokerStats, ClientInfo, PluginMessage } from "../plugins/types.js";
import type { BrokerStore, QueuedRecord, RetainedRecord } from "../store/types.js";
import { type ClientConnection, now } from "./client-connection.js";
import type { BrokerEvents } from "./events.js";
import { type OfflineMessage, storedMessage } from "./persistence.js";
import { isPromiseLike, type PluginHost } from "./plugin-host.js";
import type { RetainedStore } from "./retained.js";
import type { SessionState, SubscriptionEntry } from "./session-state.js";
import type { SharedPicker } from "./shared.js";
import { SharedDeliveryLog } from "./shared-handover.js";

/** What the router needs from the broker. */
export interface RouterHost {
  readonly store: BrokerStore;
  readonly config: ResolvedBrokerConfig;
  readonly plugins: PluginHost;
  readonly tree: SubscriptionTree<SubscriptionEntry>;
  readonly retained: RetainedStore;
  readonly shared: SharedPicker;
  readonly counters: BrokerStats;
  emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): void;
  has(event: keyof BrokerEvents): boolean;
  /** Report a message dropped by a bound. */
  dropped(clientId: string, topic: string, reason: string): void;
  warn(message: string, error: unknown): void;
}

/** Per-client aggregation of the subscriptions that matched one message. */
interface Target {
  state: SessionState;
  qos: QoS;
  retainAsPublished: boolean;
  ids: number[] | undefined;
}

/**
 * Routes an accepted message: `onPublish` plugins, the retained store, then one
 * copy per subscribed session (online now, or into its offline queue) and one
 * member per shared subscription group. The broker's hot path.
 */
export class Router {
  /** The connection whose PUBLISH is being routed right now (for backpressure). */
  publishing: ClientConnection | undefined;
  private readonly matchResult = new MatchResult<SubscriptionEntry>();
  private readonly targets = new Map<string, Target>();
  /** Async routing steps (plugins) whose store writes a durable acknowledgement must wait for. */
  private asyncRouting: Promise<unknown>[] = [];

  constructor(private readonly host: RouterHost) {}

  /** Routing that went asynchronous since the last call, as one promise (`undefined`: none). */
  takeAsyncRouting(): Promise<unknown> | undefined {
    if (this.asyncRouting.length === 0) return undefined;
    const all = Promise.allSettled(this.asyncRouting);
    this.asyncRouting = [];
    return all;
  }

  /** A message past authorization: `onPublish` plugins, retained store, routing. */
  accept(client: ClientInfo | undefined, message: PluginMessage): void {
    const changed = this.host.plugins.onPublish(client, message);
    if (isPromiseLike(changed)) {
      this.routedLater(
        Promise.resolve(changed).then(
          (m) => m !== null && this.route(client, m),
          (error) => this.host.warn("onPublish failed", error),
        ),
      );
    } else if (changed !== null) this.route(client, changed);
  }

  private route(client: ClientInfo | undefined, message: PluginMessage): void {
    const t = now();
    const expiryInterval = message.properties?.messageExpiryInterval;
    const expiresAt = expiryInterval === undefined ? undefined : t + expiryInterval * 1000;
    if (message.retain) {
      // An empty payload clears the topic (3.1.1 [MQTT-3.3.1-10], 5.0 [MQTT-3.3.1-6]); set() handles both cases.
      const stored = this.host.retained.set({
        topic: message.topic,
        payload: message.payload,
        qos: message.qos,
        properties: message.properties,
        expiresAt,
      });
      if (!stored) this.host.dropped(client?.clientId ?? "", message.topic, "retained store full");
      else {
        const record: RetainedRecord = {
          ...storedMessage({ ...message, retain: true, properties: message.properties, expiresAt }),
          storedAt: Date.now(),
        };
        this.host.store
          .setRetained(record)
          .catch((error) => this.host.warn("storing a retained message failed", error));
      }
      this.host.plugins.fire("onRetainedMessage", client, message);
      this.host.emit("retainedMessage", client, message);
    }
    this.host.plugins.fire("onMessageBroadcast", client, message);
    if (this.host.has("message")) this.host.emit("message", client, message);

    const match = this.host.tree.match(message.topic, this.matchResult);
    const targets = this.targets;
    const publisher = client?.clientId;
    // Several subscriptions of one client give one copy at the highest granted QoS
    // (3.1.1 section 3.3.5), carrying every Subscription Identifier (5.0).
    for (const s of match.subscriptions) {
      const e = s.value;
      // No Local: not back to the publishing client [MQTT-3.8.3-3].
      if (e.noLocal && s.clientId === publisher) continue;
      const t0 = targets.get(s.clientId);
      if (t0 === undefined) {
        targets.set(s.clientId, {
          state: e.state,
          qos: e.qos,
          retainAsPublished: e.retainAsPublished,
          ids: e.subscriptionIdentifier === undefined ? undefined : [e.subscriptionIdentifier],
        });
      } else {
        if (e.qos > t0.qos) t0.qos = e.qos;
        t0.retainAsPublished ||= e.retainAsPublished;
        if (e.subscriptionIdentifier !== undefined) {
          t0.ids ??= [];
          t0.ids.push(e.subscriptionIdentifier);
        }
      }
    }
    // Several copies: the PUBLISH is encoded once per shape and shared (architecture section 3).
    const shared =
      targets.size + match.sharedGroups.length > 1
        ? new SharedPublish(message.topic, message.payload)
        : undefined;
    for (const target of targets.values()) this.deliver(target, message, expiresAt, t, shared);
    targets.clear();
    for (const group of match.sharedGroups)
      this.deliverToGroup(group, message, publisher, expiresAt, t, shared);
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
    const target: Target = {
      state: e.state,
      qos: e.qos,
      retainAsPublished: false,
      ids: e.subscriptionIdentifier === undefined ? undefined : [e.subscriptionIdentifier],
    };
    if (message.qos > 0 && e.qos > 0) {
      e.state.sharedLog ??= new SharedDeliveryLog();
      e.state.sharedLog.record({
        topic: message.topic,
        payload: message.payload,
        shareName: group.shareName,
        filter: group.filter,
      });
    }
    this.deliver(target, message, expiresAt, t, shared);
  }

  /**
   * A session with shared subscriptions ended: its unacknowledged QoS 1/2
   * messages from those groups go to another member (5.0 section 4.8.2). Called
   * after its subscriptions left the tree, so it is not picked again.
   */
  handOverShared(state: SessionState, sender: SenderSnapshot | undefined): void {
    const log = state.sharedLog;
    state.sharedLog = undefined;
    if (log === undefined || sender === undefined) return;
    const t = now();
    for (const { delivery, qos, properties } of log.unacknowledged(sender)) {
      const match = this.host.tree.match(delivery.topic, new MatchResult<SubscriptionEntry>());
      const group = match.sharedGroups.find(
        (g) => g.shareName === delivery.shareName && g.filter === delivery.filter,
      );
      if (group === undefined) {
        this.host.dropped(state.clientId, delivery.topic, "no other member of its shared subscription");
        continue;
      }
      const message: PluginMessage = { topic: delivery.topic, payload: delivery.payload, qos, retain: false };
      if (properties !== undefined) message.properties = properties;
      this.deliverToGroup(group, message, undefined, undefined, t);
    }
  }

  /** One copy to one session: online now, queued while offline, or dropped by a bound (and reported). */
  private deliver(
    target: Target,
    message: PluginMessage,
    expiresAt: number | undefined,
    t: number,
    shared?: SharedPublish,
  ): void {
    const state = target.state;
    const qos = Math.min(message.qos, target.qos) as QoS;
    // The RETAIN flag is cleared on forwarding unless Retain As Published [MQTT-3.3.1-9] (3.1.1), 5.0 section 3.3.1.3.
    const retain = target.retainAsPublished && message.retain;
    let properties = message.properties;
    if (target.ids !== undefined && state.protocolVersion === 5)
      properties = { ...properties, subscriptionIdentifiers: target.ids };
    const check = this.host.plugins.authorizeReceive;
    if (check !== undefined) {
      const allowed = check(state.info, message);
      if (isPromiseLike(allowed)) {
        this.routedLater(
          Promise.resolve(allowed).then(
            (a) =>
              a !== false &&
              typeof a !== "number" &&
              this.send(state, message, qos, retain, properties, expiresAt, now(), shared),
            (error) => this.host.warn("authorizeReceive failed", error),
          ),
        );
        return;
      }
      if (allowed === false || typeof allowed === "number") return;
    }
    this.send(state, message, qos, retain, properties, expiresAt, t, shared);
  }

  private send(
    state: SessionState,
    message: PluginMessage,
    qos: QoS,
    retain: boolean,
    properties: PublishProperties | undefined,
    expiresAt: number | undefined,
    t = now(),
    shared?: SharedPublish,
  ): void {
    const conn = state.connection;
    if (conn !== undefined && !state.draining) {
      const p = withRemainingExpiry(properties, expiresAt, t);
      if (p === null) return;
      this.host.counters.publishSent++;
      conn.deliver(message.topic, message.payload, qos, retain, p, shared);
      if (qos > 0 && this.publishing !== undefined && conn.congested) this.publishing.pauseFor(conn);
      return;
    }
    // Offline sessions queue QoS 0 only when configured; a session sending its queue takes everything, in order.
    if (qos === 0 && !this.host.config.limits.queueQos0Messages && conn === undefined) return;
    this.enqueue(state, {
      topic: message.topic,
      payload: message.payload,
      qos,
      retain,
      properties,
      expiresAt,
    });
  }

  /** Append to a session's offline queue in the store; drops by its bounds are reported. */
  private enqueue(state: SessionState, m: OfflineMessage): void {
    const record: QueuedRecord = { ...storedMessage(m), enqueuedAt: Date.now() };
    state.enqueues++;
    state.queued++;
    this.host.store.enqueue(state.clientId, record).then(
      (result) => {
        state.queued -= result.dropped + (result.accepted ? 0 : 1);
        if (result.dropped > 0)
          for (let i = 0; i < result.dropped; i++)
            this.host.dropped(state.clientId, m.topic, "offline queue full (oldest dropped)");
        if (!result.accepted) this.host.dropped(state.clientId, m.topic, "offline queue full (refused)");
      },
      (error) => this.host.warn("queueing a message failed", error),
    );
  }

  /** Routing finishing later; a persistent store's acknowledgements wait for it (see `DurableAcks`). */
  private routedLater(step: Promise<unknown>): void {
    if (this.host.store.persistent) this.asyncRouting.push(step);
  }
}

/**
 * The properties to send with a message that expires at `expiresAt`: the Message
 * Expiry Interval becomes the time left (5.0 section 3.3.2.3.3). `null` when it
 * already expired and must not be sent.
 */
export function withRemainingExpiry(
  properties: PublishProperties | undefined,
  expiresAt: number | undefined,
  t: number,
): PublishProperties | undefined | null {
  if (expiresAt === undefined) return properties;
  const left = Math.ceil((expiresAt - t) / 1000);
  if (left <= 0) return null;
  return { ...properties, messageExpiryInterval: left };
}

/** The plugin view of a received PUBLISH or a will (no undefined `properties`). */
export function messageOf(m: {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}): PluginMessage {
  const message: PluginMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) message.properties = m.properties;
  return message;
}
