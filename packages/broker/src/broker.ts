import { ReasonCode } from "@amqtt/codec";
import type { BrokerStore } from "@amqtt/store";
import type { Connection } from "@amqtt/transport";
import { LocalBrokerContext } from "./broker/context.js";
import { BrokerCore } from "./broker/core.js";
import { Listeners } from "./broker/listeners.js";
import {
  BROKER_VERSION,
  type BrokerOptions,
  type BrokerPublish,
  type ListenerAddress,
} from "./broker/options.js";
import { reloadBroker } from "./broker/reload.js";
import type { ReloadReport } from "./broker/reload-plan.js";
import { restoreFromStore } from "./broker/restore.js";
import { clearStore, removeExpired } from "./broker/store-cleanup.js";
import { ADMIN_CHANNEL } from "./cluster/admin-messages.js";
import { ClusterView } from "./cluster/cluster-view.js";
import { ConfigError } from "./config/errors.js";
import { loggerFromConfig } from "./config/logging.js";
import { type ResolvedBrokerConfig, resolveBrokerConfig } from "./config/resolve.js";
import type { BrokerConfigInput } from "./config/schema.js";
import { type BrokerEvents, TypedEvents } from "./core/events.js";
import { defaultStore } from "./core/persistence.js";
import type { PluginHost } from "./core/plugin-host.js";
import type { RetainedStore } from "./core/retained.js";
import type { SessionState } from "./core/session-state.js";
import { type LongTimer, repeating, systemClock } from "./core/timers.js";
import type { ConfigurableLogger, Logger, LogLevel } from "./logger.js";
import type { BrokerContext } from "./plugins/context-types.js";
import { DEFAULT_PLUGIN_TIMEOUT_MS, PluginManager } from "./plugins/plugin-manager.js";
import type { BrokerStats, PluginMessage } from "./plugins/types.js";

export { generateClientId } from "./broker/client-id.js";
export {
  BROKER_VERSION,
  type BrokerOptions,
  type BrokerPublish,
  type ListenerAddress,
} from "./broker/options.js";
export type { ReloadRefusal, ReloadReport } from "./broker/reload-plan.js";

/** What a cluster node with a store of its own logs at start: what a node's death costs then. */
export const PER_NODE_STORE_WARNING =
  "this cluster node keeps persistent sessions in a store of its own (memory or SQLite): if it dies, " +
  "the subscriptions, in-flight messages and offline queues of its persistent sessions are lost to the " +
  "cluster until it comes back (its clients reconnect elsewhere to a new session); a store the nodes " +
  "share keeps them (persistence: { store: redis }, PostgreSQL or MySQL, or no persistence section " +
  "with the amqtt command)";

/**
 * The MQTT broker. `new Broker(config)`, `await start()`, `await stop()`; or
 * `handle(connection)` for connections of any transport. Configuration is
 * aMQTT's (YAML keys, as objects) or an already resolved configuration. A
 * facade: the work is done by the modules of `src/broker/` (see the README's
 * module map).
 */
export class Broker extends TypedEvents<BrokerEvents> {
  readonly config: ResolvedBrokerConfig;
  readonly logger: Logger;
  /** The plugin manager, unless `pluginHost` replaced it. */
  readonly pluginManager: PluginManager | undefined;
  /**
   * The running broker as plugins see it (`context.broker`): sessions,
   * subscriptions, retained messages, `addSubscription`, `retainMessage`,
   * `disconnect`, listeners, counters. The admin API uses only this.
   */
  readonly context: BrokerContext;
  /** The cluster as the admin surface sees it (every live node, requests to another node), when this broker is a cluster node. */
  readonly cluster: ClusterView | undefined;
  private readonly core: BrokerCore;
  private readonly endpoints: Listeners;
  private readonly ownStore: boolean;
  private readonly cleanupIntervalMs: number;
  private cleanupTimer: LongTimer | undefined;
  private readonly ownLogger: ConfigurableLogger | undefined;
  private readonly defaultLogLevel: LogLevel;
  private readonly options: BrokerOptions;
  /** The reload running now (settled when none); at most one more waits behind it, in `queuedReload`. */
  private reloading: Promise<unknown> = Promise.resolve();
  private queuedReload: { next: ResolvedBrokerConfig; report: Promise<ReloadReport> } | undefined;
  private phase: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  private everStarted = false;

