import { topicAccessPlugin } from "./topic-check.js";
import type { BrokerPlugin } from "./types.js";

/** aMQTT's hard-coded taboo topics, matched exactly (no wildcards). */
export const TABOO_TOPICS: ReadonlySet<string> = new Set(["prohibited", "top-secret", "data/classified"]);

/** The user aMQTT lets use taboo topics. */
const EXEMPT_USER = "admin";

/**
 * `$share/<group>/<filter>` -> `<filter>` for 5.0 clients: the share prefix says
 * who gets a message, not which. In 3.1.1 `$share/...` is an ordinary filter.
 */
export function withoutSharePrefix(filter: string, protocolVersion: 3 | 4 | 5): string {
  if (protocolVersion !== 5 || !filter.startsWith("$share/")) return filter;
  const slash = filter.indexOf("/", 7);
  return slash === -1 ? filter : filter.slice(slash + 1);
}

/**
 * aMQTT's `TopicTabooPlugin` (no options): publishing to, subscribing to and
 * receiving on `prohibited`, `top-secret` and `data/classified` (exact names) is
 * denied to everyone but user `admin`. Other topics get no answer.
 */
export function createTopicTabooPlugin(): BrokerPlugin {
  return topicAccessPlugin("topic-taboo", (client, action, topic) => {
    const name = action === "subscribe" ? withoutSharePrefix(topic, client.protocolVersion) : topic;
    return client.username !== EXEMPT_USER && TABOO_TOPICS.has(name) ? false : undefined;
  });
}
