import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  type ConnackProperties,
  PacketType,
  type PublishProperties,
  type QoS,
  reasonCodeName,
  utf8Length,
  type Will,
} from "@amqtt/codec";
import { SubscriptionTree } from "@amqtt/message";
import type {
  AuthRequestAction,
  ConnectRequestAction,
  DisconnectedAction,
  MessageAction,
  PublishRequestAction,
  ServerSessionOptions,
  SubscribeRequestAction,
  UnsubscribeRequestAction,
} from "@amqtt/session";
import type { Connection, Listener } from "@amqtt/transport";
import { listenTcp } from "@amqtt/transport-tcp";
import { listenWs } from "@amqtt/transport-ws/server";
import { ConfigError } from "./config/errors.js";
import { type ResolvedBrokerConfig, type ResolvedListener, resolveBrokerConfig } from "./config/resolve.js";
import type { BrokerConfigInput } from "./config/schema.js";
import { ClientConnection, type ConnectionHost, now } from "./core/client-connection.js";
import { DurableAcks } from "./core/durable-acks.js";
import { type BrokerEvents, TypedEvents } from "./core/events.js";
import { defaultStore, sessionRecord, snapshotOf, toMonotonic } from "./core/persistence.js";
import { isPromiseLike, type PluginHost } from "./core/plugin-host.js";
import { RetainedStore } from "./core/retained.js";
import { messageOf, Router, withRemainingExpiry } from "./core/router.js";
import { NEVER_EXPIRES, SessionState, type SubscriptionEntry } from "./core/session-state.js";
import { SharedPicker } from "./core/shared.js";
import { emptyStats } from "./core/stats.js";
import { Subscriptions } from "./core/subscriptions.js";
import { unrefTimeout } from "./core/timers.js";
import { consoleLogger, type Logger } from "./logger.js";
import type { AnyPluginDefinition } from "./plugins/definition.js";
import { DEFAULT_PLUGIN_TIMEOUT_MS, PluginManager } from "./plugins/plugin-manager.js";
import type { BrokerPlugin, BrokerStats, ClientInfo, PluginFactory, PluginMessage } from "./plugins/types.js";
import type { BrokerStore } from "./store/types.js";

/** Version reported in `$SYS/broker/version`. */
export const BROKER_VERSION = "0.1.0";

/** Options of a `Broker` besides its configuration. */
export interface BrokerOptions {
  /** Where the broker and its plugins log (default: console at `info`). */
  logger?: Logger;
  /** Plugins given in code (objects or factories), run after the configured ones. */
  plugins?: readonly (BrokerPlugin | PluginFactory)[];
  /**
   * Plugins of other packages the configuration may name (e.g. the definitions
   * `@amqtt/contrib-http` exports), by our names or aMQTT's dotted class names.
   * Used when `config` is not resolved yet; a resolved one carries its own.
   */
  pluginDefinitions?: readonly AnyPluginDefinition[];
  /** Folder that relative paths of plugin modules start from (the config file's folder). */
  baseDir?: string;
  /** Longest wait for one plugin hook, in ms (default 5000). */
  pluginTimeoutMs?: number;
  /**
   * Where sessions, offline queues and retained messages are kept beyond a
   * connection, and restored from at start. Default: a `MemoryStore` with the
   * configuration's bounds (nothing survives the process).
   */
  store?: BrokerStore;
  /**
   * Replace the plugin machinery entirely (tests, special embeddings). By default
   * a `PluginManager` runs the plugins of `config.plugins` and `plugins`.
   */
  pluginHost?: PluginHost;
  /**
   * How often expired messages and sessions are removed from the store and the
   * retained index, in ms (default 60,000), so storage does not grow with
   * messages nobody can receive any more.
   */
  storeCleanupIntervalMs?: number;
}

/** A listener the broker opened, with the address it got (port 0 is resolved). */
export interface ListenerAddress {
  name: string;
  type: ResolvedListener["type"];
  tls: boolean;
  host: string;
  port: number;
}

/** A message an embedder publishes through the broker itself. */
export interface BrokerPublish {
  topic: string;
  payload: Uint8Array | string;
  qos?: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

/**
 * The MQTT broker. `new Broker(config)`, `await start()`, `await stop()`; or
 * `handle(connection)` for connections of any transport. Configuration is
 * aMQTT's (YAML keys, as objects) or an already resolved configuration.
 */
export class Broker extends TypedEvents<BrokerEvents> implements ConnectionHost {
  readonly config: ResolvedBrokerConfig;
  readonly sessionOptions: ServerSessionOptions;
  readonly backpressure: { high: number; low: number; maxPauseMs: number };
  readonly logger: Logger;
  /** Retained messages, one per topic (the in-memory index of the store's). */
  readonly retained = new RetainedStore();
  /** Persistent sessions, offline queues and retained messages. */
  get store(): BrokerStore {
    return this.currentStore;
  }
  private currentStore: BrokerStore;
  private readonly ownStore: boolean;
  private readonly plugins: PluginHost;
  /** The plugin manager, unless `pluginHost` replaced it. */
  readonly pluginManager: PluginManager | undefined;
  private readonly tree = new SubscriptionTree<SubscriptionEntry>();
  private readonly sessionsById = new Map<string, SessionState>();
  private readonly connections = new Set<ClientConnection>();
  private readonly open: { spec: ResolvedListener; listener: Listener }[] = [];
  private readonly shared: SharedPicker;
  private readonly router: Router;
  private readonly subscriptions: Subscriptions;
  private phase: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  private everStarted = false;
  private readonly cleanupIntervalMs: number;
  private cleanupTimer: ReturnType<typeof setInterval> | undefined;
  private readonly counters: BrokerStats;
  private readonly acks = new DurableAcks(
    () => this.store,
    () => this.router.takeAsyncRouting(),
    (conn, error) => {
      this.warn("the store could not make a message durable; closing its publisher", error);
      conn.transport.abort(error instanceof Error ? error : new Error(String(error)));
    },
  );

