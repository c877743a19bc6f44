/**
 * @packageDocumentation
 * `@amqtt/broker`: an MQTT 3.1.1 and 5.0 broker for Node.js that runs aMQTT's
 * configuration files unchanged. This release holds the configuration layer:
 * aMQTT's YAML keys (and its deprecated `auth` / `topic-check` sections and
 * plugin names) validated strictly, every error naming its key path.
 *
 * @example
 * ```ts
 * import { loadBrokerConfigFile } from "@amqtt/broker";
 * const config = await loadBrokerConfigFile("broker.yaml");
 * console.log(config.listeners, config.plugins.map((p) => p.name));
 * ```
 */

export * from "@amqtt/store";
export * from "./auth/index.js";
export {
  BROKER_VERSION,
  Broker,
  type BrokerOptions,
  type BrokerPublish,
  generateClientId,
  type ListenerAddress,
  PER_NODE_STORE_WARNING,
  type ReloadRefusal,
  type ReloadReport,
} from "./broker.js";
export {
  ADMIN_CHANNEL,
  type AdminRequest,
  MAX_REMOTE_PAGE,
  type RemoteClient,
} from "./cluster/admin-messages.js";
export type { ClusterCounters, ClusterStats } from "./cluster/cluster-stats.js";
export {
  CLUSTER_VIEW_DEFAULTS,
  type ClusterNodeView,
  ClusterRequestTimeoutError,
  ClusterView,
  type ClusterViewOptions,
  RemoteRequestError,
  TooManyClusterRequestsError,
} from "./cluster/cluster-view.js";
export { EnvelopeFormatError } from "./cluster/envelopes.js";
export {
  MAX_SNAPSHOT_ENTRIES,
  type NodeBridgeStatus,
  type NodeCounters,
  type NodeStatusSnapshot,
  nodeCounters,
  sumCounters,
} from "./cluster/node-status.js";
export * from "./config/index.js";
export { loggerFromConfig, type ResolvedLogging } from "./config/logging.js";
export type { BrokerEvents } from "./core/events.js";
export { storeLimitsOf } from "./core/persistence.js";
export type { AuthDecision, PluginEvent, PluginHost } from "./core/plugin-host.js";
export { type RetainedMessage, RetainedStore } from "./core/retained.js";
export { emptyStats } from "./core/stats.js";
export { isSecretKey, REDACTED, redactFields, redactUrls } from "./log-redact.js";
export {
  type ConfigurableLogger,
  consoleLogger,
  createLogger,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  levelOf,
  silentLogger,
} from "./logger.js";
export * from "./plugins/index.js";
