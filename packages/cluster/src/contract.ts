/**
 * The cluster contract: what the broker nodes of one cluster agree on through a
 * shared engine (Redis/Valkey today; NATS JetStream could follow as one more
 * package). The broker keeps hot state in memory and asks the engine only what
 * nodes must agree on: who is alive, who owns a session (with an epoch that
 * fences a stalled old owner), which node has subscriptions matching a topic,
 * and a durable, ordered, at-least-once channel between nodes.
 *
 * Every call that reaches the engine has a timeout (`ClusterOptions.requestTimeoutMs`)
 * and fails with {@link ClusterUnavailableError} when the engine cannot answer, so
 * the broker can refuse what needs the engine (CONNACK Server Unavailable) while
 * local traffic goes on.
 */

/** A node's identity and liveness, as the engine last saw it. */
export interface ClusterNode {
  /** Stable id of the node (configured `node_id`, or generated at start). */
  readonly nodeId: string;
  /** Wall-clock ms when the node joined. */
  readonly joinedAt: number;
  /** Wall-clock ms at which its lease expires unless renewed. */
  readonly leaseExpiresAt: number;
}

/** Who owns a session now, and since which claim. */
export interface SessionOwnership {
  /** The owning node. */
  readonly nodeId: string;
  /**
   * Monotonic per client id: every claim increments it. A write or a hand-over
   * carrying an older epoch is refused (fencing).
   */
  readonly epoch: number;
}

/** The answer to {@link ClusterBus.claimSession}. */
export interface SessionClaim {
  /** The new ownership (this node, the incremented epoch). */
  readonly ownership: SessionOwnership;
  /** The owner before this claim, when there was one (take-over from that node). */
  readonly previous: SessionOwnership | undefined;
}

/**
 * A named lease (for example `bridge:<name>`): at most one node of the cluster
 * holds it at a time, until `expiresAt` unless renewed, with the same rules as
 * session ownership: the epoch grows with every new holder (fencing).
 */
export interface NamedLease {
  /** The lease's name. */
  readonly name: string;
  /** The holding node. */
  readonly nodeId: string;
  /**
   * Monotonic per name: a new holder (the lease was free, lapsed or released)
   * gets the previous epoch + 1; a renewal by the holder keeps it.
   */
  readonly epoch: number;
  /** Engine-clock ms at which the lease lapses unless renewed. */
  readonly expiresAt: number;
  /** What the holder attached at its last take or renewal (status for the other nodes), or `undefined`. */
  readonly info: string | undefined;
}

/** One envelope received from another node. */
export interface ClusterEnvelope {
  /** The sending node. */
  readonly from: string;
  /** The channel the sender used (for example `"deliver"`, `"control"`). */
  readonly channel: string;
  /**
   * Unique per sender and stable across redeliveries: receivers de-duplicate
   * with it (at-least-once in, exactly-once processing).
   */
  readonly id: string;
  /** The payload, opaque to the bus. */
  readonly body: Uint8Array;
}

/** A route: some node holds subscriptions that match under `filter`. */
export interface ClusterRoute {
  /** The topic filter, without any `$share/<group>/` prefix. */
  readonly filter: string;
  /** The shared-subscription group, or `undefined` for an ordinary subscription. */
  readonly group: string | undefined;
}

