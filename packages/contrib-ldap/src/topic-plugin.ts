import type { BrokerPlugin, ClientInfo, Logger } from "@amqtt/broker";
import { definePlugin, topicFilterPlugin } from "@amqtt/broker";
import { Directory } from "./directory.js";
import { type LdapTopicOptions, validateTopicOptions } from "./options.js";

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
  return topicFilterPlugin(
    "ldap-acl",
    async (client, action) => (await filtersOf(client))?.[attributeOf[action]],
  );
}

/** aMQTT's `amqtt.contrib.ldap.TopicAuthLdapPlugin`. */
export const ldapAclPlugin = definePlugin<LdapTopicOptions>({
  name: "ldap-acl",
  aliases: ["amqtt.contrib.ldap.TopicAuthLdapPlugin"],
  options: validateTopicOptions,
  create: (options, context) => createLdapTopicPlugin(options, context.logger),
});
