import type { PublishProperties, QoS } from "@amqtt/codec";
import type { BrokerStats } from "./stats-types.js";

// What a plugin (and the admin API, and an embedder) can see and do in a running
// broker: aMQTT's `BrokerContext` (sessions, subscriptions, retained messages,
// `add_subscription`, `retain_message`), plus disconnecting a client, the
// listeners and the counters. Every value returned is a copy: changing it
// changes nothing in the broker.

/** One session as the broker holds it: online (connected) or offline (persistent, waiting for its client). */
export interface SessionInfo {
  clientId: string;
  /** True while a connection uses the session. */
  online: boolean;
  username: string | undefined;
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0): the protocol level of its last connection. */
  protocolVersion: 3 | 4 | 5;
  /** The listener its connection came through (online only). */
  listener: string | undefined;
  /** The peer address of its connection (online only). */
  remoteAddress: string | undefined;
  /** When its connection was accepted, ms since the epoch (online only). */
  connectedAt: number | undefined;
  /** The keep alive in force, in seconds (online only). */
  keepAlive: number | undefined;
  /** Seconds the session outlives its connection (0xFFFFFFFF: never expires; 0: ends with it). */
  expiryInterval: number;
  /** Number of subscriptions it holds. */
  subscriptions: number;
  /** Messages waiting in its offline queue. */
  queued: number;
  /** Outgoing QoS 1/2 messages not yet acknowledged (online only, else 0). */
  inflight: number;
}

/** One subscription of one session. */
export interface SubscriptionInfo {
  clientId: string;
  /** The filter as subscribed, `$share/<group>/` prefix included. */
  filter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionIdentifier: number | undefined;
  /** The share name of a shared subscription (`$share/<group>/...`), else undefined. */
  shareGroup: string | undefined;
}

/** One retained message. */
export interface RetainedInfo {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  properties: PublishProperties | undefined;
}

/** One open listener. */
export interface ListenerInfo {
  name: string;
  type: "tcp" | "ws";
  tls: boolean;
  host: string;
  port: number;
  /** Connections open on it now (accepted sessions and handshakes in progress). */
  connections: number;
  /** Its `max_connections` (0: no limit). */
  maxConnections: number;
}

/** Counts of a latency histogram: `counts[i]` observations fell at or below `bounds[i]` seconds (not cumulative); the last counts the rest. */
export interface LatencySnapshot {
  /** Upper bounds in seconds, ascending. */
  bounds: readonly number[];
  /** One count per bound, plus one for larger values. */
  counts: readonly number[];
  /** Sum of the observations, in seconds. */
  sum: number;
  /** Number of observations. */
  count: number;
}

/** Counters beyond {@link BrokerStats}, for `/metrics`: traffic by QoS, drops by reason, latencies. */
export interface BrokerMetrics {
  /** PUBLISH packets received, index = QoS. */
  publishReceivedByQos: readonly [number, number, number];
  /** Payload bytes of the PUBLISH packets received, index = QoS. */
  payloadBytesReceivedByQos: readonly [number, number, number];
  /** PUBLISH packets sent, index = QoS. */
  publishSentByQos: readonly [number, number, number];
  /** Payload bytes of the PUBLISH packets sent, index = QoS. */
  payloadBytesSentByQos: readonly [number, number, number];
  /** Messages dropped by a bound, by reason (`queue-full`, `offline-queue-full`, `retained-count`, ...). */
  droppedByReason: Readonly<Record<string, number>>;
  /** CONNECTs refused by authentication. */
  authFailures: number;
  /** Plugin hook calls that outlived the hook timeout. */
  pluginHookTimeouts: number;
  /** Time to route one message (match and deliver), seconds; one message in 64 is timed. */
  routingLatency: LatencySnapshot;
  /** Time a durable acknowledgement waited for the store's flush, seconds. */
  storeFlushLatency: LatencySnapshot;
  /** Connected clients by listener name and protocol version. */
  connectionsByListener: readonly { listener: string; protocolVersion: 3 | 4 | 5; count: number }[];
  /** Shared subscription groups (distinct `$share/<group>/<filter>`). */
  sharedGroups: number;
  /** Bytes (topic and payload) of QoS 1/2 messages waiting behind connected clients' in-flight windows. */
  onlineQueuedBytes: number;
  /** Bytes (`storedMessageSize`) of the sessions' offline queues in the store, as the broker counts them. */
  offlineQueuedBytes: number;
  /** Sessions online and offline. */
  sessionsOnline: number;
  sessionsOffline: number;
  /** Bytes held by retained messages (clients' ones, as the bound counts them). */
  retainedBytes: number;
}

