import { type ClusterBus, ClusterUnavailableError } from "@amqtt/cluster";
import { type MqttError, PacketType, ReasonCode } from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import type {
  AuthRequestAction,
  ConnectRequestAction,
  DisconnectedAction,
  MessageAction,
  PublishRequestAction,
  SendAction,
  ServerSessionOptions,
  SubscribeRequestAction,
  UnsubscribeRequestAction,
} from "@amqtt/session";
import type { BrokerStore } from "@amqtt/store";
import type { Connection } from "@amqtt/transport";
import type { ClusterNode, ClusterNodeOptions } from "../cluster/cluster-node.js";
import { clusterNodeOf } from "../cluster/node-of-core.js";
import type { ResolvedBrokerConfig } from "../config/resolve.js";
import type { PublisherBackpressure } from "../config/slow-consumer.js";
import { ClientConnection, type ConnectionHost } from "../core/client-connection.js";
import type { SubscriptionEntry } from "../core/delivery-target.js";
import { DropLog } from "../core/drop-log.js";
import { DurableAcks } from "../core/durable-acks.js";
import type { BrokerEvents } from "../core/events.js";
import { messageOf } from "../core/messages.js";
import { isPromiseLike, type PluginHost } from "../core/plugin-host.js";
import { RefusalLog } from "../core/refusal-log.js";
import { ReleaseGate } from "../core/release-gate.js";
import { RetainedStore } from "../core/retained.js";
import { Router } from "../core/router.js";
import type { BrokerConnection, LocalDelivery, SessionState } from "../core/session-state.js";
import { SharedPicker } from "../core/shared.js";
import { emptyStats } from "../core/stats.js";
import { Subscriptions } from "../core/subscriptions.js";
import { TimerWheel } from "../core/timer-wheel.js";
import type { Clock } from "../core/timers.js";
import { TrafficCounters } from "../core/traffic.js";
import type { Logger } from "../logger.js";
import type { BrokerStats } from "../plugins/types.js";
import { connackProperties } from "./connack.js";
import { ConnectAuth } from "./connect-auth.js";
import { EdgeLimits } from "./edge-limits.js";
import { drainOfflineQueue } from "./offline-drain.js";
import { OfflineQueues } from "./offline-queue.js";
import { PublishPolicy } from "./publish-policy.js";
import { type Admission, LocalSessionRegistry, type SessionRegistry } from "./session-registry.js";
import { SessionSaver } from "./session-saver.js";

/** What the core is built from (the `Broker` facade resolves these). */
export interface BrokerCoreOptions {
  readonly config: ResolvedBrokerConfig;
  readonly plugins: PluginHost;
  readonly store: BrokerStore;
  readonly clock: Clock;
  readonly logger: Logger;
  emit<K extends keyof BrokerEvents>(event: K, ...args: BrokerEvents[K]): void;
  has(event: keyof BrokerEvents): boolean;
  /** The cluster this broker is a node of (see `src/cluster/`). */
  readonly cluster?: ClusterBus | undefined;
  readonly clusterTuning?: ClusterNodeOptions | undefined;
}

/**
 * The broker's machinery behind the `Broker` facade, and what its connections
 * call (`ConnectionHost`, not part of `Broker`'s public type): it wires the
 * job modules (authentication, session registry, publish policy, router,
 * subscriptions, offline queues and drain) and holds the in-memory state.
 */
