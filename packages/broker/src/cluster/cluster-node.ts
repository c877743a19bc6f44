import {
  type ClusterBus,
  type ClusterEnvelope,
  type ClusterRoute,
  type EngineStatus,
  RouteSyncTimeoutError,
} from "@amqtt/cluster";
import type { BrokerStore, StoredWill } from "@amqtt/store";
import type { LocalSessionRegistry } from "../broker/session-registry.js";
import type { SubscriptionEntry } from "../core/delivery-target.js";
import type { RetainedStore } from "../core/retained.js";
import type { Router } from "../core/router.js";
import type { BrokerConnection } from "../core/session-state.js";
import type { Clock } from "../core/timers.js";
import type { Logger } from "../logger.js";
import { AppliedEnvelopes, appliedQueueId, readApplied } from "./applied-envelopes.js";
import { ClusterSessionRegistry, MAX_PENDING_HANDOVERS } from "./cluster-sessions.js";
import { type ClusterCounters, type ClusterStats, emptyClusterCounters } from "./cluster-stats.js";
import { DEFAULT_DEDUPE_CAPACITY, SeenEnvelopes } from "./dedupe.js";
import {
  CONTROL_CHANNEL,
  type ControlMessage,
  DELIVER_CHANNEL,
  decodeControl,
  encodeControl,
} from "./envelopes.js";
import { Forwarder } from "./forwarder.js";
import { RemoteDelivery } from "./remote-delivery.js";
import { RemoteWills } from "./remote-wills.js";
import { RetainedSync } from "./retained-sync.js";
import { RoutedTree } from "./routes.js";

/** What a cluster node needs from its broker (read lazily: the node is built before the router). */
export interface ClusterNodeHost {
  readonly store: BrokerStore;
  readonly router: Router;
  /** The retained index (a joining node gets the cluster's from another node). */
  readonly retained: RetainedStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The broker's `max_queued_messages` (a handed-over queue keeps the same bound). */
  readonly maxQueued: number;
  /** Collect the connections handed QoS 1/2 copies live into `into` from now on (`undefined`: stop). */
  watchLiveDeliveries(into: Set<BrokerConnection> | undefined): void;
  /** Save a connected session once this synchronous run is done; resolves to whether it is stored. */
  saveAtTurnEnd(conn: BrokerConnection): Promise<boolean>;
  warn(message: string, error: unknown): void;
  /** Close every connection and forget every session of this node (it lost its lease). */
  dropSessions(): void;
}

/** Tuning of a cluster node besides the bus's own options. */
export interface ClusterNodeOptions {
  /** Envelope ids remembered for de-duplication (default 50,000). */
  dedupeCapacity?: number;
  /** Longest wait for an old owner's session hand-over, in ms (default 2,000). */
  handOverTimeoutMs?: number;
  /** Take-overs waiting for their hand-over at once, at most (default 10,000); more CONNECTs get Server unavailable. */
  maxPendingHandOvers?: number;
  /** Shared groups whose next node is remembered, at most (default 10,000). */
  maxRotations?: number;
  /** How long a node waits after `nodeDown` for the dead node's `leaving` before publishing its wills (default 500 ms). */
  leaveGraceMs?: number;
}

/** See {@link ClusterNodeOptions.leaveGraceMs}. */
export const DEFAULT_LEAVE_GRACE_MS = 500;

/**
 * The broker as one node of a cluster: its subscription tree announces routes,
 * the router forwards to the nodes whose routes match, envelopes from other
 * nodes are delivered here (once: de-duplicated by id), the session registry
 * is the cluster's, wills of a dead node are published by the node that adopts
 * it, and the engine's outages are followed (CONNECT refused while it is down;
 * routes announced again when it is back).
 */
