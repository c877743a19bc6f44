import type { ClusterStats } from "../cluster/cluster-stats.js";

/** Counters kept by the broker (aMQTT's `$SYS` topics are made from these). */
export interface BrokerStats {
  startedAt: number;
  bytesReceived: number;
  bytesSent: number;
  messagesReceived: number;
  messagesSent: number;
  publishReceived: number;
  publishSent: number;
  clientsConnected: number;
  clientsDisconnected: number;
  clientsMaximum: number;
  clientsTotal: number;
  inflightIn: number;
  inflightOut: number;
  storedMessages: number;
  retainedCount: number;
  /** Retained messages not kept because of `max_retained_messages` / `max_retained_bytes` (logged, rate-limited). */
  retainedRefused: number;
  subscriptionsCount: number;
  /** Messages dropped by a bound (a subscriber's queue, an offline queue, the retained store, a packet size). */
  messagesDropped: number;
  /** Times a publisher was paused by opt-in backpressure (`publisher_backpressure`). */
  publisherPauses: number;
  /** Total ms publishers spent paused by opt-in backpressure. */
  publisherPausedMs: number;
  /** Clients disconnected for acknowledging nothing for `ack_timeout`. */
  ackTimeoutDisconnects: number;
  /** PUBLISH packets over a client's message or byte rate whose client was slowed (socket left unread). */
  publishThrottled: number;
  /** 5.0 clients disconnected with 0x96 Message rate too high. */
  rateLimitDisconnects: number;
  /** Connections closed at once for a listener's `max_connection_rate`. */
  connectionsRateLimited: number;
  /** CONNECTs refused with Server busy / Server unavailable for `max_clients`. */
  clientsRefusedBusy: number;
  /** QoS 0 messages dropped because the message memory budget (`max_message_memory`) was spent. */
  memoryBudgetDrops: number;
  /** Bytes of messages queued behind in-flight windows and unwritten in transports now (what the budget counts). */
  messageMemory: number;
  /** This node's view of its cluster, when the broker is a cluster node. */
  cluster?: ClusterStats;
}