export class BrokerCore implements ConnectionHost<SessionState> {
  readonly config: ResolvedBrokerConfig;
  readonly plugins: PluginHost;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This broker's wheel for the connections' long deadlines. */
  readonly wheel: TimerWheel;
  /** Options of each new connection's session machine; replaced (never mutated) by a reload, so open sessions keep theirs. */
  sessionOptions: ServerSessionOptions;
  readonly backpressure: PublisherBackpressure | undefined;
  readonly ackTimeoutMs: number;
  readonly contention = { queued: 0 };
  /** Drops logged at most once per `drop_log_interval` per client. */
  readonly dropLog: DropLog;
  readonly retained: RetainedStore;
  readonly tree: SubscriptionTree<SubscriptionEntry>;
  /** This broker as a node of a cluster, when it is one. */
  readonly cluster: ClusterNode | undefined;
  /** True when QoS 1/2 acknowledgements wait on more than the store (the cluster engine). */
  readonly acksWaitOnEngine: boolean;
  readonly shared: SharedPicker;
  readonly counters: BrokerStats;
  /** Traffic by QoS, drops by reason, latencies (for `/metrics`). */
  readonly traffic = new TrafficCounters();
  readonly connections = new Set<BrokerConnection>();
  readonly router: Router;
  readonly saver: SessionSaver;
  readonly local: LocalDelivery;
  readonly registry: SessionRegistry;
  readonly acks: DurableAcks;
  /** QoS 2 PUBRELs to subscribers, held until their stored session says `pubrel` (persistent stores). */
  private readonly releases: ReleaseGate<BrokerConnection>;
  private readonly subscriptions: Subscriptions;
  private readonly auth: ConnectAuth;
  private readonly policy: PublishPolicy;
  /** Rate limits and caps (connections/s, clients, messages and bytes/s, message memory). */
  readonly limits: EdgeLimits;
  /** Protocol errors and retained refusals, logged rate-limited (and counted). */
  readonly refusals: RefusalLog;
  private currentStore: BrokerStore;
  private readonly options: BrokerCoreOptions;

  constructor(options: BrokerCoreOptions) {
    this.options = options;
    const { config, clock } = options;
    this.config = config;
    this.plugins = options.plugins;
    this.clock = clock;
    this.logger = options.logger;
    this.currentStore = options.store;
    this.wheel = new TimerWheel(clock);
    this.cluster =
      options.cluster === undefined
        ? undefined
        : clusterNodeOf(this, options.cluster, config, options.clusterTuning);
    this.tree = this.cluster?.tree ?? new SubscriptionTree<SubscriptionEntry>();
    this.acksWaitOnEngine = this.cluster !== undefined;
    const l = config.limits;
    this.retained = new RetainedStore(l.maxRetainedMessages, l.maxRetainedBytes);
    this.retained.maxAgeMs = l.retainedMessageExpiry * 1000;
    this.sessionOptions = {
      maximumPacketSize: l.maxPacketSize,
      receiveMaximum: l.receiveMaximum,
      topicAliasMaximum: l.topicAliasMaximum,
      maxInFlight: l.maxInflightMessages,
      // 0 in the configuration means no bound (as Mosquitto); 0 to the machine would mean no queue at all.
      maxQueuedMessages: l.maxQueuedMessages || Number.MAX_SAFE_INTEGER,
      maxQueuedBytes: l.maxQueuedBytes || Number.MAX_SAFE_INTEGER,
      // A connected subscriber's full queue costs only that subscriber (README "Slow subscribers").
      overflow: config.slowConsumer.onlineQueueOverflow === "drop-new" ? "reject-new" : "drop-oldest",
      answerPublishes: true,
      connectTimeoutMs: l.connectTimeout * 1000,
      maximumPacketSizeBeforeConnect: l.maxPacketSizeBeforeConnect,
      maxPendingPublishes: 10_000,
      // The broker holds each subscription once (tree and `SessionState.filters`), not also in the machine.
      trackSubscriptions: false,
    };
    this.backpressure = config.slowConsumer.publisherBackpressure;
    this.ackTimeoutMs = config.slowConsumer.ackTimeoutMs;
    this.dropLog = new DropLog(options.logger, clock, config.slowConsumer.dropLogIntervalMs);
    this.shared = new SharedPicker(config.capabilities.sharedSubscriptionStrategy);
    this.counters = emptyStats(Date.now());
    this.refusals = new RefusalLog(
      this.logger,
      () => clock.now(),
      l,
      this.counters,
      (id, topic, reason) => this.dropped(id, topic, reason),
    );
    const emit = options.emit;
    const core = this;
    this.router = new Router({
      get store() {
        return core.store;
      },
      clock,
      plugins: this.plugins,
      tree: this.tree,
      retained: this.retained,
      shared: this.shared,
      emit,
      has: options.has,
      dropped: (clientId, topic, reason) => this.dropped(clientId, topic, reason),
      retainedRefused: (client, topic, bound) =>
        this.refusals.retainedRefused(client, topic, bound, "acknowledged, delivered, not retained"),
      warn: (message, error) => this.warn(message, error),
      routingLatency: this.traffic.routing,
      remote: this.cluster?.forwarder,
    });
    this.saver = new SessionSaver(this);
    const queues = new OfflineQueues(this);
    this.local = {
      counters: this.counters,
      queueQos0Messages: l.queueQos0Messages,
      enqueue: (state, message) => queues.enqueue(state, message),
    };
    const local = new LocalSessionRegistry(this);
    this.registry = this.cluster?.registry(local) ?? local;
    this.subscriptions = new Subscriptions({
      config,
      clock,
      plugins: this.plugins,
      tree: this.tree,
      retained: this.retained,
      emit,
      saveLiveSession: (state, conn) => void this.saver.saveLive(state, conn),
      ...(this.cluster === undefined ? {} : { routesSettled: () => this.cluster?.routesSettled() }),
    });
    this.acks = new DurableAcks(
      () => this.store,
      () => this.takePendingRouting(),
      (conn, error) => {
        this.warn("the store could not make a message durable; closing its publisher", error);
        conn.transport.abort(error instanceof Error ? error : new Error(String(error)));
      },
      this.traffic.storeFlush,
    );
    this.auth = new ConnectAuth({
      config,
      clock,
      plugins: this.plugins,
      admit: (conn, clientId, action, data) => this.admit(conn, clientId, action, data),
      warn: (message, error) => this.warn(message, error),
      authFailed: () => {
        this.traffic.authFailures++;
      },
    });
    this.releases = new ReleaseGate<BrokerConnection>({
      saveAtTurnEnd: (conn) => this.saveAtTurnEnd(conn),
      flush: () => this.store.flush(),
      onFailure: (conn, error) => {
        this.warn("the store could not save a QoS 2 flow's PUBREC; closing its subscriber", error);
        conn.transport.abort(error instanceof Error ? error : new Error(String(error)));
      },
    });
    this.policy = new PublishPolicy(this);
    this.limits = new EdgeLimits(this, config.rateLimits, config.listeners);
  }

