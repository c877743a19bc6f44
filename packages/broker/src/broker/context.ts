import type { QoS } from "@amqtt/codec";
import { checkTopicFilter, checkTopicName, parseTopicFilter } from "@amqtt/message";
import type { SessionRecord } from "@amqtt/store";
import type { SubscriptionEntry } from "../core/delivery-target.js";
import { NEVER_EXPIRES, type SessionState } from "../core/session-state.js";
import {
  type AddSubscriptionOptions,
  type AddSubscriptionResult,
  type BrokerContext,
  type BrokerMetrics,
  DISCONNECT_REASONS,
  type DisconnectReasonName,
  InvalidSubscriptionError,
  type ListenerInfo,
  type RetainedInfo,
  type RetainMessage,
  type RetainOutcome,
  type SessionInfo,
  SessionOnlineError,
  type SubscriptionInfo,
} from "../plugins/context-types.js";
import type { BrokerStats } from "../plugins/types.js";
import type { BrokerCore } from "./core.js";
import type { ListenerAddress } from "./options.js";

/** What the context reads besides the core: the open listeners, the plugin manager's timeouts. */
export interface BrokerContextSources {
  addresses(): ListenerAddress[];
  hookTimeouts(): number;
}

/**
 * The {@link BrokerContext} of one broker: plugins get it as `context.broker`,
 * the admin API and embedders as `broker.context`. Reads copy the in-memory
 * state; writes go through the same paths as MQTT packets (subscription tree,
 * session records, retained store, DISCONNECT) and are written to the store.
 */
export class LocalBrokerContext implements BrokerContext {
  constructor(
    private readonly core: BrokerCore,
    private readonly sources: BrokerContextSources,
  ) {}

  sessions(): SessionInfo[] {
    return [...this.core.registry.sessions.values()].map(sessionInfo);
  }

  session(clientId: string): SessionInfo | undefined {
    const state = this.core.registry.sessions.get(clientId);
    return state === undefined ? undefined : sessionInfo(state);
  }

  subscriptions(clientId?: string): SubscriptionInfo[] {
    const sessions = this.core.registry.sessions;
    if (clientId !== undefined) {
      const state = sessions.get(clientId);
      return state === undefined ? [] : subscriptionsOf(state);
    }
    const out: SubscriptionInfo[] = [];
    for (const state of sessions.values()) out.push(...subscriptionsOf(state));
    return out;
  }

  retainedMessages(filter = "#"): RetainedInfo[] {
    const problem = checkTopicFilter(filter);
    if (problem !== undefined) throw new InvalidSubscriptionError("filter", problem.message);
    return this.core.retained.match(filter, this.core.clock.now()).map((r) => ({
      topic: r.topic,
      payload: r.payload,
      qos: r.qos,
      properties: r.properties,
    }));
  }

  retainedMessage(topic: string): RetainedInfo | undefined {
    const r = this.core.retained.get(topic);
    if (r === undefined || (r.expiresAt !== undefined && r.expiresAt <= this.core.clock.now()))
      return undefined;
    return { topic: r.topic, payload: r.payload, qos: r.qos, properties: r.properties };
  }

  addSubscription(
    clientId: string,
    filter: string,
    options: AddSubscriptionOptions = {},
  ): AddSubscriptionResult {
    if (clientId.length === 0) throw new InvalidSubscriptionError("clientId", "a client id is required");
    const problem = checkTopicFilter(filter);
    if (problem !== undefined) throw new InvalidSubscriptionError("filter", problem.message);
    const qos = options.qos ?? 0;
    if (qos !== 0 && qos !== 1 && qos !== 2) throw new InvalidSubscriptionError("qos", "qos is 0, 1 or 2");
    const core = this.core;
    let state = core.registry.sessions.get(clientId);
    const createdSession = state === undefined;
    if (state === undefined) state = this.offlineSession(clientId);
    const entry: SubscriptionEntry = {
      qos: Math.min(qos, core.config.capabilities.maxQos) as QoS,
      noLocal: options.noLocal ?? false,
      retainAsPublished: options.retainAsPublished ?? false,
      retainHandling: options.retainHandling ?? 0,
      subscriptionIdentifier: undefined,
      target: state,
    };
    const added = core.tree.add(filter, clientId, entry);
    state.filters.set(filter, entry);
    this.saved(state);
    core.plugins.fire("onClientSubscribed", state.info, filter, entry.qos);
    return { createdSession, added };
  }

  removeSubscription(clientId: string, filter: string): boolean {
    const state = this.core.registry.sessions.get(clientId);
    if (state === undefined || !state.filters.has(filter)) return false;
    this.core.tree.remove(filter, clientId);
    state.filters.delete(filter);
    this.saved(state);
    this.core.plugins.fire("onClientUnsubscribed", state.info, filter);
    return true;
  }

  retainMessage(message: RetainMessage): RetainOutcome {
    const problem = checkTopicName(message.topic);
    if (problem !== undefined) throw new InvalidSubscriptionError("filter", problem.message);
    const payload =
      typeof message.payload === "string" ? new TextEncoder().encode(message.payload) : message.payload;
    const refusedBy = this.core.router.retainOnly(undefined, {
      topic: message.topic,
      payload,
      qos: message.qos ?? 0,
      retain: true,
      ...(message.properties === undefined ? {} : { properties: message.properties }),
    });
    return refusedBy === undefined ? { stored: true } : { stored: false, refusedBy };
  }

