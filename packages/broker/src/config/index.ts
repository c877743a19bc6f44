export { type BindAddress, parseBind } from "./bind.js";
export { defaultCluster, type ResolvedCluster, redactRedisUrl } from "./cluster.js";
export { defaultRateLimits, type ListenerEdge, type RateLimits } from "./edge.js";
export { ConfigError, type ConfigIssue } from "./errors.js";
export { type ConnectionLimitDefault, connectionLimitDefault, FALLBACK_MAX_CONNECTIONS } from "./fd-limit.js";
export { loadBrokerConfigFile, parseBrokerConfigYaml } from "./load.js";
export {
  DATA_FILE_NAME,
  type PersistenceStore,
  type ResolvedPersistence,
  type ResolvedRedis,
} from "./persistence.js";
export {
  type BuiltinPluginName,
  type PluginRegistry,
  type PluginSpec,
  pluginRegistry,
} from "./plugins.js";
export {
  type BrokerCapabilities,
  type BrokerLimits,
  DEFAULT_MAX_CONNECTIONS,
  defaultLimits,
  type ResolvedBrokerConfig,
  type ResolvedListener,
  resolveBrokerConfig,
} from "./resolve.js";
export type { BrokerConfigInput, ListenerConfigInput } from "./schema.js";