  /**
   * After a reload changed them: the pre-CONNECT settings (`connect_timeout`,
   * `max_packet_size_before_connect`) for connections accepted from now on.
   */
  refreshSessionOptions(): void {
    const l = this.config.limits;
    this.sessionOptions = {
      ...this.sessionOptions,
      connectTimeoutMs: l.connectTimeout * 1000,
      maximumPacketSizeBeforeConnect: l.maxPacketSizeBeforeConnect,
    };
  }

  /**
   * What an acknowledgement of the messages routed so far waits for, besides the
   * store's flush: routing that went asynchronous (`onPublish` plugins, settled
   * either way) and the copies handed to the cluster engine (which must succeed).
   * `undefined`: nothing. Each call takes what accumulated since the last one.
   */
  takePendingRouting(): Promise<unknown> | undefined {
    return routingAndEngine(this.router.takeAsyncRouting(), this.cluster?.forwarder.takeWrites());
  }

  /** Write a connected session as it stands now to a persistent store (`undefined`: it is not stored). */
  saveLive(conn: BrokerConnection): Promise<void> | undefined {
    return this.saver.saveLive(conn.state, conn);
  }

  /** {@link saveLive} once this synchronous run is done, one save per connection per run; resolves to whether it is stored. */
  saveAtTurnEnd(conn: BrokerConnection): Promise<boolean> {
    return this.saver.saveAtTurnEnd(conn);
  }

  /** Persistent sessions, offline queues and retained messages. */
  get store(): BrokerStore {
    return this.currentStore;
  }

  /** A fresh store (the broker's own memory store, renewed at a restart). */
  replaceStore(store: BrokerStore): void {
    this.currentStore = store;
  }

  /** Serve one connection until it ends. */
  serve(connection: Connection, listener: string): Promise<void> {
    return new Promise<void>((resolve) => this.accept(connection, listener, resolve));
  }

  /**
   * Serve one connection, `over` called when it ends: what listeners use (a
   * promise and its reactions per connection cost heap while it is idle).
   */
  accept(
    connection: Connection,
    listener: string,
    over?: () => void,
    /** The listener's accept gate took this connection's token already ({@link EdgeLimits.acceptGate}). */
    admitted = false,
  ): void {
    if (!admitted && !this.limits.admitConnection(connection, listener)) {
      over?.();
      return;
    }
    const conn: BrokerConnection = new ClientConnection(this, connection, listener);
    this.connections.add(conn);
    conn.start(
      over === undefined
        ? this.forget
        : (c) => {
            this.forget(c);
            over();
          },
    );
  }