export class ClusterNode {
  readonly counters: ClusterCounters = emptyClusterCounters();
  /** The broker's subscription tree, counting local subscriptions per route. */
  readonly tree: RoutedTree<SubscriptionEntry>;
  readonly forwarder: Forwarder;
  private readonly seen: SeenEnvelopes;
  /** Envelopes made durable in a shared store and not yet acknowledged (made on first use). */
  private appliedLog: AppliedEnvelopes | undefined;
  private readonly wills = new RemoteWills();
  private sessions: ClusterSessionRegistry | undefined;
  private local: LocalSessionRegistry | undefined;
  /** Wills of this node's connected clients, so a node joining later learns them. */
  private readonly localWills = new Map<string, StoredWill>();
  private running = false;
  /** Route additions announced and not yet confirmed by the bus (see {@link routesSettled}). */
  private readonly pendingAdds = new Set<Promise<void>>();
  /** The cluster's retained messages for this node when it joins, and for nodes that join. */
  private readonly retainedSync: RetainedSync;
  /** Other nodes' messages delivered here. */
  private readonly delivery: RemoteDelivery;
  /** Handlers of further channels (the `admin` channel of `ClusterView`); each envelope is acknowledged once handled. */
  readonly channels = new Map<string, (envelope: ClusterEnvelope) => void>();

  constructor(
    readonly bus: ClusterBus,
    private readonly host: ClusterNodeHost,
    private readonly options: ClusterNodeOptions = {},
  ) {
    this.seen = new SeenEnvelopes(options.dedupeCapacity ?? DEFAULT_DEDUPE_CAPACITY);
    this.retainedSync = new RetainedSync(bus, host);
    this.tree = new RoutedTree({
      added: (route) => this.routeChange("add", route),
      removed: (route) => this.routeChange("remove", route),
    });
    this.forwarder = new Forwarder(
      bus,
      this.counters,
      (node, topic, error) => {
        this.counters.sendFailures++;
        this.host.logger.warn("a message did not reach another node", { node, topic, error: String(error) });
      },
      options.maxRotations,
      (topic) => this.retainedSync.touched.touch(topic),
    );
    const node = this;
    this.delivery = new RemoteDelivery({
      bus,
      get store() {
        return host.store;
      },
      get router() {
        return host.router;
      },
      counters: this.counters,
      forwarder: this.forwarder,
      get sessions() {
        return node.sessions;
      },
      touchRetained: (topic) => this.retainedSync.touched.touch(topic),
      get applied() {
        return node.applied;
      },
      watchLiveDeliveries: (into) => host.watchLiveDeliveries(into),
      saveAtTurnEnd: (conn) => host.saveAtTurnEnd(conn),
      warn: (message, error) => this.host.warn(message, error),
    });
  }

  /** The cluster's session registry over the broker's local one. */
  registry(local: LocalSessionRegistry): ClusterSessionRegistry {
    const host = this.host;
    this.local = local;
    this.sessions = new ClusterSessionRegistry(
      local,
      {
        bus: this.bus,
        get store() {
          return host.store;
        },
        counters: this.counters,
        handOverTimeoutMs: this.options.handOverTimeoutMs ?? 2000,
        maxPendingHandOvers: this.options.maxPendingHandOvers ?? MAX_PENDING_HANDOVERS,
        maxQueued: this.host.maxQueued,
        warn: (message, error) => this.host.warn(message, error),
      },
      (clientId, will) => this.announceWill(clientId, will),
    );
    return this.sessions;
  }

  /** Join the cluster: lease, route table, envelopes; the routes of restored sessions are announced. */
  async start(): Promise<void> {
    await this.bus.start({
      envelope: (envelope, ack) => this.receive(envelope, ack),
      nodeUp: (node) => this.nodeUp(node.nodeId),
      nodeDown: (nodeId) => void this.nodeDown(nodeId),
      engineStatus: (status) => this.engineStatus(status),
    });
    // The store's sessions this node may own now (their subscriptions enter the tree).
    await this.sessions?.restoreDeferred();
    this.running = true;
    await Promise.all(this.tree.routes().map((r) => this.bus.addRoute(r)));
    this.retainedSync.request();
  }

  /** Leave the cluster cleanly (other nodes see it go at once). */
  async stop(): Promise<void> {
    this.running = false;
    // A shutdown publishes no will (as on one broker): the other nodes hear it before `nodeDown`.
    const leaving = encodeControl({ type: "leaving" });
    await Promise.allSettled(
      this.bus
        .nodes()
        .flatMap((n) =>
          n.nodeId === this.bus.nodeId ? [] : [this.bus.send(n.nodeId, CONTROL_CHANNEL, leaving)],
        ),
    );
    await this.bus.stop();
  }

