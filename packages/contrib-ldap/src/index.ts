export { Directory, type UserEntry } from "./directory.js";
export {
  type LdapConnection,
  type LdapTopicOptions,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";
export {
  createLdapTopicPlugin,
  createLdapUserPlugin,
  ldapAclPlugin,
  ldapAuthPlugin,
  pluginDefinitions,
} from "./plugins.js";