  /** A connection is over: out of the set (one function for all of them). */
  private readonly forget = (conn: BrokerConnection): void => {
    this.connections.delete(conn);
  };

  /** Counters for `$SYS` and monitoring. */
  stats(): BrokerStats {
    let stored = 0;
    for (const s of this.registry.sessions.values()) stored += s.queued;
    // In flight: QoS 1/2 PUBLISH packets awaiting the broker's answer (in) or the client's ack (out).
    let inflightIn = 0;
    let inflightOut = 0;
    for (const c of this.connections) {
      inflightIn += c.session.pendingPublishes;
      inflightOut += c.unacknowledged;
    }
    return {
      ...this.counters,
      inflightIn,
      inflightOut,
      storedMessages: stored,
      retainedCount: this.retained.size,
      subscriptionsCount: this.tree.size,
      messageMemory: this.limits.memory(),
      ...(this.cluster === undefined ? {} : { cluster: this.cluster.stats() }),
    };
  }

  /** Forget the in-memory state at a stop: sessions (their timers), retained index. */
  clear(): void {
    this.dropLog.close();
    this.registry.clear();
    for (const r of [...this.retained.entries()]) this.retained.delete(r.topic);
  }

  // ---- ConnectionHost: what the connections ask ------------------------------

  onConnectRequest(conn: BrokerConnection, action: ConnectRequestAction): void {
    if (this.limits.refuseConnect(conn)) return;
    this.auth.connectRequest(conn, action);
  }

  onAuthRequest(conn: BrokerConnection, action: AuthRequestAction): void {
    this.auth.authRequest(conn, action);
  }

  /** Attach an authenticated client to its session (the registry decides how), answer CONNACK, send its queue. */
  private admit(
    conn: BrokerConnection,
    clientId: string,
    action: ConnectRequestAction,
    authenticationData?: Uint8Array,
  ): void {
    const packet = action.packet;
    const admission = this.registry.admit(conn, clientId, packet);
    if (isPromiseLike(admission)) {
      admission.then(
        (a) => {
          if (conn.session.state === "awaitingAccept") this.accepted(conn, a, action, authenticationData);
        },
        (error) => {
          // The engine's outage is logged once by the cluster node, not once per refused CONNECT.
          if (error instanceof ClusterUnavailableError)
            this.logger.debug("CONNECT refused: the cluster engine is unavailable", { clientId });
          else this.warn("admitting a session failed", error);
          // Not admitted (e.g. the cluster engine is down): CONNACK Server Unavailable (3.1.1: return code 3).
          if (conn.session.state === "awaitingAccept")
            conn.apply(conn.session.refuse(ReasonCode.SERVER_UNAVAILABLE, this.clock.now()));
          else conn.disconnect(ReasonCode.SERVER_UNAVAILABLE);
        },
      );
    } else this.accepted(conn, admission, action, authenticationData);
  }

  private accepted(
    conn: BrokerConnection,
    { state, sessionPresent, restore }: Admission,
    action: ConnectRequestAction,
    authenticationData: Uint8Array | undefined,
  ): void {
    const packet = action.packet;
    const clientId = state.clientId;
    conn.apply(
      conn.session.accept(
        {
          sessionPresent,
          ...(restore === undefined ? {} : { restore }),
          ...(action.needsClientId ? { assignedClientId: clientId } : {}),
          ...(authenticationData === undefined ? {} : { authenticationData }),
          ...(packet.protocolVersion === 5
            ? {
                properties: connackProperties(
                  this.config,
                  packet.keepAlive,
                  packet.properties?.sessionExpiryInterval,
                  clientId,
                ),
              }
            : {}),
        },
        this.clock.now(),
      ),
    );
    this.saver.saveLive(state, conn);
    // Messages queued while the session was offline go out now, in order.
    if (sessionPresent && state.queued > 0) void drainOfflineQueue(this, state, conn);
  }

  onConnected(conn: BrokerConnection): void {
    const c = this.counters;
    c.clientsConnected++;
    c.clientsTotal++;
    c.clientsMaximum = Math.max(c.clientsMaximum, c.clientsConnected);
    this.plugins.fire("onClientConnected", conn.info);
    this.options.emit("clientConnected", conn.info, conn.session.state === "connected");
  }