  constructor(config: BrokerConfigInput | ResolvedBrokerConfig = {}, options: BrokerOptions = {}) {
    super();
    this.config = isResolved(config)
      ? config
      : resolveBrokerConfig(
          config,
          options.pluginDefinitions === undefined ? {} : { pluginDefinitions: options.pluginDefinitions },
        );
    this.options = options;
    // Embedded, the broker is quiet (warn and above) unless the configuration or the embedder says otherwise.
    this.defaultLogLevel = options.defaultLogLevel ?? "warn";
    this.ownLogger =
      options.logger === undefined ? loggerFromConfig(this.config.logging, this.defaultLogLevel) : undefined;
    this.logger = options.logger ?? this.ownLogger!;
    const coreLogger = this.logger.child("broker");
    const pluginsLogger = this.logger.child("plugins");
    let plugins: PluginHost;
    if (options.pluginHost !== undefined) {
      plugins = options.pluginHost;
    } else {
      this.pluginManager = new PluginManager({
        specs: this.config.plugins,
        plugins: options.plugins ?? [],
        logger: pluginsLogger,
        createContext: (name, pluginOptions) => ({
          options: pluginOptions,
          logger: pluginsLogger.child(name),
          publish: (m) => this.publish(m),
          stats: () => this.stats(),
          version: BROKER_VERSION,
          broker: this.context,
          hookTimeoutMs: options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
        }),
        ...(options.pluginTimeoutMs === undefined ? {} : { timeoutMs: options.pluginTimeoutMs }),
        ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
      });
      plugins = this.pluginManager;
    }
    this.cleanupIntervalMs = options.storeCleanupIntervalMs ?? 60_000;
    const named = this.config.persistence.store;
    if (options.store === undefined && named !== undefined && named !== "memory") {
      throw new ConfigError([
        {
          path: "persistence.store",
          message: `${named} needs its store passed in: new Broker(config, { store }) with ${
            named === "sqlite"
              ? "new SqliteStore({ path }) from @amqtt/store-sqlite"
              : named === "redis"
                ? "new RedisStore({ url, keyPrefix }) from @amqtt/store-redis"
                : "createSqlStore({ url, passwordFile }) from @amqtt/store-sql"
          } (the amqtt command does this itself)`,
        },
      ]);
    }
    this.ownStore = options.store === undefined;
    this.core = new BrokerCore({
      config: this.config,
      plugins,
      store: options.store ?? defaultStore(this.config.limits),
      clock: options.clock ?? systemClock,
      logger: coreLogger,
      emit: (event, ...args) => this.emit(event, ...args),
      has: (event) => this.has(event),
      cluster: options.cluster,
      clusterTuning: options.clusterTuning,
    });
    this.endpoints = new Listeners(this.config, this.logger.child("listeners"));
    this.context = new LocalBrokerContext(this.core, {
      addresses: () => this.endpoints.addresses(),
      hookTimeouts: () => this.pluginManager?.hookTimeouts ?? 0,
    });
    const node = this.core.cluster;
    if (node !== undefined) {
      this.cluster = new ClusterView(
        node.bus,
        this.context,
        coreLogger,
        { version: BROKER_VERSION, stats: () => this.stats() },
        options.clusterView,
      );
      const view = this.cluster;
      node.channels.set(ADMIN_CHANNEL, (envelope) => view.receive(envelope));
    }
    for (const warning of this.config.warnings) coreLogger.warn(warning);
  }

  /** Retained messages, one per topic (the in-memory index of the store's). */
  get retained(): RetainedStore {
    return this.core.retained;
  }

  /** Persistent sessions, offline queues and retained messages. */
  get store(): BrokerStore {
    return this.core.store;
  }

  /** Sessions by client id (online and offline persistent ones). */
  get sessions(): ReadonlyMap<string, SessionState> {
    return this.core.registry.sessions;
  }

  /** Counters for `$SYS` and monitoring. */
  stats(): BrokerStats {
    return this.core.stats();
  }

  /** Addresses of the open listeners (with the ports actually bound). */
  addresses(): ListenerAddress[] {
    return this.endpoints.addresses();
  }