  constructor(config: BrokerConfigInput | ResolvedBrokerConfig = {}, options: BrokerOptions = {}) {
    super();
    this.config = isResolved(config)
      ? config
      : resolveBrokerConfig(
          config,
          options.pluginDefinitions === undefined ? {} : { pluginDefinitions: options.pluginDefinitions },
        );
    this.logger = options.logger ?? consoleLogger("info");
    if (options.pluginHost !== undefined) {
      this.plugins = options.pluginHost;
    } else {
      this.pluginManager = new PluginManager({
        specs: this.config.plugins,
        plugins: options.plugins ?? [],
        logger: this.logger,
        createContext: (name, pluginOptions) => ({
          options: pluginOptions,
          logger: this.logger.child(name),
          publish: (m) => this.publish(m),
          stats: () => this.stats(),
          version: BROKER_VERSION,
          hookTimeoutMs: options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
        }),
        ...(options.pluginTimeoutMs === undefined ? {} : { timeoutMs: options.pluginTimeoutMs }),
        ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
      });
      this.plugins = this.pluginManager;
    }
    this.cleanupIntervalMs = options.storeCleanupIntervalMs ?? 60_000;
    const l = this.config.limits;
    if (options.store === undefined && this.config.persistence.store === "sqlite") {
      throw new ConfigError([
        {
          path: "persistence.store",
          message:
            "sqlite needs its store passed in: new Broker(config, { store: new SqliteStore({ path }) }) with @amqtt/store-sqlite (the amqtt command does this itself)",
        },
      ]);
    }
    this.ownStore = options.store === undefined;
    this.currentStore = options.store ?? defaultStore(l);
    this.sessionOptions = {
      maximumPacketSize: l.maxPacketSize,
      receiveMaximum: l.receiveMaximum,
      topicAliasMaximum: l.topicAliasMaximum,
      maxInFlight: l.maxInflightMessages,
      maxQueuedMessages: l.maxQueuedMessages,
      maxQueuedBytes: l.maxQueuedBytes,
      overflow: "drop-oldest",
      answerPublishes: true,
      connectTimeoutMs: l.connectTimeout * 1000,
      maxPendingPublishes: 10_000,
    };
    // Publishers pause when a subscriber holds half its queue bound unacknowledged.
    const high = l.maxQueuedMessages > 0 ? Math.max(16, Math.floor(l.maxQueuedMessages / 2)) : 1000;
    this.backpressure = { high, low: Math.floor(high / 2), maxPauseMs: 1000 };
    this.shared = new SharedPicker(this.config.capabilities.sharedSubscriptionStrategy);
    this.counters = emptyStats(Date.now());
    const broker = this;
    this.subscriptions = new Subscriptions({
      config: this.config,
      plugins: this.plugins,
      tree: this.tree,
      retained: this.retained,
      emit: (event, ...args) => this.emit(event, ...args),
      saveLiveSession: (state, conn) => void this.saveLiveSession(state, conn),
    });
    this.router = new Router({
      get store() {
        return broker.store;
      },
      config: this.config,
      plugins: this.plugins,
      tree: this.tree,
      retained: this.retained,
      shared: this.shared,
      counters: this.counters,
      emit: (event, ...args) => this.emit(event, ...args),
      has: (event) => this.has(event),
      dropped: (clientId, topic, reason) => this.dropped(clientId, topic, reason),
      warn: (message, error) => this.warn(message, error),
    });
    for (const warning of this.config.warnings) this.logger.warn(warning);
  }

  /** Counters for `$SYS` and monitoring. */
  stats(): BrokerStats {
    let stored = 0;
    for (const s of this.sessionsById.values()) stored += s.queued;
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
    };
  }

  /** Sessions by client id (online and offline persistent ones). */
  get sessions(): ReadonlyMap<string, SessionState> {
    return this.sessionsById;
  }

  /** Addresses of the open listeners (with the ports actually bound). */
  addresses(): ListenerAddress[] {
    return this.open.map(({ spec, listener }) => {
      const a = listener.address();
      return {
        name: spec.name,
        type: spec.type,
        tls: spec.tls !== undefined,
        host: a.host ?? spec.host,
        port: a.port ?? spec.port,
      };
    });
  }

