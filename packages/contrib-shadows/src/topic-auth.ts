import { type BrokerPlugin, topicAccessPlugin } from "@amqtt/broker";
import { type ShadowTopicAuthOptionsInput, shadowTopicAuthOptions } from "./options.js";

/** A shadow topic or filter: `$shadow/<device>/<name>/...`. */
const SHADOW = /^\$shadow\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)\//;

/**
 * aMQTT's `ShadowTopicAuthPlugin`: a client may publish, subscribe and receive on
 * `$shadow/<device>/...` only when its user name is `<device>` or one of
 * `superusers`. Every other topic is denied (as aMQTT: pair it with another ACL
 * plugin and this one still says no outside the shadows).
 */
export function createShadowTopicAuthPlugin(input: ShadowTopicAuthOptionsInput = {}): BrokerPlugin {
  const { superusers } = shadowTopicAuthOptions.parse(input);
  return topicAccessPlugin("shadow-topic-auth", (client, _action, topic) => {
    const match = SHADOW.exec(topic);
    if (match === null) return false;
    const user = client.username;
    return user !== undefined && (match[1] === user || superusers.includes(user));
  });
}