  /** Open the configured listeners. Fails (and closes what it opened) if one cannot listen. */
  async start(): Promise<void> {
    if (this.phase !== "new" && this.phase !== "stopped")
      throw new Error(`cannot start a broker that is ${this.phase}`);
    this.phase = "starting";
    const core = this.core;
    try {
      // Our own memory store does not outlive a stop: a restarted broker starts empty.
      if (this.ownStore && this.everStarted) core.replaceStore(defaultStore(this.config.limits));
      this.everStarted = true;
      await core.store.open();
      await restoreFromStore(core);
      if (core.cluster !== undefined && core.store.shared !== true)
        // Each node keeps its persistent sessions to itself: a dead node's stay with it.
        this.logger.child("broker").warn(PER_NODE_STORE_WARNING, { persistent: core.store.persistent });
      // Joining the cluster announces the routes of the restored sessions.
      await core.cluster?.start();
      // Plugins load first: one that cannot start (e.g. an unreadable password file) stops the start.
      await this.pluginManager?.start();
      core.plugins.fire("onBrokerPreStart");
      // Listeners that check the connection rate at accept (before any handshake).
      const gated = new Set<string>();
      await this.endpoints.openAll(
        (connection, listener) => {
          if (this.phase === "stopping" || this.phase === "stopped") connection.abort();
          else core.accept(connection, listener, undefined, gated.has(listener));
        },
        (listener) => {
          const gate = core.limits.acceptGate(listener);
          if (gate !== undefined) gated.add(listener);
          return gate;
        },
      );
    } catch (error) {
      await this.endpoints.closeAll();
      await core.cluster?.stop().catch(() => undefined);
      await this.pluginManager?.stop();
      this.phase = "stopped";
      throw error;
    }
    core.counters.startedAt = Date.now();
    this.cluster?.start();
    this.cleanupTimer = repeating(
      core.clock,
      () =>
        removeExpired(core).catch((error) =>
          core.warn("removing expired state from the store failed", error),
        ),
      this.cleanupIntervalMs,
    );
    this.phase = "started";
    core.plugins.fire("onBrokerPostStart");
    this.emit("started");
  }

  /**
   * Stop gracefully: close the listeners, send DISCONNECT 0x8B (Server shutting
   * down) to 5.0 clients and close the others, drop every timer. Wills of
   * disconnected clients are not published (the broker, not the client, ended it).
   */
  async stop(): Promise<void> {
    if (this.phase !== "started" && this.phase !== "starting") return;
    this.phase = "stopping";
    const core = this.core;
    this.cleanupTimer?.cancel();
    core.plugins.fire("onBrokerPreShutdown");
    // Clients hear DISCONNECT 0x8B first; closing a listener may drop its sockets at once.
    // New connections meanwhile are turned away (`handle` checks the phase).
    const closing = [...core.connections].map((c) => {
      c.shutDown(ReasonCode.SERVER_SHUTTING_DOWN);
      return c.transport.closed;
    });
    // A grace period of real time: it waits on sockets, not on broker logic.
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.endpoints.closeAll();
    for (const c of core.connections) c.transport.abort();
    this.cluster?.stop();
    await core.cluster?.stop().catch((error: unknown) => core.warn("leaving the cluster failed", error));
    // The in-memory state goes: what must survive is in the store, and a restart
    // restores it from there (an own memory store starts empty again).
    core.clear();
    if (this.config.persistence.clearOnShutdown) await clearStore(core);
    await core.store.close();
    this.phase = "stopped";
    core.plugins.fire("onBrokerPostShutdown");
    await this.pluginManager?.stop();
    this.emit("stopped");
  }