  /** Open the configured listeners. Fails (and closes what it opened) if one cannot listen. */
  async start(): Promise<void> {
    if (this.phase !== "new" && this.phase !== "stopped")
      throw new Error(`cannot start a broker that is ${this.phase}`);
    this.phase = "starting";
    try {
      // Our own memory store does not outlive a stop: a restarted broker starts empty.
      if (this.ownStore && this.phase === "starting" && this.everStarted)
        this.currentStore = defaultStore(this.config.limits);
      this.everStarted = true;
      await this.store.open();
      await this.restore();
      // Plugins load first: one that cannot start (e.g. an unreadable password file) stops the start.
      await this.pluginManager?.start();
      this.plugins.fire("onBrokerPreStart");
      for (const spec of this.config.listeners) {
        if (spec.type === "external") continue;
        const listener = await this.listen(spec);
        listener.onConnection((connection) => void this.handle(connection, spec.name));
        this.open.push({ spec, listener });
        const a = listener.address();
        this.logger.info(`listening`, {
          listener: spec.name,
          type: spec.type,
          tls: spec.tls !== undefined,
          host: a.host,
          port: a.port,
        });
      }
    } catch (error) {
      await Promise.all(this.open.splice(0).map(({ listener }) => listener.close()));
      await this.pluginManager?.stop();
      this.phase = "stopped";
      throw error;
    }
    this.counters.startedAt = Date.now();
    this.cleanupTimer = setInterval(() => {
      this.removeExpired().catch((error) => this.warn("removing expired state from the store failed", error));
    }, this.cleanupIntervalMs);
    this.cleanupTimer.unref();
    this.phase = "started";
    this.plugins.fire("onBrokerPostStart");
    this.emit("started");
  }

  private async listen(spec: ResolvedListener): Promise<Listener> {
    const connection = { maxBufferedBytes: Math.max(8 * 1024 * 1024, 2 * this.config.limits.maxPacketSize) };
    const maxConnections = spec.maxConnections === 0 ? Number.MAX_SAFE_INTEGER : spec.maxConnections;
    const tls =
      spec.tls === undefined
        ? undefined
        : {
            cert: readFileSync(spec.tls.certfile),
            key: readFileSync(spec.tls.keyfile),
            ...(spec.tls.cafile === undefined ? {} : { ca: readFileSync(spec.tls.cafile) }),
            ...(spec.tls.cadata === undefined ? {} : { ca: spec.tls.cadata }),
            requestCert: spec.tls.requestCert,
            // A client certificate is optional (as in aMQTT); plugins see whether it verified.
            rejectUnauthorized: false,
          };
    const common = { host: spec.host, port: spec.port, maxConnections, connection };
    if (spec.type === "ws")
      return listenWs({
        ...common,
        ...(tls === undefined ? {} : { tls }),
        ...(spec.path === undefined ? {} : { path: spec.path }),
      });
    return listenTcp({ ...common, ...(tls === undefined ? {} : { tls }) });
  }

  /**
   * Stop gracefully: close the listeners, send DISCONNECT 0x8B (Server shutting
   * down) to 5.0 clients and close the others, drop every timer. Wills of
   * disconnected clients are not published (the broker, not the client, ended it).
   */
  async stop(): Promise<void> {
    if (this.phase !== "started" && this.phase !== "starting") return;
    this.phase = "stopping";
    clearInterval(this.cleanupTimer);
    this.plugins.fire("onBrokerPreShutdown");
    // Clients hear DISCONNECT 0x8B first; closing a listener may drop its sockets at once.
    // New connections meanwhile are turned away (`handle` checks the phase).
    const closing = [...this.connections].map((c) => {
      c.stopping = true;
      c.disconnect(0x8b);
      return c.transport.closed;
    });
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.all(this.open.splice(0).map(({ listener }) => listener.close()));
    for (const c of this.connections) c.transport.abort();
    // The in-memory state goes: what must survive is in the store, and a restart
    // restores it from there (an own memory store starts empty again).
    for (const state of this.sessionsById.values()) {
      state.clearTimers();
      for (const filter of state.filters.keys()) this.tree.remove(filter, state.clientId);
    }
    this.sessionsById.clear();
    for (const r of [...this.retained.entries()]) this.retained.delete(r.topic);
    if (this.config.persistence.clearOnShutdown) await this.clearStore();
    await this.store.close();
    this.phase = "stopped";
    this.plugins.fire("onBrokerPostShutdown");
    await this.pluginManager?.stop();
    this.emit("stopped");
  }

  /**
   * The cleanup schedule: expired retained messages (index and store), expired
   * queued messages, and stored sessions past their expiry that no timer of this
   * process covers (their delayed wills go out).
   */
  private async removeExpired(): Promise<void> {
    const t = now();
    for (const r of [...this.retained.entries()])
      if (r.expiresAt !== undefined && r.expiresAt <= t) this.retained.delete(r.topic);
    const wall = Date.now();
    await this.store.dropExpiredRetained(wall);
    if ((await this.store.dropExpiredQueued(wall)) > 0) {
      for (const state of this.sessionsById.values())
        if (state.queued > 0 && !state.draining)
          state.queued = (await this.store.queueUsage(state.clientId)).count;
    }
    for (const record of await this.store.deleteExpiredSessions(wall)) {
      if (this.sessionsById.has(record.clientId)) continue; // its own expiry timer ends it
      if (record.will !== undefined) this.publishWill(undefined, record.will);
    }
  }