/** Nodes that must receive a message published to a topic. */
export interface RouteMatch {
  /** Nodes with at least one ordinary subscription matching the topic. */
  readonly nodes: ReadonlySet<string>;
  /** Per shared group (key `group\u0000filter`): the nodes with at least one member. */
  readonly shared: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The engine's reachability, as seen by this node. */
export type EngineStatus = "up" | "down";

/** What a bus tells its node, as it happens. */
export interface ClusterEvents {
  /** An envelope for this node. Call `ack` once it is processed (held in the store or delivered); unacked envelopes are redelivered. */
  envelope(envelope: ClusterEnvelope, ack: () => void): void;
  /** A node joined. */
  nodeUp(node: ClusterNode): void;
  /**
   * A node's lease expired without renewal (crash, partition, stall), or it left
   * with `stop()`. Raised once per dead node on every live node; exactly one of
   * them wins {@link ClusterBus.adoptNode}.
   *
   * When `nodeId` is this node's own id, this node lost its lease (it stalled
   * past it, or the engine dropped it): its sessions are no longer its own (the
   * epochs fence it), it stops renewing, and every later call except `stop()`
   * fails with {@link ClusterUnavailableError}. The broker drops its local
   * sessions and rejoins with `stop()` then `start()`.
   */
  nodeDown(nodeId: string): void;
  /** The engine became unreachable (`"down"`) or reachable again (`"up"`). */
  engineStatus(status: EngineStatus): void;
}

/** Timing and bounds every implementation honours. */
export interface ClusterOptions {
  /** This node's id. */
  readonly nodeId: string;
  /** Lease length; a node not renewing for this long is declared down. Default 10,000 ms. */
  readonly leaseMs?: number;
  /** How long an engine call may take before it fails with {@link ClusterUnavailableError}. Default 2,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Most envelopes this node holds received but unacknowledged; beyond it reading pauses. Default 10,000. */
  readonly maxUnackedEnvelopes?: number;
  /**
   * Most envelopes one node's inbox holds in the engine (sent, not yet
   * acknowledged by the receiver); beyond it `send` to that node fails with
   * {@link InboxFullError} (nothing is dropped or trimmed). Default 100,000.
   */
  readonly maxInboxEnvelopes?: number;
}

/**
 * The cluster contract. One instance per broker node. Implementations:
 * `MemoryClusterBus` (in-process, for tests and for several brokers in one
 * process) and `RedisClusterBus` (`@amqtt/cluster-redis`); both pass the
 * conformance suite in `@amqtt/cluster/conformance`.
 */
export interface ClusterBus {
  /** This node's id. */
  readonly nodeId: string;
  /** The engine as this node sees it now. */
  readonly status: EngineStatus;

  /** Join: take a lease, start renewing it, load the route table, start receiving envelopes. */
  start(events: ClusterEvents): Promise<void>;
  /** Leave cleanly: routes and lease of this node are removed; nodes see `nodeDown` at once. */
  stop(): Promise<void>;
  /** Live nodes, from this node's view (this node included). */
  nodes(): readonly ClusterNode[];

  /**
   * Become the owner of `clientId`'s session: increments the epoch atomically and
   * returns the previous owner, if any (so the caller can ask it to hand over).
   */
  claimSession(clientId: string): Promise<SessionClaim>;
  /** The current owner, or `undefined`. */
  sessionOwner(clientId: string): Promise<SessionOwnership | undefined>;
  /** Give up ownership, only if `epoch` is still current; answers whether it was. */
  releaseSession(clientId: string, epoch: number): Promise<boolean>;
  /**
   * Take over what a node declared down leaves behind (its owned sessions become
   * claimable). Exactly one caller in the cluster gets `true` per dead node;
   * that node publishes the dead node's wills, once.
   */
  adoptNode(nodeId: string): Promise<boolean>;
  /** Client ids whose sessions `nodeId` owned (for the adopter). */
  sessionsOwnedBy(nodeId: string): Promise<readonly string[]>;

  /**
   * This node now has (first) subscription(s) under the route; idempotent.
   * Resolves once the engine holds it AND every node live in this node's view
   * has it in its replica (their `match` sees it): a message published on any
   * node after that reaches this node. A node that starts later loads it before
   * its `start` resolves. When some live node does not confirm within
   * `requestTimeoutMs`, rejects with {@link RouteSyncTimeoutError} (the engine
   * holds the route; that node's replica will have it late).
   */
  addRoute(route: ClusterRoute): Promise<void>;
  /** This node has no more subscriptions under the route; idempotent. */
  removeRoute(route: ClusterRoute): Promise<void>;
  /** Nodes (other than this one) with routes matching `topic`, from the local replica of the route table (no engine call). */
  match(topic: string): RouteMatch;

  /**
   * Optional (additive to the first cut of the contract): move what a dead node's
   * inbox still holds (envelopes it never acknowledged) into this node's inbox, so
   * they reach `events.envelope` here with their original `from`, `channel` and
   * `id`, in their original order. Call it after winning {@link adoptNode}; the
   * answer is how many envelopes moved. At-least-once: an adopter that dies half
   * way may leave some to be moved again.
   */
  adoptInbox?(nodeId: string): Promise<number>;