  /** Counters and the cluster as this node sees it. */
  stats(): ClusterStats {
    return {
      ...this.counters,
      nodeId: this.bus.nodeId,
      nodes: this.bus.nodes().length,
      engine: this.bus.status,
    };
  }

  /**
   * The route additions in flight (the bus resolves each once every live node's
   * replica holds it, or its bound passed), or `undefined` when none is: a SUBACK
   * waits for it so a message published on any node after it is routed here.
   */
  routesSettled(): Promise<void> | undefined {
    if (this.pendingAdds.size === 0) return undefined;
    return Promise.all(this.pendingAdds).then(() => undefined);
  }

  private routeChange(kind: "add" | "remove", route: ClusterRoute): void {
    if (!this.running) return; // announced all at once by start()
    const call = kind === "add" ? this.bus.addRoute(route) : this.bus.removeRoute(route);
    // While the engine is down the change is lost there; `engineStatus("up")` announces the table again.
    const settled = call.catch((error: unknown) => {
      if (error instanceof RouteSyncTimeoutError) {
        this.counters.routeSyncTimeouts++;
        this.host.logger.warn("a new route was not confirmed by every node in time; SUBACK sent anyway", {
          node: this.bus.nodeId,
          filter: route.filter,
          missing: error.nodes.join(","),
        });
        return;
      }
      this.host.warn(`${kind === "add" ? "adding" : "removing"} a route failed`, error);
    });
    if (kind !== "add") return;
    // Each settles (never rejects) within the bus's request timeout: the set stays small.
    this.pendingAdds.add(settled);
    void settled.then(() => this.pendingAdds.delete(settled));
  }

  /** The applied-envelope log, when the store is one the nodes share (only then can an adopter read it). */
  private get applied(): AppliedEnvelopes | undefined {
    if (this.host.store.shared !== true) return undefined;
    this.appliedLog ??= new AppliedEnvelopes(
      () => this.host.store,
      this.bus.nodeId,
      (message, error) => this.host.warn(message, error),
    );
    return this.appliedLog;
  }

  private receive(envelope: ClusterEnvelope, ack: () => void): void {
    if (!this.seen.firstTime(envelope.from, envelope.id)) {
      this.counters.duplicatesDropped++;
      ack();
      return;
    }
    try {
      if (envelope.channel === DELIVER_CHANNEL) this.delivery.deliver(envelope, ack);
      else if (envelope.channel === CONTROL_CHANNEL) this.control(envelope, ack);
      else if (this.channels.has(envelope.channel)) {
        this.channels.get(envelope.channel)!(envelope);
        ack();
      } else {
        this.host.warn(`an envelope on an unknown channel ${envelope.channel}`, envelope.from);
        ack();
      }
    } catch (error) {
      // An envelope this node cannot read would come back forever: it is dropped, loudly.
      this.host.warn("an envelope from another node could not be processed", error);
      ack();
    }
  }

  private control(envelope: ClusterEnvelope, ack: () => void): void {
    const message = decodeControl(envelope.body);
    if (message.type === "retained-request") {
      this.retainedSync.answer(envelope.from).then(ack, (error: unknown) => {
        this.host.warn("sending the retained messages to a joining node failed", error);
        ack();
      });
      return;
    }
    if (message.type === "retained") {
      this.retainedSync.receive(message.messages, message.last);
      ack();
      return;
    }
    if (message.type === "leaving") {
      this.wills.take(envelope.from);
      ack();
      return;
    }
    if (message.type === "will") {
      this.wills.set(envelope.from, message.clientId, message.will);
      ack();
      return;
    }
    const sessions = this.sessions;
    if (sessions === undefined) {
      ack();
      return;
    }
    sessions.control(envelope.from, message).then(ack, (error: unknown) => {
      this.host.warn("a session take-over from another node failed", error);
      ack();
    });
  }

  private announceWill(clientId: string, will: StoredWill | undefined): void {
    if (will === undefined) this.localWills.delete(clientId);
    else this.localWills.set(clientId, will);
    const body = encodeControl({ type: "will", clientId, will });
    for (const node of this.bus.nodes())
      if (node.nodeId !== this.bus.nodeId) this.sendControl(node.nodeId, body);
  }