  /**
   * Reload while running (SIGHUP in the `amqtt` command; the admin API): re-read
   * the TLS certificates of TLS and WSS listeners (`setSecureContext`: open
   * connections stay up, new handshakes get the new certificate), the files of
   * plugins (password files, ACL files), and apply the settings that can change
   * safely (`connect_timeout`, `max_packet_size_before_connect`, `max_keepalive`,
   * `max_client_id_length`, `max_subscriptions_per_client`,
   * `session_expiry_interval`, `retained_message_expiry`, `response_information`,
   * `dollar_topic_publish`, and the log settings of a broker that made its own
   * logger). `newConfig` is the configuration to move to (default: the running
   * one, so only files are re-read); every other change it makes is listed in
   * `refused` and logged, not applied. A `newConfig` that does not resolve throws
   * `ConfigError` and changes nothing. Reloads run one at a time; one asked for
   * while another waits to run joins it, with the newer configuration.
   */
  reload(newConfig?: BrokerConfigInput | ResolvedBrokerConfig): Promise<ReloadReport> {
    if (this.phase !== "started")
      return Promise.reject(new Error(`cannot reload a broker that is ${this.phase}`));
    let next: ResolvedBrokerConfig;
    try {
      next = newConfig === undefined ? this.config : this.resolve(newConfig);
    } catch (error) {
      return Promise.reject(error);
    }
    // A reload asked for while another waits joins it with the newest configuration:
    // a burst of SIGHUPs makes one running and at most one waiting reload, never a queue.
    // (Without a configuration it only asks for the files to be re-read, which the waiting one does.)
    if (this.queuedReload !== undefined) {
      if (newConfig !== undefined) this.queuedReload.next = next;
      return this.queuedReload.report;
    }
    const queued = { next } as { next: ResolvedBrokerConfig; report: Promise<ReloadReport> };
    queued.report = this.reloading.then(() => {
      this.queuedReload = undefined;
      return reloadBroker(
        {
          config: this.config,
          endpoints: this.endpoints,
          pluginManager: this.pluginManager,
          retained: this.core.retained,
          logger: this.logger.child("broker"),
          ownLogger: this.ownLogger,
          defaultLogLevel: this.defaultLogLevel,
          refreshSessionOptions: () => this.core.refreshSessionOptions(),
        },
        queued.next,
      );
    });
    this.queuedReload = queued;
    this.reloading = queued.report.catch(() => {});
    return queued.report;
  }

  private resolve(config: BrokerConfigInput | ResolvedBrokerConfig): ResolvedBrokerConfig {
    if (isResolved(config)) return config;
    // As the constructor does, so that an unchanged configuration compares equal.
    const { pluginDefinitions } = this.options;
    return resolveBrokerConfig(config, pluginDefinitions === undefined ? {} : { pluginDefinitions });
  }

  /** Serve one connection of any transport (aMQTT's external listener). Resolves when it ends. */
  handle(connection: Connection, listener = "external"): Promise<void> {
    if (this.phase === "stopping" || this.phase === "stopped") {
      connection.abort();
      return Promise.resolve();
    }
    return this.core.serve(connection, listener);
  }

  /**
   * Send a connected 5.0 client elsewhere (section 4.11): DISCONNECT 0x9C Use
   * another server (or 0x9D Server moved when `permanent`) with the Server
   * Reference. A 3.1.1 client is just disconnected. False when not connected.
   */
  redirect(clientId: string, serverReference: string, permanent = false): boolean {
    const conn = this.sessions.get(clientId)?.connection;
    if (conn === undefined || conn.session.state !== "connected") return false;
    if (conn.protocolVersion !== 5) conn.disconnect(ReasonCode.USE_ANOTHER_SERVER);
    else {
      const reasonCode = permanent ? ReasonCode.SERVER_MOVED : ReasonCode.USE_ANOTHER_SERVER;
      conn.apply(conn.session.disconnect(this.core.clock.now(), { reasonCode, serverReference }));
    }
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
    this.core.router.accept(undefined, m);
  }

  /**
   * {@link publish}, resolving once the broker holds the message as it does
   * before it acknowledges a client's QoS 1/2 PUBLISH: routed (an asynchronous
   * `onPublish` plugin answered and its routing ran), the copies for other
   * cluster nodes held by the engine, and the store's writes (retained, offline
   * queues) flushed. Rejects when the store or the engine could not make it
   * durable. For a bridge or gateway that acknowledges upstream only then.
   */
  publishDurably(message: BrokerPublish): Promise<void> {
    this.publish(message);
    const pending = this.core.takePendingRouting();
    const store = this.core.store;
    return pending === undefined ? store.flush() : pending.then(() => store.flush());
  }
}

function isResolved(config: BrokerConfigInput | ResolvedBrokerConfig): config is ResolvedBrokerConfig {
  return Array.isArray((config as ResolvedBrokerConfig).listeners) && "limits" in config;
}