  /**
   * Optional (additive): keep this node's status (opaque bytes, at most
   * {@link MAX_NODE_STATUS_BYTES}) in the engine, replacing the one before; it
   * lives as long as the node's lease (it goes when the node stops or its lease
   * expires) unless published again. The broker publishes its snapshot for the
   * admin surface on an interval. Rejects with {@link NodeStatusTooLargeError}
   * past the bound and with {@link ClusterUnavailableError} when the engine
   * cannot take it.
   */
  publishStatus?(body: Uint8Array): Promise<void>;

  /**
   * Optional, with {@link publishStatus}: the statuses the engine holds for
   * `nodeIds` (a node that never published, stopped, or whose lease expired is
   * absent). One engine round trip, bounded by `requestTimeoutMs`.
   */
  nodeStatuses?(nodeIds: readonly string[]): Promise<ReadonlyMap<string, Uint8Array>>;

  /**
   * Optional (additive): take the named lease if it is free, lapsed or
   * released, or renew it if this node holds it, for `ttlMs` from now on the
   * engine's clock, attaching `info`. Answers the lease as it is after the call:
   * `nodeId` is this node's when it holds it, else the other holder (with the
   * `info` that one attached). A holder that lets it lapse and takes it again
   * gets a new epoch. A node's leases are not freed when the node is declared
   * down: they lapse by their own time.
   */
  acquireLease?(name: string, ttlMs: number, info?: string): Promise<NamedLease>;
  /** Optional (additive): give the lease up, only if this node holds it at `epoch`; answers whether it did. */
  releaseLease?(name: string, epoch: number): Promise<boolean>;

  /**
   * Send an envelope to one node. Resolves once the engine holds it (so a PUBACK
   * may follow); ordered per (sender, receiver, channel); at-least-once.
   * Rejects with {@link ClusterUnavailableError} when the engine cannot take it,
   * and with {@link InboxFullError} when the receiver's inbox holds
   * `maxInboxEnvelopes` already (the receiver is not reading: backpressure, not loss).
   */
  send(nodeId: string, channel: string, body: Uint8Array): Promise<void>;
}

/** Largest status {@link ClusterBus.publishStatus} takes, in bytes (64 KiB). */
export const MAX_NODE_STATUS_BYTES = 65_536;

/** A status given to {@link ClusterBus.publishStatus} is over {@link MAX_NODE_STATUS_BYTES}; nothing was stored. */
export class NodeStatusTooLargeError extends Error {
  override name = "NodeStatusTooLargeError";
  constructor(
    /** Its size in bytes. */
    readonly size: number,
    /** The bound. */
    readonly limit: number,
  ) {
    super(`a node status of ${size} bytes is over the bound of ${limit} bytes`);
  }
}

/** The engine did not answer in time or refused the call; the operation did not happen (or may have: callers treat it as not acknowledged). */
export class ClusterUnavailableError extends Error {
  override name = "ClusterUnavailableError";
}

/** A write carried an epoch that is no longer current: another node owns the session now. */
export class StaleEpochError extends Error {
  override name = "StaleEpochError";
}

/**
 * The receiving node's inbox holds `maxInboxEnvelopes` unacknowledged envelopes;
 * the envelope was not taken (callers treat it as not acknowledged).
 */
export class InboxFullError extends Error {
  override name = "InboxFullError";
  constructor(
    /** The receiving node. */
    readonly nodeId: string,
    /** The bound that was reached. */
    readonly limit: number,
  ) {
    super(`the inbox of node ${nodeId} holds ${limit} envelopes (maxInboxEnvelopes)`);
  }
}

/**
 * A route was added in the engine, but some live nodes did not confirm that
 * their replica holds it within `requestTimeoutMs` (they may route a message
 * published right now without this node).
 */
export class RouteSyncTimeoutError extends Error {
  override name = "RouteSyncTimeoutError";
  constructor(
    /** The live nodes that did not confirm. */
    readonly nodes: readonly string[],
  ) {
    super(`the nodes ${nodes.join(", ")} did not confirm a new route in time`);
  }
}