  onDisconnected(conn: BrokerConnection, action: DisconnectedAction): void {
    const state = this.registry.detach(conn);
    if (state === undefined) return; // never admitted, or replaced
    this.counters.clientsConnected--;
    this.counters.clientsDisconnected++;
    this.plugins.fire("onClientDisconnected", conn.info);
    this.options.emit("clientDisconnected", conn.info, action.reasonCode);
    this.registry.connectionEnded(state, conn, action);
  }

  onPublishRequest(conn: BrokerConnection, request: PublishRequestAction): void {
    this.traffic.received(request.qos, request.payload.length);
    if (this.limits.admitPublish(conn, request)) this.policy.request(conn, request);
  }

  /** An accepted PUBLISH (its acknowledgement is going out): route it. */
  onMessage(conn: BrokerConnection, action: MessageAction): void {
    if (this.limits.dropForMemory(conn, action)) return;
    this.router.acceptFrom(conn, messageOf(action));
  }

  onSubscribeRequest(conn: BrokerConnection, action: SubscribeRequestAction): void {
    conn.inOrder(() => this.subscriptions.subscribe(conn, action));
  }

  onUnsubscribeRequest(conn: BrokerConnection, action: UnsubscribeRequestAction): void {
    conn.inOrder(() => this.subscriptions.unsubscribe(conn, action));
  }

  /** aMQTT's `$SYS/broker/messages/received` and `load/bytes/received`: every packet, every byte. */
  onReceived(bytes: number, packets: number): void {
    this.counters.bytesReceived += bytes;
    this.counters.messagesReceived += packets;
  }

  /** Whether a plugin takes every received packet (`onPacketReceived`): then each connection reports them. */
  get packetsObserved(): boolean {
    return this.plugins.has?.("onPacketReceived") ?? true;
  }

  onPacket(conn: BrokerConnection, direction: "in" | "out", packet: unknown, bytes: number): void {
    if (direction === "in") {
      this.plugins.fire("onPacketReceived", conn.info, packet);
    } else {
      this.counters.messagesSent++;
      this.counters.bytesSent += bytes;
      const p = packet as { type?: number; qos?: 0 | 1 | 2; payload?: Uint8Array };
      if (p.type === PacketType.PUBLISH) this.traffic.sent(p.qos ?? 0, p.payload?.length ?? 0);
      this.plugins.fire("onPacketSent", conn.info, packet);
      // A PUBCOMP ends a QoS 2 flow: the stored session forgets the released packet id
      // (else a restore after a crash would take a later PUBLISH reusing the id for a resend).
      if ((packet as { type?: number }).type === PacketType.PUBCOMP && this.store.persistent)
        this.saveLive(conn);
    }
  }

  holdsRelease(conn: BrokerConnection, action: SendAction): boolean {
    // A memory store does not outlive the process: nothing to wait for.
    if (!this.store.persistent) return false;
    this.releases.hold(conn, action);
    return true;
  }

  onDeliveryDropped(conn: BrokerConnection, topic: string, reason: string): void {
    this.dropped(conn.info.clientId, topic, reason);
  }

  onProtocolError(conn: BrokerConnection, error: MqttError): void {
    this.refusals.protocolError(conn.info, conn.state === undefined, error);
  }

  onAckTimeout(conn: BrokerConnection): void {
    this.counters.ackTimeoutDisconnects++;
    this.logger.warn("disconnecting a client that acknowledged nothing for ack_timeout", {
      clientId: conn.info.clientId,
      ackTimeoutMs: this.ackTimeoutMs,
      unacknowledged: conn.unacknowledged,
    });
  }

  /** Report a message dropped by a bound: counted, logged (rate-limited), emitted. */
  dropped(clientId: string, topic: string, reason: string): void {
    this.counters.messagesDropped++;
    this.traffic.dropped(reason);
    this.dropLog.dropped(clientId, topic, reason);
    this.options.emit("dropped", clientId, topic, reason);
  }

  /** Report a non-fatal problem. */
  warn(message: string, error: unknown): void {
    this.logger.warn(message, { error: String(error) });
    this.options.emit("warning", message, error);
  }
}

/** What an acknowledgement waits for: asynchronous routing (settled either way) and engine writes (which must succeed). */
function routingAndEngine(
  routing: Promise<unknown> | undefined,
  engine: Promise<unknown> | undefined,
): Promise<unknown> | undefined {
  if (engine === undefined) return routing;
  return routing === undefined ? engine : Promise.all([routing, engine]);
}
