export { pluginDefinitions, shadowDefinition, shadowTopicAuthDefinition } from "./definitions.js";
export {
  ANSWERS,
  acceptedMessage,
  deltaMessage,
  documentsMessage,
  iotaMessage,
  rejectedMessage,
  type ShadowVersion,
} from "./messages.js";
export {
  type ShadowOptionsInput,
  type ShadowTopicAuthOptionsInput,
  shadowOptions,
  shadowTopicAuthOptions,
} from "./options.js";
export { createShadowPlugin, type ShadowPlugin, type ShadowPluginSetup } from "./plugin.js";
export {
  MemoryShadowRepository,
  ShadowLimitError,
  type ShadowRepository,
  SqlShadowRepository,
  shadowTableStatement,
} from "./repository.js";
export {
  applyUpdate,
  createMetadata,
  deltaOf,
  emptyDocument,
  iotaOf,
  type JsonObject,
  mergeTree,
  parseUpdate,
  ShadowRequestError,
  type StateDocument,
} from "./states.js";
export { createShadowTopicAuthPlugin } from "./topic-auth.js";
