export { AclFileError, parseAclFile, readAclFile } from "./acl-file.js";
export { type AclAction, type AclRules, filterCovers, substitute } from "./acl-rules.js";
export { createAnonymousAuthPlugin } from "./anonymous-auth.js";
export { builtinPluginFactories } from "./builtins.js";
export {
  type AddSubscriptionOptions,
  type AddSubscriptionResult,
  type BrokerContext,
  type BrokerMetrics,
  DISCONNECT_REASONS,
  type DisconnectReasonName,
  InvalidSubscriptionError,
  isDisconnectReasonName,
  type LatencySnapshot,
  type ListenerInfo,
  type RetainedInfo,
  type RetainMessage,
  type RetainOutcome,
  type SessionInfo,
  SessionOnlineError,
  type SubscriptionInfo,
} from "./context-types.js";
export {
  type AnyPluginDefinition,
  definePlugin,
  optionsValidator,
  type PluginDefinition,
  type PluginOptionsSchema,
  type PluginValidation,
  type PluginValidationContext,
} from "./definition.js";
export { PluginLoadError, type PluginLoadPhase, PluginTimeoutError } from "./errors.js";
export { createEventLoggerPlugin } from "./event-logger.js";
export { createFileAuthPlugin, type FileAuthPlugin } from "./file-auth.js";
export { createPacketLoggerPlugin } from "./packet-logger.js";
export {
  type AuthResult,
  type AuthzVerdict,
  DEFAULT_PLUGIN_TIMEOUT_MS,
  type PluginEventArgs,
  type PluginEventName,
  type PluginHookName,
  PluginManager,
  type PluginManagerOptions,
  type PluginReloadOutcome,
  type ReceiveCheck,
  type ReloadablePlugin,
} from "./plugin-manager.js";
export { createSysPlugin, type ProcessMetrics, type SysPlugin } from "./sys.js";
export { aclRulesFromOptions, createTopicAclPlugin, type TopicAclPlugin } from "./topic-acl.js";
export {
  type TopicAccessHooks,
  type TopicCheck,
  type TopicFilters,
  topicAccessHooks,
  topicAccessPlugin,
  topicFilterPlugin,
} from "./topic-check.js";
export { createTopicTabooPlugin, TABOO_TOPICS } from "./topic-taboo.js";
export type {
  AuthAnswer,
  AuthzAnswer,
  BrokerPlugin,
  BrokerStats,
  ClientInfo,
  PluginContext,
  PluginFactory,
  PluginMessage,
} from "./types.js";