  /** aMQTT's `clear_on_shutdown`: erase every stored session (with its queue) and retained message. */
  private async clearStore(): Promise<void> {
    try {
      for (const record of await this.store.listSessions()) await this.store.deleteSession(record.clientId);
      for (const r of await this.store.listRetained())
        await this.store.setRetained({ ...r, payload: new Uint8Array(0), storedAt: Date.now() });
    } catch (error) {
      this.warn("clearing the store at shutdown failed", error);
    }
  }

  /** Serve one connection of any transport (aMQTT's external listener). Resolves when it ends. */
  handle(connection: Connection, listener = "external"): Promise<void> {
    if (this.phase === "stopping" || this.phase === "stopped") {
      connection.abort();
      return Promise.resolve();
    }
    const conn = new ClientConnection(this, connection, listener);
    this.connections.add(conn);
    return conn.run().finally(() => this.connections.delete(conn));
  }

  /**
   * Send a connected 5.0 client elsewhere (section 4.11): DISCONNECT 0x9C Use
   * another server (or 0x9D Server moved when `permanent`) with the Server
   * Reference. A 3.1.1 client is just disconnected. False when not connected.
   */
  redirect(clientId: string, serverReference: string, permanent = false): boolean {
    const conn = this.sessionsById.get(clientId)?.connection;
    if (conn === undefined || conn.session.state !== "connected") return false;
    if (conn.protocolVersion !== 5) conn.disconnect(0x9c);
    else conn.apply(conn.session.disconnect(now(), { reasonCode: permanent ? 0x9d : 0x9c, serverReference }));
    return true;
  }

  /** Publish a message from the broker itself (aMQTT `internal_message_broadcast`). */
  publish(message: BrokerPublish): void {
    const payload =
      typeof message.payload === "string" ? new TextEncoder().encode(message.payload) : message.payload;
    const m: PluginMessage = {
      topic: message.topic,
      payload,
      qos: message.qos ?? 0,
      retain: message.retain ?? false,
    };
    if (message.properties !== undefined) m.properties = message.properties;
    this.router.accept(undefined, m);
  }

  // ---- ConnectionHost: what the connections ask ------------------------------

  onConnectRequest(conn: ClientConnection, action: ConnectRequestAction): void {
    const packet = action.packet;
    const clientId = action.needsClientId ? generateClientId() : packet.clientId;
    if (utf8Length(clientId) > this.config.limits.maxClientIdLength) {
      conn.apply(conn.session.refuse(0x85, now()));
      return;
    }
    conn.info.clientId = clientId;
    const willRefusal = this.willBeyondCapabilities(packet);
    if (willRefusal !== undefined) {
      conn.apply(conn.session.refuse(willRefusal, now(), { reasonString: reasonCodeName(willRefusal) }));
      return;
    }
    if (action.authentication !== undefined) {
      // 5.0 enhanced authentication (section 4.12): the method's plugin runs the exchange.
      conn.enhancedAuth = { conversation: new Map(), connect: { clientId, action } };
      this.enhancedAuthStep(conn, action.authentication.method, action.authentication.data, "connect", true);
      return;
    }
    const decided = (decision: Awaited<ReturnType<PluginHost["authenticate"]>>): void => {
      if (conn.session.state !== "awaitingAccept") return; // closed while plugins thought
      if (!decision.accepted) {
        // A Reason String, and for 0x9C/0x9D the Server Reference of a redirection (section 4.11).
        const properties: { reasonString?: string; serverReference?: string } = {};
        if (decision.reasonString !== undefined) properties.reasonString = decision.reasonString;
        if (decision.serverReference !== undefined) properties.serverReference = decision.serverReference;
        const some = Object.keys(properties).length > 0 ? properties : undefined;
        conn.apply(conn.session.refuse(decision.reasonCode ?? 0x87, now(), some));
        return;
      }
      this.admit(conn, clientId, action);
    };
    const decision = this.plugins.authenticate(conn.info);
    if (isPromiseLike(decision)) {
      decision.then(decided, (error) => {
        this.warn("authentication failed", error);
        decided({ accepted: false, reasonCode: 0x80 });
      });
    } else decided(decision);
  }

  /**
   * A 5.0 will the broker could not publish as asked: a Will QoS above Maximum
   * QoS gets 0x9B [MQTT-3.2.2-12], a retained will without Retain Available 0x9A
   * [MQTT-3.2.2-13]. 3.1.1 has no such codes; its will QoS is capped on delivery.
   */
  private willBeyondCapabilities(packet: ConnectRequestAction["packet"]): number | undefined {
    const will = packet.will;
    if (packet.protocolVersion !== 5 || will === undefined) return undefined;
    const caps = this.config.capabilities;
    if (will.qos > caps.maxQos) return 0x9b;
    if (will.retain && !caps.retainAvailable) return 0x9a;
    return undefined;
  }

  onAuthRequest(conn: ClientConnection, action: AuthRequestAction): void {
    // AUTH 0x19 starts a re-authentication; AUTH 0x18 continues the exchange in progress.
    const first = action.phase === "reauth" && action.reasonCode === 0x19;
    if (first || conn.enhancedAuth === undefined) conn.enhancedAuth = { conversation: new Map() };
    this.enhancedAuthStep(conn, action.method, action.data, action.phase, first);
  }

