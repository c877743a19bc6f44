import type { BrokerPlugin, ClientInfo, Logger } from "@amqtt/broker";
import { definePlugin, topicFilterPlugin } from "@amqtt/broker";
import type { JWTPayload } from "jose";
import { type JwtTopicOptions, validateTopicOptions } from "./options.js";
import { loadKey, tokenOf, verifyToken } from "./verify.js";

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
  return topicFilterPlugin("jwt-acl", async (client, action) => {
    const filters = (await claims(client))?.[claimOf[action]];
    return Array.isArray(filters) ? filters.filter((f): f is string => typeof f === "string") : undefined;
  });
}

/** aMQTT's `amqtt.contrib.jwt.TopicAuthJwtPlugin`. */
export const jwtAclPlugin = definePlugin<JwtTopicOptions>({
  name: "jwt-acl",
  aliases: ["amqtt.contrib.jwt.TopicAuthJwtPlugin"],
  options: validateTopicOptions,
  create: (options, context) => createJwtTopicPlugin(options, context.logger),
});
