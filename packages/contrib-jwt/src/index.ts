export {
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtTopicOptions,
  type JwtUserOptions,
  type KeySource,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";
export {
  createJwtTopicPlugin,
  createJwtUserPlugin,
  jwtAclPlugin,
  jwtAuthPlugin,
  pluginDefinitions,
} from "./plugins.js";
export { loadKey, type TokenRefusal, type Verified, verifyToken } from "./verify.js";