  /** Run one step of an enhanced authentication exchange through the plugin of `method`. */
  private enhancedAuthStep(
    conn: ClientConnection,
    method: string,
    data: Uint8Array | undefined,
    phase: "connect" | "reauth",
    first: boolean,
  ): void {
    const fail = (code: number, reasonString?: string): void => {
      conn.enhancedAuth = undefined;
      if (phase === "connect") {
        if (conn.session.state === "awaitingAccept")
          conn.apply(
            conn.session.refuse(code, now(), reasonString === undefined ? undefined : { reasonString }),
          );
      } else conn.disconnect(code);
    };
    const plugin = this.pluginManager?.plugins.find(
      (p) => p.authMethods?.includes(method) && p.authenticateEnhanced,
    );
    const exchange = conn.enhancedAuth;
    if (plugin === undefined || exchange === undefined) {
      fail(0x8c); // Bad authentication method
      return;
    }
    Promise.resolve()
      .then(() =>
        plugin.authenticateEnhanced!(conn.info, {
          method,
          data,
          phase,
          first,
          conversation: exchange.conversation,
        }),
      )
      .then(
        (answer) => {
          if (conn.closed || conn.enhancedAuth !== exchange) return;
          if ("continue" in answer) {
            conn.apply(conn.session.authContinue(answer.continue, now()));
          } else if ("success" in answer) {
            if (answer.username !== undefined) conn.info.username = answer.username;
            conn.enhancedAuth = undefined;
            if (phase === "reauth") conn.apply(conn.session.authSucceed(answer.data, now()));
            else if (exchange.connect !== undefined && conn.session.state === "awaitingAccept")
              this.admit(conn, exchange.connect.clientId, exchange.connect.action, answer.data);
          } else fail(answer.fail, answer.reasonString);
        },
        (error) => {
          this.warn(`enhanced authentication (${method}) failed`, error);
          if (!conn.closed && conn.enhancedAuth === exchange) fail(0x80);
        },
      );
  }

  /** Attach an accepted client to its session: take over, clean start, or resume. */
  private admit(
    conn: ClientConnection,
    clientId: string,
    action: ConnectRequestAction,
    authenticationData?: Uint8Array,
  ): void {
    const packet = action.packet;
    let state = this.sessionsById.get(clientId);
    const previous = state?.connection;
    if (previous !== undefined && previous !== conn) {
      // Take-over: the existing connection is closed, with 0x8E in 5.0 [MQTT-3.1.4-3].
      previous.disconnect(0x8e);
      state = this.sessionsById.get(clientId);
    }
    if (state !== undefined && (packet.clean || state.snapshot?.protocolVersion !== packet.protocolVersion)) {
      // Clean Start (or another protocol level) ends the old session now.
      this.endSession(state);
      state = undefined;
    }
    const sessionPresent = state !== undefined;
    if (state === undefined) {
      state = new SessionState(clientId, conn.info);
      this.sessionsById.set(clientId, state);
    }
    // Reconnecting before the Will Delay Interval passed cancels the will (5.0 section 3.1.3.2.2).
    state.clearTimers();
    state.connection = conn;
    state.info = conn.info;
    state.protocolVersion = packet.protocolVersion;
    conn.state = state;
    const restore = sessionPresent ? state.snapshot : undefined;
    state.snapshot = undefined;
    conn.apply(
      conn.session.accept(
        {
          sessionPresent,
          ...(restore === undefined ? {} : { restore }),
          ...(action.needsClientId ? { assignedClientId: clientId } : {}),
          ...(authenticationData === undefined ? {} : { authenticationData }),
          ...(packet.protocolVersion === 5
            ? {
                properties: this.connackProperties(
                  packet.keepAlive,
                  packet.properties?.sessionExpiryInterval,
                  clientId,
                ),
              }
            : {}),
        },
        now(),
      ),
    );
    this.saveLiveSession(state, conn);
    // Messages queued while the session was offline go out now, in order.
    if (sessionPresent && state.queued > 0) void this.drain(state, conn);
  }

  /**
   * A persistent store keeps connected sessions too (subscriptions, in-flight
   * state as of now), so a crash does not forget them: saved on connect, on
   * every subscription change and after each batch of the offline queue. The
   * record has no `expiresAt` (the session is live); a restore after a crash
   * starts its expiry from then. The memory store skips this: it would not
   * outlive the process anyway.
   */
  private saveLiveSession(
    state: SessionState | undefined,
    conn: ClientConnection,
  ): Promise<void> | undefined {
    if (state === undefined || !this.store.persistent || conn.closed || conn.session.state !== "connected")
      return undefined;
    const snapshot = conn.session.snapshot();
    const cap = this.config.sessionExpiryInterval;
    const expiry =
      cap === undefined ? snapshot.sessionExpiryInterval : Math.min(snapshot.sessionExpiryInterval, cap);
    if (expiry === 0) return undefined;
    return this.store
      .saveSession(sessionRecord(state, snapshot, expiry, undefined, true))
      .catch((error) => this.warn("saving a session failed", error));
  }