  disconnect(clientId: string, reason: DisconnectReasonName = "AdministrativeAction"): boolean {
    const conn = this.core.registry.sessions.get(clientId)?.connection;
    if (conn === undefined || conn.closed) return false;
    conn.disconnect(DISCONNECT_REASONS[reason]);
    return true;
  }

  deleteSession(clientId: string): boolean {
    const state = this.core.registry.sessions.get(clientId);
    if (state === undefined) return false;
    if (state.online) throw new SessionOnlineError(clientId);
    return this.core.registry.endOffline(clientId);
  }

  listeners(): ListenerInfo[] {
    const counts = new Map<string, number>();
    for (const c of this.core.connections) counts.set(c.listener, (counts.get(c.listener) ?? 0) + 1);
    const specs = new Map(this.core.config.listeners.map((l) => [l.name, l]));
    return this.sources.addresses().map((a) => ({
      name: a.name,
      type: a.type === "ws" ? "ws" : "tcp",
      tls: a.tls,
      host: a.host,
      port: a.port,
      connections: counts.get(a.name) ?? 0,
      maxConnections: specs.get(a.name)?.maxConnections ?? 0,
    }));
  }

  stats(): BrokerStats {
    return this.core.stats();
  }

  metrics(): BrokerMetrics {
    const core = this.core;
    const t = core.traffic;
    const byListener = new Map<string, { listener: string; protocolVersion: 3 | 4 | 5; count: number }>();
    for (const c of core.connections) {
      if (c.session.state !== "connected") continue;
      const key = `${c.listener}\u0000${c.protocolVersion}`;
      const row = byListener.get(key);
      if (row === undefined)
        byListener.set(key, { listener: c.listener, protocolVersion: c.protocolVersion, count: 1 });
      else row.count++;
    }
    let queuedBytes = 0;
    for (const c of core.connections) queuedBytes += c.session.queuedBytes;
    let online = 0;
    let offline = 0;
    let offlineQueuedBytes = 0;
    const groups = new Set<string>();
    for (const state of core.registry.sessions.values()) {
      offlineQueuedBytes += state.queuedBytes;
      if (state.online) online++;
      else offline++;
      // The whole `$share/<group>/<filter>` names one group.
      for (const filter of state.filters.keys()) if (filter.startsWith("$share/")) groups.add(filter);
    }
    return {
      publishReceivedByQos: [...t.publishReceivedByQos],
      payloadBytesReceivedByQos: [...t.payloadBytesReceivedByQos],
      publishSentByQos: [...t.publishSentByQos],
      payloadBytesSentByQos: [...t.payloadBytesSentByQos],
      droppedByReason: Object.fromEntries(t.droppedByReason),
      authFailures: t.authFailures,
      pluginHookTimeouts: this.sources.hookTimeouts(),
      routingLatency: t.routing.snapshot(),
      storeFlushLatency: t.storeFlush.snapshot(),
      connectionsByListener: [...byListener.values()],
      sharedGroups: groups.size,
      onlineQueuedBytes: queuedBytes,
      offlineQueuedBytes,
      sessionsOnline: online,
      sessionsOffline: offline,
      retainedBytes: core.retained.byteSize,
    };
  }

  /** A new offline session for a client id that never connected (aMQTT `add_subscription` does the same). */
  private offlineSession(clientId: string): SessionState {
    const core = this.core;
    const cap = core.config.sessionExpiryInterval;
    const record: SessionRecord = {
      version: 1,
      clientId,
      protocolVersion: 4,
      sessionExpiryInterval: cap === undefined ? NEVER_EXPIRES : Math.min(cap, NEVER_EXPIRES),
      subscriptions: [],
      outgoing: { version: 1, kind: "qos-sender", nextSeq: 1, inFlight: [], waiting: [] },
      incoming: { version: 1, kind: "qos-receiver", awaitingRelease: [] },
    };
    core.registry.restore(record, { count: 0, bytes: 0 });
    const state = core.registry.sessions.get(clientId)!;
    state.madeForClient = true;
    return state;
  }

  /** Write a changed session through to the store: live while connected, else as an offline record. */
  private saved(state: SessionState): void {
    const conn = state.connection;
    if (conn !== undefined) void this.core.saver.saveLive(state, conn);
    else this.core.saver.saveOffline(state, state.expiryInterval);
  }
}

function sessionInfo(state: SessionState): SessionInfo {
  const conn = state.connection;
  return {
    clientId: state.clientId,
    online: conn !== undefined,
    username: state.info.username,
    protocolVersion: state.protocolVersion,
    listener: conn?.listener,
    remoteAddress: conn?.info.remoteAddress,
    connectedAt: conn?.connectedAt,
    keepAlive: conn?.keepAlive,
    expiryInterval: conn === undefined ? state.expiryInterval : conn.session.currentSessionExpiryInterval,
    subscriptions: state.filters.size,
    queued: state.queued,
    inflight: conn?.unacknowledged ?? 0,
  };
}

function subscriptionsOf(state: SessionState): SubscriptionInfo[] {
  const out: SubscriptionInfo[] = [];
  for (const [filter, e] of state.filters) {
    out.push({
      clientId: state.clientId,
      filter,
      qos: e.qos,
      noLocal: e.noLocal,
      retainAsPublished: e.retainAsPublished,
      retainHandling: e.retainHandling,
      subscriptionIdentifier: e.subscriptionIdentifier,
      shareGroup: filter.startsWith("$share/") ? parseTopicFilter(filter).shareName : undefined,
    });
  }
  return out;
}
