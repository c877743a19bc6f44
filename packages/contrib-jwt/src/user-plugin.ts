import { type BrokerPlugin, definePlugin, type Logger } from "@amqtt/broker";
import { type JwtUserOptions, validateUserOptions } from "./options.js";
import { loadKey, tokenOf, verifyToken } from "./verify.js";

/** The user plugin: the password is a token whose `user_claim` must equal the user name. */
export async function createJwtUserPlugin(options: JwtUserOptions, logger: Logger): Promise<BrokerPlugin> {
  const key = await loadKey(options);
  return {
    name: "jwt-auth",
    async authenticate(client) {
      const token = tokenOf(client);
      if (token === undefined || client.username === undefined) return false;
      const verified = await verifyToken(token, key, options);
      if (!verified.ok) {
        logger.debug(`token refused (${verified.why})`, {
          clientId: client.clientId,
          username: client.username,
        });
        return false;
      }
      const matches = verified.payload[options.userClaim] === client.username;
      if (!matches)
        logger.debug("token names another user", { clientId: client.clientId, username: client.username });
      return matches;
    },
  };
}

/** aMQTT's `amqtt.contrib.jwt.UserAuthJwtPlugin`. */
export const jwtAuthPlugin = definePlugin<JwtUserOptions>({
  name: "jwt-auth",
  aliases: ["amqtt.contrib.jwt.UserAuthJwtPlugin"],
  authenticates: true,
  options: validateUserOptions,
  create: (options, context) => createJwtUserPlugin(options, context.logger),
});
