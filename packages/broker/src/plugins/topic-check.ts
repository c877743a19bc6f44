import type { AclAction } from "./acl-rules.js";
import type { AuthzAnswer, BrokerPlugin, ClientInfo } from "./types.js";

/**
 * One topic decision: may `client` do `action` on `topic`? For `publish` and
 * `receive` `topic` is the message's topic name; for `subscribe` it is the
 * filter as the client sent it (a 5.0 `$share/<group>/` prefix included).
 * Answers as the authorize hooks do ({@link AuthzAnswer}).
 */
export type TopicCheck = (
  client: ClientInfo,
  action: AclAction,
  topic: string,
) => AuthzAnswer | Promise<AuthzAnswer>;

/** The three authorize hooks of a topic plugin. */
export type TopicAccessHooks = Required<
  Pick<BrokerPlugin, "authorizePublish" | "authorizeSubscribe" | "authorizeReceive">
>;

/**
 * The `authorizePublish` / `authorizeSubscribe` / `authorizeReceive` trio built
 * from one {@link TopicCheck}, for a plugin that decides every action the same way.
 *
 * @example
 * ```ts
 * const plugin = { name: "http-acl", ...topicAccessHooks((client, action, topic) => ask(client, action, topic)) };
 * ```
 */
export function topicAccessHooks(check: TopicCheck): TopicAccessHooks {
  return {
    authorizePublish: (client, message) => check(client, "publish", message.topic),
    authorizeSubscribe: (client, filter) => check(client, "subscribe", filter),
    authorizeReceive: (client, message) => check(client, "receive", message.topic),
  };
}

/**
 * A topic plugin named `name` whose three authorize hooks ask `check`;
 * `rest` adds its other members (`start`, `stop`, `reload`, ...).
 *
 * @example
 * ```ts
 * const plugin = topicAccessPlugin("no-secrets", (_client, _action, topic) =>
 *   topic.startsWith("secret/") ? false : undefined,
 * );
 * ```
 */
export function topicAccessPlugin<R extends Partial<BrokerPlugin> = Record<never, never>>(
  name: string,
  check: TopicCheck,
  rest?: R,
): BrokerPlugin & TopicAccessHooks & R {
  return { ...(rest as R), name, ...topicAccessHooks(check) };
}
