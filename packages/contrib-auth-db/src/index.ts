export { runTopicMgr } from "./cli/topic-mgr.js";
export { type CommandIo, runUserMgr } from "./cli/user-mgr.js";
export {
  type ConnectionTarget,
  ConnectionUrlError,
  parseConnectionUrl,
  redactConnectionUrl,
} from "./connection.js";
export {
  BoundedDatabase,
  type Database,
  DatabaseBusyError,
  DatabaseUnavailableError,
  DEFAULT_POOL_LIMITS,
  openDatabase,
  type PoolLimits,
} from "./database.js";
export {
  pluginDefinitions,
  topicAuthDbDefinition,
  userAuthDbDefinition,
  withBaseDir,
} from "./definitions.js";
export { AuthDbRequestError } from "./errors.js";
export { HASH_SCHEMES, type HashCheck, type HashScheme, PasswordHasher, schemeOf } from "./hashing.js";
export {
  type TopicAuthDbOptions,
  type TopicAuthDbOptionsInput,
  topicAuthDbOptions,
  type UserAuthDbOptions,
  type UserAuthDbOptionsInput,
  userAuthDbOptions,
} from "./options.js";
export { type AuthDbPluginSetup, createTopicAuthDbPlugin, createUserAuthDbPlugin } from "./plugins.js";
export { ACL_ACTIONS, type AclAction, syncSchema, TOPIC_TABLE, USER_TABLE } from "./schema.js";
export { type TopicAuthRecord, TopicManager } from "./topic-manager.js";
export { type UserAuthRecord, UserManager } from "./user-manager.js";
