import { type AclAction, filterCovers } from "./acl-rules.js";
import { isThenable } from "./guard.js";
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

/**
 * The filters `client` may use for `action` (from a token's claims, a directory
 * entry, a database row, ...), or `undefined` when it has none.
 */
export type TopicFilters = (
  client: ClientInfo,
  action: AclAction,
) => readonly string[] | undefined | Promise<readonly string[] | undefined>;

/**
 * A topic plugin over per-client filter lists: an action on a topic is allowed
 * when one of the client's filters for that action covers it ({@link filterCovers}:
 * wildcards; a subscription's filter must be covered whole), and denied
 * otherwise, also when `filtersFor` has no list. `rest` adds other members.
 *
 * @example
 * ```ts
 * const plugin = topicFilterPlugin("token-acl", (client, action) => listsOf(client)?.[action]);
 * ```
 */
export function topicFilterPlugin<R extends Partial<BrokerPlugin> = Record<never, never>>(
  name: string,
  filtersFor: TopicFilters,
  rest?: R,
): BrokerPlugin & TopicAccessHooks & R {
  const covered = (filters: readonly string[] | undefined, topic: string): boolean =>
    filters?.some((f) => filterCovers(f, topic)) ?? false;
  return topicAccessPlugin(
    name,
    (client, action, topic) => {
      const filters = filtersFor(client, action);
      return isThenable(filters)
        ? Promise.resolve(filters).then((f) => covered(f, topic))
        : covered(filters, topic);
    },
    rest,
  );
}
