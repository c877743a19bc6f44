export { Directory, type UserEntry } from "./directory.js";
export {
  type LdapConnection,
  type LdapTopicOptions,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";
export { pluginDefinitions } from "./plugins.js";
export { createLdapTopicPlugin, ldapAclPlugin } from "./topic-plugin.js";
export { createLdapUserPlugin, ldapAuthPlugin } from "./user-plugin.js";