  /**
   * Send a reconnected session's offline queue, oldest first, a batch at a time
   * (removed from the store once handed to the session, whose own in-flight state
   * then keeps QoS 1/2). Messages routed meanwhile queue behind, keeping order.
   */
  private async drain(state: SessionState, conn: ClientConnection): Promise<void> {
    state.draining = true;
    try {
      for (;;) {
        // Flow control: the next batch waits until the client acknowledged most of the last
        // one. Keeps the session's in-flight state (and its stored snapshot) small, and a
        // long queue in the store instead of in memory.
        await conn.unacknowledgedAtMost(DRAIN_BATCH);
        const issued = state.enqueues;
        const peeked = await this.store.peekQueue(state.clientId, DRAIN_BATCH);
        if (conn.closed || state.connection !== conn) return;
        if (peeked.length === 0) {
          if (state.enqueues === issued) return;
          continue;
        }
        // A batch is also bounded by bytes (at least one message), so large payloads stay few.
        let bytes = 0;
        let end = 0;
        while (end < peeked.length && (end === 0 || bytes + peeked[end]!.payload.length <= DRAIN_BATCH_BYTES))
          bytes += peeked[end++]!.payload.length;
        const batch = peeked.slice(0, end);
        const t = now();
        for (const m of batch) {
          const properties = withRemainingExpiry(m.properties, toMonotonic(m.expiresAt), t);
          if (properties !== null) conn.deliver(m.topic, m.payload, m.qos, m.retain, properties);
        }
        // The messages now live in the session's in-flight state: saved before they leave the
        // queue, so a crash in between can only repeat them (DUP), never lose them.
        await this.saveLiveSession(state, conn);
        state.queued = Math.max(
          0,
          state.queued - (await this.store.ackQueue(state.clientId, batch.at(-1)!.seq)),
        );
      }
    } catch (error) {
      this.warn("sending the offline queue failed", error);
    } finally {
      state.draining = false;
    }
  }

  /** Restore persistent sessions and retained messages from the store (at start). */
  private async restore(): Promise<void> {
    const wall = Date.now();
    for (const record of await this.store.listSessions()) {
      if (record.expiresAt !== undefined && record.expiresAt <= wall) {
        if (record.will !== undefined) this.publishWill(undefined, record.will);
        await this.store.deleteSession(record.clientId);
        continue;
      }
      const info: ClientInfo = {
        clientId: record.clientId,
        username: record.username,
        password: undefined,
        protocolVersion: record.protocolVersion,
        listener: "",
        remoteAddress: undefined,
        anonymous: record.username === undefined,
        attributes: new Map(),
      };
      const state = new SessionState(record.clientId, info);
      state.snapshot = snapshotOf(record);
      state.expiryInterval = record.sessionExpiryInterval;
      state.queued = (await this.store.queueUsage(record.clientId)).count;
      for (const s of record.subscriptions) {
        const entry: SubscriptionEntry = {
          qos: s.qos,
          noLocal: s.noLocal,
          retainAsPublished: s.retainAsPublished,
          retainHandling: s.retainHandling,
          subscriptionIdentifier: s.subscriptionIdentifier,
          state,
        };
        this.tree.add(s.topicFilter, record.clientId, entry);
        state.filters.set(s.topicFilter, entry);
      }
      this.sessionsById.set(record.clientId, state);
      // A record without a deadline was saved live, before a crash: its expiry starts now.
      const expiresAt =
        record.expiresAt ??
        (record.sessionExpiryInterval === NEVER_EXPIRES
          ? undefined
          : wall + record.sessionExpiryInterval * 1000);
      if (expiresAt !== undefined)
        state.expiryTimer = unrefTimeout(() => this.endSession(state), expiresAt - wall);
      const will = record.will;
      if (will?.publishAt !== undefined) {
        state.delayedWill = { will, publishAt: will.publishAt };
        state.pendingWill = () => {
          state.pendingWill = undefined;
          state.delayedWill = undefined;
          this.publishWill(undefined, will);
        };
        state.willTimer = unrefTimeout(state.pendingWill, will.publishAt - wall);
      }
    }
    const t = now();
    for (const r of await this.store.listRetained()) {
      const expiresAt = toMonotonic(r.expiresAt);
      if (expiresAt !== undefined && expiresAt <= t) continue;
      this.retained.set({
        topic: r.topic,
        payload: r.payload,
        qos: r.qos,
        properties: r.properties,
        expiresAt,
      });
    }
  }

  /** Publish a will: its properties minus the Will Delay Interval become the message's. */
  private publishWill(client: ClientInfo | undefined, will: Will): void {
    const { willDelayInterval: _delay, ...properties } = will.properties ?? {};
    const message = messageOf({
      topic: will.topic,
      payload: will.payload,
      qos: will.qos,
      retain: will.retain,
    });
    if (Object.keys(properties).length > 0) message.properties = properties;
    this.router.accept(client, message);
  }

