export {
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtTopicOptions,
  type JwtUserOptions,
  type KeySource,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";
export { pluginDefinitions } from "./plugins.js";
export { createJwtTopicPlugin, jwtAclPlugin } from "./topic-plugin.js";
export { createJwtUserPlugin, jwtAuthPlugin } from "./user-plugin.js";
export { loadKey, type TokenRefusal, type Verified, verifyToken } from "./verify.js";