/** A subscription to add for a client id ({@link BrokerContext.addSubscription}). */
export interface AddSubscriptionOptions {
  /** Granted QoS (default 0). */
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

/** What {@link BrokerContext.addSubscription} did. */
export interface AddSubscriptionResult {
  /** True when no session existed and an offline one was created for the client id (as aMQTT does). */
  createdSession: boolean;
  /** True when the filter was new to the session (false: it replaced one). */
  added: boolean;
}

/** What {@link BrokerContext.retainMessage} did. */
export interface RetainOutcome {
  /** True when kept (or, for an empty payload, cleared). */
  stored: boolean;
  /** The retained bound that refused it. */
  refusedBy?: "count" | "bytes";
}

/** A message to retain without routing it. */
export interface RetainMessage {
  topic: string;
  /** An empty payload clears the topic. */
  payload: Uint8Array | string;
  qos?: QoS;
  properties?: PublishProperties;
}

/**
 * Reason codes a server may send in DISCONNECT (5.0 section 3.14.2.1), by their
 * spec names without spaces. A 3.1.1 client is just disconnected.
 */
export const DISCONNECT_REASONS = {
  NormalDisconnection: 0x00,
  UnspecifiedError: 0x80,
  ImplementationSpecificError: 0x83,
  NotAuthorized: 0x87,
  ServerBusy: 0x89,
  ServerShuttingDown: 0x8b,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
} as const;

/** A DISCONNECT reason a server may send, by name. */
export type DisconnectReasonName = keyof typeof DISCONNECT_REASONS;

/** Whether `name` is a {@link DisconnectReasonName}. */
export function isDisconnectReasonName(name: string): name is DisconnectReasonName {
  return Object.hasOwn(DISCONNECT_REASONS, name);
}

/**
 * The running broker as plugins, the admin API and embedders see it (aMQTT's
 * `BrokerContext`). Reads are synchronous snapshots of the in-memory state;
 * writes take effect at once and are written through to the store.
 */
export interface BrokerContext {
  /** Every session (online and offline persistent ones). */
  sessions(): SessionInfo[];
  /** One session by client id (aMQTT `get_session`). */
  session(clientId: string): SessionInfo | undefined;
  /** Subscriptions, of one client when `clientId` is given. */
  subscriptions(clientId?: string): SubscriptionInfo[];
  /** Retained messages whose topic matches `filter` (default `#`; expired ones are not returned). */
  retainedMessages(filter?: string): RetainedInfo[];
  /** The retained message of one topic. */
  retainedMessage(topic: string): RetainedInfo | undefined;
  /**
   * Subscribe `clientId` to `filter` (aMQTT `add_subscription`): for a connected
   * client at once; an unknown client id gets an offline session that never
   * expires (kept until the client connects with Clean Start 0, or is deleted).
   * @throws InvalidSubscriptionError for an invalid filter or QoS.
   */
  addSubscription(clientId: string, filter: string, options?: AddSubscriptionOptions): AddSubscriptionResult;
  /** Remove one subscription of `clientId`; false when it had none. */
  removeSubscription(clientId: string, filter: string): boolean;
  /**
   * Retain a message for its topic without routing it to anyone (aMQTT
   * `retain_message`); an empty payload clears the topic. Within the retained bounds.
   */
  retainMessage(message: RetainMessage): RetainOutcome;
  /**
   * Disconnect a connected client: 5.0 clients get DISCONNECT with `reason`
   * (default AdministrativeAction), older ones a close. False when not connected.
   */
  disconnect(clientId: string, reason?: DisconnectReasonName): boolean;
  /**
   * Delete an offline session with its subscriptions and queue. False when there
   * is none; throws SessionOnlineError when it is connected (disconnect it first).
   */
  deleteSession(clientId: string): boolean;
  /** The open listeners. */
  listeners(): ListenerInfo[];
  /** The broker's counters. */
  stats(): BrokerStats;
  /** Counters and histograms beyond `stats()` (for `/metrics`). */
  metrics(): BrokerMetrics;
}

/** A subscription the context was asked to add is invalid. */
export class InvalidSubscriptionError extends Error {
  override readonly name = "InvalidSubscriptionError";
  constructor(
    /** `filter` or `qos`. */
    readonly field: "filter" | "qos" | "clientId",
    message: string,
  ) {
    super(message);
  }
}

/** A session the context was asked to delete is connected. */
export class SessionOnlineError extends Error {
  override readonly name = "SessionOnlineError";
  constructor(readonly clientId: string) {
    super(`session ${clientId} is online: disconnect the client first`);
  }
}
