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
  /** This node's view of its cluster, when the broker is a cluster node. */
  cluster?: ClusterStats;
}
