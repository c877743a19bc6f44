import { type BrokerPlugin, definePlugin, type Logger } from "@amqtt/broker";
import { Directory } from "./directory.js";
import { type LdapConnection, validateUserOptions } from "./options.js";

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

/** aMQTT's `amqtt.contrib.ldap.UserAuthLdapPlugin`. */
export const ldapAuthPlugin = definePlugin<LdapConnection>({
  name: "ldap-auth",
  aliases: ["amqtt.contrib.ldap.UserAuthLdapPlugin", "amqtt.contrib.ldap.LDAPAuthPlugin"],
  authenticates: true,
  options: validateUserOptions,
  create: (options, context) => createLdapUserPlugin(options, context.logger),
});
