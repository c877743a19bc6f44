import {
  type AnyPluginDefinition,
  type BrokerPlugin,
  type ClientInfo,
  definePlugin,
  filterCovers,
  type Logger,
  topicAccessPlugin,
} from "@amqtt/broker";
import { Directory } from "./directory.js";
import {
  type LdapConnection,
  type LdapTopicOptions,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";

/** The user plugin: find the user's entry as the service account, then bind as the user. */
export function createLdapUserPlugin(options: LdapConnection, logger: Logger): BrokerPlugin {
  const directory = new Directory(options);
  return {
    name: "ldap-auth",
    async authenticate(client) {
      const password = client.password === undefined ? "" : Buffer.from(client.password).toString("utf8");
      // An empty password makes an LDAP bind unauthenticated, which succeeds (RFC 4513 5.1.2): refuse it.
      if (client.username === undefined || password === "") return false;
      try {
        const users = await directory.findUsers(client.username, ["dn"]);
        if (users.length !== 1) {
          logger.debug(users.length === 0 ? "user not found" : "user name matches several entries", {
            username: client.username,
          });
          return false;
        }
        return await directory.checkPassword(users[0]!.dn, password);
      } catch (error) {
        logger.warn("LDAP check failed; denying", {
          username: client.username,
          error: (error as Error).message,
        });
        return false;
      }
    },
  };
}

const KEPT = "ldap topic attributes";

/** The topic plugin: allowed filters from the user's entry's attributes. */
export function createLdapTopicPlugin(options: LdapTopicOptions, logger: Logger): BrokerPlugin {
  const directory = new Directory(options);
  const attributes = [options.publishAttribute, options.subscribeAttribute, options.receiveAttribute];
  const filtersOf = async (client: ClientInfo): Promise<Record<string, string[]> | undefined> => {
    if (client.username === undefined) return undefined;
    // One entry per client, dropped with the client: bounded by the connections.
    const kept = client.attributes.get(KEPT) as { at: number; attrs: Record<string, string[]> } | undefined;
    if (kept !== undefined && Date.now() - kept.at < options.cacheTtlMs) return kept.attrs;
    try {
      const users = await directory.findUsers(client.username, attributes);
      if (users.length !== 1) return undefined;
      client.attributes.set(KEPT, { at: Date.now(), attrs: users[0]!.attributes });
      return users[0]!.attributes;
    } catch (error) {
      logger.warn("LDAP search failed; denying", {
        username: client.username,
        error: (error as Error).message,
      });
      return undefined;
    }
  };
  const attributeOf = {
    publish: options.publishAttribute,
    subscribe: options.subscribeAttribute,
    receive: options.receiveAttribute,
  };
  return topicAccessPlugin("ldap-acl", async (client, action, topic) => {
    const attrs = await filtersOf(client);
    return (attrs?.[attributeOf[action]] ?? []).some((f) => filterCovers(f, topic));
  });
}

/** aMQTT's `amqtt.contrib.ldap.UserAuthLdapPlugin`. */
export const ldapAuthPlugin: AnyPluginDefinition = definePlugin<LdapConnection>({
  name: "ldap-auth",
  aliases: ["amqtt.contrib.ldap.UserAuthLdapPlugin", "amqtt.contrib.ldap.LDAPAuthPlugin"],
  authenticates: true,
  options: validateUserOptions,
  create: (options, context) => createLdapUserPlugin(options, context.logger),
});

/** aMQTT's `amqtt.contrib.ldap.TopicAuthLdapPlugin`. */
export const ldapAclPlugin: AnyPluginDefinition = definePlugin<LdapTopicOptions>({
  name: "ldap-acl",
  aliases: ["amqtt.contrib.ldap.TopicAuthLdapPlugin"],
  options: validateTopicOptions,
  create: (options, context) => createLdapTopicPlugin(options, context.logger),
});

/** Every plugin of this package, for `new Broker(config, { pluginDefinitions })`. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [ldapAuthPlugin, ldapAclPlugin];
