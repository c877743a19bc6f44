import {
  type AnyPluginDefinition,
  type BrokerPlugin,
  type ClientInfo,
  definePlugin,
  filterCovers,
  type Logger,
  topicAccessPlugin,
} from "@amqtt/broker";
import type { JWTPayload } from "jose";
import {
  type JwtTopicOptions,
  type JwtUserOptions,
  validateTopicOptions,
  validateUserOptions,
} from "./options.js";
import { loadKey, verifyToken } from "./verify.js";

const tokenOf = (client: ClientInfo): string | undefined =>
  client.password === undefined ? undefined : Buffer.from(client.password).toString("utf8");

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

/** Verified claims kept per client, so a token is not verified again for every message. */
const CLAIMS = Symbol("jwt claims");

/** The topic plugin: allowed filters come from the token's configured claims. */
export async function createJwtTopicPlugin(options: JwtTopicOptions, logger: Logger): Promise<BrokerPlugin> {
  const key = await loadKey(options);
  const claims = async (client: ClientInfo): Promise<JWTPayload | undefined> => {
    const token = tokenOf(client);
    if (token === undefined) return undefined;
    const kept = client.attributes.get(CLAIMS as unknown as string) as
      | { token: string; payload: JWTPayload }
      | undefined;
    let payload = kept?.token === token ? kept.payload : undefined;
    if (payload === undefined) {
      const verified = await verifyToken(token, key, options);
      if (!verified.ok) {
        logger.debug(`token refused (${verified.why})`, { clientId: client.clientId });
        return undefined;
      }
      payload = verified.payload;
      client.attributes.set(CLAIMS as unknown as string, { token, payload });
    }
    // A token that expires while the client is connected stops authorizing, as aMQTT's re-decoding does.
    if (typeof payload.exp === "number" && payload.exp + options.clockTolerance <= Date.now() / 1000)
      return undefined;
    return payload;
  };
  const claimOf = {
    publish: options.publishClaim,
    subscribe: options.subscribeClaim,
    receive: options.receiveClaim,
  };
  return topicAccessPlugin("jwt-acl", async (client, action, topic) => {
    const filters = (await claims(client))?.[claimOf[action]];
    if (!Array.isArray(filters)) return false;
    return filters.some((f) => typeof f === "string" && filterCovers(f, topic));
  });
}

/** aMQTT's `amqtt.contrib.jwt.UserAuthJwtPlugin`. */
export const jwtAuthPlugin: AnyPluginDefinition = definePlugin<JwtUserOptions>({
  name: "jwt-auth",
  aliases: ["amqtt.contrib.jwt.UserAuthJwtPlugin"],
  authenticates: true,
  options: validateUserOptions,
  create: (options, context) => createJwtUserPlugin(options, context.logger),
});

/** aMQTT's `amqtt.contrib.jwt.TopicAuthJwtPlugin`. */
export const jwtAclPlugin: AnyPluginDefinition = definePlugin<JwtTopicOptions>({
  name: "jwt-acl",
  aliases: ["amqtt.contrib.jwt.TopicAuthJwtPlugin"],
  options: validateTopicOptions,
  create: (options, context) => createJwtTopicPlugin(options, context.logger),
});

/** Every plugin of this package, for `new Broker(config, { pluginDefinitions })`. */
export const pluginDefinitions: readonly AnyPluginDefinition[] = [jwtAuthPlugin, jwtAclPlugin];