  private sendControl(node: string, body: Uint8Array): void {
    this.bus.send(node, CONTROL_CHANNEL, body).catch((error: unknown) => {
      this.counters.sendFailures++;
      this.host.warn("a control message did not reach another node", error);
    });
  }

  private nodeUp(nodeId: string): void {
    if (nodeId === this.bus.nodeId) return;
    // A node joining later learns the wills of the clients connected here.
    for (const [clientId, will] of this.localWills) {
      const message: ControlMessage = { type: "will", clientId, will };
      this.sendControl(nodeId, encodeControl(message));
    }
  }

  private async nodeDown(nodeId: string): Promise<void> {
    if (nodeId === this.bus.nodeId) return this.rejoin();
    // Take-overs waiting for its hand-over go on at once (from the store, when shared).
    this.sessions?.nodeGone(nodeId);
    let adopted: boolean;
    try {
      adopted = await this.bus.adoptNode(nodeId);
    } catch (error) {
      this.host.warn(`adopting the dead node ${nodeId} failed`, error);
      return;
    }
    if (!adopted) {
      this.wills.take(nodeId);
      return;
    }
    // With a store the nodes share, its persistent sessions become this node's first, so
    // what its inbox still holds for them (below) reaches them here.
    if (this.sessions !== undefined && this.host.store.shared === true) {
      const sessions = await this.sessions
        .adoptSessions(nodeId)
        .catch((error: unknown) => this.host.warn(`adopting the sessions of ${nodeId} failed`, error));
      this.host.logger.info("sessions of a dead node restored here from the shared store", {
        node: nodeId,
        sessions: sessions ?? 0,
      });
      // CONNECTs being admitted here read their sessions from the store before its inbox comes.
      await this.sessions.admitsSettled();
      // What the dead node made durable but never acknowledged is in those sessions already:
      // its inbox copies are skipped as duplicates (QoS 2 stays exactly once).
      const applied = await readApplied(this.host.store, nodeId, this.seen.capacity).catch(
        (error: unknown) => {
          this.host.warn(`reading the applied envelopes of ${nodeId} failed`, error);
          return [];
        },
      );
      for (const e of applied) this.seen.firstTime(e.from, e.id);
    }
    // What the dead node never acknowledged: its shared groups' messages go to members here,
    // its ordinary ones to the sessions inherited from it.
    // `adoptInbox` is optional in the contract (an engine may not keep a dead node's inbox).
    const bus = this.bus as ClusterBus & { adoptInbox?(nodeId: string): Promise<number> };
    await bus
      .adoptInbox?.(nodeId)
      .catch((error: unknown) => this.host.warn(`adopting the inbox of ${nodeId} failed`, error));
    if (this.host.store.shared === true)
      void this.host.store
        .clearQueue(appliedQueueId(nodeId))
        .catch((error: unknown) =>
          this.host.warn(`clearing the applied envelopes of ${nodeId} failed`, error),
        );
    // A node that stopped gracefully said so just before; its `leaving` may still be on the way.
    await new Promise((resolve) => setTimeout(resolve, this.options.leaveGraceMs ?? DEFAULT_LEAVE_GRACE_MS));
    const wills = this.wills.take(nodeId);
    this.host.logger.warn("a node died; this node publishes its wills", {
      node: nodeId,
      wills: wills.length,
    });
    for (const will of wills) {
      this.counters.adoptedWills++;
      this.local?.publishWill(undefined, will);
    }
  }

  /**
   * This node lost its lease (it stalled past it, or the engine dropped it):
   * its sessions may be another node's now (the epochs fence it). It drops them
   * (their clients reconnect and claim again) and joins again.
   */
  private async rejoin(): Promise<void> {
    this.host.logger.warn("this node lost its cluster lease: dropping its sessions and joining again", {
      node: this.bus.nodeId,
    });
    this.running = false;
    this.host.dropSessions();
    try {
      await this.bus.stop();
      await this.start();
    } catch (error) {
      this.host.warn("joining the cluster again failed", error);
    }
  }

  private engineStatus(status: EngineStatus): void {
    this.host.logger.warn(
      status === "down"
        ? "the cluster engine is down: new connections are refused, local traffic goes on"
        : "the cluster engine is back",
      { node: this.bus.nodeId },
    );
    if (status === "up" && this.running)
      for (const route of this.tree.routes()) this.routeChange("add", route);
  }
}