  private connackProperties(
    keepAlive: number,
    requestedExpiry: number | undefined,
    clientId: string,
  ): ConnackProperties {
    const c = this.config.capabilities;
    const props: ConnackProperties = {};
    // The basis for response topics; the session sends it only to a client that
    // asked with Request Response Information 1 [MQTT-3.1.2-28].
    props.responseInformation = `${this.config.responseInformation}${clientId}`;
    if (c.maxQos < 2) props.maximumQos = c.maxQos as 0 | 1;
    if (!c.retainAvailable) props.retainAvailable = 0;
    if (!c.wildcardSubscriptionAvailable) props.wildcardSubscriptionAvailable = 0;
    if (!c.subscriptionIdentifierAvailable) props.subscriptionIdentifiersAvailable = 0;
    if (!c.sharedSubscriptionAvailable) props.sharedSubscriptionAvailable = 0;
    const max = this.config.limits.maxKeepalive;
    if (max > 0 && (keepAlive === 0 || keepAlive > max)) props.serverKeepAlive = max;
    const cap = this.config.sessionExpiryInterval;
    if (cap !== undefined && requestedExpiry !== undefined && requestedExpiry > cap)
      props.sessionExpiryInterval = cap;
    return props;
  }

  onConnected(conn: ClientConnection): void {
    this.counters.clientsConnected++;
    this.counters.clientsTotal++;
    this.counters.clientsMaximum = Math.max(this.counters.clientsMaximum, this.counters.clientsConnected);
    this.plugins.fire("onClientConnected", conn.info);
    this.emit("clientConnected", conn.info, conn.session.state === "connected");
  }

  onDisconnected(conn: ClientConnection, action: DisconnectedAction): void {
    const state = conn.state;
    if (state === undefined || state.connection !== conn) return; // never admitted, or replaced
    state.connection = undefined;
    this.counters.clientsConnected--;
    this.counters.clientsDisconnected++;
    this.plugins.fire("onClientDisconnected", conn.info);
    this.emit("clientDisconnected", conn.info, action.reasonCode);
    let expiry = action.sessionExpiryInterval;
    const cap = this.config.sessionExpiryInterval;
    if (cap !== undefined) expiry = Math.min(expiry, cap);
    // The will: after its delay, or at once; a broker shutdown does not publish it.
    if (action.publishWill && action.will !== undefined && !conn.stopping) {
      const will = action.will;
      const publishWill = () => {
        state.pendingWill = undefined;
        this.publishWill(conn.info, will);
      };
      const delay = will.properties?.willDelayInterval ?? 0;
      if (delay > 0 && expiry > 0) {
        const ms = Math.min(delay, expiry) * 1000;
        state.pendingWill = publishWill;
        state.delayedWill = { will, publishAt: Date.now() + ms };
        state.willTimer = unrefTimeout(publishWill, ms);
      } else publishWill();
    }
    if (expiry === 0) {
      this.endSession(state, state.sharedLog === undefined ? undefined : conn.session.snapshot().sender);
      return;
    }
    state.snapshot = conn.session.snapshot();
    state.expiryInterval = expiry;
    this.store
      .saveSession(sessionRecord(state, state.snapshot, expiry, state.delayedWill))
      .catch((error) => this.warn("saving a session failed", error));
    if (expiry !== NEVER_EXPIRES)
      state.expiryTimer = unrefTimeout(() => this.endSession(state), expiry * 1000);
  }

  /**
   * The session is over: its subscriptions and queue go; a delayed will goes out
   * now; unacknowledged messages from shared subscriptions go to other members
   * (`sender`: its QoS state, when it ends while connected).
   */
  private endSession(state: SessionState, sender = state.snapshot?.sender): void {
    const will = state.pendingWill;
    state.clearTimers();
    will?.();
    for (const filter of state.filters.keys()) this.tree.remove(filter, state.clientId);
    state.filters.clear();
    this.router.handOverShared(state, sender);
    state.queued = 0;
    if (this.sessionsById.get(state.clientId) === state) {
      this.sessionsById.delete(state.clientId);
      // Deleting the session deletes its queue too.
      this.store
        .deleteSession(state.clientId)
        .catch((error) => this.warn("deleting a session failed", error));
    }
  }

  /**
   * Every PUBLISH is a question first (`answerPublishes`): plugins authorize it,
   * and the answer (the PUBACK/PUBREC, with 0x87 in 5.0 when refused) waits while
   * a subscriber of this publisher is congested. Answers go out in arrival order.
   */
  onPublishRequest(conn: ClientConnection, request: PublishRequestAction): void {
    this.counters.publishReceived++;
    const message = messageOf(request);
    this.plugins.fire("onMessageReceived", conn.info, message);
    serially(conn, () => {
      // "$SYS/" belongs to the broker (section 4.7.2); other "$" topics are accepted, as Mosquitto and EMQX do,
      // and reach only subscriptions that name them: wildcards never match a first "$" level [MQTT-4.7.2-1].
      if (request.topic === "$SYS" || request.topic.startsWith("$SYS/"))
        return this.answer(conn, request, 0x87);
      const allowed = this.plugins.authorizePublish(conn.info, message);
      if (isPromiseLike(allowed)) return allowed.then((a) => this.answer(conn, request, verdictCode(a)));
      return this.answer(conn, request, verdictCode(allowed));
    });
  }

