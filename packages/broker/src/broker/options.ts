import type { ClusterBus } from "@amqtt/cluster";
import type { PublishProperties, QoS } from "@amqtt/codec";
import type { BrokerStore } from "@amqtt/store";
import type { ClusterNodeOptions } from "../cluster/cluster-node.js";
import type { ClusterViewOptions } from "../cluster/cluster-view.js";
import type { ResolvedListener } from "../config/resolve.js";
import type { PluginHost } from "../core/plugin-host.js";
import type { Clock } from "../core/timers.js";
import type { Logger, LogLevel } from "../logger.js";
import type { AnyPluginDefinition } from "../plugins/definition.js";
import type { BrokerPlugin, PluginFactory } from "../plugins/types.js";

/** Version reported in `$SYS/broker/version`. */
export const BROKER_VERSION = "0.1.0";

/** Options of a `Broker` besides its configuration. */
export interface BrokerOptions {
  /**
   * Where the broker and its plugins log. Default: stderr as the configuration's
   * `log_format`/`log_level`/`log_levels` say, at `warn` when `log_level` is not
   * written (an embedded broker is quiet; the `amqtt` command logs at `info`).
   * Components: `broker`, `listeners`, `plugins.<name>` (children of this logger).
   */
  logger?: Logger;
  /**
   * The level of the broker's own logger where the configuration writes no
   * `log_level` (default `warn`: an embedded broker is quiet; the `amqtt`
   * command passes `info`). Unused when `logger` is given.
   */
  defaultLogLevel?: LogLevel;
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
  /**
   * The clock of the broker's logic: keep alive and CONNECT deadlines (on the
   * broker's own timer wheel), session expiry, delayed wills, message expiry,
   * QoS retries, the store cleanup. Default `systemClock`; a fake one runs the
   * broker in virtual time (tests). Wall-clock times in the store stay `Date.now()`.
   */
  clock?: Clock;
  /**
   * Make this broker a node of a cluster: a `ClusterBus` of this node
   * (`MemoryClusterBus` of `@amqtt/cluster` for several brokers in one process,
   * `RedisClusterBus` of `@amqtt/cluster-redis` across processes and machines).
   * The broker starts and stops it. See the README, "Cluster".
   */
  cluster?: ClusterBus;
  /** Bounds and timing of the broker as a cluster node (tests, special embeddings); defaults in the README, "Cluster". */
  clusterTuning?: ClusterNodeOptions;
  /** Timing and bounds of `broker.cluster` (status snapshots, requests to other nodes); defaults in `CLUSTER_VIEW_DEFAULTS`. */
  clusterView?: ClusterViewOptions;
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
