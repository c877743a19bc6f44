import type { EngineStatus } from "@amqtt/cluster";

/** What a cluster node counts (since it started). */
export interface ClusterCounters {
  /** Deliver envelopes received from other nodes (duplicates excluded). */
  remoteMessagesIn: number;
  /** Deliver envelopes sent to other nodes (one per node per message). */
  remoteMessagesOut: number;
  /** Envelopes received again after being processed (at-least-once redeliveries), dropped. */
  duplicatesDropped: number;
  /** Sends the engine did not take (the message did not reach that node). */
  sendFailures: number;
  /** Sessions this node handed to another node (its client connected there). */
  sessionsHandedOver: number;
  /** Sessions this node took from another node. */
  sessionsTakenOver: number;
  /**
   * Sessions this node read from a store the nodes share because their owner
   * died or did not hand them over (a reconnect here, or adopting a dead node).
   */
  sessionsFromStore: number;
  /** CONNECTs refused because the engine was down (CONNACK Server Unavailable). */
  connectsRefused: number;
  /** Wills of dead nodes this node published (as the adopter). */
  adoptedWills: number;
  /** New routes some live node did not confirm within the request timeout (their SUBACK went out anyway). */
  routeSyncTimeouts: number;
}

/** A node's view of its cluster, for `$SYS` and monitoring. */
export interface ClusterStats extends ClusterCounters {
  nodeId: string;
  /** Live nodes, this one included. */
  nodes: number;
  engine: EngineStatus;
}

/** Counters at zero. */
export function emptyClusterCounters(): ClusterCounters {
  return {
    remoteMessagesIn: 0,
    remoteMessagesOut: 0,
    duplicatesDropped: 0,
    sendFailures: 0,
    sessionsHandedOver: 0,
    sessionsTakenOver: 0,
    sessionsFromStore: 0,
    connectsRefused: 0,
    adoptedWills: 0,
    routeSyncTimeouts: 0,
  };
}