  /** Send the answer once the publisher may go on (see `ClientConnection.pauseFor`). */
  private answer(conn: ClientConnection, request: PublishRequestAction, code: number): void | Promise<void> {
    // The session knows what an answer still means after the connection ended
    // (a QoS 0 message received whole is still delivered).
    const send = () => {
      if (code >= 0x80)
        this.logger.debug("publish refused", { clientId: conn.info.clientId, topic: request.topic, code });
      // A refusal says why, unless the client asked for no problem information (the session drops it then).
      const properties = code >= 0x80 ? { reasonString: reasonCodeName(code) } : undefined;
      const actions = conn.session.answerPublish(request.requestId, code, now(), properties);
      // With a persistent store an accepted QoS 1/2 message is acknowledged once durable.
      const durable = this.store.persistent && request.qos > 0 && code < 0x80;
      // QoS 2 exactly once across a crash: the packet id the publisher will release goes to
      // the store in the same turn (one transaction) as the routed message, before PUBREC.
      const alongside =
        durable && request.qos === 2 ? () => this.saveLiveSession(conn.state, conn) : undefined;
      this.acks.apply(conn, actions, durable, alongside);
    };
    const wait = conn.pausedUntil();
    if (wait === undefined) return send();
    return wait.then(send);
  }

  /** An accepted PUBLISH (its acknowledgement is going out): route it. */
  onMessage(conn: ClientConnection, action: MessageAction): void {
    const message = messageOf(action);
    this.router.publishing = conn;
    try {
      this.router.accept(conn.info, message);
    } finally {
      this.router.publishing = undefined;
    }
  }

  onSubscribeRequest(conn: ClientConnection, action: SubscribeRequestAction): void {
    serially(conn, () => this.subscriptions.subscribe(conn, action));
  }

  onUnsubscribeRequest(conn: ClientConnection, action: UnsubscribeRequestAction): void {
    serially(conn, () => this.subscriptions.unsubscribe(conn, action));
  }

  onPacket(conn: ClientConnection, direction: "in" | "out", packet: unknown, bytes: number): void {
    if (direction === "in") {
      this.counters.messagesReceived++;
      this.counters.bytesReceived += bytes;
      this.plugins.fire("onPacketReceived", conn.info, packet);
    } else {
      this.counters.messagesSent++;
      this.counters.bytesSent += bytes;
      this.plugins.fire("onPacketSent", conn.info, packet);
      // A PUBCOMP ends a QoS 2 flow: the stored session forgets the released packet id
      // (else a restore after a crash would take a later PUBLISH reusing the id for a resend).
      if ((packet as { type?: number }).type === PacketType.PUBCOMP && this.store.persistent)
        this.saveLiveSession(conn.state, conn);
    }
  }

  onDeliveryDropped(conn: ClientConnection, topic: string, reason: string): void {
    this.dropped(conn.info.clientId, topic, reason);
  }

  private dropped(clientId: string, topic: string, reason: string): void {
    this.logger.debug("message dropped", { clientId, topic, reason });
    this.emit("dropped", clientId, topic, reason);
  }

  private warn(message: string, error: unknown): void {
    this.logger.warn(message, { error: String(error) });
    this.emit("warning", message, error);
  }
}

/** A plugin verdict as a PUBACK/PUBREC reason code: 0x00 allowed, 0x87 (or the plugin's code) refused. */
function verdictCode(answer: unknown): number {
  if (typeof answer === "number") return answer;
  return answer === false ? 0x87 : 0x00;
}

function isResolved(config: BrokerConfigInput | ResolvedBrokerConfig): config is ResolvedBrokerConfig {
  return Array.isArray((config as ResolvedBrokerConfig).listeners) && "limits" in config;
}

/**
 * Offline-queue messages handed to a reconnected session at a time, and the
 * unacknowledged ones it may hold before the next batch: large enough that a
 * client delaying its acknowledgements (Nagle's algorithm) does not set the
 * pace, small enough that the stored session snapshot stays small.
 */
const DRAIN_BATCH = 1000;
/** ... and the payload bytes of one batch. */
const DRAIN_BATCH_BYTES = 1024 * 1024;

const ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A client id for a client that sent none: `amqtt/` and 16 random letters and digits, as aMQTT. */
export function generateClientId(): string {
  const bytes = randomBytes(16);
  let id = "amqtt/";
  for (const b of bytes) id += ID_CHARS[b % ID_CHARS.length];
  return id;
}

/**
 * Run `task` for `conn` after everything it started before, so that plugin
 * answers that arrive late never reorder a client's packets. Stays synchronous
 * while nothing is pending and `task` answers synchronously.
 */
function serially(conn: ClientConnection, task: () => void | Promise<void>): void {
  const run = (): void | Promise<void> => {
    try {
      return task();
    } catch (error) {
      conn.transport.abort(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const settle = (p: Promise<void>): void => {
    const guarded = p.catch((error) =>
      conn.transport.abort(error instanceof Error ? error : new Error(String(error))),
    );
    conn.pending = guarded;
    guarded.then(() => {
      if (conn.pending === guarded) conn.pending = undefined;
    });
  };
  if (conn.pending !== undefined) {
    settle(conn.pending.then(run));
    return;
  }
  const result = run();
  if (result !== undefined) settle(result);
}
